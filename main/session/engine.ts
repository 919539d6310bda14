/**
 * The session engine: one capture (file, upload, live, or a diff of two), its behaviour graph,
 * detection, and a replay cursor. Runs inside a worker thread (worker.ts) so that parsing and
 * graph building never block the Electron main loop; the CLI and tests may run it in-process.
 *
 * What the renderer receives (through `emit`, published as the 'graph.delta' stream):
 *   - GraphDelta with `seq` strictly increasing per session (a renderer that sees a gap asks for
 *     `graph.snapshot`). `reset: true` means: clear the mirror, then add what follows (seek
 *     backwards, view change). Otherwise `nodes`/`edges` are new elements (complete attributes),
 *     `nodeUpdates`/`edgeUpdates` carry only changed attributes (count, lastSeen, severity), and
 *     `dropNodes`/`dropEdges` (collapsed views only) remove elements. `time` is the replay cursor.
 *   - Deltas are at the collapse level last asked for with `graph.snapshot` (default: process).
 *   - ReplayState on every play/pause/seek/speed change and when playback reaches the end.
 *   - The findings visible at the cursor when they change.
 */
import type { CaptureHeader, CaptureTrailer } from '../common/capture';
import type { NodeDetails, ReplayState, SessionInfo, TimelineHistogram, ExportResult } from '../common/contract';
import type { LanternEvent } from '../common/events';
import type { Finding } from '../common/findings';
import type { CollapseLevel, GraphDelta, GraphNodeAttributes, Severity } from '../common/graph';
import { CaptureError, openCapture, type CaptureReader } from '../events/capture-file';
// Another tool's export (Tetragon, IG, Falco, Tracee) opens like a capture: imported on the fly.
import { openCaptureOrImport, openCaptureOrImportBuffer } from '../events/importers/open-any';
import { createEnricher } from '../events/enrich';
import { GraphBuilder, type BehaviourGraph } from '../graph/builder';
import { Cursor } from '../graph/timeline';
import { collapse, graphFromDelta } from '../graph/view';
import { diffGraphs, incomparableReason } from '../graph/diff';
import { loadCaptureInto } from '../graph/load';
import { fmtCount } from '../common/format';
import { alignEvidence, severityByKey } from '../graph/evidence';
import { exportGraph, type ExportFormat } from '../export/index';
import type { Baseline } from '../detect/types';

/** A detection sink (H6's Detector satisfies it). */
export interface EngineSink {
  ingest(events: readonly LanternEvent[], firstIndex: number): void;
  finish?(): void;
  findings?(): Finding[];
  drainChanged?(): Finding[];
  /** A detector's learned profile (learning mode), or everything it saw, as a baseline. */
  learnedBaseline?(name: string): Baseline;
}
export type SinkFactory = (header: CaptureHeader) => EngineSink | Promise<EngineSink>;

export type EngineMessage =
  | { type: 'delta'; delta: GraphDelta }
  | { type: 'replay'; state: ReplayState }
  | { type: 'findings'; findings: Finding[] }
  /** Reading a capture (open, diff): events so far, the fraction of its bytes read when known. */
  | { type: 'progress'; events: number; fraction?: number; message: string }
  | { type: 'notice'; level: 'info' | 'warning' | 'error'; message: string };

export class EngineFailure extends Error {
  constructor(
    readonly code: 'not-found' | 'bad-input' | 'unsupported' | 'invalid-request' | 'internal',
    message: string,
  ) {
    super(message);
    this.name = 'EngineFailure';
  }
}

export interface EngineOptions {
  sessionId: string;
  emit: (m: EngineMessage) => void;
  /** Detection and other sinks, made per capture once its header is known. */
  sinks?: SinkFactory[];
  /** Replay tick (ms); default 100. */
  tickMs?: number;
  checkpointEvery?: number;
}

export type OpenSource = { path: string; name?: string } | { buffer: Uint8Array; name: string };

const TICK_MS = 100;

