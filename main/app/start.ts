/**
 * `npm start [-- --browser] [--port N] [--user-data-dir DIR]`
 *
 * Builds what is stale, then launches the Electron app when its binary is present; otherwise (or
 * with --browser) starts browser mode, prints the URL with the token, and says why it is not a window.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAppArgs } from './args';
import { ensureBuilt } from './build';
import { runBrowserMode } from './browser';
import { appPaths, findAppRoot, findElectronBinary } from './paths';

async function main() {
  // A newcomer without a cluster lands in the demo capture rather than on an empty screen
  // (`--no-demo` to land on the start screen instead).
  const given = process.argv.slice(2);
  const argv = given.includes('--no-demo')
    ? given.filter((a) => a !== '--no-demo')
    : [...given, '--demo-when-no-cluster'];
  const args = parseAppArgs(argv);
  const root = findAppRoot(path.dirname(fileURLToPath(import.meta.url)));
  const electron = findElectronBinary(root);
  const useElectron = !args.browser && electron.ok;

  if (!args.noBuild) {
    const built = await ensureBuilt(root, { electron: useElectron });
    if (built.length) console.log(`Lantern: built ${built.join(' and ')}.`);
  }

  if (useElectron && electron.ok) {
    const child = spawn(electron.path, [appPaths(root).mainBundle, ...argv], { stdio: 'inherit', cwd: root });
    // Electron handles SIGINT/SIGTERM itself (clean shutdown); just pass them on
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
    child.on('error', (err) => {
      console.error(`Lantern: could not launch Electron (${err.message}). Try \`npm start -- --browser\`.`);
      process.exit(1);
    });
    return;
  }
  const why = args.browser ? 'browser mode was asked for (--browser)' : electron.ok ? undefined : electron.reason;
  await runBrowserMode(argv, why);
}

main().catch((err: unknown) => {
  console.error(`Lantern could not start: ${(err as Error).message}`);
  process.exit(1);
});
