import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCapture } from '../graph/generate';
import type { StreamName, StreamPayloads } from '../common/contract';
import type { GraphDelta } from '../common/graph';
import { applyDelta, newGraph } from '../graph/view';
import { SessionManager } from './manager';

type Msg = { [S in StreamName]: { name: S; payload: StreamPayloads[S] } }[StreamName];

describe('session engine in a worker thread', () => {
  let dir: string;
  let path: string;
  let mgr: SessionManager;
  const msgs: Msg[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lantern-engine-'));
    path = join(dir, 'cap.lantern');
    await generateCapture({ events: 20_000, seed: 6, attack: true }, path);
    mgr = new SessionManager({ publish: (name, payload) => msgs.push({ name, payload } as Msg) });
  });
  afterAll(async () => {
    await mgr?.closeAll();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens a capture, replays with deltas that match a fresh snapshot, detects, exports, and closes', async () => {
    const info = await mgr.open({ path });
    expect(info).toMatchObject({
      kind: 'file',
      events: 20_000 + 0,
      complete: true,
      nodes: ['node-a', 'node-b', 'node-c'],
    });
    const c = mgr.get(info.sessionId);

    const full = await c.snapshot();
    expect(full.reset).toBe(true);
    expect(full.nodes!.length).toBeGreaterThan(50);

    // seek to the start, then play fast: the mirror built from published deltas equals a snapshot
    msgs.length = 0;
    await c.control({ action: 'seek', time: info.startTime });
    const mirror = newGraph();
    const seqs: number[] = [];
    const apply = () => {
      for (const m of msgs.splice(0)) {
        if (m.name !== 'graph.delta') continue;
        expect(m.payload.sessionId).toBe(info.sessionId);
        seqs.push(m.payload.delta.seq);
        applyDelta(mirror, m.payload.delta);
      }
    };
    apply();
    expect(mirror.order).toBeLessThan(full.nodes!.length);
    await c.control({ action: 'play', speed: 10_000 });
    const deadline = Date.now() + 30_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const st = msgs.filter((m) => m.name === 'replay.state').at(-1);
      if (st && st.name === 'replay.state' && !st.payload.playing) break;
      if (Date.now() > deadline) throw new Error('replay did not reach the end');
    }
    apply();
    const end: GraphDelta = await c.snapshot();
    const endGraph = newGraph();
    applyDelta(endGraph, end);
    expect(mirror.order).toBe(endGraph.order);
    expect(mirror.size).toBe(endGraph.size);
    mirror.forEachNode((k, a) => expect(a.count, k).toBe(endGraph.getNodeAttribute(k, 'count')));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);

    // detection ran in the worker: the attack is found
    const findings = await c.findings();
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.some((f) => f.pod?.name.startsWith('web-'))).toBe(true);
    // evidence ids are this graph's ids: a click on a finding can focus them
    for (const f of findings) {
      for (const k of f.evidence.nodes) expect(endGraph.hasNode(k), `${f.title}: ${k}`).toBe(true);
      for (const k of f.evidence.edges) expect(endGraph.hasEdge(k), `${f.title}: ${k}`).toBe(true);
    }
    expect(
      findings.some((f) => f.evidence.nodes.some((k) => k.endsWith('|/bin/bash')) && f.evidence.edges.length > 0),
    ).toBe(true);
    // severities reached the graph
    expect(endGraph.filterNodes((_k, a) => a.severity === 'critical' || a.severity === 'high').length).toBeGreaterThan(
      0,
    );

    // node details and raw events behind a node
    const bash = end.nodes!.find((n) => n.attributes.detail === '/bin/bash')!;
    const details = await c.nodeDetails(bash.key);
    expect(details.ancestors.map((a) => a.label)).toEqual(expect.arrayContaining(['nginx', 'sh']));
    expect(details.children.map((a) => a.label)).toEqual(expect.arrayContaining(['curl', 'cat']));
    const evs = await c.events({ nodeKey: bash.key, offset: 0, limit: 5 });
    expect(evs.total).toBeGreaterThan(2);
    expect(evs.events.every((e) => e.proc?.exe === '/bin/bash' || e.kind === 'exec')).toBe(true);

    // collapsed view and an export of it
    const pods = await c.snapshot('pod');
    expect(pods.nodes!.some((n) => n.attributes.kind === 'process')).toBe(false);
    const html = await c.exportGraph('html', 'pod');
    expect(html.data).toContain('<svg');

    const hist = await c.histogram(10);
    expect(hist.counts.reduce((a, b) => a + b, 0)).toBe(20_000);

    expect(await mgr.close(info.sessionId)).toBe(true);
    await expect(c.info()).rejects.toThrow(/closed/);
  });

  it('runs a live session: appended events reach the renderer as deltas and findings', async () => {
    const { makeCapture } = await import('../graph/generate');
    const cap = makeCapture({ events: 5000, seed: 6, attack: true });
    const info = await mgr.startLive(cap.header, 'live test');
    expect(info.kind).toBe('live');
    msgs.length = 0;
    const all = [...cap.events()];
    for (let i = 0; i < all.length; i += 700) await mgr.appendLive(info.sessionId, all.slice(i, i + 700));
    const mirror = newGraph();
    for (const m of msgs) if (m.name === 'graph.delta') applyDelta(mirror, m.payload.delta);
    const snap = await mgr.get(info.sessionId).snapshot();
    expect(mirror.order).toBe(snap.nodes!.length);
    expect(mirror.size).toBe(snap.edges!.length);
    expect((await mgr.get(info.sessionId).info()).events).toBe(5000);
    expect(msgs.some((m) => m.name === 'findings.changed')).toBe(true);
    // Until the capture ends the session is not complete; its end marks it so.
    expect((await mgr.get(info.sessionId).info()).complete).toBe(false);
    await mgr.endLive(info.sessionId, {
      lantern: 'trailer',
      ended: new Date().toISOString(),
      events: all.length,
      counts: {},
      lost: {},
      status: 'complete',
    });
    expect((await mgr.get(info.sessionId).info()).complete).toBe(true);
    await mgr.close(info.sessionId);
  });

  it('says in words what is wrong with a bad file', async () => {
    const bad = join(dir, 'bad.lantern');
    await readFile(path).then((b) => import('node:fs/promises').then((fs) => fs.writeFile(bad, b.subarray(0, 0))));
    const before = mgr.ids().length;
    await expect(mgr.open({ path: bad })).rejects.toThrow(/empty file/);
    await expect(mgr.open({ path: join(dir, 'missing.lantern') })).rejects.toThrow(/cannot open/);
    // a failed open leaves no worker behind
    expect(mgr.ids().length).toBe(before);
  });

  it('opens a diff session, and refuses incomparable captures with the reason', async () => {
    const other = join(dir, 'other.lantern');
    await generateCapture({ events: 2000, seed: 6, server: 'https://elsewhere:6443' }, other);
    const refused = await mgr.diff(path, other);
    expect(refused.comparable).toBe(false);
    expect(refused.reason).toMatch(/different clusters/);
    const b = join(dir, 'b.lantern');
    await generateCapture({ events: 20_000, seed: 6, layoutSeed: 9, variant: 'extra-egress' }, b);
    const d = await mgr.diff(path, b);
    expect(d.comparable).toBe(true);
    expect(d.added.edges).toBeGreaterThan(0);
    const snap = await mgr.get(d.sessionId).snapshot();
    expect(snap.nodes!.find((n) => n.key === 'ep:198.51.100.77:443')?.attributes.diff).toBe('added');
  });
});
