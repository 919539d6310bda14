/**
 * Opening a big capture is a long operation: the start screen shows how far it has read (events
 * and percent of the file) with a Cancel button; cancelling leaves the analyst on the start screen
 * with nothing opened, and opening it again goes through to the workbench.
 */
import { test, expect } from '@playwright/test';
import { openApp, startLantern, type LanternServer } from '../fixtures';
import { ensureCapture } from '../bench/generate';
import { nodeCount, shot } from './helpers';

let server: LanternServer;
let capture: string;
test.beforeAll(async () => {
  test.setTimeout(180_000);
  capture = await ensureCapture({ events: 300_000, seed: 12 });
  server = await startLantern();
});
test.afterAll(async () => {
  await server?.stop();
});

test('opening a big capture shows its progress and can be cancelled', async ({ page }) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1400, height: 900 });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await openApp(page, server);

  await page.getByTestId('capture-file-input').setInputFiles(capture);
  const detail = page.getByTestId('op-progress-detail');
  // The upload is read by the engine: events so far and the share of the file.
  await expect(detail).toHaveText(/^reading: [\d.]+k events · \d+%$/, { timeout: 60_000 });
  await shot(page, '80-open-progress');
  await page.getByTestId('op-cancel').click();
  await expect(page.getByTestId('start-cancelled')).toHaveText('Cancelled: nothing was opened.', {
    timeout: 30_000,
  });
  await expect(page.getByTestId('workbench')).toHaveCount(0);
  await expect(page.getByTestId('op-progress')).toHaveCount(0);
  await shot(page, '81-open-cancelled');

  // Opened again, to the end this time.
  await page.getByTestId('capture-file-input').setInputFiles(capture);
  await expect(page.getByTestId('workbench')).toBeVisible({ timeout: 120_000 });
  await expect.poll(() => nodeCount(page), { timeout: 60_000 }).toBeGreaterThan(20);
  expect(pageErrors).toEqual([]);
});
