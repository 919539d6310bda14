/**
 * One node of a capture: wait for its capture pod to run, follow its log, resume on every drop
 * without gap or double, parse each line into normalised events, and keep the node's state and
 * counters for the progress display.
 *
 * State machine:
 *   pending → pulling → starting → streaming | degraded(reason) ⇄ reconnecting → finished | failed(reason)
 * "starting": the pod runs, the agent compiles and attaches its probes; nothing is watched yet,
 * whatever lines (snapshot, cgroups) already arrive. Only the agent's start status (probes
 * attached) makes the node "streaming" — or "degraded", with what is not watched in words, when
 * some probes did not attach. An agent that never reports within the start timeout fails the
 * node, in words. ("running" is no longer entered: it read as "watched" while it was not.)
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { LanternEvent } from '../common/events';
import type { NodeCaptureState, NodeProgress } from '../common/contract';
import type { ClusterConnection } from '../cluster/connection';
import { ClusterError, describeClusterError } from '../cluster/errors';
import { ResumeGuard } from './dedupe';
import { streamPodLog, type LogEnd, type LogLine } from './log-stream';
import { agentStatusLine, type AgentStartReport } from './agent-start';

/** The line number the agent gives every output line. */
const LINE_SEQ = /^\s*\{\s*"seq"\s*:\s*(\d{1,15})\s*[,}]/;

/** CRI runtimes (containerd, CRI-O) split log lines longer than 16 KiB into several entries. */
const SPLIT_SIZE_HINT = 16 * 1024;
/** A split line longer than this is not coming back together. */
const MAX_JOINED_CHARS = 8 * 1024 * 1024;

function isJsonObject(text: string): boolean {
  try {
    const o: unknown = JSON.parse(text);
    return typeof o === 'object' && o !== null;
  } catch {
    return false;
  }
}

export interface LineParser {
  parseLine(line: string, lineNo: number): { events: LanternEvent[]; error?: string };
}

export interface NodeStreamOptions {
  conn: ClusterConnection;
  node: string;
  namespace: string;
  pod: string;
  container?: string;
  parser: LineParser;
  /** Every kept event, in order, exactly once. */
  onEvents(events: LanternEvent[]): void;
  /** A line the parser refused (for the warnings list). */
  onBadLine?(node: string, lineNo: number, error: string): void;
  onState?(node: string, state: NodeCaptureState, reason?: string): void;
  /** Poll period while waiting for the pod to run. */
  pollMs?: number;
  /** Give up after this many consecutive failed reconnects (each backs off up to maxBackoffMs). */
  maxReconnectFailures?: number;
  maxBackoffMs?: number;
  /**
   * How long the agent may take, once its pod runs, to report its probes attached before the
   * node fails (bpftrace compiles its program first: seconds, up to a minute on a loaded node).
   * Default 120 s.
   */
  startTimeoutMs?: number;
}

export const DEFAULT_AGENT_START_TIMEOUT_MS = 120_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

function podTerminated(pod: V1Pod, container?: string): { done: boolean; failed?: string } {
  const phase = pod.status?.phase;
  const cs = (pod.status?.containerStatuses ?? []).find((c) => !container || c.name === container);
  const term = cs?.state?.terminated;
  if (phase === 'Succeeded') return { done: true };
  if (phase === 'Failed') {
    const why = pod.status?.reason ?? term?.reason ?? 'Failed';
    const msg = pod.status?.message ?? term?.message;
    // The deadline ending a capture that already streamed is the designed end, not a failure.
    if (why === 'DeadlineExceeded') return { done: true };
    return {
      done: true,
      failed: `pod failed: ${why}${msg ? ` (${msg.slice(0, 300)})` : ''}${term?.exitCode !== undefined ? `, exit code ${term.exitCode}` : ''}`,
    };
  }
  if (term) {
    if (term.exitCode === 0) return { done: true };
    return {
      done: true,
      failed: `agent exited with code ${term.exitCode}${term.reason ? ` (${term.reason})` : ''}${term.message ? `: ${term.message.slice(0, 300)}` : ''}`,
    };
  }
  return { done: false };
}

export class NodeStream {
  state: NodeCaptureState = 'pending';
  reason: string | undefined;
  events = 0;
  lost = 0;
  reconnects = 0;
  badLines = 0;
  /** Set when the agent reported a fatal error. */
  agentError: string | undefined;
  /** First pieces of a line the container runtime split, waiting for the rest. */
  private split: string | undefined;
  /** When (ms) the agent said its probes are attached: the capture proper starts then. */
  attachedAt: number | undefined;
  /** What the agent reported attached and not attached (its start status). */
  probeReport: AgentStartReport | undefined;
  /** The agent's last error output (bpftrace's stderr), to explain a failure. */
  private lastAgentStderr: string | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  readonly guard = new ResumeGuard();
  private lineNo = 0;
  private readonly abort = new AbortController();
  private rateWindow: { t: number; n: number }[] = [];
  /** Set when the capture is being stopped: the next clean end of the stream is the last. */
  private stopping = false;
  private readonly kc: KubeConfig;

