import { captureServiceFor, toApiFailure, type LiveCapture } from '../../capture/service';
import type { LanternEvent } from '../../common/events';
import { sessionManagerFor } from './session';
import { loadCatalogBaseline } from './baseline';
import type { Baseline } from '../../detect/types';
import type { HandlerContext, Handlers } from './types';

/**
 * A live capture as a session: the graph and findings grow while it runs. Events are batched
 * (one hand-over to the session worker every `flushMs`) and handed over in order.
 */
async function viewLive(
  ctx: HandlerContext,
  live: LiveCapture,
  detect: { learnMinutes?: number; baseline?: Baseline },
  flushMs = 250,
): Promise<string> {
  const sessions = sessionManagerFor(ctx);
  const name = `live: ${live.context} ${live.sessionId}`;
  // The file being written: raw events and re-running detection (another baseline) read it back.
  const info = await sessions.startLive(live.header, name, live.out, detect);
  let pending: LanternEvent[] = [];
  let chain: Promise<void> = Promise.resolve();
  let failed = false;
  const flush = () => {
    if (!pending.length || failed) return;
    const batch = pending;
    pending = [];
    chain = chain
      .then(() => sessions.appendLive(info.sessionId, batch))
      .catch((e: Error) => {
        // The viewer went away (closed by the analyst): the capture itself goes on.
        failed = true;
        if (sessions.has(info.sessionId))
          ctx.publish('notice', { level: 'warning', message: `Live view stopped: ${e.message}` });
      });
  };
  const timer = setInterval(flush, flushMs);
  timer.unref?.();
  const unsubscribe = live.subscribe((evs) => {
    for (const e of evs) pending.push(e);
  });
  live.done
    .finally(() => {
      unsubscribe();
      clearInterval(timer);
      flush();
    })
    .then(
      // After the last batch: the session says complete, and peers/rarity see the whole capture.
      (result) =>
        chain.then(() => {
          if (!failed && sessions.has(info.sessionId)) return sessions.endLive(info.sessionId, result.trailer);
        }),
      () => {},
    )
    .catch(() => {
      // The analyst closed the view meanwhile: nothing to finish.
    });
  return info.sessionId;
}

/**
 * Handlers for the capture area of the contract. Progress goes out as 'capture.progress'; every
 * running capture is stopped (pods deleted, deletion confirmed) on app shutdown. The sessionId
 * that capture.start answers is the live session viewing the capture.
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
    'capture.start': wrap(async (req) => {
      const { learnMinutes, baseline: baselineName, ...captureReq } = req;
      // Before any pod is created: an unknown baseline fails the start, in words.
      const baseline = baselineName ? await loadCatalogBaseline(ctx.userDataDir, baselineName) : undefined;
      const service = captureServiceFor(ctx);
      const started = await service.start(captureReq);
      const live = service.liveCapture(started.captureId);
      if (!live) return started;
      try {
        const detect = {
          ...(learnMinutes ? { learnMinutes } : {}),
          ...(baseline ? { baseline } : {}),
        };
        return { ...started, sessionId: await viewLive(ctx, live, detect) };
      } catch (e) {
        ctx.publish('notice', {
          level: 'warning',
          message: `The capture runs, but its live view could not open: ${(e as Error).message}. Open ${started.out} when it is done.`,
        });
        return started;
      }
    }),
    'capture.stop': wrap((req) => captureServiceFor(ctx).stop(req.captureId)),
    'capture.leftovers': wrap((req) => captureServiceFor(ctx).leftovers(req.context, req.kubeconfigPath)),
    'capture.cleanLeftovers': wrap((req) => captureServiceFor(ctx).cleanLeftovers(req.context, req.kubeconfigPath)),
  };
}
