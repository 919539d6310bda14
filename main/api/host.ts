/**
 * The host side shared by both front doors (Electron window and browser mode): builds the
 * HandlerContext, fans stream messages out to whatever transports are attached, and runs the
 * registered shutdown callbacks (capture pods, workers, watches) with a deadline when the app stops.
 */
import type { StreamName, StreamPayloads } from '../common/contract';
import { createHandlers } from './handlers/index';
import type { HandlerContext } from './handlers/types';
import { createRouter, type Router } from './router';

export type StreamListener = (name: StreamName, payload: unknown) => void;

export interface HostOptions {
  mode: HandlerContext['mode'];
  userDataDir: string;
  assetsDir: string;
  demoWhenNoCluster?: boolean;
  showOpenDialog?: HandlerContext['showOpenDialog'];
  showSaveDialog?: HandlerContext['showSaveDialog'];
  log?: (message: string, err?: unknown) => void;
}

export interface Host {
  ctx: HandlerContext;
  router: Router;
  /** Attach a transport's fan-out; returns a detach function. */
  subscribe(listener: StreamListener): () => void;
  /** Run every onShutdown callback (newest first), each bounded by `timeoutMs`. Idempotent. */
  shutdown(timeoutMs?: number): Promise<void>;
}

export function createHost(opts: HostOptions): Host {
  const log = opts.log ?? ((m: string, e?: unknown) => (e === undefined ? console.error(m) : console.error(m, e)));
  const listeners = new Set<StreamListener>();
  const cleanups: (() => Promise<void> | void)[] = [];
  let shuttingDown: Promise<void> | null = null;

  const ctx: HandlerContext = {
    mode: opts.mode,
    userDataDir: opts.userDataDir,
    assetsDir: opts.assetsDir,
    ...(opts.demoWhenNoCluster ? { demoWhenNoCluster: true } : {}),
    publish<S extends StreamName>(name: S, payload: StreamPayloads[S]) {
      for (const l of listeners) {
        try {
          l(name, payload);
        } catch (err) {
          log(`Lantern: a transport failed to deliver ${name}:`, err);
        }
      }
    },
    onShutdown(fn) {
      cleanups.push(fn);
    },
    ...(opts.showOpenDialog ? { showOpenDialog: opts.showOpenDialog } : {}),
    ...(opts.showSaveDialog ? { showSaveDialog: opts.showSaveDialog } : {}),
  };

  const router = createRouter(createHandlers(ctx), ctx, { log });

  async function runCleanups(timeoutMs: number) {
    // newest first: later registrations usually depend on earlier ones
    for (const fn of [...cleanups].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      try {
        const outcome = await Promise.race([Promise.resolve().then(fn), deadline]);
        if (outcome === 'timeout') log(`Lantern: a shutdown step did not finish within ${timeoutMs} ms; moving on.`);
      } catch (err) {
        log('Lantern: a shutdown step failed:', err);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  return {
    ctx,
    router,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    shutdown(timeoutMs = 10_000) {
      shuttingDown ??= runCleanups(timeoutMs);
      return shuttingDown;
    },
  };
}
