/**
 * All handlers, one module per area, each owned by the code it fronts. A call with no handler
 * answers `unsupported` (the transport does that), never silence.
 */
import type { HandlerContext, Handlers } from './types';
import { createAppHandlers } from './app';
import { createSessionHandlers } from './session';
import { createFindingsHandlers } from './findings';
import { createClusterHandlers } from './cluster';
import { createCaptureHandlers } from './capture';
import { createBaselineHandlers } from './baseline';

export function createHandlers(ctx: HandlerContext): Handlers {
  return {
    ...createAppHandlers(ctx),
    ...createSessionHandlers(ctx),
    ...createFindingsHandlers(ctx),
    ...createClusterHandlers(ctx),
    ...createCaptureHandlers(ctx),
    ...createBaselineHandlers(ctx),
  };
}
export type { HandlerContext, Handlers } from './types';
export { ApiFailure } from './types';
