/**
 * Where things are, the same way for every front door: the app root (the folder with Lantern's
 * package.json), the built renderer and main bundles, the assets folder, the user-data folder,
 * and the Electron binary (if it was ever downloaded).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Walks up from `fromDir` to the folder whose package.json is Lantern's. */
export function findAppRoot(fromDir: string): string {
  let dir = path.resolve(fromDir);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lantern') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Could not find Lantern's package.json above ${fromDir}`);
    dir = parent;
  }
}

export function appPaths(root: string) {
  return {
    root,
    assetsDir: path.join(root, 'assets'),
    rendererDist: path.join(root, 'dist', 'renderer'),
    rendererIndex: path.join(root, 'dist', 'renderer', 'index.html'),
    mainDist: path.join(root, 'dist', 'main', 'app'),
    mainBundle: path.join(root, 'dist', 'main', 'app', 'main.cjs'),
    preloadBundle: path.join(root, 'dist', 'main', 'app', 'preload.cjs'),
    engineWorkerBundle: path.join(root, 'dist', 'main', 'app', 'engine-worker.cjs'),
  };
}

export const USER_DATA_ENV = 'LANTERN_USER_DATA_DIR';

/**
 * The user-data folder: `--user-data-dir` flag, else $LANTERN_USER_DATA_DIR, else the platform's
 * per-user config folder + "Lantern" (the same folder Electron uses for an app named Lantern, so
 * both front doors share settings).
 */
export function resolveUserDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return path.resolve(flag);
  if (env[USER_DATA_ENV]) return path.resolve(env[USER_DATA_ENV]);
  return defaultUserDataDir(env);
}

export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Lantern');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Lantern');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Lantern');
}

export type ElectronBinary = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Finds the Electron binary WITHOUT `require('electron')`: that module starts a download when the
 * binary is missing, and starting a network download is not something a check should do.
 */
export function findElectronBinary(root: string, env: NodeJS.ProcessEnv = process.env): ElectronBinary {
  const pkgDir = path.join(root, 'node_modules', 'electron');
  if (!existsSync(path.join(pkgDir, 'package.json'))) {
    return { ok: false, reason: 'the electron package is not installed (node_modules/electron is missing)' };
  }
  const pathFile = path.join(pkgDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron');
    return existsSync(p) ? { ok: true, path: p } : { ok: false, reason: `ELECTRON_OVERRIDE_DIST_PATH has no ${p}` };
  }
  if (!relative) {
    return {
      ok: false,
      reason:
        'the Electron binary was never downloaded (installs run with scripts off; `npm run electron:fetch` downloads it)',
    };
  }
  const binary = path.join(pkgDir, 'dist', relative);
  if (!existsSync(binary)) {
    return { ok: false, reason: `the Electron binary is missing at ${binary} (run \`npm run electron:fetch\`)` };
  }
  return { ok: true, path: binary };
}
