import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect } from '../fixtures';
import { probeWs } from './wsProbe';

test.describe('browser mode', () => {
  test('serves the app and shows the first screen with its three choices', async ({ appPage }) => {
    await expect(appPage).toHaveTitle('Lantern');
    await expect(appPage.getByTestId('start-screen')).toBeVisible();
    await expect(appPage.getByRole('heading', { name: 'Connect to a cluster' })).toBeVisible();
    await expect(appPage.getByRole('heading', { name: 'Open a capture file' })).toBeVisible();
    await expect(appPage.getByRole('heading', { name: 'Open the demo capture' })).toBeVisible();
    // the token left the address bar (it stays in sessionStorage for reloads)
    expect(appPage.url()).not.toContain('token=');
  });

  test('the page has no Node, Electron or raw IPC objects', async ({ appPage }) => {
    const globals = await appPage.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      return {
        require: typeof w.require,
        process: typeof w.process,
        module: typeof w.module,
        Buffer: typeof w.Buffer,
        ipcRenderer: typeof w.ipcRenderer,
        electron: typeof w.electron,
        lantern: typeof w.lantern,
      };
    });
    expect(globals).toEqual({
      require: 'undefined',
      process: 'undefined',
      module: 'undefined',
      Buffer: 'undefined',
      ipcRenderer: 'undefined',
      electron: 'undefined',
      lantern: 'undefined',
    });
  });

  test('the API answers through the page', async ({ appPage }) => {
    const info = await appPage.evaluate(async () => {
      const token = sessionStorage.getItem('lantern.token');
      return new Promise<unknown>((resolve, reject) => {
        const ws = new WebSocket(`ws://${location.host}/api`, ['lantern.v1', `lantern.token.${token}`]);
        ws.onmessage = (e) => resolve(JSON.parse(String(e.data)));
        ws.onopen = () => ws.send(JSON.stringify({ id: 1, call: 'app.info', request: {} }));
        ws.onerror = () => reject(new Error('refused'));
      });
    });
    expect(info).toMatchObject({ id: 1, ok: true, result: { name: 'Lantern', mode: 'browser' } });
  });

  test('a WebSocket from inside a page is refused without the token, with a wrong token, and from a foreign origin', async ({
    appPage,
    lantern,
    browser,
  }) => {
    const tryWs = (page: typeof appPage, url: string, protocols: string[]) =>
      page.evaluate(
        ([u, p]) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(u as string, p as string[]);
            ws.onopen = () => {
              ws.close();
              resolve('open');
            };
            ws.onerror = () => resolve('refused');
          }),
        [url, protocols] as const,
      );
    const wsUrl = `ws://127.0.0.1:${lantern.port}/api`;
    expect(await tryWs(appPage, wsUrl, ['lantern.v1'])).toBe('refused');
    expect(await tryWs(appPage, wsUrl, ['lantern.v1', 'lantern.token.' + 'A'.repeat(43)])).toBe('refused');
    // control: the same page with the right token gets in
    expect(await tryWs(appPage, wsUrl, ['lantern.v1', `lantern.token.${lantern.token}`])).toBe('open');

    // an attacker's page on another origin that somehow knows the token is still refused
    const foreign: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    try {
      const page = await browser.newPage();
      try {
        await page.goto(`http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`);
        expect(await tryWs(page, wsUrl, ['lantern.v1', `lantern.token.${lantern.token}`])).toBe('refused');
      } finally {
        await page.close();
      }
    } finally {
      foreign.closeAllConnections();
      await new Promise<void>((r) => foreign.close(() => r()));
    }
  });

  test('DNS rebinding: a page whose host name resolves to 127.0.0.1 gets neither the app nor the API', async ({
    lantern,
    playwright,
  }) => {
    // Chromium resolves rebind.test to 127.0.0.1, as an attacker's DNS would after rebinding
    const browser = await playwright.chromium.launch({
      executablePath: process.env.LANTERN_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--host-resolver-rules=MAP rebind.test 127.0.0.1', '--no-first-run', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const res = await page.goto(`http://rebind.test:${lantern.port}/`);
      expect(res?.status()).toBe(403);
      const outcome = await page.evaluate(
        ([port, token]) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(`ws://rebind.test:${port}/api`, ['lantern.v1', `lantern.token.${token}`]);
            ws.onopen = () => {
              ws.close();
              resolve('open');
            };
            ws.onerror = () => resolve('refused');
          }),
        [lantern.port, lantern.token] as const,
      );
      expect(outcome).toBe('refused');
    } finally {
      await browser.close();
    }
  });

  test('raw WebSocket upgrades: 4 of 4 refusals, and the right one accepted', async ({ lantern }) => {
    const port = lantern.port;
    const origin = lantern.origin;
    const good = ['lantern.v1', `lantern.token.${lantern.token}`];
    // no token
    expect(await probeWs({ port, origin, protocols: ['lantern.v1'] })).toEqual({ outcome: 'refused', status: 401 });
    // wrong token (same length)
    const wrong = lantern.token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    expect(await probeWs({ port, origin, protocols: ['lantern.v1', `lantern.token.${wrong}`] })).toEqual({
      outcome: 'refused',
      status: 401,
    });
    // foreign Origin
    expect(await probeWs({ port, origin: 'http://evil.example', protocols: good })).toEqual({
      outcome: 'refused',
      status: 403,
    });
    // foreign Host (DNS rebinding: evil.example resolving to 127.0.0.1), with a matching Origin
    expect(
      await probeWs({ port, host: `evil.example:${port}`, origin: `http://evil.example:${port}`, protocols: good }),
    ).toEqual({ outcome: 'refused', status: 403 });
    // and the right one
    expect(await probeWs({ port, origin, protocols: good })).toEqual({ outcome: 'open', protocol: 'lantern.v1' });
  });
});