export class SessionEngine {
  private b: GraphBuilder | undefined;
  private cursor: Cursor | undefined;
  private header: CaptureHeader | undefined;
  private trailer: CaptureTrailer | undefined;
  private warnings: string[] = [];
  private source: OpenSource | undefined;
  private kind: SessionInfo['kind'] = 'file';
  private name = '';
  private sinks: EngineSink[] = [];
  private sinkFactories: SinkFactory[];
  /** Set while detection re-runs: live events that arrive meanwhile, for the new sinks. */
  private redetecting: { events: LanternEvent[]; first: number }[] | undefined;
  private allFindings: Finding[] = [];
  private visibleFindings = -1;
  private severity = new Map<string, Severity>();
  private seq = 0;
  private playing = false;
  private speed = 1;
  private clock = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastTick = 0;
  private view: CollapseLevel = 'process';
  private viewGraph: BehaviourGraph | undefined;
  /** Diff sessions hold a static graph instead of a replayable capture. */
  private staticGraph: BehaviourGraph | undefined;
  private diffSummary:
    | {
        comparable: boolean;
        reason?: string;
        added: { nodes: number; edges: number };
        removed: { nodes: number; edges: number };
        changed: { edges: number };
      }
    | undefined;
  private firstTime = 0;
  private lastFinish = Date.now();
  private closed = false;

  constructor(private readonly opts: EngineOptions) {
    this.sinkFactories = opts.sinks ?? [];
  }

  // ------------------------------------------------------------------ opening

  async open(src: OpenSource, o: { continueOnError?: boolean; kind?: SessionInfo['kind'] } = {}): Promise<SessionInfo> {
    this.source = src;
    this.kind = o.kind ?? 'file';
    this.name = src.name ?? ('path' in src ? src.path.split(/[\\/]/).pop()! : 'capture');
    let r: CaptureReader;
    try {
      r =
        'path' in src
          ? (await openCaptureOrImport(src.path, { continueOnError: o.continueOnError })).reader
          : (await openCaptureOrImportBuffer(src.buffer, src.name, { continueOnError: o.continueOnError })).reader;
    } catch (e) {
      throw e instanceof CaptureError ? new EngineFailure('bad-input', e.message) : e;
    }
    await this.begin(r.header);
    const b = this.b!;
    try {
      let batches = 0;
      for await (const batch of r.batches()) {
        if (this.closed) break;
        for (let i = 0; i < batch.length; i++) b.ingest(batch[i]!);
        for (const s of this.sinks) s.ingest(batch, batch.firstIndex);
        if (++batches % 16 === 0) this.emitProgress('reading', b.events, readFraction(r));
      }
    } catch (e) {
      throw e instanceof CaptureError ? new EngineFailure('bad-input', e.message) : e;
    } finally {
      await r.close();
    }
    this.trailer = r.trailer;
    this.warnings = [...r.warnings];
    if (r.stats.skipped) this.warnings.push(`${r.stats.skipped} bad lines were skipped`);
    for (const s of this.sinks) s.finish?.();
    this.collectFindings();
    // Opened at the end: the analyst sees everything; seek to the start to watch it grow.
    this.cursor!.restore(b.logLength);
    this.clock = this.cursor!.time;
    this.refreshSeverity();
    return this.info();
  }

  private emitProgress(what: string, events: number, fraction: number | undefined): void {
    const m: EngineMessage = { type: 'progress', events, message: `${what}: ${fmtCount(events)} events` };
    if (fraction !== undefined) m.fraction = fraction;
    this.opts.emit(m);
  }

  private async begin(header: CaptureHeader): Promise<void> {
    this.header = header;
    this.b = new GraphBuilder({
      enricher: createEnricher(header.inventory),
      log: true,
      checkpointEvery: this.opts.checkpointEvery,
    });
    this.cursor = new Cursor(this.b);
    this.sinks = [];
    for (const f of this.sinkFactories) this.sinks.push(await f(header));
  }

  /**
   * Live capture: events arrive in batches; the cursor follows the end unless the analyst moved
   * it. `path`: the capture file being written, from which `events()` reads raw events back.
   */
  async startLive(header: CaptureHeader, name: string, path?: string): Promise<SessionInfo> {
    this.kind = 'live';
    this.name = name;
    if (path) this.source = { path, name };
    await this.begin(header);
    return this.info();
  }

