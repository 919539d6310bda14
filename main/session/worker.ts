/**
 * Worker-thread entry: one SessionEngine per worker, driven by WorkerRequest messages. Keeps
 * parsing, graph building and detection off the main event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { detectorForSession } from '../detect/index';
import { EngineFailure, SessionEngine, type SinkFactory } from './engine';
import type { WorkerInit, WorkerReply, WorkerRequest } from './protocol';

const port = parentPort;
if (!port) throw new Error('session/worker.ts must run in a worker thread');
const init = workerData as WorkerInit;

const sinks: SinkFactory[] = [];
if (init.detect !== false) sinks.push((header) => detectorForSession(header, init.detectConfig));

const engine = new SessionEngine({
  sessionId: init.sessionId,
  emit: (event) => port.postMessage({ event } satisfies WorkerReply),
  sinks,
  checkpointEvery: init.checkpointEvery,
  tickMs: init.tickMs,
});

const methods: Record<WorkerRequest['method'], (...args: never[]) => unknown> = {
  open: (src: Parameters<SessionEngine['open']>[0], o: Parameters<SessionEngine['open']>[1]) => engine.open(src, o),
  openDiff: (a: string, b: string, o: { force?: boolean }) => engine.openDiff(a, b, o),
  startLive: (h: Parameters<SessionEngine['startLive']>[0], name: string, path?: string) =>
    engine.startLive(h, name, path),
  appendLive: (events: Parameters<SessionEngine['appendLive']>[0]) => engine.appendLive(events),
  info: () => engine.info(),
  snapshot: (level: Parameters<SessionEngine['snapshot']>[0]) => engine.snapshot(level),
  nodeDetails: (key: string) => engine.nodeDetails(key),
  events: (q: Parameters<SessionEngine['events']>[0]) => engine.events(q),
  control: (req: Parameters<SessionEngine['control']>[0]) => engine.control(req),
  histogram: (n: number) => engine.histogram(n),
  exportGraph: (f: Parameters<SessionEngine['exportGraph']>[0], l: Parameters<SessionEngine['exportGraph']>[1]) =>
    engine.exportGraph(f, l),
  findings: () => engine.findings(),
  diff: () => engine.diff(),
  seekToIndex: (n: number) => engine.seekToIndex(n),
  replayMemory: () => engine.replayMemory(),
  memory: () => process.memoryUsage(),
  close: () => engine.close(),
};

port.on('message', (req: WorkerRequest) => {
  void (async () => {
    try {
      const fn = methods[req.method] as ((...a: unknown[]) => unknown) | undefined;
      if (!fn) throw new EngineFailure('unsupported', `unknown engine method ${String(req.method)}`);
      const result = await fn(...req.args);
      port.postMessage({ id: req.id, ok: true, result } satisfies WorkerReply);
    } catch (e) {
      const code = e instanceof EngineFailure ? e.code : 'internal';
      port.postMessage({
        id: req.id,
        ok: false,
        error: { code, message: (e as Error)?.message ?? String(e) },
      } satisfies WorkerReply);
    }
  })();
});
