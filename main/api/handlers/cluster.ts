import type { HandlerContext, Handlers } from './types';

/** Handlers for the cluster area of the contract. */
export function createClusterHandlers(_ctx: HandlerContext): Handlers {
  return {};
}
