/** Triage verdicts and baselines persist across restarts (real files), and damaged files do not crash. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetJsonStores } from './db';
import { openTriage } from './triage';
import { openBaselines } from './baselines';
import type { Baseline } from '../detect/types';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lantern-triage-'));
  forgetJsonStores();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('triage store', () => {
  it('keeps verdicts and allow-list entries across a restart', async () => {
    const t = await openTriage(dir);
    await t.set('LNT-001-abc', 'benign', { note: 'our debug pod', title: 'Interactive shell' });
    await t.set('LNT-018-def', 'confirmed');
    expect(await t.addAllow({ rule: 'LNT-001', namespace: 'dev', workload: 'debug' })).toBe(true);
    expect(await t.addAllow({ rule: 'LNT-001', namespace: 'dev', workload: 'debug' })).toBe(false);
    forgetJsonStores();
    const again = await openTriage(dir);
    expect(again.get('LNT-001-abc')).toBe('benign');
    expect(again.record('LNT-001-abc')!.note).toBe('our debug pod');
    expect(again.get('LNT-018-def')).toBe('confirmed');
    expect(again.get('constructor')).toBeUndefined();
    expect(again.allowList()).toEqual([{ rule: 'LNT-001', namespace: 'dev', workload: 'debug' }]);
    await again.set('LNT-018-def', 'new');
    expect(again.get('LNT-018-def')).toBeUndefined();
    await again.removeAllow(0);
    expect(again.allowList()).toEqual([]);
  });

  it('moves a corrupt triage file aside with a warning and starts empty', async () => {
    writeFileSync(join(dir, 'triage.json'), '{"version":1,"findings":{"x":{"status":"evil"}},"allow":[]}');
    const warnings: string[] = [];
    const t = await openTriage(dir, { warn: (m) => warnings.push(m) });
    expect(t.get('x')).toBeUndefined();
    expect(warnings[0]).toMatch(/could not be used because its content is not what Lantern expects.*moved to/);
    expect(readdirSync(dir).some((f) => f.startsWith('triage.json.corrupt-'))).toBe(true);
  });
});

describe('baseline catalog', () => {
  const b: Baseline = {
    format: 'lantern-baseline',
    version: 1,
    name: 'prod monday/../x',
    created: '2026-11-28T09:00:00.000Z',
    source: 'monday.lantern',
    workloads: {
      'shop/Deployment/web': {
        exes: ['/usr/sbin/nginx'],
        spawns: [],
        connects: ['pod:shop/db:5432'],
        listens: [80],
        files: [],
        privs: [],
        dns: [],
        pods: 3,
        events: 1000,
      },
    },
  };

  it('saves a portable file plus a catalog entry, loads it back after a restart, removes both', async () => {
    const c = await openBaselines(dir);
    const e = await c.save(b);
    // Made safe for a file name, with a hash of the real name so that "a b" and "a_b" differ.
    expect(e.file).toMatch(/[/\\]baselines[/\\]prod_monday_\.\._x-[0-9a-f]{8}\.baseline\.json$/);
    expect(JSON.parse(readFileSync(e.file, 'utf8')).workloads['shop/Deployment/web'].listens).toEqual([80]);
    forgetJsonStores();
    const c2 = await openBaselines(dir);
    expect(c2.list().map((x) => [x.name, x.workloads])).toEqual([['prod monday/../x', 1]]);
    expect(await c2.load('prod monday/../x')).toEqual(b);
    await expect(c2.load('nope')).rejects.toThrow(/no baseline named "nope"/);
    expect(await c2.remove('prod monday/../x')).toBe(true);
    expect(readdirSync(join(dir, 'baselines'))).toEqual([]);
  });

  it('says so in words when the catalogued file was damaged', async () => {
    const c = await openBaselines(dir);
    const e = await c.save(b);
    writeFileSync(e.file, '{"format":"something-else"}');
    await expect(c.load(b.name)).rejects.toThrow(/not a Lantern baseline: format/);
  });
});
