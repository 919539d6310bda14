/**
 * A whole hunt on the demo capture, in browser mode (Debian Chromium, software WebGL):
 * open it, see the graph, click the top finding and see its evidence focused, mark it benign,
 * reload and see the triage kept, scrub the timeline, export GEXF and PNG and check the files.
 */
import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { openApp, startLantern, type LanternServer } from '../fixtures';
import { demoCapture, demoEnv, nodeCount, openDemo, shot } from './helpers';

let server: LanternServer;
test.beforeAll(async () => {
  server = await startLantern({ env: demoEnv(await demoCapture()) });
});
test.afterAll(async () => {
  await server?.stop();
});

test('a whole hunt on the demo capture', async ({ page }) => {
  test.setTimeout(420_000);
  await page.setViewportSize({ width: 1600, height: 940 });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await openApp(page, server);
  await shot(page, '01-start');
  await openDemo(page);
  const total = await nodeCount(page);
  expect(total).toBeGreaterThan(20);
  await expect(page.getByTestId('legend')).toBeVisible();
  // Let ForceAtlas2 spread the graph before the picture.
  await page.waitForTimeout(5000);
  await shot(page, '02-workbench');

  // The top finding: click it, the details open on it and the graph focuses on its evidence.
  const top = page.getByTestId('finding').first();
  await expect(top).toBeVisible({ timeout: 30_000 });
  const title = (await top.locator('.title').textContent())!.trim();
  const id = (await top.getAttribute('data-finding-id'))!;
  await top.click();
  await expect(page.getByTestId('details-title')).toHaveText(title);
  await expect(page.getByTestId('finding-explanation')).not.toBeEmpty();
  await expect(page.getByTestId('focus-banner')).toContainText(/Focused on \d+ nodes/);
  await expect(page.getByTestId('evidence-nodes').locator('li').first()).toBeVisible();
  await page.waitForTimeout(800);
  await shot(page, '03-finding-focused');

  // Mark it benign.
  await page.getByTestId('triage-benign').click();
  await expect(page.getByTestId('details-status')).toHaveText('benign');
  await expect(page.locator(`[data-finding-id="${id}"] [data-testid="finding-status"]`)).toHaveText('benign');

  // Reload: the triage is kept by the main side.
  await page.reload();
  await page.locator('html[data-lantern-connection="open"]').waitFor({ state: 'attached' });
  await openDemo(page);
  await expect(page.locator(`[data-finding-id="${id}"] [data-testid="finding-status"]`)).toHaveText('benign', {
    timeout: 30_000,
  });

  // Node details from a search, with the raw events paged from the engine.
  await page.keyboard.press('/');
  await expect(page.getByTestId('search')).toBeFocused();
  await page.keyboard.type('curl');
  await expect(page.getByTestId('search-results').getByRole('option').first()).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('details-title')).toContainText(/curl/i);
  await expect(page.getByTestId('raw-events').locator('table.events tr').first()).toBeVisible({ timeout: 20_000 });
  await shot(page, '04-node-details');
  await page.keyboard.press('Escape');

  // Scrub the timeline back to 10%: what appeared later is hidden; forward to the end shows it all.
  const track = page.getByTestId('timeline-track');
  const box = (await track.boundingBox())!;
  const before = await page.getByTestId('cursor-time').textContent();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('cursor-time')).not.toHaveText(before ?? '');
  await expect.poll(() => nodeCount(page)).toBeLessThan(total);
  await shot(page, '05-timeline-scrubbed');
  await page.mouse.click(box.x + box.width - 1, box.y + box.height / 2);
  await expect.poll(() => nodeCount(page)).toBe(total);

  // Collapse to pods and back.
  await page.getByTestId('collapse-pod').click();
  await expect(page.getByTestId('graph-loading')).toHaveCount(0, { timeout: 30_000 });
  await expect.poll(() => nodeCount(page)).not.toBe(total);
  await page.waitForTimeout(2500);
  await shot(page, '06-collapsed-pods');
  await page.getByTestId('collapse-process').click();
  await expect.poll(() => nodeCount(page), { timeout: 30_000 }).toBe(total);

  // Export GEXF (from the engine) and PNG (the current view, from sigma).
  await page.getByTestId('export-button').click();
  const [gexf] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-gexf').click()]);
  expect(gexf.suggestedFilename()).toMatch(/\.gexf$/);
  const gexfText = readFileSync((await gexf.path())!, 'utf8');
  expect(gexfText.startsWith('<?xml')).toBe(true);
  expect(gexfText).toContain('<gexf');
  expect((gexfText.match(/<node /g) ?? []).length).toBeGreaterThan(20);

  await page.getByTestId('export-button').click();
  await shot(page, '07-export-menu');
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
  expect(png.suggestedFilename()).toMatch(/\.png$/);
  const pngBytes = readFileSync((await png.path())!);
  expect([...pngBytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(pngBytes.length).toBeGreaterThan(10_000);

  // Help overlay and the light theme.
  await page.keyboard.press('?');
  await expect(page.getByTestId('help')).toBeVisible();
  await shot(page, '08-help');
  await page.keyboard.press('Escape');
  await page.getByTestId('theme').click();
  await expect(page.getByTestId('workbench')).toHaveAttribute('data-theme', 'light');
  await page.getByTestId('finding').first().click();
  await page.waitForTimeout(800);
  // Overlays take the theme's text colour (a global banner style once made this one pink on white).
  const banner = page.getByTestId('focus-banner');
  await expect(banner).toBeVisible();
  // --text of the light theme, #1b2130.
  expect(await banner.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(27, 33, 48)');
  await shot(page, '09-light-theme');
  await page.getByTestId('theme').click();

  expect(pageErrors).toEqual([]);
});
