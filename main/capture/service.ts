/**
 * The app's side of the engine: one open cluster at a time (the context the analyst connected
 * to, its inventory kept current), running capture sessions by id, and shutdown that stops them
 * all (pods deleted, deletion confirmed) before the app exits. Shared by the cluster and capture
 * API handlers of one HandlerContext.
 *
 * Live view: `onCaptureStarted` lets the session layer (main/session) follow a capture as it
 * grows — the file path and every event as written.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlerContext } from '../api/handlers/types';
import { ApiFailure } from '../api/handlers/types';
import type { CaptureHeader } from '../common/capture';
import type { ClusterSummary, ContextInfo, ErrorCode } from '../common/contract';
import type { LanternEvent } from '../common/events';
import { ClusterError } from '../cluster/errors';
import { loadKubeconfig } from '../cluster/kubeconfig';
import { createCapture, openCluster, preflightFor, type OpenedCluster } from './engine';
import { cleanLeftovers, findLeftovers } from './leftovers';
import type { CaptureResult, CaptureSession } from './session';
import type { CaptureTargets } from './targets';

export interface LiveCapture {
  captureId: string;
  sessionId: string;
  out: string;
  context: string;
  /** The capture file header (cluster, nodes, inventory snapshot) for a live session view. */
  header: CaptureHeader;
  /** Subscribe to events as they are written; returns an unsubscribe. */
  subscribe(fn: (events: LanternEvent[]) => void): () => void;
  /** Resolves when the capture is over and the file closed. */
  done: Promise<CaptureResult>;
}

const startedListeners = new Set<(c: LiveCapture) => void>();
/** For main/session: called for every capture the app starts. */
export function onCaptureStarted(fn: (c: LiveCapture) => void): () => void {
  startedListeners.add(fn);
  return () => startedListeners.delete(fn);
}

export function toApiFailure(err: unknown): ApiFailure {
  if (err instanceof ApiFailure) return err;
  if (err instanceof ClusterError) {
    const code: ErrorCode =
      err.kind === 'forbidden' || err.kind === 'refused'
        ? 'forbidden'
        : err.kind === 'kubeconfig' || err.kind === 'no-context'
          ? 'bad-input'
          : err.kind === 'not-found'
            ? 'not-found'
            : 'cluster-error';
    return new ApiFailure(code, err.message, {
      kind: err.kind,
      ...(err.context ? { context: err.context } : {}),
      ...(err.server ? { server: err.server } : {}),
    });
  }
  return new ApiFailure('internal', (err as Error)?.message ?? String(err));
}

export class CaptureService {
  private cluster: { key: string; opened: OpenedCluster } | undefined;
  private opening: Promise<OpenedCluster> | undefined;
  private readonly sessions = new Map<
    string,
    { session: CaptureSession; listeners: Set<(e: LanternEvent[]) => void>; result?: CaptureResult }
  >();
  private shuttingDown = false;
  private readonly live = new Map<string, LiveCapture>();

  /** The running (or finished) capture by id, for the live session view. */
  liveCapture(captureId: string): LiveCapture | undefined {
    return this.live.get(captureId);
  }

  constructor(private readonly ctx: HandlerContext) {
    ctx.onShutdown(() => this.shutdown());
  }

  contexts(kubeconfigPath?: string): { contexts: ContextInfo[]; current: string | null; sources: string[] } {
    const loaded = loadKubeconfig(kubeconfigPath ? { path: kubeconfigPath } : {});
    return { contexts: loaded.contexts, current: loaded.current, sources: loaded.sources };
  }

  /** The open cluster for this context (re-using the current one when it is the same). */
  async open(context: string, kubeconfigPath?: string): Promise<OpenedCluster> {
    const key = `${kubeconfigPath ?? ''}\u0000${context}`;
    if (this.cluster?.key === key) return this.cluster.opened;
    if (this.opening) await this.opening.catch(() => undefined);
    if (this.cluster?.key === key) return this.cluster.opened;
    const busy = [...this.sessions.values()].some((s) => !s.result);
    if (this.cluster && busy)
      throw new ApiFailure(
        'forbidden',
        `A capture is running on context "${this.cluster.opened.conn.context.name}"; stop it before switching context.`,
      );
    const previous = this.cluster;
    this.cluster = undefined;
    await previous?.opened.close();
    this.opening = openCluster({ context, ...(kubeconfigPath ? { kubeconfigPath } : {}) });
    try {
      const opened = await this.opening;
      this.cluster = { key, opened };
      return opened;
    } finally {
      this.opening = undefined;
    }
  }

