import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCapture, makeCapture } from './generate';
import { createEnricher } from '../events/enrich';
import { GraphBuilder } from './builder';
import { diffGraphs, incomparableReason, normalisePodName } from './diff';
import { loadCapture } from './load';

function build(opts: Parameters<typeof makeCapture>[0]) {
  const cap = makeCapture(opts);
  const b = new GraphBuilder({ enricher: createEnricher(cap.header.inventory) });
  for (const e of cap.events()) b.ingest(e);
  return { header: cap.header, graph: b.graph };
}

describe('normalisePodName', () => {
  it('folds generated suffixes and keeps stable names', () => {
    expect(normalisePodName('web-5d9f7c8b6d-x7k2p')).toBe('web-*');
    expect(normalisePodName('node-exporter-k4zcq')).toBe('node-exporter-*');
    expect(normalisePodName('backup-28923940-q7x2m')).toBe('backup-*');
    expect(normalisePodName('db-0')).toBe('db-0');
    expect(normalisePodName('web-admin')).toBe('web-admin');
  });
});

describe('diffGraphs', () => {
  it('finds exactly the known extra edge between captures whose pod names, uids and IPs all differ', () => {
    // Same behaviour, different cluster layout draw (pod hashes, uids, IPs): nothing may differ but the extra egress.
    const a = build({ events: 20_000, seed: 5, layoutSeed: 7 });
    const b = build({ events: 20_000, seed: 5, layoutSeed: 8, variant: 'extra-egress' });
    expect(a.graph.filterNodes((_k, x) => x.kind === 'pod').sort()).not.toEqual(
      b.graph.filterNodes((_k, x) => x.kind === 'pod').sort(),
    );
    const podIps = (h: typeof a.header) => h.inventory!.pods.flatMap((p) => (p.hostNetwork ? [] : (p.ips ?? [])));
    expect(podIps(a.header).filter((ip) => podIps(b.header).includes(ip))).toEqual([]);
    const d = diffGraphs(a.graph, b.graph);
    expect(d.removed.nodes).toEqual([]);
    expect(d.removed.edges).toEqual([]);
    expect(d.added.nodes.map((n) => n.key)).toEqual(['ep:198.51.100.77:443']);
    expect(d.added.edges.map((e) => e.key)).toEqual([
      'connected:proc:ctr:shop/api-*/api|/usr/local/bin/node->ep:198.51.100.77:443',
    ]);
    expect(d.added.edges[0]!.countB).toBeGreaterThan(10);
    expect(d.changed.edges).toEqual([]);
    expect(d.graph.getNodeAttribute('ep:198.51.100.77:443', 'diff')).toBe('added');
  });

  it('reports removed edges and changed rates the other way round', () => {
    const a = build({ events: 20_000, seed: 5, variant: 'extra-egress', attack: true });
    const b = build({ events: 20_000, seed: 5 });
    const d = diffGraphs(a.graph, b.graph);
    expect(d.removed.edges.map((e) => e.key)).toContain(
      'connected:proc:ctr:shop/api-*/api|/usr/local/bin/node->ep:198.51.100.77:443',
    );
    expect(d.removed.nodes.map((n) => n.key)).toEqual(
      expect.arrayContaining(['proc:ctr:shop/web-*/nginx|/bin/bash', 'ep:198.51.100.23:4444']),
    );
    expect(d.added.edges).toEqual([]);
  });

  it('refuses captures from different clusters or with different probes, with the reason', () => {
    const a = makeCapture({ events: 10 }).header;
    expect(incomparableReason(a, makeCapture({ events: 10 }).header)).toBeUndefined();
    expect(incomparableReason(a, makeCapture({ events: 10, server: 'https://10.1.1.1:6443' }).header)).toMatch(
      /different clusters.*10\.1\.1\.1/,
    );
    expect(incomparableReason(a, makeCapture({ events: 10, probes: ['exec', 'tcp'] }).header)).toMatch(
      /different probes.*only A watched .*dns/,
    );
  });
});

describe('diff from capture files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lantern-diff-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('reads both files with the capture reader and diffs them', async () => {
    const pa = join(dir, 'a.lantern');
    const pb = join(dir, 'b.lantern');
    await generateCapture({ events: 5000, seed: 9 }, pa);
    await generateCapture({ events: 5000, seed: 9, layoutSeed: 11, variant: 'extra-egress' }, pb);
    const [A, B] = [await loadCapture(pa), await loadCapture(pb)];
    expect(incomparableReason(A.header, B.header)).toBeUndefined();
    const d = diffGraphs(A.builder.graph, B.builder.graph);
    expect(d.added.edges.map((e) => e.key)).toEqual([
      'connected:proc:ctr:shop/api-*/api|/usr/local/bin/node->ep:198.51.100.77:443',
    ]);
    expect(d.removed.edges).toEqual([]);
  });
});