  appendLive(events: LanternEvent[]): void {
    const b = this.need();
    const following = this.cursor!.position === b.logLength;
    const first = b.events;
    for (const ev of events) b.ingest(ev);
    for (const s of this.sinks) s.ingest(events, first);
    this.redetecting?.push({ events, first });
    // Whole-capture methods (peer groups, rarity) run on a slow tick in live mode.
    const now = Date.now();
    if (now - this.lastFinish > 10_000) {
      this.lastFinish = now;
      for (const s of this.sinks) s.finish?.();
    }
    let changed = false;
    for (const s of this.sinks) if (s.drainChanged && s.drainChanged().length) changed = true;
    if (changed) this.collectFindings();
    if (following) {
      this.clock = b.maxTime;
      this.emitMove(b.logLength);
    }
  }

  /**
   * The live capture ended (its file has its trailer): the session is complete, and the
   * whole-capture methods (peer groups, rarity), which ran on a slow tick, run once more on all of it.
   */
  endLive(trailer: CaptureTrailer): SessionInfo {
    this.need();
    this.trailer = trailer;
    for (const s of this.sinks) s.finish?.();
    this.collectFindings();
    return this.info();
  }

  /** A diff session: both captures built in this engine, the union graph marked added/removed/changed. */
  async openDiff(
    a: string,
    bPath: string,
    o: { force?: boolean } = {},
  ): Promise<NonNullable<SessionEngine['diffSummary']> & { sessionId: string }> {
    this.kind = 'diff';
    this.name = `${a.split(/[\\/]/).pop()} ↔ ${bPath.split(/[\\/]/).pop()}`;
    let A;
    let B;
    // Progress over both reads: A is the first half, B the second.
    const load = async (path: string, label: 'A' | 'B') => {
      const r = await openCapture(path);
      let batches = 0;
      return loadCaptureInto(r, {
        onBatch: (_batch, _first, builder) => {
          if (++batches % 16 !== 0) return;
          const f = readFraction(r);
          const fraction = f === undefined ? undefined : (label === 'A' ? 0 : 0.5) + f / 2;
          this.emitProgress(`reading ${label}`, builder.events, fraction);
        },
      });
    };
    try {
      A = await load(a, 'A');
      B = await load(bPath, 'B');
    } catch (e) {
      throw e instanceof CaptureError ? new EngineFailure('bad-input', e.message) : e;
    }
    this.header = B.header;
    const reason = incomparableReason(A.header, B.header);
    this.warnings = [...A.warnings.map((w) => `A: ${w}`), ...B.warnings.map((w) => `B: ${w}`)];
    if (reason && !o.force) {
      this.staticGraph = undefined;
      this.diffSummary = {
        comparable: false,
        reason,
        added: { nodes: 0, edges: 0 },
        removed: { nodes: 0, edges: 0 },
        changed: { edges: 0 },
      };
      return { sessionId: this.opts.sessionId, ...this.diffSummary };
    }
    const d = diffGraphs(A.builder.graph, B.builder.graph);
    this.staticGraph = d.graph;
    this.diffSummary = {
      comparable: true,
      ...(reason ? { reason: `compared anyway: ${reason}` } : {}),
      added: { nodes: d.added.nodes.length, edges: d.added.edges.length },
      removed: { nodes: d.removed.nodes.length, edges: d.removed.edges.length },
      changed: { edges: d.changed.edges.length },
    };
    return { sessionId: this.opts.sessionId, ...this.diffSummary };
  }

  private need(): GraphBuilder {
    if (!this.b) throw new EngineFailure('not-found', 'no capture is open in this session');
    return this.b;
  }

  // ------------------------------------------------------------------ findings

  private collectFindings(): void {
    const all: Finding[] = [];
    for (const s of this.sinks) if (s.findings) all.push(...s.findings());
    all.sort((x, y) => x.firstSeen - y.firstSeen);
    const b = this.b;
    this.allFindings = b ? all.map((f) => alignEvidence(b, f)) : all;
    this.visibleFindings = -1;
  }

  /** Findings whose first sighting is at or before the cursor. */
  findings(): Finding[] {
    const t = this.cursor ? this.cursor.time : Infinity;
    return this.allFindings.filter((f) => f.firstSeen <= t);
  }

