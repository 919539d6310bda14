/**
 * A capture session: preflight, one capture pod per target node, one resumable log stream per
 * pod, events parsed → enriched → appended to the capture file and flushed as they come; at the
 * end (duration over, stop asked, app quitting) the streams are drained, the pods deleted and
 * their deletion confirmed, the trailer written, and a ledger returned.
 *
 * Nothing is created before preflight says yes. Everything created is in the ledger.
 */
import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { CAPTURE_VERSION, type CaptureHeader, type CaptureTrailer, type Inventory } from '../common/capture';
import type { CaptureProgress, Ledger, LedgerEntry, NodeCaptureState, PreflightResult } from '../common/contract';
import type { LanternEvent } from '../common/events';
import type { ClusterConnection } from '../cluster/connection';
import { ClusterError, describeClusterError } from '../cluster/errors';
import type { InventoryWatcher } from '../cluster/inventory';
import { preflightRefusal, runPreflight } from '../cluster/preflight';
import { CaptureWriter } from '../events/capture-file';
import { deletePodsConfirmed, ledgerOf } from './leftovers';
import { NodeStream, type LineParser } from './node-stream';
import { resolveTargetNodes, type CaptureTargets } from './targets';

export const LANTERN_VERSION = '0.1.0';

export interface PodBuildArgs {
  node: string;
  sessionId: string;
  namespace: string;
  durationSec: number;
  probes?: string[];
}

export interface CaptureSessionOptions {
  conn: ClusterConnection;
  /** Started inventory watcher of the same connection. */
  inventory: InventoryWatcher;
  targets: CaptureTargets;
  /** Namespace for the capture pods; must exist (never created here). */
  namespace: string;
  durationSec: number;
  probes?: string[];
  /** Capture file to write. */
  out: string;
  sessionId?: string;
  /** The agent pod for one node (pod-spec.ts via agent-pod.ts by default). */
  buildPod(args: PodBuildArgs): V1Pod;
  /** A fresh agent-output parser for one node. */
  parserFor(node: string): LineParser;
  /** Joins pod/namespace/workload from an inventory (re-made when the inventory changes). */
  enricherFor?(inv: Inventory): { enrich(ev: LanternEvent): LanternEvent };
  onProgress?(p: CaptureProgress): void;
  /** Every event as written to the file, in arrival order (live session view). */
  onEvents?(events: LanternEvent[]): void;
  /** Notices in words (bad agent lines, node failures). */
  onNotice?(level: 'info' | 'warning' | 'error', message: string): void;
  /** Preflight already run by the caller (the CLI prints it), or skipped in tests. */
  preflight?: PreflightResult | 'skip';
  progressMs?: number;
  /** How long past the duration we wait for agents to end by themselves before stopping them. */
  graceSec?: number;
  /** Time an agent may take to attach its probes before the duration starts counting (default 60). */
  startupAllowanceSec?: number;
  /**
   * How long a node's agent may take, once its pod runs, to report its probes attached; past
   * that the node fails with the reason in words (default 120).
   */
  agentStartTimeoutSec?: number;
  /** How long to wait for deleted pods to be gone. */
  deleteTimeoutMs?: number;
}

export interface CaptureResult {
  captureId: string;
  sessionId: string;
  out: string;
  ledger: Ledger;
  trailer: CaptureTrailer;
  progress: CaptureProgress;
  warnings: string[];
}

function newId(): string {
  return randomBytes(6).toString('hex');
}

/** Pod names: lowercase RFC 1123, at most 63 characters, unique per session and node. */
export function capturePodName(sessionId: string, node: string): string {
  const clean = node
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const base = `lantern-${sessionId.slice(0, 12)}-`;
  const room = 63 - base.length - 5;
  const short =
    clean.length > room
      ? `${clean.slice(0, room)}-${randomBytes(2).toString('hex')}`
      : clean || randomBytes(2).toString('hex');
  return `${base}${short}`.replace(/-+$/, '');
}