  constructor(private readonly o: NodeStreamOptions) {
    this.kc = o.conn.kc;
  }

  get node(): string {
    return this.o.node;
  }
  get podName(): string {
    return this.o.pod;
  }

  private setState(s: NodeCaptureState, reason?: string): void {
    if (this.state === s && this.reason === reason) return;
    // failed and finished are final; a late line or a stream end does not revive a node.
    if (this.state === 'failed' || (this.state === 'finished' && s !== 'failed')) return;
    this.state = s;
    this.reason = reason;
    this.o.onState?.(this.o.node, s, reason);
  }

  progress(now = Date.now()): NodeProgress {
    this.rateWindow = this.rateWindow.filter((x) => now - x.t <= 5000);
    this.rateWindow.push({ t: now, n: this.events });
    const first = this.rateWindow[0]!;
    const dt = (now - first.t) / 1000;
    const rate = dt > 0 ? (this.events - first.n) / dt : 0;
    const p: NodeProgress = {
      node: this.o.node,
      pod: this.o.pod,
      state: this.state,
      events: this.events,
      eventsPerSec: Math.round(rate * 10) / 10,
      lost: this.lost,
      reconnects: this.reconnects,
    };
    if (this.reason) p.reason = this.reason;
    if (this.probeReport) {
      p.probesAttached = [...this.probeReport.attached];
      p.probesFailed = this.probeReport.failed.map((f) => ({ ...f }));
    }
    return p;
  }

  /** Ask the stream to end after the pod's output is drained (pod is being deleted). */
  finishSoon(): void {
    this.stopping = true;
  }

  /** Stop now, whatever is in flight. */
  cancel(): void {
    this.stopping = true;
    this.clearStartTimer();
    this.abort.abort();
  }

  /** The state of a node whose log is flowing: what its agent has reported so far. */
  private liveState(): { state: NodeCaptureState; reason?: string } {
    if (!this.probeReport) return { state: 'starting', reason: 'the agent is compiling and attaching its probes' };
    if (this.probeReport.degraded) return { state: 'degraded', reason: this.probeReport.degraded };
    return { state: 'streaming' };
  }

  private setLive(): void {
    const l = this.liveState();
    this.setState(l.state, l.reason);
  }

  private armStartTimer(): void {
    if (this.startTimer || this.probeReport) return;
    const ms = this.o.startTimeoutMs ?? DEFAULT_AGENT_START_TIMEOUT_MS;
    this.startTimer = setTimeout(() => {
      this.startTimer = undefined;
      // Stopped while starting: it ends as "finished, stopped before the agent attached".
      if (this.probeReport || this.stopping || this.state === 'failed' || this.state === 'finished') return;
      const why = this.lastAgentStderr ? ` Its last error output: ${this.lastAgentStderr}` : '';
      this.setState(
        'failed',
        `the agent did not report its probes attached within ${Math.round(ms / 1000)} s of its pod running, so nothing on this node was watched.${why}`,
      );
      // Nothing more from this node can be trusted as coverage: stop following it.
      this.abort.abort();
    }, ms);
    this.startTimer.unref?.();
  }

  private clearStartTimer(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = undefined;
  }