  /**
   * Re-run detection over everything this session holds, with new sinks (another baseline, new
   * rules, fresh triage). The graph stays; findings and severities are replaced and published.
   * The capture is re-read from its file (a live capture's file is a flushed prefix of what this
   * session got: read it up to the events held, waiting for the writer's next flush if needed).
   */
  async redetect(factories: SinkFactory[]): Promise<SessionInfo> {
    if (this.kind === 'diff')
      throw new EngineFailure('unsupported', 'a diff is not hunted against a baseline: open one of its captures');
    const b = this.need();
    const header = this.header;
    const src = this.source;
    if (!header) throw new EngineFailure('not-found', 'no capture is open in this session');
    if (this.redetecting) throw new EngineFailure('unsupported', 'detection is already re-running in this session');
    if (!src && b.events > 0)
      throw new EngineFailure('unsupported', 'this session has no capture file to re-read, so detection cannot re-run');
    this.redetecting = [];
    try {
      const n = b.events;
      let sinks: EngineSink[] = [];
      for (let attempt = 0; ; attempt++) {
        sinks = [];
        for (const f of factories) sinks.push(await f(header));
        const got = src && n > 0 ? await this.feedFromSource(src, header, sinks, n) : 0;
        if (this.closed) return this.info();
        if (got >= n) break;
        if (this.kind !== 'live' || attempt >= 4)
          throw new EngineFailure(
            'bad-input',
            `the capture file now holds ${got} of the ${n} events this session showed; detection was not changed`,
          );
        // The live writer flushes about every second.
        await new Promise((r) => setTimeout(r, 1200));
      }
      // Live events that arrived while re-reading.
      for (const q of this.redetecting) for (const s of sinks) s.ingest(q.events, q.first);
      for (const s of sinks) s.finish?.();
      for (const s of sinks) s.drainChanged?.();
      this.sinkFactories = factories;
      this.sinks = sinks;
    } finally {
      this.redetecting = undefined;
    }
    this.collectFindings();
    if (this.cursor) this.emitMove(this.cursor.position);
    return this.info();
  }

  /** Feeds the first `n` events of the capture to `sinks`, enriched as the graph builder does. */
  private async feedFromSource(
    src: OpenSource,
    header: CaptureHeader,
    sinks: EngineSink[],
    n: number,
  ): Promise<number> {
    const enricher = createEnricher(header.inventory);
    let r: CaptureReader;
    try {
      r =
        'path' in src
          ? (await openCaptureOrImport(src.path, { continueOnError: true })).reader
          : (await openCaptureOrImportBuffer(src.buffer, src.name, { continueOnError: true })).reader;
    } catch (e) {
      throw e instanceof CaptureError ? new EngineFailure('bad-input', e.message) : e;
    }
    let got = 0;
    try {
      for await (const batch of r.batches()) {
        if (this.closed) break;
        const take = Math.min(batch.length, n - got);
        const evs = take === batch.length ? batch : batch.slice(0, take);
        for (let i = 0; i < take; i++) enricher.enrich(evs[i]!);
        for (const s of sinks) s.ingest(evs, batch.firstIndex);
        got += take;
        if (got >= n) break;
      }
    } catch (e) {
      // A live file read up to its last flush ends in a partial gzip block: what was read counts.
      if (!(e instanceof CaptureError)) throw e;
    } finally {
      await r.close();
    }
    return got;
  }

  /** The detection sinks' learned profile as a baseline named `name` (tagged with this capture). */
  learnBaseline(name: string): Baseline {
    if (this.kind === 'diff')
      throw new EngineFailure('unsupported', 'a diff has nothing to learn a baseline from: open one of its captures');
    this.need();
    const sink = this.sinks.find((s) => s.learnedBaseline);
    if (!sink?.learnedBaseline) throw new EngineFailure('unsupported', 'detection is off in this session');
    const base = sink.learnedBaseline(name);
    base.source = this.name;
    if (Object.keys(base.workloads).length === 0)
      throw new EngineFailure('bad-input', 'nothing to learn yet: no workload has done anything in this capture');
    return base;
  }