  async connect(context: string, kubeconfigPath?: string): Promise<ClusterSummary> {
    const { conn, inventory } = await this.open(context, kubeconfigPath);
    const inv = inventory.snapshot();
    const podsPerNode = new Map<string, number>();
    for (const p of inv.pods)
      if (p.node && !p.lanternCapture) podsPerNode.set(p.node, (podsPerNode.get(p.node) ?? 0) + 1);
    return {
      context: conn.context.name,
      server: conn.server,
      version: conn.version.gitVersion,
      nodes: inv.nodes.map((n) => ({
        name: n.name,
        ...(n.kernel ? { kernel: n.kernel } : {}),
        ...(n.ready !== undefined ? { ready: n.ready } : {}),
        pods: podsPerNode.get(n.name) ?? 0,
      })),
      namespaces: inv.namespaces.map((n) => n.name).sort(),
    };
  }

  async preflight(
    context: string,
    kubeconfigPath: string | undefined,
    targets: CaptureTargets & { captureNamespace?: string },
  ) {
    return preflightFor(await this.open(context, kubeconfigPath), targets);
  }

  async start(req: {
    context: string;
    kubeconfigPath?: string;
    targets: CaptureTargets & { captureNamespace?: string };
    durationSec: number;
    probes?: string[];
    moduleAttempts?: boolean;
  }): Promise<{ captureId: string; sessionId: string; out: string }> {
    if (this.shuttingDown) throw new ApiFailure('cancelled', 'Lantern is shutting down.');
    const opened = await this.open(req.context, req.kubeconfigPath);
    const dir = join(this.ctx.userDataDir, 'captures');
    mkdirSync(dir, { recursive: true });
    const out = join(
      dir,
      `${req.context.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60)}-${new Date().toISOString().replace(/[:.]/g, '-')}.lantern`,
    );
    const listeners = new Set<(e: LanternEvent[]) => void>();
    const { captureNamespace, ...targets } = req.targets;
    const session = await createCapture(opened, {
      targets,
      ...(captureNamespace ? { namespace: captureNamespace } : {}),
      durationSec: req.durationSec,
      out,
      ...(req.probes ? { probes: req.probes } : {}),
      ...(req.moduleAttempts ? { moduleAttempts: true } : {}),
      onProgress: (p) => this.ctx.publish('capture.progress', p),
      onEvents: (evs) => {
        for (const l of listeners) {
          try {
            l(evs);
          } catch {
            // a failing viewer must not stop the capture
          }
        }
      },
      onNotice: (level, message) => {
        if (level !== 'info') this.ctx.publish('notice', { level, message });
      },
    });
    await session.start();
    const entry: { session: CaptureSession; listeners: typeof listeners; result?: CaptureResult } = {
      session,
      listeners,
    };
    this.sessions.set(session.captureId, entry);
    session.done.then(
      (r) => {
        entry.result = r;
        this.ctx.publish('notice', {
          level: r.ledger.clean ? 'info' : 'warning',
          message: `Capture ${r.sessionId}: ${r.trailer.status}, ${r.trailer.events} events. ${r.ledger.summary}.`,
        });
      },
      () => undefined,
    );
    const live: LiveCapture = {
      captureId: session.captureId,
      sessionId: session.sessionId,
      out,
      context: opened.conn.context.name,
      header: session.header!,
      subscribe: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
      done: session.done,
    };
    for (const l of startedListeners) {
      try {
        l(live);
      } catch {
        // ignore a broken listener
      }
    }
    this.live.set(session.captureId, live);
    return { captureId: session.captureId, sessionId: session.sessionId, out };
  }

  async stop(captureId: string) {
    const s = this.sessions.get(captureId);
    if (!s) throw new ApiFailure('not-found', `No capture with id ${captureId}.`);
    const r = s.result ?? (await s.session.stop());
    return r.ledger;
  }

  async leftovers(context: string, kubeconfigPath?: string) {
    const { conn } = await this.open(context, kubeconfigPath);
    const found = await findLeftovers(conn, {
      namespace: conn.defaultNamespace,
      excludeSessions: this.activeSessionIds(),
    });
    return found.map(({ uid: _uid, ...rest }) => rest);
  }

  async cleanLeftovers(context: string, kubeconfigPath?: string) {
    const { conn } = await this.open(context, kubeconfigPath);
    return (await cleanLeftovers(conn, { namespace: conn.defaultNamespace, excludeSessions: this.activeSessionIds() }))
      .ledger;
  }

  private activeSessionIds(): string[] {
    return [...this.sessions.values()].filter((s) => !s.result).map((s) => s.session.sessionId);
  }

  /** App quit / window closed: stop every capture (pods deleted and confirmed), close watches. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all(
      [...this.sessions.values()].filter((s) => !s.result).map((s) => s.session.stop().catch(() => undefined)),
    );
    await this.cluster?.opened.close();
    this.cluster = undefined;
  }
}

const services = new WeakMap<HandlerContext, CaptureService>();
export function captureServiceFor(ctx: HandlerContext): CaptureService {
  let s = services.get(ctx);
  if (!s) {
    s = new CaptureService(ctx);
    services.set(ctx, s);
  }
  return s;
}
