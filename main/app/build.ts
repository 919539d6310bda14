/**
 * Builds what the app runs: the renderer (vite → dist/renderer) and the Electron main + preload
 * bundles (esbuild → dist/main/app/{main,preload}.cjs). `npm run build` builds both;
 * `npm start` and the e2e global setup call `ensureBuilt`, which rebuilds only what is stale.
 *
 * Usage: tsx main/app/build.ts [--renderer] [--electron]   (no flag: both)
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appPaths, findAppRoot } from './paths';

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.tsbuild', 'test-results']);

/** Newest modification time (ms) of the files under the given paths. */
export function newestMtime(paths: string[]): number {
  let newest = 0;
  const walk = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(p)) if (!SKIP_DIRS.has(entry)) walk(path.join(p, entry));
    } else if (st.mtimeMs > newest) {
      newest = st.mtimeMs;
    }
  };
  paths.forEach(walk);
  return newest;
}

function mtimeOf(file: string): number {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

export async function buildRenderer(root: string): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'vite.config.ts'), root: path.join(root, 'renderer'), logLevel: 'warn' });
}

export async function buildElectron(root: string): Promise<void> {
  const esbuild = await import('esbuild');
  const paths = appPaths(root);
  const common = {
    bundle: true,
    platform: 'node' as const,
    format: 'cjs' as const,
    target: 'node22',
    sourcemap: true,
    logLevel: 'warning' as const,
    // electron is provided by the runtime; ws' optional native speed-ups are optional
    external: ['electron', 'bufferutil', 'utf-8-validate'],
  };
  await esbuild.build({
    ...common,
    entryPoints: [path.join(root, 'main/app/main.ts')],
    outfile: paths.mainBundle,
    // modules written as ESM may use import.meta.url; in the CJS bundle it becomes the bundle's own URL
    define: { 'import.meta.url': '__lanternImportMetaUrl' },
    banner: { js: 'const __lanternImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
  // the session engine runs in a worker thread; bundled, it needs its own file (main.ts points
  // LANTERN_ENGINE_WORKER at it)
  const workerEntry = path.join(root, 'main/session/worker.ts');
  if (existsSync(workerEntry)) {
    await esbuild.build({
      ...common,
      entryPoints: [workerEntry],
      outfile: paths.engineWorkerBundle,
      define: { 'import.meta.url': '__lanternImportMetaUrl' },
      banner: { js: 'const __lanternImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    });
  }
  await esbuild.build({
    ...common,
    // the sandboxed preload may only require('electron'): everything else is bundled in
    platform: 'browser',
    entryPoints: [path.join(root, 'main/app/preload/preload.ts')],
    outfile: paths.preloadBundle,
  });
}

export async function ensureBuilt(root: string, opts: { electron: boolean; force?: boolean }): Promise<string[]> {
  const paths = appPaths(root);
  const built: string[] = [];
  const rendererInputs = newestMtime([
    path.join(root, 'renderer'),
    path.join(root, 'main/common'),
    path.join(root, 'vite.config.ts'),
  ]);
  if (opts.force || mtimeOf(paths.rendererIndex) < rendererInputs) {
    await buildRenderer(root);
    built.push('renderer');
  }
  if (opts.electron) {
    const mainInputs = newestMtime([path.join(root, 'main'), path.join(root, 'package-lock.json')]);
    if (opts.force || Math.min(mtimeOf(paths.mainBundle), mtimeOf(paths.preloadBundle)) < mainInputs) {
      await buildElectron(root);
      built.push('electron main + preload');
    }
  }
  return built;
}

const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const root = findAppRoot(path.dirname(fileURLToPath(import.meta.url)));
  const flags = new Set(process.argv.slice(2));
  const both = !flags.has('--renderer') && !flags.has('--electron');
  const started = Date.now();
  (async () => {
    if (both || flags.has('--renderer')) await buildRenderer(root);
    if (both || flags.has('--electron')) await buildElectron(root);
    console.log(`Lantern: build finished in ${((Date.now() - started) / 1000).toFixed(1)} s (dist/).`);
  })().catch((err: unknown) => {
    console.error(`Lantern: build failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
