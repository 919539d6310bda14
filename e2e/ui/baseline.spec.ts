/**
 * Baselines in the workbench, browser mode (issue 7 without the CLI): open the first quarter of
 * the demo capture (a known-good stretch: before the scenarios), learn a baseline from it and
 * download the portable file; open the whole demo and hunt it against that baseline: behaviour
 * never seen in it becomes findings that say so. Then delete it, import the downloaded file back,
 * and see a foreign file refused in words. Then, against the lab (root only), a live capture in
 * learning mode: the first minute learned, a scenario afterwards hunted as new, the learned part
 * saved as a baseline. Screenshots in e2e/.artifacts/ui/5x-*.png.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import { openApp, startLantern, type LanternServer } from '../fixtures';
import { labUnavailableReason, startLab, type Lab } from '../lab/index';
import { CaptureWriter, openCapture } from '../../main/events/capture-file';
import type { LanternEvent } from '../../main/common/events';
import { demoCapture, demoEnv, nodeCount, openDemo, shot } from './helpers';

let server: LanternServer;
let dir: string;
let firstQuarter: string;

/** The first `fraction` of a capture's time span, written as its own capture with the same header. */
async function firstPart(src: string, out: string, fraction: number): Promise<number> {
  const r = await openCapture(src);
  const events: LanternEvent[] = [];
  try {
    for await (const b of r.batches()) events.push(...b);
  } finally {
    await r.close();
  }
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const e of events) {
    t0 = Math.min(t0, e.time);
    t1 = Math.max(t1, e.time);
  }
  const cut = t0 + fraction * (t1 - t0);
  const w = await CaptureWriter.create(out, r.header);
  let n = 0;
  for (const e of events)
    if (e.time <= cut) {
      w.write(e);
      n++;
    }
  await w.close({ status: 'complete' });
  return n;
}

async function waitForGraph(page: Page): Promise<void> {
  await expect(page.getByTestId('workbench')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('graph-loading')).toHaveCount(0, { timeout: 60_000 });
  await expect.poll(async () => nodeCount(page), { timeout: 60_000 }).toBeGreaterThan(0);
}

