/**
 * `npm run bench -- api [N]`: cost of the browser-mode API transport.
 * Baseline: a bare `ws` echo server on 127.0.0.1 (same JSON message, same client), measured in
 * the same run. Measured: `app.info` and a rejected `graph.events` (schema validation + error
 * envelope) through the real Lantern server (token/Origin/Host checks, router, zod, handler).
 * Prints round-trip latencies and the ratio against the baseline.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { createHost } from '../../main/api/host';
import { startBrowserServer } from '../../main/api/wsServer';

const N = Number(process.argv[2] ?? 2000);

async function roundTrips(ws: WebSocket, makeMsg: (id: number) => string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      ws.once('message', () => resolve());
      ws.send(makeMsg(i));
    });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times;
}

function stats(times: number[]) {
  const s = [...times].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: pick(0.5), p95: pick(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

function open(url: string, protocols: string[], origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'lantern-bench-api-'));
mkdirSync(path.join(dir, 'static'));
writeFileSync(path.join(dir, 'static', 'index.html'), '<!doctype html>');
const echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
echo.on('connection', (ws) => ws.on('message', (d) => ws.send(String(d))));
await new Promise((r) => echo.once('listening', r));
const host = createHost({ mode: 'browser', userDataDir: path.join(dir, 'data'), assetsDir: dir, log: () => {} });
const server = await startBrowserServer({ host, staticDir: path.join(dir, 'static'), log: () => {} });
try {
  const echoPort = (echo.address() as { port: number }).port;
  const base = await open(`ws://127.0.0.1:${echoPort}`, []);
  const api = await open(
    `ws://127.0.0.1:${server.port}/api`,
    ['lantern.v1', `lantern.token.${server.token}`],
    server.origin,
  );
  const info = (id: number) => JSON.stringify({ id, call: 'app.info', request: {} });
  const bad = (id: number) =>
    JSON.stringify({ id, call: 'graph.events', request: { sessionId: 's', offset: -1, limit: 0 } });
  // warm up JIT and the handler's lazy paths
  await roundTrips(base, info, 200);
  await roundTrips(api, info, 200);
  const rBase = stats(await roundTrips(base, info, N));
  const rInfo = stats(await roundTrips(api, info, N));
  const rBad = stats(await roundTrips(api, bad, N));
  const fmt = (name: string, r: ReturnType<typeof stats>) =>
    `${name.padEnd(34)} median ${r.median.toFixed(3)} ms  p95 ${r.p95.toFixed(3)} ms  ratio ${(r.median / rBase.median).toFixed(2)}x`;
  console.log(`API round trips over loopback WebSocket, ${N} each (Node ${process.version}):`);
  console.log(fmt('baseline: bare ws echo', rBase));
  console.log(fmt('app.info through Lantern', rInfo));
  console.log(fmt('invalid graph.events (zod error)', rBad));
  base.close();
  api.close();
} finally {
  await server.close();
  await new Promise((r) => echo.close(r));
  rmSync(dir, { recursive: true, force: true });
}
