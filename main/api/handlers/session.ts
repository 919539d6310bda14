import type { HandlerContext, Handlers } from './types';

/** Handlers for the session area of the contract. */
export function createSessionHandlers(_ctx: HandlerContext): Handlers {
  return {};
}
