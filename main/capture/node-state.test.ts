/**
 * The per-node state machine: a node is "streaming" only once its agent reported its probes
 * attached; "starting" before (whatever lines already came), "degraded" with words when some
 * probes did not attach, "failed" with words when the agent errs or never reports.
 *
 * Real parts: HTTPS, @kubernetes/client-node, the agent parser, and recorded agent output
 * (native/agent/testdata/sample.ndjson). The server plays a kubelet whose agent writes the lines
 * the test hands it, so each state can be looked at between two lines. No root needed; the lab
 * test (main/capture/lab.test.ts) does the same with the real agent.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NodeCaptureState } from '../common/contract';
import { makeConnection } from '../cluster/connection';
import { kubeConfigFor, loadKubeconfig } from '../cluster/kubeconfig';
import { kubeconfigYaml, makePki, tempDir, type Pki } from '../cluster/test-support';
import { AgentStreamParser } from '../events/agent/parse';
import { agentStatusLine, startReportOf } from './agent-start';
import { NodeStream } from './node-stream';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sample = readFileSync(join(repo, 'native/agent/testdata/sample.ndjson'), 'utf8').split('\n').filter(Boolean);
const startIdx = sample.findIndex((l) => /"type":"status".*"phase":"start"/.test(l));
/** The recorded start status, rewritten (seq kept) with other coverage fields. */
function startLine(patch: Record<string, unknown>): string {
  const rec = JSON.parse(sample[startIdx]!) as { seq: number; type: string; data: Record<string, unknown> };
  const data = { ...rec.data, ...patch };
  for (const k of Object.keys(patch)) if (patch[k] === undefined) delete data[k];
  return JSON.stringify({ seq: rec.seq, type: rec.type, data });
}

/** A kubelet whose one container writes what the test pushes; pod phase set by the test. */
class ScriptedKubelet {
  private lines: { ns: bigint; text: string }[] = [];
  private follows = new Set<(l: { ns: bigint; text: string } | null) => void>();
  phase: 'Running' | 'Succeeded' = 'Running';
  server!: Server;
  url = '';

