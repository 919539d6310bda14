/**
 * Diff view: a baseline capture and the same cluster with an attack in it, compared from the
 * workbench. New behaviour in green, gone in red, with the summary counts.
 */
import { test, expect } from '@playwright/test';
import { openApp, startLantern, type LanternServer } from '../fixtures';
import { ensureCapture } from '../bench/generate';
import { demoCapture, demoEnv, nodeCount, openDemo, shot } from './helpers';

let server: LanternServer;
test.beforeAll(async () => {
  server = await startLantern({ env: demoEnv(await demoCapture()) });
});
test.afterAll(async () => {
  await server?.stop();
});

test('compare a baseline with an attacked capture', async ({ page }) => {
  test.setTimeout(300_000);
  const a = await ensureCapture({ events: 6000, seed: 4 });
  const b = await ensureCapture({ events: 6000, seed: 4, attack: true });
  await page.setViewportSize({ width: 1600, height: 940 });
  await openApp(page, server);
  await openDemo(page);
  await page.getByTestId('diff-button').click();
  await page.getByTestId('diff-a').fill(a);
  await page.getByTestId('diff-b').fill(b);
  await page.getByTestId('diff-go').click();
  const summary = page.getByTestId('diff-summary');
  await expect(summary).toBeVisible({ timeout: 120_000 });
  await expect(summary).toContainText(/\+\d+ nodes/);
  await expect(page.getByTestId('graph-loading')).toHaveCount(0, { timeout: 60_000 });
  await expect.poll(() => nodeCount(page), { timeout: 30_000 }).toBeGreaterThan(0);
  // A diff has no time axis: the timeline says so instead of drawing an axis of zeros.
  await expect(page.getByTestId('timeline-empty')).toContainText('a diff compares whole captures');
  // …and the findings panel does not claim the diff was hunted and found clean.
  await expect(page.getByTestId('findings-empty')).toContainText('A diff compares two graphs');
  await page.waitForTimeout(4000);
  await shot(page, '40-diff');
});
