/**
 * Test helper for main/app/browser.test.ts: starts browser mode with a shutdown callback that
 * writes a marker file, so the test can check that SIGTERM/SIGINT really run ctx.onShutdown.
 * Usage: tsx shutdownProbe.ts ROOT STATIC_DIR USER_DATA_DIR MARKER
 */
import { writeFileSync } from 'node:fs';
import { startBrowserMode, stopOnSignals } from '../browser';

const [root, staticDir, userDataDir, marker] = process.argv.slice(2) as [string, string, string, string];
const mode = await startBrowserMode({ root, staticDir, userDataDir });
mode.host.ctx.onShutdown(async () => {
  await new Promise((r) => setTimeout(r, 100));
  writeFileSync(marker, 'cleaned up');
});
stopOnSignals(mode.stop);
console.log(`READY ${mode.server.url}`);
