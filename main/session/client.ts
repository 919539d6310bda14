/**
 * Main-thread handle on one engine worker: typed async methods, engine messages to a callback,
 * and `terminate()` as the stop for everything the worker holds.
 */
import { Worker } from 'node:worker_threads';
import type { CaptureHeader, CaptureTrailer } from '../common/capture';
import type { ExportResult, NodeDetails, ReplayState, SessionInfo, TimelineHistogram } from '../common/contract';
import type { LanternEvent } from '../common/events';
import type { Finding } from '../common/findings';
import type { CollapseLevel, GraphDelta } from '../common/graph';
import type { ExportFormat } from '../export/index';
import type { EngineMessage, OpenSource } from './engine';
import type { EngineMethod, WorkerInit, WorkerReply } from './protocol';
import type { SessionDetectConfig } from '../detect/index';
import type { Baseline } from '../detect/types';

export class EngineCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineCallError';
  }
}

/**
 * Where the worker entry is. From sources (tsx, vitest) it is worker.ts next to this file and the
 * worker is loaded through tsx (worker-dev.mjs); a bundled app sets LANTERN_ENGINE_WORKER to its built worker file.
 */
function workerSpec(): { url: URL } {
  const env = process.env.LANTERN_ENGINE_WORKER;
  if (env) return { url: new URL(env, `file://${process.cwd()}/`) };
  const here = new URL(import.meta.url);
  return { url: new URL(here.pathname.endsWith('.ts') ? './worker-dev.mjs' : './worker.js', here) };
}

export class EngineClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private dead: Error | undefined;

  constructor(init: WorkerInit, onMessage: (m: EngineMessage) => void) {
    const spec = workerSpec();
    this.worker = new Worker(spec.url, { workerData: init });
    this.worker.on('message', (m: WorkerReply) => {
      if ('event' in m) {
        onMessage(m.event);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new EngineCallError(m.error.code, m.error.message));
    });
    const fail = (e: Error) => {
      this.dead ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(new EngineCallError('internal', `the graph engine stopped: ${e.message}`)));
    this.worker.on('exit', (code) => fail(new EngineCallError('internal', `the graph engine exited (code ${code})`)));
  }

  private call<T>(method: EngineMethod, ...args: unknown[]): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args });
    });
  }

  open(src: OpenSource, o?: { continueOnError?: boolean; kind?: SessionInfo['kind'] }) {
    return this.call<SessionInfo>('open', src, o ?? {});
  }
  openDiff(a: string, b: string, o?: { force?: boolean }) {
    return this.call<{
      sessionId: string;
      comparable: boolean;
      reason?: string;
      added: { nodes: number; edges: number };
      removed: { nodes: number; edges: number };
      changed: { edges: number };
    }>('openDiff', a, b, o ?? {});
  }
  startLive(header: CaptureHeader, name: string, path?: string) {
    return this.call<SessionInfo>('startLive', header, name, path);
  }
  appendLive(events: LanternEvent[]) {
    return this.call<void>('appendLive', events);
  }
  endLive(trailer: CaptureTrailer) {
    return this.call<SessionInfo>('endLive', trailer);
  }
  info() {
    return this.call<SessionInfo>('info');
  }
  snapshot(level?: CollapseLevel) {
    return this.call<GraphDelta>('snapshot', level);
  }
  nodeDetails(key: string) {
    return this.call<NodeDetails>('nodeDetails', key);
  }
  events(q: { nodeKey?: string; edgeKey?: string; offset: number; limit: number }) {
    return this.call<{ events: LanternEvent[]; total: number }>('events', q);
  }
  control(req: { action: 'play' | 'pause' | 'seek' | 'speed'; time?: number; speed?: number }) {
    return this.call<ReplayState>('control', req);
  }
  histogram(buckets: number) {
    return this.call<TimelineHistogram>('histogram', buckets);
  }
  exportGraph(format: ExportFormat, level?: CollapseLevel) {
    return this.call<ExportResult>('exportGraph', format, level);
  }
  findings() {
    return this.call<Finding[]>('findings');
  }
  /** Replace the detection configuration (baseline, rules, triage) and re-run detection. */
  setDetectConfig(cfg: SessionDetectConfig) {
    return this.call<SessionInfo>('setDetectConfig', cfg);
  }
  /** What detection learned in this session, as a baseline named `name`. */
  learnBaseline(name: string) {
    return this.call<Baseline>('learnBaseline', name);
  }
  seekToIndex(n: number) {
    return this.call<void>('seekToIndex', n);
  }
  replayMemory() {
    return this.call<{ log: number; checkpoints: number; patterns: number }>('replayMemory');
  }
  memory() {
    return this.call<NodeJS.MemoryUsage>('memory');
  }

  /** Stops the worker; pending calls fail with a clear message. */
  async terminate(): Promise<void> {
    if (this.dead) return;
    this.dead = new EngineCallError('cancelled', 'the session was closed');
    await this.worker.terminate();
  }
}
