import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetJsonStores, openJsonStore } from './db';
import {
  addRecentCapture,
  addRecentCluster,
  DEFAULT_SETTINGS,
  getSettings,
  listRecents,
  updateSettings,
} from './settings';

let dir: string;
let warnings: string[];
const warn = (m: string) => warnings.push(m);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lantern-settings-'));
  warnings = [];
  forgetJsonStores();
});
afterEach(() => {
  forgetJsonStores();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh process's view: forget the memoised instance and read the file again. */
function reopen() {
  forgetJsonStores();
}

describe('settings', () => {
  it('uses defaults when there is no file yet', async () => {
    expect(await getSettings(dir, { warn })).toEqual(DEFAULT_SETTINGS);
    expect(warnings).toEqual([]);
  });

  it('persists updates to settings.json on disk, even with NODE_ENV=test', async () => {
    // lowdb's presets would silently switch to memory here; ours must not
    expect(process.env.NODE_ENV).toBe('test');
    const saved = await updateSettings(dir, { theme: 'light', lastContext: 'prod' }, { warn });
    expect(saved).toEqual({ theme: 'light', kubeconfigPath: null, lastContext: 'prod' });
    const onDisk = JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8'));
    expect(onDisk).toEqual(saved);
    reopen();
    expect(await getSettings(dir, { warn })).toEqual(saved);
    // undefined fields in a patch leave values alone; null clears
    expect(await updateSettings(dir, { theme: undefined, lastContext: null })).toEqual({
      theme: 'light',
      kubeconfigPath: null,
      lastContext: null,
    });
  });

  it('returns copies: callers cannot mutate the store behind its back', async () => {
    const s = await getSettings(dir);
    s.theme = 'light';
    expect((await getSettings(dir)).theme).toBe('dark');
  });

  it('moves a corrupt file aside, says so in words, uses defaults, and keeps working', async () => {
    const file = path.join(dir, 'settings.json');
    writeFileSync(file, '{"theme": "light", oops');
    expect(await getSettings(dir, { warn })).toEqual(DEFAULT_SETTINGS);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not be used because it is not valid JSON/);
    expect(warnings[0]).toMatch(/moved to .*settings\.json\.corrupt-/);
    const aside = readdirSync(dir).filter((f) => f.startsWith('settings.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(dir, aside[0]!), 'utf8')).toBe('{"theme": "light", oops');
    expect(existsSync(file)).toBe(false);
    await updateSettings(dir, { theme: 'light' });
    reopen();
    expect((await getSettings(dir)).theme).toBe('light');
  });

  it('treats JSON of the wrong shape as corrupt, and repairs wrong field types', async () => {
    const file = path.join(dir, 'settings.json');
    writeFileSync(file, '[1,2,3]');
    expect(await getSettings(dir, { warn })).toEqual(DEFAULT_SETTINGS);
    expect(warnings[0]).toMatch(/content is not what Lantern expects/);
    reopen();
    writeFileSync(file, JSON.stringify({ theme: 'neon', kubeconfigPath: 42, lastContext: 'ctx', extra: 'dropped' }));
    expect(await getSettings(dir, { warn })).toEqual({ theme: 'dark', kubeconfigPath: null, lastContext: 'ctx' });
  });

  it('drops __proto__ keys from the file', async () => {
    writeFileSync(path.join(dir, 'settings.json'), '{"theme":"light","__proto__":{"polluted":true}}');
    const s = await getSettings(dir, { warn });
    expect(s.theme).toBe('light');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(s)).toBe(Object.prototype);
  });

  it('an empty file counts as corrupt, not as a crash', async () => {
    writeFileSync(path.join(dir, 'settings.json'), '');
    expect(await getSettings(dir, { warn })).toEqual(DEFAULT_SETTINGS);
  });

  it('writes atomically: concurrent updates leave a valid file with the last value', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => updateSettings(dir, { lastContext: `ctx-${i}` }, { warn })));
    const onDisk = JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8')) as { lastContext: string };
    expect(onDisk.lastContext).toBe('ctx-29');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('recents', () => {
  it('keeps the latest first, without duplicates', async () => {
    await addRecentCapture(dir, { path: '/a.lantern', name: 'a' });
    await addRecentCapture(dir, { path: '/b.lantern', name: 'b', events: 3 });
    await addRecentCapture(dir, { path: '/a.lantern', name: 'a' });
    await addRecentCluster(dir, { context: 'kind', server: 'https://127.0.0.1:6443' });
    reopen();
    const r = await listRecents(dir);
    expect(r.captures.map((c) => c.path)).toEqual(['/a.lantern', '/b.lantern']);
    expect(r.captures[1]).toMatchObject({ events: 3 });
    expect(r.clusters).toEqual([expect.objectContaining({ context: 'kind', server: 'https://127.0.0.1:6443' })]);
  });
});

describe('openJsonStore', () => {
  it('refuses store names that could escape the folder', () => {
    expect(() => openJsonStore({ dir, name: '../x', defaults: {} })).toThrow(/Invalid store name/);
  });

  it('returns the same instance for the same file', async () => {
    const a = await openJsonStore({ dir, name: 'triage', defaults: { notes: {} } });
    const b = await openJsonStore({ dir, name: 'triage', defaults: { notes: {} } });
    expect(a).toBe(b);
    expect(a.file).toBe(path.join(dir, 'triage.json'));
  });

  it('creates the folder when missing', async () => {
    const nested = path.join(dir, 'a', 'b');
    const db = await openJsonStore({ dir: nested, name: 'x', defaults: { n: 1 } });
    await db.write();
    expect(JSON.parse(readFileSync(path.join(nested, 'x.json'), 'utf8'))).toEqual({ n: 1 });
  });
});
