/**
 * Sessions: one engine worker per open capture (or diff). Owns the workers' lifetimes and turns
 * engine messages into the API's streams ('graph.delta', 'replay.state', 'findings.changed').
 */
import { randomUUID } from 'node:crypto';
import type { CaptureHeader, CaptureTrailer } from '../common/capture';
import type { DiffSummary, SessionInfo, StreamName, StreamPayloads } from '../common/contract';
import type { LanternEvent } from '../common/events';
import { EngineClient } from './client';
import type { EngineMessage, OpenSource } from './engine';
import type { SessionDetectConfig } from '../detect/index';

export class SessionError extends Error {
  constructor(
    readonly code: 'not-found' | 'bad-input' | 'unsupported' | 'cancelled',
    message: string,
  ) {
    super(message);
    this.name = 'SessionError';
  }
}

export interface SessionManagerOptions {
  publish<S extends StreamName>(name: S, payload: StreamPayloads[S]): void;
  /** Plug detection into every session (default true). */
  detect?: boolean;
  /** Detection configuration read when a session opens (triage verdicts, allow-list ...). */
  detectConfig?: () => Promise<SessionDetectConfig> | SessionDetectConfig;
  /** Open sessions at most (oldest is not closed for you: opening more is refused). */
  maxSessions?: number;
}

/** A pending open or diff that the analyst can follow and cancel by the id the renderer gave it. */
interface PendingOp {
  sessionId: string;
  cancelled: boolean;
}

export class SessionManager {
  private readonly sessions = new Map<string, EngineClient>();
  /** opId → the session being opened under it, while its open or diff call is pending. */
  private readonly ops = new Map<string, PendingOp>();
  /** sessionId → opId, to route the engine's progress to the operation. */
  private readonly opOfSession = new Map<string, string>();

  constructor(private readonly opts: SessionManagerOptions) {}

  private spawn(detectConfig?: SessionDetectConfig): { id: string; client: EngineClient } {
    const max = this.opts.maxSessions ?? 16;
    if (this.sessions.size >= max)
      throw new SessionError('unsupported', `at most ${max} sessions can be open at once; close one first`);
    const id = `s-${randomUUID()}`;
    const init = { sessionId: id, detect: this.opts.detect !== false, ...(detectConfig ? { detectConfig } : {}) };
    const client = new EngineClient(init, (m) => this.forward(id, m));
    this.sessions.set(id, client);
    return { id, client };
  }

  private forward(sessionId: string, m: EngineMessage): void {
    if (!this.sessions.has(sessionId)) return;
    if (m.type === 'delta') this.opts.publish('graph.delta', { sessionId, delta: m.delta });
    else if (m.type === 'replay') this.opts.publish('replay.state', m.state);
    else if (m.type === 'findings') this.opts.publish('findings.changed', { sessionId, findings: m.findings });
    else if (m.type === 'notice') this.opts.publish('notice', { level: m.level, message: m.message });
    else if (m.type === 'progress') {
      const opId = this.opOfSession.get(sessionId);
      if (!opId) return;
      const p: StreamPayloads['op.progress'] = { opId, message: m.message, events: m.events };
      if (m.fraction !== undefined) p.fraction = m.fraction;
      this.opts.publish('op.progress', p);
    }
  }

  /**
   * Runs an open or diff in a new session under `opId` (when given): its progress is published
   * as 'op.progress', and `cancelOp(opId)` stops it (the worker is terminated; nothing stays open).
   * A failed or cancelled operation closes its session.
   */
  private async track<T>(id: string, opId: string | undefined, run: () => Promise<T>): Promise<T> {
    if (opId !== undefined) {
      if (this.ops.has(opId)) {
        await this.close(id);
        throw new SessionError('bad-input', `an operation ${opId} is already running`);
      }
      this.ops.set(opId, { sessionId: id, cancelled: false });
      this.opOfSession.set(id, opId);
    }
    try {
      const out = await run();
      // Finished just as it was cancelled: the analyst asked for nothing, and the session is closed.
      if (opId !== undefined && this.ops.get(opId)?.cancelled) throw new Error('cancelled');
      return out;
    } catch (e) {
      await this.close(id);
      if (opId !== undefined && this.ops.get(opId)?.cancelled)
        throw new SessionError('cancelled', 'Cancelled: nothing was opened.');
      throw e;
    } finally {
      if (opId !== undefined) {
        this.ops.delete(opId);
        this.opOfSession.delete(id);
      }
    }
  }

  /** Cancels a pending open or diff; false when no operation of that id is running. */
  async cancelOp(opId: string): Promise<boolean> {
    const op = this.ops.get(opId);
    if (!op || op.cancelled) return false;
    op.cancelled = true;
    await this.close(op.sessionId);
    return true;
  }

  async open(
    src: OpenSource,
    o: { continueOnError?: boolean; kind?: SessionInfo['kind']; opId?: string } = {},
  ): Promise<SessionInfo> {
    const { opId, ...open } = o;
    const { id, client } = this.spawn(await this.opts.detectConfig?.());
    return this.track(id, opId, () => client.open(src, open));
  }

  async diff(a: string, b: string, o: { force?: boolean; opId?: string } = {}): Promise<DiffSummary> {
    const { opId, ...diff } = o;
    const { id, client } = this.spawn();
    const d = await this.track(id, opId, () => client.openDiff(a, b, diff));
    if (!d.comparable) await this.close(id);
    return d;
  }

  /**
   * A live session: the capture module feeds events as they arrive (appendLive); the graph and
   * findings follow the end of the stream unless the analyst moved the replay cursor.
   */
  async startLive(
    header: CaptureHeader,
    name: string,
    path?: string,
    detect: Pick<SessionDetectConfig, 'learnMinutes' | 'baseline'> = {},
  ): Promise<SessionInfo> {
    const base = await this.opts.detectConfig?.();
    const cfg = base || detect.learnMinutes || detect.baseline ? { ...base, ...detect } : undefined;
    const { id, client } = this.spawn(cfg);
    try {
      return await client.startLive(header, name, path);
    } catch (e) {
      await this.close(id);
      throw e;
    }
  }

  async appendLive(sessionId: string, events: LanternEvent[]): Promise<void> {
    await this.get(sessionId).appendLive(events);
  }

  /** The live capture behind a session ended: mark it complete and finish detection on all of it. */
  async endLive(sessionId: string, trailer: CaptureTrailer): Promise<void> {
    await this.get(sessionId).endLive(trailer);
  }

  get(sessionId: string): EngineClient {
    const c = this.sessions.get(sessionId);
    if (!c) throw new SessionError('not-found', `no open session ${sessionId}`);
    return c;
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  ids(): string[] {
    return [...this.sessions.keys()];
  }

  async close(sessionId: string): Promise<boolean> {
    const c = this.sessions.get(sessionId);
    if (!c) return false;
    this.sessions.delete(sessionId);
    await c.terminate();
    return true;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }
}