  /** The agent's own status line: the node's coverage (start) or its fatal error. */
  private onAgentStatus(text: string): void {
    const st = agentStatusLine(text);
    if (!st) return;
    if (st.phase === 'start') {
      if (this.probeReport) return;
      this.probeReport = st.report;
      this.attachedAt ??= Date.now();
      this.clearStartTimer();
      if (this.state === 'starting' || this.state === 'running') this.setLive();
    } else if (st.phase === 'error') {
      this.agentError = this.lastAgentStderr ? `${st.message}: ${this.lastAgentStderr}` : st.message;
      this.clearStartTimer();
      this.setState('failed', this.agentError);
    }
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  private handleLine(line: LogLine): void {
    const g = this.guard;
    if (!g.acceptLine(line.time)) return;
    if (line.truncated) {
      this.badLines++;
      this.o.onBadLine?.(this.o.node, this.lineNo + 1, `line longer than ${1 << 20} bytes cut and dropped`);
      this.lineNo++;
      g.lineDone(line.time);
      return;
    }
    // The agent numbers every line ({"seq":N,...}, one writer, +1 per line): a line already
    // kept is dropped here, before the parser, so a resume's overlap never reaches it.
    const m = LINE_SEQ.exec(line.text);
    let text = line.text;
    if (this.split) {
      if (!m) {
        // A continuation of a long line the container runtime split (CRI writes at most 16 KiB
        // per log entry). Nothing of it counts as seen until the line is whole again.
        this.split += text;
        if (this.split.length > MAX_JOINED_CHARS) {
          this.split = undefined;
          this.badLines++;
          this.o.onBadLine?.(this.o.node, this.lineNo + 1, 'a split agent line did not come back together; dropped');
          g.lineDone(line.time);
          return;
        }
        if (!isJsonObject(this.split)) return;
        text = this.split;
        this.split = undefined;
      } else {
        // A new numbered line while the split one never completed: report it (the parser also
        // reports the missing seq as a gap) and go on with this line.
        this.split = undefined;
        this.badLines++;
        this.o.onBadLine?.(
          this.o.node,
          this.lineNo + 1,
          'an agent line split by the container runtime was incomplete; dropped',
        );
      }
    }
    const seqMatch = text === line.text ? m : LINE_SEQ.exec(text);
    const lineSeq = seqMatch ? Number(seqMatch[1]) : undefined;
    if (lineSeq !== undefined) {
      if (text === line.text && Buffer.byteLength(text) >= SPLIT_SIZE_HINT && !isJsonObject(text)) {
        // Probably the first piece of a split line: wait for the rest before judging it.
        if (g.lastSeq !== undefined && lineSeq <= g.lastSeq) return;
        this.split = text;
        return;
      }
      if (g.acceptSeq(lineSeq) === 'dup') return;
    } else if (!g.acceptUnsequencedLine(line.time)) {
      g.lineDone(line.time);
      return;
    }
    this.lineNo++;
    let parsed: { events: LanternEvent[]; error?: string };
    try {
      parsed = this.o.parser.parseLine(text, this.lineNo);
    } catch (err) {
      parsed = { events: [], error: (err as Error).message };
    }
    if (parsed.error) {
      this.badLines++;
      this.o.onBadLine?.(this.o.node, this.lineNo, parsed.error);
    }
    g.lineDone(line.time);
    for (const ev of parsed.events) {
      if (ev.kind === 'agent.lost' && typeof ev.agent?.lost === 'number') this.lost += ev.agent.lost;
      if (ev.kind === 'agent.status' && ev.agent?.message?.startsWith('bpftrace: '))
        this.lastAgentStderr = ev.agent.message.slice(0, 500);
    }
    // Coverage (probes attached or not) and fatal errors come from the agent's status line.
    this.onAgentStatus(text);
    if (parsed.events.length) {
      this.events += parsed.events.length;
      this.o.onEvents(parsed.events);
    }
  }

  private async getPod(): Promise<V1Pod | undefined> {
    try {
      return await this.o.conn.core.readNamespacedPod({ name: this.o.pod, namespace: this.o.namespace });
    } catch (err) {
      const e = describeClusterError(
        err,
        this.o.conn.where({ verb: 'get', resource: 'pods', namespace: this.o.namespace }),
      );
      if (e.kind === 'not-found') return undefined;
      throw e;
    }
  }

  /** Wait for the pod to start, then stream until its agent ends (or we are stopped). */
  async run(): Promise<void> {
    try {
      await this.waitRunning();
      if (this.state === 'failed' || this.abort.signal.aborted) return;
      await this.follow();
    } catch (err) {
      if (this.abort.signal.aborted) return;
      const e = err instanceof ClusterError ? err : describeClusterError(err, this.o.conn.where());
      this.setState('failed', e.message);
    } finally {
      this.clearStartTimer();
      if (this.state !== 'failed' && this.state !== 'finished') {
        this.setState(
          this.abort.signal.aborted ? 'finished' : 'failed',
          this.abort.signal.aborted ? 'stopped' : this.reason,
        );
      }
    }
  }

  private async waitRunning(): Promise<void> {
    const poll = this.o.pollMs ?? 500;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      let pod: V1Pod | undefined;
      try {
        pod = await this.getPod();
        failures = 0;
      } catch (err) {
        if (++failures > 20) throw err;
        await sleep(poll * 2, this.abort.signal);
        continue;
      }
      if (!pod) {
        this.setState('failed', 'the capture pod disappeared before it started');
        return;
      }
      const phase = pod.status?.phase;
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
      if (
        phase === 'Running' ||
        phase === 'Succeeded' ||
        phase === 'Failed' ||
        pod.status?.containerStatuses?.[0]?.state?.terminated
      ) {
        this.setLive();
        this.armStartTimer();
        return;
      }
      if (
        waiting?.reason &&
        /ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerConfigError|CreateContainerError/.test(
          waiting.reason,
        )
      ) {
        this.setState(
          'failed',
          `cannot start the capture container: ${waiting.reason}${waiting.message ? `: ${waiting.message.slice(0, 300)}` : ''}`,
        );
        return;
      }
      const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      if (unschedulable?.reason === 'Unschedulable')
        this.setState('pending', unschedulable.message?.slice(0, 300) ?? 'unschedulable');
      else if (waiting?.reason === 'ContainerCreating' || /Pull/.test(waiting?.reason ?? '')) this.setState('pulling');
      else this.setState('pending');
      await sleep(poll, this.abort.signal);
    }
  }

