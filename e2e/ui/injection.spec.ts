/**
 * Everything from a cluster or a file is text. A capture whose process arguments, executable and
 * file paths, DNS names, pod names and pod labels carry script-injection payloads is opened via
 * the browser-mode upload; nothing executes (no dialog, no console error, no request leaves the
 * app's origin) and the payloads are visible literally in the panels, the search, and the HTML report.
 */
import { readFileSync, rmSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { openApp, startLantern, type LanternServer } from '../fixtures';
import { injectionCapture, nodeCount, PAYLOADS, shot } from './helpers';

let server: LanternServer;
let capture: string;
test.beforeAll(async () => {
  capture = await injectionCapture();
  server = await startLantern();
});
test.afterAll(async () => {
  await server?.stop();
  if (capture) rmSync(capture, { force: true });
});

test('script-injection payloads from a capture stay text', async ({ page, context }) => {
  test.setTimeout(300_000);
  expect(PAYLOADS.length).toBeGreaterThanOrEqual(10);
  await page.setViewportSize({ width: 1600, height: 940 });
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];
  const foreign: string[] = [];
  context.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    // The browser's own favicon probe is not the app's doing.
    if (m.type() === 'error' && !/favicon\.ico/.test(m.location().url))
      consoleErrors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  context.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(server.origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
  });

  await openApp(page, server);
  await page.getByTestId('capture-file-input').setInputFiles(capture);
  await expect(page.getByTestId('workbench')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('graph-loading')).toHaveCount(0, { timeout: 60_000 });
  await expect.poll(() => nodeCount(page), { timeout: 30_000 }).toBeGreaterThan(10);

  // Search finds payload-named nodes and lists them literally.
  const search = page.getByTestId('search');
  await search.click();
  await search.fill('onerror');
  const results = page.getByTestId('search-results');
  await expect(results.getByRole('option').first()).toBeVisible();
  await expect(results).toContainText('onerror=alert(');
  await shot(page, '20-injection-search');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('details-title')).toContainText('onerror');
  await shot(page, '21-injection-details');

  // A process whose arguments carry payloads: its command lines are shown as text.
  await search.fill('');
  await search.fill('nginx');
  await page.keyboard.press('Enter');
  const cmd = page.getByTestId('cmdline');
  if ((await cmd.count()) > 0) await expect(cmd.first()).toBeVisible();

  // Findings (titles and pods can carry payloads): open each of the first few.
  const findings = page.getByTestId('finding');
  const n = Math.min(await findings.count(), 5);
  for (let i = 0; i < n; i++) await findings.nth(i).click();

  // Pod names made of payloads are visible literally somewhere in the workbench.
  await page.getByTestId('collapse-pod').click();
  await expect(page.getByTestId('graph-loading')).toHaveCount(0, { timeout: 30_000 });
  await search.fill('<img src=x');
  await expect(results).toContainText('<img src=x onerror=alert(1)>');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('details-title')).toHaveText('<img src=x onerror=alert(1)>');
  await expect(page.getByText('<img src=x onerror=alert(1)>').first()).toBeVisible();
  await shot(page, '22-injection-pod');

  // No payload became markup.
  expect(
    await page.locator('img[src="x"], iframe, svg[onload], details[ontoggle], math, script:not([src])').count(),
  ).toBe(0);

  // The HTML report carries the payloads escaped, and opening it runs nothing either.
  await page.getByTestId('export-button').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-html').click()]);
  const html = readFileSync((await download.path())!, 'utf8');
  expect(html).not.toContain('<img src=x onerror=alert(1)>');
  expect(html).not.toContain('<script>alert(2)</script>');
  expect(html).toMatch(/(&lt;|&#60;|&#x3c;)img src=x onerror=alert\(1\)(&gt;|&#62;|&#x3e;)/i);
  const report = await context.newPage();
  report.on('dialog', (d) => {
    dialogs.push(`report: ${d.message()}`);
    void d.dismiss();
  });
  await report.setContent(html, { waitUntil: 'load' });
  await report.waitForTimeout(500);
  await report.close();

  await page.waitForTimeout(500);
  expect(dialogs).toEqual([]);
  expect(consoleErrors).toEqual([]);
  expect(foreign).toEqual([]);
});
