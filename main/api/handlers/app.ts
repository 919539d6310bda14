import type { HandlerContext, Handlers } from './types';

/** Handlers for the app area of the contract. */
export function createAppHandlers(_ctx: HandlerContext): Handlers {
  return {};
}