  /** Recompute severities for the findings visible at the cursor; returns keys that changed. */
  private refreshSeverity(): string[] {
    const t = this.cursor?.time ?? Infinity;
    let n = 0;
    while (n < this.allFindings.length && this.allFindings[n]!.firstSeen <= t) n++;
    if (n === this.visibleFindings) return [];
    const next = severityByKey(this.allFindings.slice(0, n));
    const changed: string[] = [];
    for (const [k, s] of next) if (this.severity.get(k) !== s) changed.push(k);
    for (const k of this.severity.keys()) if (!next.has(k)) changed.push(k);
    this.severity = next;
    const grew = n > this.visibleFindings;
    this.visibleFindings = n;
    if (grew || changed.length) this.opts.emit({ type: 'findings', findings: this.findings() });
    return changed;
  }

  private withSeverity(d: GraphDelta, changedKeys: string[]): GraphDelta {
    if (this.severity.size === 0 && changedKeys.length === 0) return d;
    for (const n of d.nodes ?? []) {
      const s = this.severity.get(n.key);
      if (s) n.attributes.severity = s;
    }
    for (const e of d.edges ?? []) {
      const s = this.severity.get(e.key);
      if (s) e.attributes.severity = s;
    }
    if (!d.reset && changedKeys.length) {
      const b = this.b!;
      const newKeys = new Set([...(d.nodes ?? []).map((n) => n.key), ...(d.edges ?? []).map((e) => e.key)]);
      for (const k of changedKeys) {
        if (newKeys.has(k)) continue;
        const rec = b.element(k);
        if (!rec || !this.cursor!.stateOf(rec.id)) continue;
        const attributes = { severity: this.severity.get(k) };
        if (rec.edge) (d.edgeUpdates ??= []).push({ key: k, attributes });
        else (d.nodeUpdates ??= []).push({ key: k, attributes });
      }
    }
    return d;
  }

  // ------------------------------------------------------------------ graph state

  /** The graph at the cursor (process level), severities applied. */
  graphAtCursor(): BehaviourGraph {
    if (this.staticGraph) return this.staticGraph;
    this.need();
    return graphFromDelta(this.withSeverity(this.cursor!.full(this.seq), []));
  }

  /** Full graph at the cursor at a collapse level; later deltas use that level. */
  snapshot(level: CollapseLevel = 'process'): GraphDelta {
    this.view = level;
    if (this.staticGraph) return this.viewDelta(collapse(this.staticGraph, level), true);
    const b = this.need();
    void b;
    if (level === 'process') {
      this.viewGraph = undefined;
      return this.withSeverity(this.cursor!.full(++this.seq), []);
    }
    const vg = collapse(this.graphAtCursor(), level);
    this.viewGraph = vg;
    return this.viewDelta(vg, true);
  }

  private viewDelta(g: BehaviourGraph, reset: boolean, prev?: BehaviourGraph): GraphDelta {
    const d: GraphDelta = { seq: ++this.seq, time: this.cursor?.time ?? 0 };
    if (reset || !prev) {
      d.reset = true;
      d.nodes = g.mapNodes((key, attributes) => ({ key, attributes: { ...attributes } }));
      d.edges = g.mapEdges((key, attributes, source, target) => ({
        key,
        source,
        target,
        attributes: { ...attributes },
      }));
      return d;
    }
    g.forEachNode((key, a) => {
      if (!prev.hasNode(key)) (d.nodes ??= []).push({ key, attributes: { ...a } });
      else {
        const p = prev.getNodeAttributes(key);
        if (p.count !== a.count || p.lastSeen !== a.lastSeen || p.severity !== a.severity)
          (d.nodeUpdates ??= []).push({
            key,
            attributes: { count: a.count, lastSeen: a.lastSeen, severity: a.severity, members: a.members },
          });
      }
    });
    g.forEachEdge((key, a, source, target) => {
      if (!prev.hasEdge(key)) (d.edges ??= []).push({ key, source, target, attributes: { ...a } });
      else {
        const p = prev.getEdgeAttributes(key);
        if (p.count !== a.count || p.lastSeen !== a.lastSeen || p.severity !== a.severity)
          (d.edgeUpdates ??= []).push({
            key,
            attributes: { count: a.count, lastSeen: a.lastSeen, severity: a.severity },
          });
      }
    });
    prev.forEachEdge((key) => {
      if (!g.hasEdge(key)) (d.dropEdges ??= []).push(key);
    });
    prev.forEachNode((key) => {
      if (!g.hasNode(key)) (d.dropNodes ??= []).push(key);
    });
    return d;
  }