test.describe('on captures', () => {
  test.beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lantern-baseline-e2e-'));
    const demo = await demoCapture();
    firstQuarter = path.join(dir, 'demo-first-quarter.lantern');
    expect(await firstPart(demo, firstQuarter, 0.25)).toBeGreaterThan(10);
    server = await startLantern({ env: demoEnv(demo) });
  });
  test.afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('learn a baseline from a known-good capture, hunt another against it, manage the catalog', async ({ page }) => {
    test.setTimeout(300_000);
    await page.setViewportSize({ width: 1600, height: 940 });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => {
      pageErrors.push(`unexpected dialog: ${d.message()}`);
      void d.dismiss();
    });

    // 1. The known-good stretch, opened as an upload (browser mode).
    await openApp(page, server);
    await page.getByTestId('capture-file-input').setInputFiles(firstQuarter);
    await waitForGraph(page);
    const control = page.getByTestId('baseline-control');
    await expect(control).toBeVisible();
    await expect(page.getByTestId('baseline-status')).toHaveText(
      'No baseline yet. Learn one from a known-good capture.',
    );
    await page.getByTestId('baseline-menu-button').click();
    await expect(page.getByTestId('baseline-empty')).toBeVisible();
    await shot(page, '50-baseline-menu-empty');

    // 2. Learn it, and download the portable file.
    await page.getByTestId('baseline-learn-open').click();
    const form = page.getByTestId('baseline-learn-form');
    await expect(form).toBeVisible();
    await page.getByTestId('baseline-name').fill('lab before scenarios');
    await form.getByRole('checkbox').check();
    await shot(page, '51-baseline-learn');
    const download = page.waitForEvent('download');
    await page.getByTestId('baseline-learn').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^lab_before_scenarios-[0-9a-f]{8}\.baseline\.json$/);
    const saved = path.join(dir, 'downloaded.baseline.json');
    await file.saveAs(saved);
    const portable = JSON.parse(readFileSync(saved, 'utf8')) as { format: string; name: string; workloads: object };
    expect(portable).toMatchObject({ format: 'lantern-baseline', name: 'lab before scenarios' });
    expect(Object.keys(portable.workloads).length).toBeGreaterThan(1);
    await expect(page.getByTestId('toasts')).toContainText('Baseline "lab before scenarios" learned from');
    await expect(form).toHaveCount(0);

    // 3. The whole demo, hunted against it.
    await page.getByTestId('home').click();
    await openDemo(page);
    await expect(page.getByTestId('baseline-status')).toHaveText('Not hunted against a baseline.');
    const before = await page.getByTestId('finding').count();
    await page.getByTestId('baseline-select').selectOption('lab before scenarios');
    const status = page.getByTestId('baseline-status');
    await expect(status).toContainText(/Hunting against lab before scenarios \(\d+ workloads\): \d+ new behaviours/, {
      timeout: 120_000,
    });
    const novel = page.getByTestId('finding').filter({ hasText: 'never seen in baseline lab before scenarios' });
    await expect(novel.first()).toBeVisible();
    expect(await novel.count()).toBeGreaterThan(3);
    expect(await page.getByTestId('finding').count()).toBeGreaterThan(before);
    // The curl the lab's scenarios run is among the new behaviours.
    await expect(
      page
        .getByTestId('finding')
        .filter({ hasText: /ran \/usr\/bin\/curl: never seen in baseline/ })
        .first(),
    ).toBeVisible();
    await page.getByTestId('findings-list').evaluate((el) => (el.scrollTop = 0));
    await page.waitForTimeout(3000);
    await shot(page, '52-hunted-against-baseline');

    // Its explanation says what was unusual and which baseline.
    await novel.first().click();
    await expect(page.getByTestId('finding-explanation')).toContainText(
      'never seen in baseline "lab before scenarios"',
    );
    await page.waitForTimeout(800);
    await shot(page, '53-baseline-finding');

    // 4. The catalog: delete it (the session keeps hunting against its loaded copy), import it back.
    await page.getByTestId('baseline-menu-button').click();
    await expect(page.getByTestId('baseline-item')).toHaveCount(1);
    await expect(page.getByTestId('baseline-item')).toContainText(
      /lab before scenarios\d+ workloads · .* · from demo-first-quarter\.lantern/,
    );
    await page.getByTestId('baseline-delete').click();
    await shot(page, '54-baseline-delete-confirm');
    await page.getByTestId('baseline-delete-confirm').click();
    await expect(page.getByTestId('toasts')).toContainText(
      'Deleted baseline "lab before scenarios". This session still hunts',
    );
    await expect(page.getByTestId('baseline-select')).toHaveValue('lab before scenarios');
    await expect(page.getByTestId('baseline-select').locator('option:checked')).toHaveText(
      'lab before scenarios (not in the catalog)',
    );

    await page.getByTestId('baseline-file').setInputFiles(saved);
    await expect(page.getByTestId('toasts')).toContainText('Imported baseline "lab before scenarios"');
    await expect(page.getByTestId('baseline-select').locator('option:checked')).toHaveText('lab before scenarios');

    // 5. A file that is not a baseline: refused in words, nothing added.
    const foreign = path.join(dir, 'rules.json');
    writeFileSync(
      foreign,
      JSON.stringify({ format: 'lantern-rules', version: 1, name: '<img src=x onerror=alert(1)>' }),
    );
    await page.getByTestId('baseline-file').setInputFiles(foreign);
    await expect(page.getByTestId('baseline-error')).toHaveText(/rules\.json: not a Lantern baseline: format/);
    await page.waitForTimeout(300);
    await shot(page, '55-baseline-import-refused');

    // A baseline whose name and workloads carry markup: shown literally, nothing runs (the
    // dialog and pageerror listeners above would catch it).
    const evilName = '<img src=x onerror=alert(1)>';
    const evil = path.join(dir, 'evil.baseline.json');
    const profile = {
      exes: ['<script>alert(2)</script>'],
      spawns: [],
      connects: [],
      listens: [],
      files: [],
      privs: [],
      dns: [],
      pods: 1,
      events: 1,
    };
    writeFileSync(
      evil,
      JSON.stringify({
        format: 'lantern-baseline',
        version: 1,
        name: evilName,
        created: new Date().toISOString(),
        source: '"><svg onload=alert(3)>',
        workloads: { 'shop/Deployment/<b>web</b>': profile },
      }),
    );
    await page.getByTestId('baseline-file').setInputFiles(evil);
    await expect(page.getByTestId('toasts')).toContainText(`Imported baseline "${evilName}" (1 workload)`);
    await page.getByTestId('baseline-menu-button').click();
    const evilItem = page.getByTestId('baseline-item').filter({ hasText: evilName });
    await expect(evilItem).toContainText('from "><svg onload=alert(3)>');
    expect(await page.locator('.bl-menu img, .bl-menu svg, .bl-menu script').count()).toBe(0);
    await shot(page, '55b-baseline-markup-literal');
    await evilItem.getByTestId('baseline-delete').click();
    await evilItem.getByTestId('baseline-delete-confirm').click();
    await expect(page.getByTestId('baseline-item').filter({ hasText: evilName })).toHaveCount(0);
    await page.getByTestId('baseline-menu-button').click();

    // 6. Back to no baseline: the baseline findings go.
    await page.getByTestId('baseline-select').selectOption('');
    await expect(status).toHaveText('Not hunted against a baseline.', { timeout: 120_000 });
    await expect(page.getByTestId('finding').filter({ hasText: 'never seen in baseline' })).toHaveCount(0);
    expect(pageErrors).toEqual([]);
  });
});

