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
    readonly code: 'not-found' | 'bad-input' | 'unsupported',
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

export class SessionManager {
  private readonly sessions = new Map<string, EngineClient>();

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
  }

  async open(src: OpenSource, o: { continueOnError?: boolean; kind?: SessionInfo['kind'] } = {}): Promise<SessionInfo> {
    const { id, client } = this.spawn(await this.opts.detectConfig?.());
    try {
      return await client.open(src, o);
    } catch (e) {
      await this.close(id);
      throw e;
    }
  }

  async diff(a: string, b: string, o: { force?: boolean } = {}): Promise<DiffSummary> {
    const { id, client } = this.spawn();
    try {
      const d = await client.openDiff(a, b, o);
      if (!d.comparable) await this.close(id);
      return d;
    } catch (e) {
      await this.close(id);
      throw e;
    }
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