  /** Move the cursor to n events and emit what changed at the current view level. */
  private emitMove(n: number): void {
    const c = this.cursor!;
    const backwards = n < c.position;
    if (this.view === 'process') {
      const d = c.moveTo(n, ++this.seq);
      const changed = this.refreshSeverity();
      if (backwards || d.nodes || d.edges || d.nodeUpdates || d.edgeUpdates || changed.length)
        this.opts.emit({ type: 'delta', delta: this.withSeverity(d, changed) });
      return;
    }
    c.restore(n);
    this.refreshSeverity();
    const vg = collapse(this.graphAtCursor(), this.view);
    const d = this.viewDelta(vg, backwards, this.viewGraph);
    this.viewGraph = vg;
    this.opts.emit({ type: 'delta', delta: d });
  }

  // ------------------------------------------------------------------ replay

  replayState(): ReplayState {
    const b = this.b;
    return {
      sessionId: this.opts.sessionId,
      playing: this.playing,
      speed: this.speed,
      time: this.cursor?.time ?? 0,
      startTime: b && b.logLength ? this.startTime() : 0,
      endTime: b?.maxTime ?? 0,
    };
  }

  private startTime(): number {
    if (!this.firstTime && this.b && this.b.logLength) {
      const t = this.b.logTimes;
      let m = Infinity;
      for (let i = 0; i < this.b.logLength; i++) if (t[i]! < m) m = t[i]!;
      this.firstTime = m;
    }
    return this.firstTime;
  }

  control(req: { action: 'play' | 'pause' | 'seek' | 'speed'; time?: number; speed?: number }): ReplayState {
    if (this.staticGraph || this.kind === 'diff')
      throw new EngineFailure('unsupported', 'a diff has no timeline to replay');
    const b = this.need();
    switch (req.action) {
      case 'play':
        if (req.speed) this.speed = req.speed;
        if (this.cursor!.position >= b.logLength) this.seekTo(this.startTime() - 1);
        this.playing = true;
        this.lastTick = performance.now();
        this.timer ??= setInterval(() => this.tick(), this.opts.tickMs ?? TICK_MS);
        break;
      case 'pause':
        this.stop();
        break;
      case 'speed':
        if (!req.speed) throw new EngineFailure('invalid-request', 'speed needs a positive number');
        this.speed = req.speed;
        break;
      case 'seek':
        if (req.time === undefined) throw new EngineFailure('invalid-request', 'seek needs a time (epoch ns)');
        this.seekTo(req.time);
        break;
    }
    const st = this.replayState();
    this.opts.emit({ type: 'replay', state: st });
    return st;
  }

  /** Seek to time t (epoch ns): the graph holds exactly the events at or before t. */
  seekTo(t: number): void {
    const b = this.need();
    this.clock = t;
    this.emitMove(Cursor.indexAtTime(b, t));
  }

  /** Seek to an event count (tests, benchmarks). */
  seekToIndex(n: number): void {
    this.need();
    this.emitMove(n);
    this.clock = this.cursor!.time;
  }

  private tick(): void {
    const b = this.b;
    if (!b || !this.playing) return;
    const now = performance.now();
    const dt = now - this.lastTick;
    this.lastTick = now;
    this.clock += dt * 1e6 * this.speed;
    const n = Cursor.indexAtTime(b, this.clock);
    if (n !== this.cursor!.position) this.emitMove(n);
    if (n >= b.logLength && this.kind !== 'live') {
      this.stop();
      this.opts.emit({ type: 'replay', state: this.replayState() });
    }
  }

