import type { HandlerContext, Handlers } from './types';

/** Handlers for the findings area of the contract. */
export function createFindingsHandlers(_ctx: HandlerContext): Handlers {
  return {};
}
