/**
 * Shared Playwright fixtures for browser-mode specs (stable API; other specs build on it):
 *
 *   import { test, expect } from '../fixtures';
 *   test('…', async ({ appPage, lantern }) => { … });
 *
 * - `lantern` (worker-scoped): a real browser-mode Lantern (`main/app/browser.ts`, the same code
 *   `npm start -- --browser` runs) on a random 127.0.0.1 port with a fresh temporary user-data
 *   folder. Fields: url (with #token=), origin, port, token, userDataDir, output(), stop().
 * - `appPage` (test-scoped): `page` already at `lantern.url`, the app rendered and its API
 *   connection open.
 * - `startLantern(opts)`: start your own instance (fresh state per test, custom env); always
 *   `await server.stop()` in a finally/afterEach.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Page } from '@playwright/test';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface LanternServer {
  /** http://127.0.0.1:PORT/#token=TOKEN */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  token: string;
  userDataDir: string;
  /** Everything the process printed so far (stdout + stderr). */
  output(): string;
  /** SIGTERM (clean shutdown), SIGKILL after 10 s; removes the temporary user-data folder it created. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Default: a fresh folder under os.tmpdir(), removed by stop(). */
  userDataDir?: string;
  env?: NodeJS.ProcessEnv;
  extraArgs?: string[];
  timeoutMs?: number;
}

const URL_LINE = /(http:\/\/127\.0\.0\.1:(\d+))\/#token=([A-Za-z0-9_-]+)/;

export async function startLantern(opts: StartOptions = {}): Promise<LanternServer> {
  const ownDir = !opts.userDataDir;
  const userDataDir = opts.userDataDir ?? mkdtempSync(path.join(os.tmpdir(), 'lantern-e2e-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'main/app/browser.ts'),
      '--port',
      '0',
      '--user-data-dir',
      userDataDir,
      ...(opts.extraArgs ?? []),
    ],
    { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (ownDir) rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Lantern did not print its URL within ${opts.timeoutMs ?? 150_000} ms:\n${output}`)),
        opts.timeoutMs ?? 150_000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = URL_LINE.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Lantern exited (${code ?? signal}) before it was ready:\n${output}`));
      });
    });
    return {
      url: match[0],
      origin: match[1],
      port: Number(match[2]),
      token: match[3],
      userDataDir,
      output: () => output,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Opens the app in `page` and waits until it rendered and its API connection is open. */
export async function openApp(page: Page, server: LanternServer): Promise<void> {
  await page.goto(server.url);
  await page.locator('html[data-lantern-ready="true"]').waitFor({ state: 'attached' });
  await page.locator('html[data-lantern-connection="open"]').waitFor({ state: 'attached' });
}

export const test = base.extend<{ appPage: Page }, { lantern: LanternServer }>({
  lantern: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const server = await startLantern();
      try {
        await use(server);
      } finally {
        await server.stop();
      }
    },
    { scope: 'worker', timeout: 180_000 },
  ],
  appPage: async ({ page, lantern }, use) => {
    await openApp(page, lantern);
    await use(page);
  },
});

export { expect };