  private stop(): void {
    this.playing = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  // ------------------------------------------------------------------ queries

  info(): SessionInfo {
    const h = this.header;
    const b = this.b;
    const info: SessionInfo = {
      sessionId: this.opts.sessionId,
      name: this.name,
      kind: this.kind,
      nodes: (h?.nodes ?? []).map((n) => n.name),
      probes: h?.probes ?? [],
      source: h?.source ?? '',
      startTime: b && b.logLength ? this.startTime() : 0,
      endTime: b?.maxTime ?? 0,
      events: b?.events ?? 0,
      warnings: [...this.warnings, ...(this.diffSummary?.reason ? [this.diffSummary.reason] : [])],
      complete: this.kind === 'diff' ? true : this.trailer !== undefined && this.trailer.status !== 'failed',
    };
    if (h?.cluster)
      info.cluster = {
        ...(h.cluster.server ? { server: h.cluster.server } : {}),
        ...(h.cluster.context ? { context: h.cluster.context } : {}),
      };
    return info;
  }

  diff(): NonNullable<SessionEngine['diffSummary']> | undefined {
    return this.diffSummary;
  }

  histogram(buckets: number): TimelineHistogram {
    const b = this.need();
    const start = this.startTime();
    const end = b.maxTime;
    const counts = new Array<number>(buckets).fill(0);
    const span = Math.max(1, end - start);
    const t = b.logTimes;
    for (let i = 0; i < b.logLength; i++) {
      const k = Math.min(buckets - 1, Math.max(0, Math.floor(((t[i]! - start) / span) * buckets)));
      counts[k]!++;
    }
    return {
      start,
      end,
      counts,
      findings: this.allFindings.map((f) => ({ time: f.firstSeen, severity: f.severity, id: f.id })),
    };
  }

  nodeDetails(key: string): NodeDetails {
    const g = this.staticGraph ?? this.need().graph;
    if (!g.hasNode(key)) throw new EngineFailure('not-found', 'no such node in this session');
    const visible = (k: string, edge: boolean): boolean => {
      if (this.staticGraph) return true;
      const rec = this.b!.element(k);
      return !!rec && rec.edge === edge && this.cursor!.stateOf(rec.id) !== undefined;
    };
    if (!visible(key, false)) throw new EngineFailure('not-found', 'that node does not exist yet at the replay cursor');
    const cur = (k: string) => {
      const base = g.getNodeAttributes(k);
      if (this.staticGraph) return base;
      const st = this.cursor!.stateOf(this.b!.element(k)!.id)!;
      const a: GraphNodeAttributes = { ...base, count: st.count, lastSeen: st.lastSeen };
      const s = this.severity.get(k);
      if (s) a.severity = s;
      return a;
    };
    const label = (k: string) => String(g.getNodeAttribute(k, 'label'));
    const spawnedIn = (k: string): string | undefined => {
      let best: string | undefined;
      let bestCount = -1;
      g.forEachInEdge(k, (ek, a, s) => {
        if (a.kind === 'spawned' && s !== k && visible(ek, true) && a.count > bestCount) {
          best = s;
          bestCount = a.count;
        }
      });
      return best;
    };
    const ancestors: { key: string; label: string }[] = [];
    const seen = new Set([key]);
    for (let p = spawnedIn(key); p && !seen.has(p) && ancestors.length < 64; p = spawnedIn(p)) {
      seen.add(p);
      ancestors.unshift({ key: p, label: label(p) });
    }
    const children: { key: string; label: string }[] = [];
    const neighbours: NodeDetails['neighbours'] = [];
    const edges: NonNullable<NodeDetails['edges']> = [];
    const edgeAttrs = (ek: string) => {
      const a = g.getEdgeAttributes(ek);
      if (this.staticGraph) return a;
      const st = this.cursor!.stateOf(this.b!.element(ek)!.id)!;
      return {
        ...a,
        count: st.count,
        lastSeen: st.lastSeen,
        ...(this.severity.get(ek) ? { severity: this.severity.get(ek) } : {}),
      };
    };
    g.forEachOutEdge(key, (ek, a, _s, t) => {
      if (!visible(ek, true)) return;
      if (a.kind === 'spawned' && t !== key) children.push({ key: t, label: label(t) });
      const ea = edgeAttrs(ek);
      if (neighbours.length < 500)
        neighbours.push({
          key: t,
          label: label(t),
          kind: g.getNodeAttribute(t, 'kind'),
          edgeKind: a.kind,
          direction: 'out',
          count: ea.count,
        });
      if (edges.length < 500) edges.push({ key: ek, attributes: ea });
    });
    g.forEachInEdge(key, (ek, a, s) => {
      if (!visible(ek, true) || s === key) return;
      const ea = edgeAttrs(ek);
      if (neighbours.length < 500)
        neighbours.push({
          key: s,
          label: label(s),
          kind: g.getNodeAttribute(s, 'kind'),
          edgeKind: a.kind,
          direction: 'in',
          count: ea.count,
        });
      if (edges.length < 500) edges.push({ key: ek, attributes: ea });
    });
    const findings = this.findings()
      .filter((f) => f.evidence.nodes.includes(key))
      .map((f) => f.id);
    return { key, attributes: cur(key), ancestors, children, neighbours, edges, findings };
  }

  /** Raw events behind a node or an edge (up to the cursor), re-read from the capture. */
  async events(q: {
    nodeKey?: string;
    edgeKey?: string;
    offset: number;
    limit: number;
  }): Promise<{ events: LanternEvent[]; total: number }> {
    const b = this.need();
    const c = this.cursor!;
    const key = q.edgeKey ?? q.nodeKey;
    let want: Uint8Array | undefined;
    if (key !== undefined) {
      const rec = b.element(key);
      if (!rec) throw new EngineFailure('not-found', 'no such node or edge in this session');
      const np = b.patternStart.length - 1;
      want = new Uint8Array(np);
      for (let p = 0; p < np; p++)
        for (let j = b.patternStart[p]!; j < b.patternStart[p + 1]!; j++)
          if (b.patternIds[j] === rec.id) {
            want[p] = 1;
            break;
          }
    }
    const pats = b.logPatterns;
    const picks: number[] = [];
    let total = 0;
    for (let i = 0; i < c.position; i++) {
      if (want && !want[pats[i]!]) continue;
      if (total >= q.offset && picks.length < q.limit) picks.push(i);
      total++;
    }
    if (picks.length === 0) return { events: [], total };
    const events = await this.readEvents(picks);
    return { events, total };
  }

  private async readEvents(indices: number[]): Promise<LanternEvent[]> {
    const src = this.source;
    if (!src) throw new EngineFailure('unsupported', 'this session has no capture file to read events from');
    const r =
      'path' in src
        ? (await openCaptureOrImport(src.path, { continueOnError: true })).reader
        : (await openCaptureOrImportBuffer(src.buffer, src.name, { continueOnError: true })).reader;
    const out: LanternEvent[] = [];
    let k = 0;
    try {
      for await (const batch of r.batches()) {
        const end = batch.firstIndex + batch.length;
        while (k < indices.length && indices[k]! < end) {
          out.push(batch[indices[k]! - batch.firstIndex]!);
          k++;
        }
        if (k >= indices.length) break;
      }
    } catch (e) {
      // A live capture's file ends at its last flush, mid gzip stream: what was read is the answer.
      if (!(e instanceof CaptureError) || this.kind !== 'live') throw e;
    } finally {
      await r.close();
    }
    return out;
  }

  exportGraph(format: ExportFormat, level: CollapseLevel = 'process'): ExportResult {
    const g = this.graphAtCursor();
    return exportGraph(format, {
      graph: level === 'process' ? g : collapse(g, level),
      name: this.name,
      header: this.header,
      findings: this.staticGraph ? [] : this.findings(),
      events: this.b?.events,
      warnings: this.warnings,
    });
  }

  /** A message for the analyst (published as the 'notice' stream). */
  emitNotice(level: 'info' | 'warning' | 'error', message: string): void {
    this.opts.emit({ type: 'notice', level, message });
  }

  /** Memory the replay structures hold (bytes), for the benchmark. */
  replayMemory(): { log: number; checkpoints: number; patterns: number } {
    const b = this.need();
    let cps = 0;
    for (const cp of b.checkpoints) cps += cp.counts.byteLength + cp.lastSeen.byteLength;
    return {
      log: b.logTimes.byteLength + b.logPatterns.byteLength,
      checkpoints: cps,
      patterns: (b.patternIds.length + b.patternStart.length) * 8,
    };
  }

  close(): void {
    this.closed = true;
    this.stop();
    this.b = undefined;
    this.cursor = undefined;
    this.staticGraph = undefined;
    this.source = undefined;
  }
}

/** The fraction of a reader's input read so far, when its size is known. */
function readFraction(r: CaptureReader): number | undefined {
  const p = r.progress?.();
  return p && p.total > 0 ? Math.min(1, p.done / p.total) : undefined;
}