  async start(pki: Pki): Promise<void> {
    this.server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => this.handle(req.url!, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  push(...texts: string[]): void {
    for (const text of texts) {
      const l = { ns: BigInt(Date.now()) * 1_000_000n + BigInt(this.lines.length % 1_000_000), text };
      this.lines.push(l);
      for (const f of this.follows) f(l);
    }
  }

  /** The container ends: open follows end, the pod says Succeeded. */
  end(): void {
    this.phase = 'Succeeded';
    for (const f of this.follows) f(null);
  }

  private handle(url: string, res: ServerResponse): void {
    const u = new URL(url, 'https://x');
    if (!u.pathname.endsWith('/log')) {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          kind: 'Pod',
          apiVersion: 'v1',
          metadata: { name: 'agent', namespace: 'ns', uid: 'u1' },
          status: { phase: this.phase },
        }),
      );
      return;
    }
    res.setHeader('content-type', 'text/plain');
    const since = u.searchParams.get('sinceTime');
    const sinceMs = since ? Date.parse(since) : 0;
    const send = (l: { ns: bigint; text: string }) => {
      const iso = new Date(Number(l.ns / 1_000_000n)).toISOString();
      res.write(`${iso.slice(0, 19)}.${(l.ns % 1_000_000_000n).toString().padStart(9, '0')}Z ${l.text}\n`);
    };
    for (const l of this.lines) if (Number(l.ns / 1_000_000n) >= sinceMs) send(l);
    if (u.searchParams.get('follow') !== 'true' || this.phase !== 'Running') return void res.end();
    const f = (l: { ns: bigint; text: string } | null) => (l ? send(l) : res.end());
    this.follows.add(f);
    res.on('close', () => this.follows.delete(f));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('capture node state: streaming only once the agent reports its probes attached', () => {
  let pki: Pki;
  const t = tempDir('lantern-node-state-');
  let kubelet: ScriptedKubelet;
  let stream: NodeStream | undefined;
  let run: Promise<void> | undefined;
  const states: { state: NodeCaptureState; reason?: string }[] = [];

  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => {
    pki.cleanup();
    t.cleanup();
  });
  afterEach(async () => {
    stream?.cancel();
    await run;
    await kubelet?.stop();
    stream = undefined;
    run = undefined;
    states.length = 0;
  });

  async function open(startTimeoutMs = 30_000): Promise<NodeStream> {
    kubelet = new ScriptedKubelet();
    await kubelet.start(pki);
    const f = join(t.dir, `kc-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, kubeconfigYaml([{ context: 'k', server: kubelet.url, ca: pki.ca, token: 't' }]));
    const { kc, context } = kubeConfigFor(loadKubeconfig({ path: f }), 'k');
    stream = new NodeStream({
      conn: makeConnection(kc, context),
      node: 'lab-node-1',
      namespace: 'ns',
      pod: 'agent',
      parser: new AgentStreamParser({ node: 'lab-node-1' }),
      onEvents: () => undefined,
      onState: (_n, state, reason) => states.push({ state, ...(reason ? { reason } : {}) }),
      pollMs: 20,
      startTimeoutMs,
    });
    run = stream.run();
    return stream;
  }

  it('starting while the agent attaches (lines already flowing), streaming on its start status', async () => {
    const s = await open();
    // Everything the real agent writes before its start status: attached_probes, cgroups.
    kubelet.push(...sample.slice(0, startIdx));
    await until('the lines before the start status', () => s.events > 0 || s.guard.lastSeq === startIdx);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.state).toBe('starting');
    expect(s.reason).toMatch(/attaching its probes/);
    expect(s.attachedAt).toBeUndefined();
    expect(s.progress().probesAttached).toBeUndefined();
    // The agent watches module loads through raw_syscalls, so the missing module tracepoints
    // are covered: the node is fully watched.
    kubelet.push(startLine({ modules: 'raw_syscalls' }), ...sample.slice(startIdx + 1, startIdx + 20));
    await until('streaming', () => s.state === 'streaming');
    expect(s.attachedAt).toBeGreaterThan(0);
    const p = s.progress();
    expect(p.probesAttached).toEqual(['exec', 'net', 'file', 'priv']);
    expect(p.probesFailed).toEqual([]);
    expect(p.reason).toBeUndefined();
    expect(states.map((x) => x.state)).toEqual(['starting', 'streaming']);
    kubelet.end();
    await run;
    expect(s.state).toBe('finished');
  });

  it('degraded, in words, when the kernel lacks tracepoints the agent could not cover', async () => {
    const s = await open();
    // As recorded: module tracepoints missing and no other way to watch module loads.
    kubelet.push(...sample.slice(0, startIdx + 1));
    await until('degraded', () => s.state === 'degraded');
    const p = s.progress();
    expect(p.probesFailed).toEqual([
      { probe: 'syscalls:sys_enter_init_module', reason: 'tracepoint missing on this kernel' },
      { probe: 'syscalls:sys_enter_finit_module', reason: 'tracepoint missing on this kernel' },
      { probe: 'syscalls:sys_enter_delete_module', reason: 'tracepoint missing on this kernel' },
    ]);
    expect(p.probesAttached).toEqual(['exec', 'net', 'file', 'priv']);
    expect(p.reason).toContain('watched in part: syscalls:sys_enter_init_module (tracepoint missing on this kernel)');
    // Coverage started: the duration counts from here, as for a streaming node.
    expect(s.attachedAt).toBeGreaterThan(0);
  });

  it('an explicit failed list from the agent is shown as it says it', async () => {
    const s = await open();
    kubelet.push(
      ...sample.slice(0, startIdx),
      startLine({
        modules: 'raw_syscalls',
        attached: ['exec', 'file', 'priv'],
        failed: [{ probe: 'net', reason: 'sock:inet_sock_set_state could not be attached' }],
      }),
    );
    await until('degraded', () => s.state === 'degraded');
    expect(s.progress().probesAttached).toEqual(['exec', 'file', 'priv']);
    expect(s.progress().probesFailed).toEqual([
      { probe: 'net', reason: 'sock:inet_sock_set_state could not be attached' },
    ]);
    expect(s.reason).toBe(
      'watched in part: net (sock:inet_sock_set_state could not be attached); attached: exec, file, priv',
    );
  });

  it('failed with the agent’s own words when it reports an error instead of attaching', async () => {
    const s = await open();
    kubelet.push(
      JSON.stringify({ seq: 1, type: 'stderr', data: 'ERROR: Could not resolve symbol: /proc/self/exe:BEGIN_trigger' }),
      JSON.stringify({
        seq: 2,
        type: 'status',
        data: { phase: 'error', node: 'lab-node-1', message: 'bpftrace did not start (see stderr lines)' },
      }),
    );
    await until('failed', () => s.state === 'failed');
    expect(s.reason).toBe(
      'the agent could not start: bpftrace did not start (see stderr lines): bpftrace: ERROR: Could not resolve symbol: /proc/self/exe:BEGIN_trigger',
    );
    // A later line does not make the node look watched again.
    kubelet.push(JSON.stringify({ seq: 3, type: 'status', data: { phase: 'stop', node: 'lab-node-1' } }));
    kubelet.end();
    await run;
    expect(s.state).toBe('failed');
    expect(states.map((x) => x.state)).toEqual(['starting', 'failed']);
  });

  it('failed, in words, when the agent never reports within the start timeout', async () => {
    const s = await open(1500);
    kubelet.push(...sample.slice(0, startIdx)); // attached_probes and cgroups, then silence
    await until('failed', () => s.state === 'failed', 10_000);
    expect(s.reason).toBe(
      'the agent did not report its probes attached within 2 s of its pod running, so nothing on this node was watched.',
    );
    await run; // the node's stream stops by itself
    expect(s.state).toBe('failed');
    expect(s.progress().probesAttached).toBeUndefined();
  });

  it('failed when the agent ends without ever reporting its probes attached', async () => {
    const s = await open();
    kubelet.push(sample[0]!);
    await until('starting', () => s.state === 'starting' && s.guard.lastSeq === 1);
    kubelet.end();
    await run;
    expect(s.state).toBe('failed');
    expect(s.reason).toBe('the agent ended without reporting its probes attached, so nothing on this node was watched');
  });
});

describe('capture node state: stopped while starting', () => {
  let pki: Pki;
  const t = tempDir('lantern-node-state-stop-');
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => {
    pki.cleanup();
    t.cleanup();
  });

  it('ends "finished", saying the agent had not attached yet, not "failed" by the start timeout', async () => {
    const kubelet = new ScriptedKubelet();
    await kubelet.start(pki);
    try {
      const f = join(t.dir, 'kc.yaml');
      writeFileSync(f, kubeconfigYaml([{ context: 'k', server: kubelet.url, ca: pki.ca, token: 't' }]));
      const { kc, context } = kubeConfigFor(loadKubeconfig({ path: f }), 'k');
      const s = new NodeStream({
        conn: makeConnection(kc, context),
        node: 'n',
        namespace: 'ns',
        pod: 'agent',
        parser: new AgentStreamParser({ node: 'n' }),
        onEvents: () => undefined,
        pollMs: 20,
        startTimeoutMs: 800,
      });
      const run = s.run();
      kubelet.push(sample[0]!);
      await until('starting', () => s.state === 'starting' && s.guard.lastSeq === 1);
      s.finishSoon(); // the analyst pressed stop; the pod is being deleted
      await new Promise((r) => setTimeout(r, 1200)); // past the start timeout
      expect(s.state).toBe('starting');
      kubelet.end();
      await run;
      expect(s.state).toBe('finished');
      expect(s.reason).toBe('stopped before the agent attached its probes');
    } finally {
      await kubelet.stop();
    }
  });
});

describe('agent start report', () => {
  it('reads the recorded start status; ignores lines that are not status lines', () => {
    const st = agentStatusLine(sample[startIdx]!);
    expect(st?.phase).toBe('start');
    expect(agentStatusLine(sample[0]!)).toBeUndefined(); // attached_probes
    expect(agentStatusLine('{"seq":1,"type":"status","data":')).toBeUndefined(); // cut
    expect(agentStatusLine(`{"seq":1,"type":"status","data":{"phase":"start","x":"${'a'.repeat(300_000)}"}}`)).toBe(
      undefined,
    );
  });

  it('no probe named is degraded too; hostile text comes out as plain words', () => {
    expect(startReportOf({ phase: 'start', probes: [] }).degraded).toBe('the agent reported no attached probe');
    const r = startReportOf({
      phase: 'start',
      probes: ['exec', 'exec', 7, '__proto__', 'priv'],
      modules: 'none',
      failed: [{ probe: 'x\u001b[31m', reason: 'a\nb' }, null, 'y'],
    });
    expect(r.failed).toEqual([
      { probe: 'x [31m', reason: 'a b' },
      { probe: 'y', reason: 'did not attach' },
      { probe: 'kernel modules', reason: 'module loads are not watched on this kernel' },
    ]);
    expect(r.attached).toEqual(['exec', '__proto__', 'priv']);
  });
});
