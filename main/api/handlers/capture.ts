import type { HandlerContext, Handlers } from './types';

/** Handlers for the capture area of the contract. */
export function createCaptureHandlers(_ctx: HandlerContext): Handlers {
  return {};
}
