/**
 * Worker-thread entry: one SessionEngine per worker, driven by WorkerRequest messages. Keeps
 * parsing, graph building and detection off the main event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { detectorForSession, type Detector, type SessionDetectConfig } from '../detect/index';
import type { SessionInfo } from '../common/contract';
import { EngineFailure, SessionEngine, type SinkFactory } from './engine';
import type { WorkerInit, WorkerReply, WorkerRequest } from './protocol';

const port = parentPort;
if (!port) throw new Error('session/worker.ts must run in a worker thread');
const init = workerData as WorkerInit;

// The detection configuration in force; session.setBaseline replaces it and re-runs detection.
let detectConfig: SessionDetectConfig = init.detectConfig ?? {};
/** The detector in force, and the one the sink factory made last (in force once its run succeeds). */
let detector: Detector | undefined;
let building: Detector | undefined;
/** Live learning mode: whether the end of learning was announced. */
let learningAnnounced = false;

const sinksFor = (cfg: SessionDetectConfig): SinkFactory[] =>
  init.detect === false ? [] : [(h) => (building = detectorForSession(h, cfg))];

const engine = new SessionEngine({
  sessionId: init.sessionId,
  emit: (event) => port.postMessage({ event } satisfies WorkerReply),
  sinks: sinksFor(detectConfig),
  checkpointEvery: init.checkpointEvery,
  tickMs: init.tickMs,
});

/** The session's info with what detection is set to (the baseline hunted, learning mode). */
function withDetect(info: SessionInfo): SessionInfo {
  const out: SessionInfo = { ...info };
  if (detectConfig.baseline) out.baseline = detectConfig.baseline.name;
  if (detectConfig.learnMinutes) {
    // Counted from the first event the agents sent: unknown until one arrives.
    const until = detector?.learningUntil();
    out.learning = {
      minutes: detectConfig.learnMinutes,
      ...(until !== undefined ? { until } : {}),
      done: until !== undefined && info.endTime >= until,
    };
  }
  return out;
}

/** Live learning mode: say once when the learned part is over and hunting starts. */
function announceLearningEnd(): void {
  if (learningAnnounced || !detectConfig.learnMinutes) return;
  const until = detector?.learningUntil();
  if (until === undefined || engine.info().endTime < until) return;
  learningAnnounced = true;
  engine.emitNotice(
    'info',
    `Learning finished after ${detectConfig.learnMinutes} min: behaviour from now on is hunted against what was learned. Save it as a baseline from the findings panel.`,
  );
}

const methods: Record<WorkerRequest['method'], (...args: never[]) => unknown> = {
  open: async (src: Parameters<SessionEngine['open']>[0], o: Parameters<SessionEngine['open']>[1]) => {
    const info = await engine.open(src, o);
    detector = building;
    return withDetect(info);
  },
  openDiff: (a: string, b: string, o: { force?: boolean }) => engine.openDiff(a, b, o),
  startLive: async (h: Parameters<SessionEngine['startLive']>[0], name: string, path?: string) => {
    const info = await engine.startLive(h, name, path);
    detector = building;
    return withDetect(info);
  },
  appendLive: (events: Parameters<SessionEngine['appendLive']>[0]) => {
    engine.appendLive(events);
    announceLearningEnd();
  },
  endLive: (trailer: Parameters<SessionEngine['endLive']>[0]) => withDetect(engine.endLive(trailer)),
  info: () => withDetect(engine.info()),
  setDetectConfig: async (given: SessionDetectConfig) => {
    // Learning mode belongs to the live capture: it stays when the baseline changes.
    const cfg =
      given.learnMinutes === undefined && detectConfig.learnMinutes
        ? { ...given, learnMinutes: detectConfig.learnMinutes }
        : given;
    const info = await engine.redetect(sinksFor(cfg));
    detector = building;
    detectConfig = cfg;
    return withDetect(info);
  },
  learnBaseline: (name: string) => engine.learnBaseline(name),
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
