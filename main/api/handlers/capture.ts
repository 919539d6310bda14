import { captureServiceFor, toApiFailure } from '../../capture/service';
import type { HandlerContext, Handlers } from './types';

/**
 * Handlers for the capture area of the contract. Progress goes out as 'capture.progress'; every
 * running capture is stopped (pods deleted, deletion confirmed) on app shutdown.
 */
export function createCaptureHandlers(ctx: HandlerContext): Handlers {
  const wrap =
    <A, R>(fn: (req: A) => Promise<R>) =>
    async (req: A): Promise<R> => {
      try {
        return await fn(req);
      } catch (err) {
        throw toApiFailure(err);
      }
    };
  return {
    'capture.start': wrap((req) => captureServiceFor(ctx).start(req)),
    'capture.stop': wrap((req) => captureServiceFor(ctx).stop(req.captureId)),
    'capture.leftovers': wrap((req) => captureServiceFor(ctx).leftovers(req.context, req.kubeconfigPath)),
    'capture.cleanLeftovers': wrap((req) => captureServiceFor(ctx).cleanLeftovers(req.context, req.kubeconfigPath)),
  };
}
