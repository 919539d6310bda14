import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Graph from 'graphology';
import { parse as parseGexf } from 'graphology-gexf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCapture } from '../../graph/generate';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../lantern.mjs');

async function lantern(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe('lantern export / lantern diff', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lantern-cli-'));
    await generateCapture({ events: 3000, seed: 12 }, join(dir, 'a.lantern'));
    await generateCapture({ events: 3000, seed: 12, layoutSeed: 3, variant: 'extra-egress' }, join(dir, 'b.lantern'));
    await generateCapture({ events: 300, seed: 12, probes: ['exec'] }, join(dir, 'c.lantern'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exports GEXF that graphology-gexf reads', async () => {
    const out = join(dir, 'a.gexf');
    const r = await lantern('export', join(dir, 'a.lantern'), '--to', 'gexf', '--out', out, '--no-detect');
    expect(r.code, r.stderr).toBe(0);
    const g = parseGexf(Graph, await readFile(out, 'utf8'));
    expect(g.order).toBeGreaterThan(50);
  }, 180_000);

  it('diff --json lists the known new edge; incomparable captures exit 6 with the reason', async () => {
    const r = await lantern('diff', join(dir, 'a.lantern'), join(dir, 'b.lantern'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as {
      comparable: boolean;
      added: { edges: { key: string }[] };
      removed: { edges: unknown[] };
    };
    expect(d.added.edges.map((e) => e.key)).toEqual([
      'connected:proc:ctr:shop/api-*/api|/usr/local/bin/node->ep:198.51.100.77:443',
    ]);
    expect(d.removed.edges).toEqual([]);
    const no = await lantern('diff', join(dir, 'a.lantern'), join(dir, 'c.lantern'));
    expect(no.code).toBe(6);
    expect(no.stderr).toMatch(/different probes/);
  }, 180_000);
});
