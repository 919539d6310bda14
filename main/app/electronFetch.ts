/**
 * `npm run electron:fetch`: downloads the Electron binary on purpose (installs run with scripts
 * off, so it is never fetched implicitly). When the download host cannot be reached, says so in
 * plain words: browser mode needs no Electron binary.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findAppRoot, findElectronBinary } from './paths';

const root = findAppRoot(path.dirname(fileURLToPath(import.meta.url)));
const before = findElectronBinary(root);
if (before.ok) {
  console.log(`The Electron binary is already here: ${before.path}`);
  process.exit(0);
}

const install = path.join(root, 'node_modules', 'electron', 'install.js');
console.log('Downloading the Electron binary (node node_modules/electron/install.js)…');
let output = '';
const child = spawn(process.execPath, [install], { cwd: path.dirname(install), stdio: ['ignore', 'pipe', 'pipe'] });
child.stdout.on('data', (d: Buffer) => {
  output += d.toString();
  process.stdout.write(d);
});
child.stderr.on('data', (d: Buffer) => {
  output += d.toString();
  process.stderr.write(d);
});
// a download stuck behind a firewall that drops packets would otherwise hang forever
const timer = setTimeout(() => child.kill('SIGTERM'), 10 * 60_000);
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  const after = findElectronBinary(root);
  if (code === 0 && after.ok) {
    console.log(`Electron is ready: ${after.path}. \`npm start\` now opens the desktop window.`);
    process.exit(0);
  }
  const host =
    process.env.ELECTRON_MIRROR ?? process.env.npm_config_electron_mirror ?? 'github.com (Electron releases)';
  const network =
    /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|getaddrinfo|socket hang up|proxy/i.test(
      output,
    );
  console.error('');
  console.error(
    network || signal
      ? `Could not download the Electron binary: the download host ${host} is unreachable from this machine.`
      : `Could not download the Electron binary (the installer exited with ${code ?? signal}).`,
  );
  console.error(
    'Lantern still works without it: `npm start` serves the same app in your browser (browser mode). ' +
      'Where the network allows, run `npm run electron:fetch` again (or set ELECTRON_MIRROR to a reachable mirror).',
  );
  process.exit(1);
});
