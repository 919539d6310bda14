/**
 * The renderer's API module (renderer/src/api) against the real browser-mode server, in Node:
 * the same code the page runs, with the `ws` client standing in for the browser's WebSocket.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createBrowserApi, LanternApiError } from '../../renderer/src/api/index';
import { createHost, type Host } from '../../main/api/host';
import { startBrowserServer, type BrowserServer } from '../../main/api/wsServer';

let dir: string;
let host: Host;
let server: BrowserServer;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lantern-client-'));
  mkdirSync(path.join(dir, 'static'));
  writeFileSync(path.join(dir, 'static', 'index.html'), '<!doctype html>');
  host = createHost({ mode: 'browser', userDataDir: path.join(dir, 'data'), assetsDir: dir, log: () => {} });
  server = await startBrowserServer({ host, staticDir: path.join(dir, 'static'), log: () => {} });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function wsWithOrigin(origin: string) {
  return class extends WebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols, { origin });
    }
  } as unknown as typeof globalThis.WebSocket;
}

describe('renderer API module over the browser-mode transport', () => {
  it('calls, errors and streams work end to end', async () => {
    const api = createBrowserApi({
      url: `ws://127.0.0.1:${server.port}/api`,
      token: server.token,
      WebSocketImpl: wsWithOrigin(server.origin),
    });
    try {
      const info = await api.call('app.info', {});
      expect(info.mode).toBe('browser');
      expect((await api.call('settings.update', { theme: 'light' })).theme).toBe('light');
      expect((await api.call('settings.get', {})).theme).toBe('light');
      await expect(api.call('dialog.openCapture', {})).rejects.toBeInstanceOf(LanternApiError);
      await expect(api.call('dialog.openCapture', {})).rejects.toMatchObject({ code: 'unsupported' });
      const got = new Promise<unknown>((resolve) => api.on('notice', resolve));
      host.ctx.publish('notice', { level: 'info', message: 'hello' });
      expect(await got).toEqual({ level: 'info', message: 'hello' });
      expect(api.state()).toBe('open');
    } finally {
      api.close();
    }
  });

  it('without a token it refuses to call and says why', async () => {
    const api = createBrowserApi({ url: `ws://127.0.0.1:${server.port}/api`, token: null });
    expect(api.state()).toBe('no-token');
    await expect(api.call('app.info', {})).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('with a wrong token it never opens, and keeps retrying with backoff', async () => {
    const api = createBrowserApi({
      url: `ws://127.0.0.1:${server.port}/api`,
      token: 'wrong',
      WebSocketImpl: wsWithOrigin(server.origin),
      maxBackoffMs: 100,
    });
    const states: string[] = [];
    api.onStateChange((s) => states.push(s));
    // Wait for a retry rather than a fixed time: a loaded machine (CI) can take long to refuse.
    await vi.waitFor(() => expect(states.filter((s) => s === 'connecting').length).toBeGreaterThan(1), {
      timeout: 20_000,
      interval: 50,
    });
    api.close();
    expect(states).not.toContain('open');
  });
});
