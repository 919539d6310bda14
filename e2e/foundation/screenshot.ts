/**
 * Takes the README's screenshot of the first screen in browser mode:
 *   npx tsx e2e/foundation/screenshot.ts   → assets/screenshots/first-screen.png
 * Uses a fresh user-data folder and the same browser-mode entry as `npm start -- --browser`.
 */
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ensureBuilt } from '../../main/app/build';
import { openApp, ROOT, startLantern } from '../fixtures';

const out = path.join(ROOT, 'assets/screenshots/first-screen.png');
await ensureBuilt(ROOT, { electron: false });
const server = await startLantern({ env: process.env });
const browser = await chromium.launch({
  executablePath: process.env.LANTERN_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 440 }, deviceScaleFactor: 1 });
  await openApp(page, server);
  await page.getByTestId('start-screen').waitFor();
  // let the kubeconfig contexts and recents arrive
  await page.waitForTimeout(1_500);
  await page.screenshot({ path: out });
  console.log(`Saved ${path.relative(ROOT, out)}`);
} finally {
  await browser.close();
  await server.stop();
}
