import { captureServiceFor, toApiFailure } from '../../capture/service';
import type { HandlerContext, Handlers } from './types';

/** Handlers for the cluster area of the contract: kubeconfig contexts, connect, preflight. */
export function createClusterHandlers(ctx: HandlerContext): Handlers {
  const wrap =
    <A, R>(fn: (req: A) => Promise<R> | R) =>
    async (req: A): Promise<R> => {
      try {
        return await fn(req);
      } catch (err) {
        throw toApiFailure(err);
      }
    };
  return {
    'cluster.contexts': wrap((req) => captureServiceFor(ctx).contexts(req.kubeconfigPath)),
    'cluster.connect': wrap((req) => captureServiceFor(ctx).connect(req.context, req.kubeconfigPath)),
    'cluster.preflight': wrap((req) => captureServiceFor(ctx).preflight(req.context, req.kubeconfigPath, req.targets)),
  };
}