export class CaptureSession {
  readonly captureId: string;
  readonly sessionId: string;
  readonly out: string;
  readonly warnings: string[] = [];
  private readonly streams = new Map<string, NodeStream>();
  private readonly failedEarly = new Map<string, string>();
  private readonly created: { namespace: string; name: string; uid?: string; node: string }[] = [];
  private writer: CaptureWriter | undefined;
  private enricher: { enrich(ev: LanternEvent): LanternEvent } | undefined;
  private unsubscribeInventory: (() => void) | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private finishing: Promise<CaptureResult> | undefined;
  private starting: Promise<void> | undefined;
  private resolveDone!: (r: CaptureResult) => void;
  private rejectDone!: (e: unknown) => void;
  /** Resolves when the session is over (duration reached, stopped, or failed). */
  readonly done: Promise<CaptureResult>;
  private runs: Promise<void>[] = [];
  private writeFailed: Error | undefined;
  private nodes: string[] = [];
  /** The capture file's header (with the inventory snapshot), once started. */
  header: CaptureHeader | undefined;

  constructor(private readonly o: CaptureSessionOptions) {
    this.captureId = newId();
    this.sessionId = o.sessionId ?? `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${newId()}`;
    this.out = o.out;
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => undefined);
  }

  get targetNodes(): string[] {
    return this.nodes;
  }

  /**
   * Resolve targets, preflight, write the header, create the pods, start streaming. Throws
   * (having created nothing) when targets or preflight refuse.
   */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const { conn } = this.o;
    const inv = this.o.inventory.snapshot();
    const { nodes, problems } = resolveTargetNodes(inv, this.o.targets);
    if (nodes.length === 0) {
      throw new ClusterError(
        'refused',
        `No capture target on context "${conn.context.name}" (${conn.server}): ${problems.join('; ')}. Nothing was created.`,
        conn.where(),
      );
    }
    for (const p of problems) this.warn('warning', p);
    this.nodes = nodes;
    const pre =
      this.o.preflight ??
      (await runPreflight(conn, { namespace: this.o.namespace, inventory: inv, targetNodes: nodes }));
    if (pre !== 'skip' && !pre.ok) throw preflightRefusal(pre);

    const header: CaptureHeader = {
      lantern: 'capture',
      version: CAPTURE_VERSION,
      created: new Date().toISOString(),
      tool: { name: 'lantern', version: LANTERN_VERSION },
      cluster: { server: conn.server, context: conn.context.name, name: conn.context.cluster },
      nodes: nodes.map((n) => {
        const node = inv.nodes.find((x) => x.name === n);
        return { name: n, ...(node?.kernel ? { kernel: node.kernel } : {}) };
      }),
      probes: this.o.probes ?? [],
      filters: {
        ...(this.o.targets.nodes?.length ? { nodes: this.o.targets.nodes } : {}),
        ...(this.o.targets.namespaces?.length ? { namespaces: this.o.targets.namespaces } : {}),
        ...(this.o.targets.selector ? { selector: this.o.targets.selector } : {}),
      },
      source: 'lantern',
      durationSec: this.o.durationSec,
      sessionId: this.sessionId,
      inventory: inv,
    };
    this.writer = await CaptureWriter.create(this.o.out, header, { autoFlushMs: 1000 });
    this.header = header;
    if (this.o.enricherFor) {
      this.enricher = this.o.enricherFor(inv);
      this.unsubscribeInventory = this.o.inventory.onChange((next) => {
        this.enricher = this.o.enricherFor!(next);
      });
    }
    this.startedAt = Date.now();

    // Create the pods; each creation is in the ledger the moment the server accepts it.
    await Promise.all(
      nodes.map(async (node) => {
        const pod = this.o.buildPod({
          node,
          sessionId: this.sessionId,
          namespace: this.o.namespace,
          durationSec: this.o.durationSec,
          ...(this.o.probes ? { probes: this.o.probes } : {}),
        });
        pod.metadata = { ...(pod.metadata ?? {}), namespace: this.o.namespace };
        try {
          const made = await conn.core.createNamespacedPod({ namespace: this.o.namespace, body: pod });
          const name = made.metadata?.name ?? pod.metadata.name ?? '';
          this.created.push({
            namespace: this.o.namespace,
            name,
            node,
            ...(made.metadata?.uid ? { uid: made.metadata.uid } : {}),
          });
          const container = made.spec?.containers?.[0]?.name ?? pod.spec?.containers?.[0]?.name;
          const stream = new NodeStream({
            conn,
            node,
            namespace: this.o.namespace,
            pod: name,
            ...(container ? { container } : {}),
            parser: this.o.parserFor(node),
            onEvents: (evs) => this.write(evs),
            onBadLine: (n, lineNo, error) =>
              this.warn('warning', `node ${n}: agent line ${lineNo} not understood: ${error}`),
            onState: (n, state, reason) => this.stateChanged(n, state, reason),
            ...(this.o.agentStartTimeoutSec ? { startTimeoutMs: this.o.agentStartTimeoutSec * 1000 } : {}),
          });
          this.streams.set(node, stream);
        } catch (err) {
          const e = describeClusterError(
            err,
            conn.where({ verb: 'create', resource: 'pods', namespace: this.o.namespace }),
          );
          this.failedEarly.set(node, e.message);
          this.warn('error', `node ${node}: capture pod not created: ${e.message}`);
        }
      }),
    );
    for (const s of this.streams.values()) {
      this.runs.push(s.run().then(() => this.maybeAllDone()));
    }
    this.progressTimer = setInterval(() => {
      this.publish(false);
      this.checkDurationReached();
    }, this.o.progressMs ?? 1000);
    this.progressTimer.unref?.();
    // Hard stop even if no agent ever says it attached: duration + the agent's startup allowance
    // (bpftrace compiles its program first) + grace.
    const graceSec = this.o.graceSec ?? 30;
    this.deadlineTimer = setTimeout(
      () => void this.finish('complete'),
      (this.o.durationSec + (this.o.startupAllowanceSec ?? 60) + graceSec) * 1000,
    );
    this.deadlineTimer.unref?.();
    this.publish(false);
    if (this.streams.size === 0) void this.finish('failed');
  }

  private warn(level: 'info' | 'warning' | 'error', message: string): void {
    if (level !== 'info' && this.warnings.length < 1000) this.warnings.push(message);
    this.o.onNotice?.(level, message);
  }

  private readonly announced = new Set<string>();

  private stateChanged(node: string, state: NodeCaptureState, reason?: string): void {
    if (state === 'failed') this.warn('error', `node ${node}: capture failed: ${reason ?? 'unknown reason'}`);
    // Coverage is said once per node, when its agent first reports it.
    if ((state === 'streaming' || state === 'degraded') && !this.announced.has(node)) {
      this.announced.add(node);
      const attached = this.streams.get(node)?.probeReport?.attached ?? [];
      if (state === 'degraded') this.warn('warning', `node ${node}: ${reason ?? 'watched in part'}`);
      else this.warn('info', `node ${node}: probes attached (${attached.join(', ') || 'none named'}); capturing`);
    }
    this.publish(false);
  }

  private write(evs: LanternEvent[]): void {
    if (!this.writer || this.writeFailed) return;
    const out: LanternEvent[] = [];
    for (const ev of evs) {
      const e = this.enricher ? this.enricher.enrich(ev) : ev;
      try {
        this.writer.write(e);
      } catch (err) {
        this.writeFailed = err as Error;
        this.warn('error', `writing ${this.out} failed: ${(err as Error).message}; stopping the capture`);
        void this.finish('failed');
        return;
      }
      out.push(e);
    }
    if (out.length) this.o.onEvents?.(out);
  }

  progress(done = false): CaptureProgress {
    const now = Date.now();
    const nodes = this.nodes.map((n) => {
      const s = this.streams.get(n);
      if (s) return s.progress(now);
      return {
        node: n,
        state: 'failed' as const,
        reason: this.failedEarly.get(n) ?? 'not started',
        events: 0,
        eventsPerSec: 0,
        lost: 0,
        reconnects: 0,
      };
    });
    return {
      captureId: this.captureId,
      sessionId: this.sessionId,
      out: this.out,
      // Counted from the first agent with its probes attached: the capture proper.
      elapsedSec: this.firstAttach(now),
      durationSec: this.o.durationSec,
      nodes,
      done,
    };
  }

  private publish(done: boolean): void {
    try {
      this.o.onProgress?.(this.progress(done));
    } catch {
      // a broken progress listener must not break the capture
    }
  }

  /**
   * The capture lasts `durationSec` from the moment each node's agent has its probes attached
   * (its own timer also counts the compile time, with an allowance): once every node has ended
   * or captured for that long, the session ends and the pods are removed.
   */
  private checkDurationReached(): void {
    if (this.finishing || this.streams.size === 0) return;
    const now = Date.now();
    const reached = [...this.streams.values()].every(
      (s) =>
        s.state === 'finished' ||
        s.state === 'failed' ||
        (s.attachedAt !== undefined && now - s.attachedAt >= this.o.durationSec * 1000),
    );
    if (reached) void this.finish('complete');
  }

  /** Nodes whose agent has its probes attached (capturing). */
  attachedNodes(): string[] {
    return [...this.streams.values()].filter((s) => s.attachedAt !== undefined).map((s) => s.node);
  }

  private firstAttach(now: number): number {
    let first: number | undefined;
    for (const s of this.streams.values())
      if (s.attachedAt !== undefined && (first === undefined || s.attachedAt < first)) first = s.attachedAt;
    return first === undefined ? 0 : Math.round((now - first) / 100) / 10;
  }

  private maybeAllDone(): void {
    const all = [...this.streams.values()].every((s) => s.state === 'finished' || s.state === 'failed');
    if (all) void this.finish('complete');
  }

  /** Stop now (button, Ctrl-C, app quit): drain, delete pods, confirm, close the file. */
  async stop(): Promise<CaptureResult> {
    // Stopping while pods are being created: let creation finish so every pod is in the ledger
    // (and deleted), never leaked.
    await this.starting?.catch(() => undefined);
    return this.finish('stopped');
  }

  private finish(status: CaptureTrailer['status']): Promise<CaptureResult> {
    if (this.finishing) return this.finishing;
    this.finishing = this.doFinish(status).then(
      (r) => {
        this.resolveDone(r);
        return r;
      },
      (e) => {
        this.rejectDone(e);
        throw e;
      },
    );
    return this.finishing;
  }

  private async doFinish(status: CaptureTrailer['status']): Promise<CaptureResult> {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    for (const s of this.streams.values()) s.finishSoon();
    // Delete (graceful: the agent flushes on SIGTERM) while the streams drain what is left.
    const deletion = deletePodsConfirmed(this.o.conn, this.created, {
      // The agent flushes its aggregated maps and prints its stop line on SIGTERM.
      gracePeriodSeconds: 10,
      ...(this.o.deleteTimeoutMs ? { timeoutMs: this.o.deleteTimeoutMs } : {}),
    });
    const drained = Promise.all(this.runs);
    const drainLimit = new Promise<void>((r) => setTimeout(r, 15_000).unref?.());
    await Promise.race([drained, drainLimit]);
    for (const s of this.streams.values()) s.cancel();
    await drained;
    const entries: LedgerEntry[] = await deletion;
    for (const e of entries) {
      const c = this.created.find((x) => x.name === e.name && x.namespace === e.namespace);
      if (c) e.note = e.note ? `capture pod for node ${c.node}; ${e.note}` : `capture pod for node ${c.node}`;
    }
    const ledger = ledgerOf(entries);
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.unsubscribeInventory?.();
    const lost: Record<string, number> = {};
    for (const [node, s] of this.streams) lost[node] = s.lost;
    const anyFailed = this.nodes.some((n) => (this.streams.get(n)?.state ?? 'failed') === 'failed');
    const allFailed = this.nodes.every((n) => (this.streams.get(n)?.state ?? 'failed') === 'failed');
    const finalStatus: CaptureTrailer['status'] = this.writeFailed || allFailed ? 'failed' : status;
    let trailer: CaptureTrailer;
    if (this.writer) {
      try {
        trailer = await this.writer.close({ status: finalStatus, lost });
      } catch (err) {
        this.warn('error', `closing ${this.out} failed: ${(err as Error).message}`);
        trailer = {
          lantern: 'trailer',
          ended: new Date().toISOString(),
          events: 0,
          counts: {},
          lost,
          status: 'failed',
        };
      }
    } else {
      trailer = { lantern: 'trailer', ended: new Date().toISOString(), events: 0, counts: {}, lost, status: 'failed' };
    }
    if (anyFailed && !allFailed) this.warn('warning', 'some nodes failed; the capture file holds what the others sent');
    const progress = this.progress(true);
    this.publish(true);
    return {
      captureId: this.captureId,
      sessionId: this.sessionId,
      out: this.out,
      ledger,
      trailer,
      progress,
      warnings: this.warnings,
    };
  }
}
