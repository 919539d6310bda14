/**
 * `npm start`'s entry (main/app/start.ts) on a machine without the Electron binary, or with
 * --browser: it serves browser mode, prints the URL with the token, says why it is not a window,
 * and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { ROOT } from '../fixtures';

test('npm start -- --browser prints the URL with its token and why there is no window, opens the demo when there is no cluster, then stops on SIGTERM', async ({
  page,
}) => {
  // the real entry loads every handler through tsx: slow on a loaded machine
  test.setTimeout(180_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lantern-start-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'main/app/start.ts', '--browser', '--no-build', '--user-data-dir', dataDir],
    // No kubeconfig anywhere: a newcomer without a cluster.
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KUBECONFIG: path.join(dataDir, 'no-such-kubeconfig'), HOME: dataDir },
    },
  );
  let out = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 150 s:\n${out}`)), 150_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /running in browser mode: (http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43})/.exec(out);
        if (m && out.includes('User data: ')) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', () => reject(new Error(`exited early:\n${out}`)));
    });
    expect(out).toContain('Not opening a window because browser mode was asked for (--browser).');
    expect(out).toContain(`User data: ${dataDir}`);
    await page.goto(url);
    // No cluster: the demo capture opens by itself, saying why.
    await expect(page.getByTestId('workbench')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('session-name')).toContainText(/demo/i);
    await expect(page.getByText('No kubeconfig context was found, so Lantern opened its demo capture')).toBeVisible();
    // Back to the start screen: it stays there, also after a reload (once per tab).
    await page.getByTitle('Back to the start screen').click();
    await expect(page.getByTestId('start-screen')).toBeVisible();
    await page.reload();
    await expect(page.getByTestId('start-screen')).toBeVisible();
    await expect(page.getByText('No kubeconfig found')).toBeVisible();
    await expect(page.getByTestId('workbench')).toHaveCount(0);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('SIGTERM received, stopping');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
