/**
 * A live hunt against the lab cluster, through the workbench: pick the lab's context, see its
 * nodes, run the preflight, capture for 30 s while the graph grows, stop, and read the cleanup
 * ledger ("… created, … deleted, nothing left"). Needs root (the lab and bpftrace do): skipped
 * with the reason otherwise.
 */
import { test, expect } from '@playwright/test';
import { openApp, startLantern, type LanternServer } from '../fixtures';
import { labUnavailableReason, startLab, type Lab } from '../lab/index';
import { nodeCount, shot } from './helpers';

const why = labUnavailableReason();
test.skip(
  !!why,
  `the lab cannot run here: ${why}. The same screens are covered against the demo capture in hunt.spec.ts; the capture engine in main/capture/*.test.ts.`,
);

let lab: Lab | undefined;
let server: LanternServer | undefined;
test.beforeAll(async () => {
  test.setTimeout(240_000);
  lab = await startLab({ nodes: 2 });
  await lab.waitReady(120_000);
  server = await startLantern({ env: { KUBECONFIG: lab.kubeconfigPath } });
});
test.afterAll(async () => {
  await server?.stop();
  await lab?.stop();
});

test('connect, preflight, capture 30 s, stop, see the ledger', async ({ page }) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1600, height: 940 });
  await openApp(page, server!);
  const ctx = lab!.contexts.admin;
  await page
    .getByRole('button', { name: new RegExp(ctx) })
    .first()
    .click();

  // Targets and preflight.
  const sheet = page.getByTestId('cluster-sheet');
  await expect(sheet).toBeVisible({ timeout: 60_000 });
  for (const n of lab!.nodes) await expect(page.getByTestId('node-checks')).toContainText(n);
  await page.getByTestId('duration').fill('30');
  await page.getByTestId('run-preflight').click();
  await expect(page.getByTestId('preflight-table')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('preflight')).toContainText('everything needed is allowed');
  await shot(page, '30-preflight');

  // Capture: per-node state and counters; the graph grows behind the sheet.
  await page.getByTestId('start-capture').click();
  await expect(page.getByTestId('node-progress')).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('node-progress')).toContainText(/streaming|degraded/, { timeout: 90_000 });
  // A streaming node says which probes its agent attached.
  await expect(page.getByTestId('node-probes').first()).toContainText(/exec/);
  await expect(page.getByTestId('capture-view')).toContainText(/\d+ s of 30 s/);
  await page.waitForTimeout(12_000);
  await shot(page, '31-capturing');
  await page.getByRole('button', { name: 'Close' }).first().click();
  await expect.poll(() => nodeCount(page), { timeout: 60_000 }).toBeGreaterThan(5);
  await page.waitForTimeout(4000);
  await shot(page, '32-live-graph');

  // Stop and read the ledger.
  await page.getByTestId('cluster-button').click();
  await expect(sheet).toBeVisible();
  const stop = page.getByTestId('stop-capture');
  if (await stop.isVisible()) await stop.click();
  const ledger = page.getByTestId('ledger');
  await expect(ledger).toBeVisible({ timeout: 120_000 });
  await expect(ledger).toContainText(/created/);
  await expect(ledger).toContainText(/nothing left/);
  // Stopped before its 30 s: finished all the same, with the time it took and a full bar.
  const view = page.getByTestId('capture-view');
  await expect(view).toContainText(/took \d+ s · written to /);
  expect(await view.locator('.progress > div').evaluate((el) => (el as HTMLElement).style.width)).toBe('100%');
  await shot(page, '33-ledger');
  // The capture's end reaches its live session: the overview says the capture is complete.
  await page.getByRole('button', { name: 'Close' }).first().click();
  await expect(page.locator('dt:text-is("Complete") + dd')).toHaveText('yes', { timeout: 20_000 });
});
