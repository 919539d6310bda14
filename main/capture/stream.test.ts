/**
 * The resumable log stream over a real HTTPS connection, against a small server that behaves like
 * the kubelet's log endpoint at its least helpful: it truncates `sinceTime` to the whole second
 * (so every resume replays up to a second of lines) and drops connections mid-line on demand.
 * The lab test repeats this with the real agent; this one is deterministic and needs no root.
 */
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LanternEvent } from '../common/events';
import { makeConnection } from '../cluster/connection';
import { kubeConfigFor, loadKubeconfig } from '../cluster/kubeconfig';
import { kubeconfigYaml, makePki, tempDir, type Pki } from '../cluster/test-support';
import { NodeStream, type LineParser } from './node-stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Line {
  ns: bigint;
  ts: string;
  text: string;
}

function fmt(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  return `${iso.slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

class FakeKubeletLog {
  lines: Line[] = [];
  done = false;
  open = new Set<ServerResponse>();
  follows = new Set<(l: Line | null) => void>();
  server!: Server;
  url = '';
  requests: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  async start(pki: Pki, total: number, everyMs: number): Promise<void> {
    this.server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) =>
      this.handle(req.url ?? '', res),
    );
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    let seq = 0;
    this.timer = setInterval(() => {
      for (let k = 0; k < 3 && seq < total; k++) {
        seq++;
        const ns = BigInt(Date.now()) * 1_000_000n + BigInt(seq % 1_000_000);
        // A line whose payload is long enough that drops often land mid-line.
        // Every 97th line is long (40 kB): the runtime splits it into 16 KiB entries.
        const padLen = seq % 97 === 0 ? 40_000 : 200 + (seq % 50);
        // The agent's first line here is its start status (probes attached): only from it on is
        // the node watched, and only a watched node can end as "finished".
        const text =
          seq === 1
            ? JSON.stringify({ seq, type: 'status', data: { phase: 'start', probes: ['exec'] } })
            : JSON.stringify({ seq, pad: 'x'.repeat(padLen) });
        const l = { ns, ts: fmt(ns), text };
        this.lines.push(l);
        for (const f of this.follows) f(l);
      }
      if (seq >= total) {
        clearInterval(this.timer);
        this.done = true;
        for (const f of this.follows) f(null);
      }
    }, everyMs);
  }

  private handle(url: string, res: ServerResponse): void {
    const u = new URL(url, 'https://x');
    res.setHeader('content-type', 'application/json');
    if (!u.pathname.endsWith('/log')) {
      res.end(
        JSON.stringify({
          kind: 'Pod',
          apiVersion: 'v1',
          metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
          status: { phase: this.done ? 'Succeeded' : 'Running' },
        }),
      );
      return;
    }
    this.requests.push(u.search);
    const since = u.searchParams.get('sinceTime');
    // Truncate to the second, like a server that parses RFC3339 without the fraction.
    const sinceNs = since ? BigInt(Date.parse(since.replace(/\.\d+Z$/, 'Z'))) * 1_000_000n : 0n;
    res.setHeader('content-type', 'text/plain');
    // Like the CRI log writer: at most 16 KiB per entry, each entry its own line and timestamp.
    const send = (l: Line) => {
      for (let i = 0; i < l.text.length; i += 16 * 1024) res.write(`${l.ts} ${l.text.slice(i, i + 16 * 1024)}\n`);
    };
    for (const l of this.lines) if (l.ns >= sinceNs) send(l);
    if (u.searchParams.get('follow') !== 'true' || this.done) {
      res.end();
      return;
    }
    this.open.add(res);
    const f = (l: Line | null) => (l ? send(l) : res.end());
    this.follows.add(f);
    res.on('close', () => {
      this.open.delete(res);
      this.follows.delete(f);
    });
  }

  /** Cut every open stream, mid-line: half a line is written first. */
  drop(): number {
    const n = this.open.size;
    for (const r of this.open) {
      r.write('2026-01-01T00:00:00.000000000Z {"seq": 99999999, "half');
      r.socket?.destroy();
    }
    return n;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const jsonSeqParser = (node: string): LineParser => ({
  parseLine(line: string) {
    try {
      const o = JSON.parse(line) as { seq: number };
      return { events: [{ kind: 'agent.status', time: Date.now() * 1e6, node, seq: o.seq } as LanternEvent] };
    } catch (e) {
      return { events: [], error: (e as Error).message };
    }
  },
});

describe('resumable pod log stream (real HTTPS, dropped 10 times, long lines split by the runtime)', () => {
  let pki: Pki;
  const t = tempDir();
  const kubelet = new FakeKubeletLog();
  beforeAll(async () => {
    pki = makePki();
  });
  afterAll(async () => {
    await kubelet.stop();
    pki.cleanup();
    t.cleanup();
  });

  it('keeps every line exactly once across drops, then finishes when the pod has ended', async () => {
    const TOTAL = 1500;
    await kubelet.start(pki, TOTAL, 5);
    const f = join(t.dir, 'kc.yaml');
    writeFileSync(f, kubeconfigYaml([{ context: 'k', server: kubelet.url, ca: pki.ca, token: 't' }]));
    const { kc, context } = kubeConfigFor(loadKubeconfig({ path: f }), 'k');
    const conn = makeConnection(kc, context);
    const seqs: number[] = [];
    const bad: string[] = [];
    const stream = new NodeStream({
      conn,
      node: 'n1',
      namespace: 'ns',
      pod: 'p',
      parser: jsonSeqParser('n1'),
      onEvents: (evs) => seqs.push(...evs.map((e) => e.seq!)),
      onBadLine: (_n, _l, e) => bad.push(e),
      pollMs: 50,
    });
    const run = stream.run();
    let drops = 0;
    while (drops < 10) {
      await new Promise((r) => setTimeout(r, 120));
      if (kubelet.drop() > 0) drops++;
    }
    await run;
    expect(drops).toBe(10);
    expect(stream.state).toBe('finished');
    expect(stream.progress().probesAttached).toEqual(['exec']);
    expect(stream.reconnects).toBeGreaterThanOrEqual(10);
    expect(seqs.length).toBe(TOTAL);
    expect(seqs).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    expect(stream.guard.gaps).toBe(0);
    expect(stream.guard.duplicates).toBeGreaterThan(0); // the server replayed; we dropped them
    expect(bad).toEqual([]); // the half lines written before each cut never reached the parser
    expect(kubelet.requests.slice(1).every((q) => q.includes('sinceTime='))).toBe(true);
  }, 60_000);
});