  private async follow(): Promise<void> {
    const maxFailures = this.o.maxReconnectFailures ?? 30;
    const maxBackoff = this.o.maxBackoffMs ?? 4000;
    let failures = 0;
    let backoff = 100;
    for (;;) {
      if (this.abort.signal.aborted) return;
      const sinceTime = this.guard.beginStream();
      // A split line in progress comes again whole from the resume point.
      this.split = undefined;
      let end: LogEnd;
      try {
        if (this.reconnects > 0 && failures > 0) this.setState('reconnecting', this.reason);
        else this.setLive();
        let sawLine = false;
        end = await streamPodLog(
          this.kc,
          {
            namespace: this.o.namespace,
            pod: this.o.pod,
            ...(this.o.container ? { container: this.o.container } : {}),
            follow: true,
            ...(sinceTime ? { sinceTime } : {}),
            signal: this.abort.signal,
            where: this.o.conn.where({ verb: 'get', resource: 'pods/log', namespace: this.o.namespace }),
          },
          (line) => {
            if (!sawLine) {
              sawLine = true;
              if (this.state === 'reconnecting') this.setLive();
            }
            this.handleLine(line);
          },
        );
        failures = 0;
        backoff = 100;
      } catch (err) {
        const e = err instanceof ClusterError ? err : describeClusterError(err, this.o.conn.where());
        if (e.kind === 'not-found') {
          // The pod is gone (deleted at stop, or by the deadline and reaped): what we have is all.
          this.setState(
            this.stopping ? 'finished' : 'failed',
            this.stopping ? undefined : 'the capture pod disappeared',
          );
          return;
        }
        if (e.kind === 'forbidden' || e.kind === 'unauthorized') throw e;
        if (++failures > maxFailures) throw e;
        this.reconnects++;
        this.setState('reconnecting', e.message);
        await sleep(backoff, this.abort.signal);
        backoff = Math.min(maxBackoff, backoff * 2);
        continue;
      }
      if (end.reason === 'aborted') return;
      // The stream ended: either the agent is done (drain what is left) or the stream dropped.
      let pod: V1Pod | undefined;
      try {
        pod = await this.getPod();
      } catch {
        pod = { status: { phase: 'Running' } } as V1Pod; // cannot tell: try the stream again
      }
      const term = pod ? podTerminated(pod, this.o.container) : { done: true };
      if (term.done) {
        if (pod) await this.drain();
        if (term.failed && !this.stopping) this.setState('failed', term.failed);
        else if (this.agentError) this.setState('failed', this.agentError);
        else if (!this.probeReport && !this.stopping)
          this.setState(
            'failed',
            `the agent ended without reporting its probes attached, so nothing on this node was watched${this.lastAgentStderr ? `. Its last error output: ${this.lastAgentStderr}` : ''}`,
          );
        else if (!this.probeReport) this.setState('finished', 'stopped before the agent attached its probes');
        else this.setState('finished');
        return;
      }
      this.reconnects++;
      this.setState('reconnecting', end.reason === 'broken' ? end.error.message : 'the log stream ended early');
      await sleep(Math.min(backoff, 250), this.abort.signal);
    }
  }

  /** One last non-follow read from the resume point, for lines written after the last break. */
  private async drain(): Promise<void> {
    const sinceTime = this.guard.beginStream();
    this.split = undefined;
    try {
      await streamPodLog(
        this.kc,
        {
          namespace: this.o.namespace,
          pod: this.o.pod,
          ...(this.o.container ? { container: this.o.container } : {}),
          follow: false,
          ...(sinceTime ? { sinceTime } : {}),
          signal: this.abort.signal,
        },
        (line) => this.handleLine(line),
      );
    } catch {
      // the pod may be gone already; what we have is what there is
    }
  }
}
