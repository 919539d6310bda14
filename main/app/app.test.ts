import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RENDERER_CSP } from '../api/csp';
import { parseAppArgs } from './args';
import { findAppRoot, findElectronBinary, resolveUserDataDir, USER_DATA_ENV } from './paths';
import { LANTERN_VERSION } from './version';

const root = findAppRoot(import.meta.dirname);
const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('app shell pieces', () => {
  it('version and CSP stay in step with package.json and index.html', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(LANTERN_VERSION).toBe(pkg.version);
    const html = readFileSync(path.join(root, 'renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBe(RENDERER_CSP);
    expect(RENDERER_CSP).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('parses flags', () => {
    expect(parseAppArgs(['--browser', '--port', '8080', '--user-data-dir=/tmp/x', '--enable-logging'])).toEqual({
      browser: true,
      port: 8080,
      userDataDir: '/tmp/x',
      noBuild: false,
      demoWhenNoCluster: false,
    });
    expect(parseAppArgs(['--demo-when-no-cluster']).demoWhenNoCluster).toBe(true);
    expect(() => parseAppArgs(['--port', 'abc'])).toThrow(/--port must be a number/);
  });

  it('user-data folder: flag, then env, then the per-user default', () => {
    expect(resolveUserDataDir('/flag', { [USER_DATA_ENV]: '/env' })).toBe('/flag');
    expect(resolveUserDataDir(undefined, { [USER_DATA_ENV]: '/env' })).toBe('/env');
    expect(resolveUserDataDir(undefined, { XDG_CONFIG_HOME: '/xdg' })).toBe(
      process.platform === 'linux' ? '/xdg/Lantern' : resolveUserDataDir(undefined, { XDG_CONFIG_HOME: '/xdg' }),
    );
  });

  it('finds the Electron binary without triggering a download', () => {
    const fake = mkdtempSync(path.join(os.tmpdir(), 'lantern-electron-'));
    tmp.push(fake);
    const pkgDir = path.join(fake, 'node_modules', 'electron');
    expect(findElectronBinary(fake, {})).toMatchObject({ ok: false, reason: expect.stringMatching(/not installed/) });
    mkdirSync(path.join(pkgDir, 'dist'), { recursive: true });
    writeFileSync(path.join(pkgDir, 'package.json'), '{}');
    expect(findElectronBinary(fake, {})).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/never downloaded/),
    });
    writeFileSync(path.join(pkgDir, 'path.txt'), 'electron');
    expect(findElectronBinary(fake, {})).toMatchObject({ ok: false, reason: expect.stringMatching(/missing at/) });
    writeFileSync(path.join(pkgDir, 'dist', 'electron'), '');
    expect(findElectronBinary(fake, {})).toEqual({ ok: true, path: path.join(pkgDir, 'dist', 'electron') });
  });
});