test.describe('on a live capture (lab)', () => {
  const why = labUnavailableReason();
  test.skip(
    !!why,
    `the lab cannot run here: ${why}. Learning mode is covered in main/session/learning.test.ts, baselines on files above.`,
  );
  let lab: Lab | undefined;
  let live: LanternServer | undefined;
  test.beforeAll(async () => {
    test.setTimeout(240_000);
    lab = await startLab({ nodes: 2 });
    await lab.waitReady(120_000);
    live = await startLantern({ env: { KUBECONFIG: lab.kubeconfigPath } });
  });
  test.afterAll(async () => {
    await live?.stop();
    await lab?.stop();
  });

  test('learning mode: the first minute is learned, later novelty is hunted, the profile is saved', async ({
    page,
  }) => {
    test.setTimeout(420_000);
    await page.setViewportSize({ width: 1600, height: 940 });
    await openApp(page, live!);
    await page
      .getByRole('button', { name: new RegExp(lab!.contexts.admin) })
      .first()
      .click();
    const sheet = page.getByTestId('cluster-sheet');
    await expect(sheet).toBeVisible({ timeout: 60_000 });
    await page.getByTestId('duration').fill('100');
    await page.getByTestId('learn-enabled').check();
    await page.getByTestId('learn-minutes').fill('1');
    await expect(page.getByTestId('capture-baseline')).toHaveValue('');
    await page.getByTestId('run-preflight').click();
    await expect(page.getByTestId('preflight')).toContainText('everything needed is allowed', { timeout: 60_000 });
    await shot(page, '56-capture-learning-mode');
    await page.getByTestId('start-capture').click();
    await expect(page.getByTestId('node-progress')).toContainText(/streaming|running/, { timeout: 90_000 });
    await page.getByRole('button', { name: 'Close' }).first().click();

    const status = page.getByTestId('baseline-status');
    await expect(status).toContainText(/Learning mode: what happens until [\d:.]+ is learned as normal/, {
      timeout: 30_000,
    });
    // After the learned minute: a shell in the web pod is behaviour never seen while learning.
    await expect(status).toContainText('Learned the first 1 min as normal', { timeout: 120_000 });
    await lab!.runScenario('interactive-shell');
    const novel = page
      .getByTestId('finding')
      .filter({ hasText: 'never seen in baseline learned during the first minutes of this capture' });
    await expect(novel.first()).toBeVisible({ timeout: 90_000 });
    await page.waitForTimeout(2000);
    await shot(page, '57-live-learned-then-hunted');

    // Save what was learned as a baseline.
    await page.getByTestId('baseline-menu-button').click();
    await page.getByTestId('baseline-learn-open').click();
    await expect(page.getByTestId('baseline-learn-form')).toContainText('the first 1 min of this live capture');
    await page.getByTestId('baseline-name').fill('lab first minute');
    await page.getByTestId('baseline-learn').click();
    await expect(page.getByTestId('toasts')).toContainText('Baseline "lab first minute" learned from');
    await page.getByTestId('baseline-menu-button').click();
    await expect(page.getByTestId('baseline-item')).toContainText('lab first minute');
    await page.getByTestId('baseline-menu-button').click();

    await page.getByTestId('cluster-button').click();
    const stop = page.getByTestId('stop-capture');
    if (await stop.isVisible()) await stop.click();
    await expect(page.getByTestId('ledger')).toContainText(/nothing left/, { timeout: 120_000 });
  });
});
