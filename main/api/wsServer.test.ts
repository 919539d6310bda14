import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHost, type Host } from './host';
import { startBrowserServer, tokenMatches, type BrowserServer } from './wsServer';

let dir: string;
let host: Host;
let server: BrowserServer;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lantern-ws-'));
  const staticDir = path.join(dir, 'static');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Lantern</title>');
  writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(dir, 'secret.txt'), 'do not serve');
  host = createHost({ mode: 'browser', userDataDir: path.join(dir, 'data'), assetsDir: dir, log: () => {} });
  server = await startBrowserServer({ host, staticDir, maxMessageBytes: 64 * 1024, log: () => {} });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

type Outcome = { outcome: 'open'; ws: WebSocket } | { outcome: 'refused'; status: number };

function connect(opts: {
  host?: string;
  origin?: string | null;
  protocols?: string[];
  path?: string;
}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.host) headers.Host = opts.host;
    const origin = opts.origin === undefined ? server.origin : opts.origin;
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${opts.path ?? '/api'}`, opts.protocols ?? [], {
      headers,
      ...(origin ? { origin } : {}),
    });
    ws.on('open', () => resolve({ outcome: 'open', ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ outcome: 'refused', status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.on('error', reject);
  });
}
const good = () => ['lantern.v1', `lantern.token.${server.token}`];

function httpGet(
  p: string,
  hostHeader?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path: p, headers: hostHeader ? { Host: hostHeader } : {} },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function rpc(ws: WebSocket, msg: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>));
    ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  });
}

describe('browser-mode WebSocket auth', () => {
  it('has a 256-bit random token and listens on 127.0.0.1 only', () => {
    expect(Buffer.from(server.token, 'base64url')).toHaveLength(32);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`);
  });

  it('refuses an upgrade without the token (401)', async () => {
    expect(await connect({ protocols: ['lantern.v1'] })).toEqual({ outcome: 'refused', status: 401 });
    expect(await connect({})).toEqual({ outcome: 'refused', status: 401 });
  });

  it('refuses a wrong token (401), including prefixes and longer strings', async () => {
    for (const t of ['x'.repeat(43), server.token.slice(0, -1), `${server.token}x`, '']) {
      expect(await connect({ protocols: ['lantern.v1', `lantern.token.${t}`] })).toEqual({
        outcome: 'refused',
        status: 401,
      });
    }
  });

  it('refuses a foreign or missing Origin (403)', async () => {
    for (const origin of [
      'http://evil.example',
      `http://127.0.0.1:${server.port + 1}`,
      `https://127.0.0.1:${server.port}`,
      null,
    ]) {
      expect(await connect({ origin, protocols: good() })).toEqual({ outcome: 'refused', status: 403 });
    }
  });

  it('refuses a foreign Host header (403), as after DNS rebinding', async () => {
    const evil = `evil.example:${server.port}`;
    expect(await connect({ host: evil, origin: `http://${evil}`, protocols: good() })).toEqual({
      outcome: 'refused',
      status: 403,
    });
    expect(await connect({ host: `127.0.0.1:${server.port + 1}`, protocols: good() })).toEqual({
      outcome: 'refused',
      status: 403,
    });
  });

  it('refuses other paths (404)', async () => {
    expect(await connect({ path: '/other', protocols: good() })).toEqual({ outcome: 'refused', status: 404 });
  });

  it('accepts the right token, Origin and Host, without echoing the token', async () => {
    for (const hostName of ['127.0.0.1', 'localhost']) {
      const h = `${hostName}:${server.port}`;
      const out = await connect({ host: h, origin: `http://${h}`, protocols: good() });
      expect(out.outcome).toBe('open');
      if (out.outcome === 'open') {
        expect(out.ws.protocol).toBe('lantern.v1');
        out.ws.close();
      }
    }
  });

  it('compares tokens in constant time and exactly', () => {
    expect(tokenMatches(server.token, server.token)).toBe(true);
    expect(tokenMatches(undefined, server.token)).toBe(false);
    expect(tokenMatches(server.token.toUpperCase(), server.token)).toBe(server.token === server.token.toUpperCase());
  });
});

describe('browser-mode HTTP', () => {
  it('serves the renderer with CSP and security headers and no CORS headers', async () => {
    const res = await httpGet('/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>Lantern</title>');
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect((await httpGet('/assets/app.js')).headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('refuses foreign Host headers and never serves outside the renderer folder', async () => {
    expect((await httpGet('/', `evil.example:${server.port}`)).status).toBe(403);
    expect((await httpGet('/../secret.txt')).status).toBe(404);
    expect((await httpGet('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await httpGet('/assets/%00')).status).toBe(400);
    expect((await httpGet('/nope.js')).status).toBe(404);
  });
});

describe('browser-mode API over the WebSocket', () => {
  it('dispatches calls and returns errors as plain objects', async () => {
    const out = await connect({ protocols: good() });
    if (out.outcome !== 'open') throw new Error('refused');
    const ws = out.ws;
    expect(await rpc(ws, { id: 1, call: 'app.info', request: {} })).toMatchObject({
      id: 1,
      ok: true,
      result: { name: 'Lantern', mode: 'browser' },
    });
    expect(await rpc(ws, { id: 2, call: 'no.such', request: {} })).toMatchObject({
      id: 2,
      ok: false,
      error: { code: 'unknown-call' },
    });
    expect(await rpc(ws, { id: 3, call: 'settings.update', request: { theme: 'purple' } })).toMatchObject({
      id: 3,
      ok: false,
      error: { code: 'invalid-request' },
    });
    ws.close();
  });

  it('closes the socket on garbage and on oversized messages', async () => {
    for (const [msg, code] of [
      ['not json', 1007],
      ['x'.repeat(70 * 1024), 1009],
      [JSON.stringify({ call: 'app.info' }), 1008],
    ] as const) {
      const out = await connect({ protocols: good() });
      if (out.outcome !== 'open') throw new Error('refused');
      const closed = new Promise<number>((resolve) => out.ws.on('close', (c) => resolve(c)));
      out.ws.send(msg);
      expect(await closed).toBe(code);
    }
  });
});
