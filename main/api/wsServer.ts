/**
 * Browser mode: one HTTP server on 127.0.0.1 that serves the built renderer (dist/renderer) and
 * carries the API over a WebSocket at /api.
 *
 * Security (browser mode is reachable by any web page the analyst visits, so it must refuse them):
 * - Listens on 127.0.0.1 only; a random port unless one is given.
 * - A per-run token of 32 random bytes (base64url). The page gets it in the URL fragment
 *   (`#token=...`, never sent to any server) and presents it on the WebSocket upgrade as a
 *   subprotocol: `Sec-WebSocket-Protocol: lantern.v1, lantern.token.<token>`. The server answers
 *   with `lantern.v1` only, so the token is never echoed. (A subprotocol instead of a `?token=`
 *   query keeps the token out of URLs and logs.) Compared in constant time.
 * - Host must be exactly 127.0.0.1:PORT or localhost:PORT (DNS rebinding), for every request.
 * - Origin must equal the origin the page was served from (`http://` + that Host) exactly.
 * - Refused upgrades get a plain 401 (no/wrong token) or 403 (Host/Origin) and the socket is closed.
 * - No CORS headers at all; security headers and the strict CSP on every response.
 * - Incoming messages are size-limited (the largest legal request is a base64 capture upload).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Host } from './host';
import { HEADER_ONLY_CSP, RENDERER_CSP } from './csp';

export const WS_PATH = '/api';
export const WS_PROTOCOL = 'lantern.v1';
export const WS_TOKEN_PREFIX = 'lantern.token.';
/** Big enough for the largest session.openUpload (256 MiB as base64) plus envelope. */
export const MAX_MESSAGE_BYTES = 360 * 1024 * 1024;

export interface BrowserServerOptions {
  host: Host;
  /** Built renderer folder (index.html + assets). */
  staticDir: string;
  /** 0 or undefined: a random free port. */
  port?: number;
  /** For tests; default: 32 random bytes. */
  token?: string;
  /** Default MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number;
  log?: (message: string) => void;
}

export interface BrowserServer {
  port: number;
  origin: string;
  token: string;
  /** The URL to open: origin + '/#token=' + token. */
  url: string;
  close(): Promise<void>;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison that also does not leak the length (compares digests). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
  'Cache-Control': 'no-store',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? newToken();
  const log = opts.log ?? ((m: string) => console.error(m));
  const staticRoot = path.resolve(opts.staticDir);
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  const server = createServer((req, res) => {
    void serveStatic(req, res).catch((err: unknown) => {
      log(`Lantern: could not serve ${req.url ?? ''}: ${(err as Error).message}`);
      if (!res.headersSent) plain(res, 500, 'Internal error');
      else res.destroy();
    });
  });
  // a slow or idle client must not hold sockets forever
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  async function serveStatic(req: IncomingMessage, res: ServerResponse) {
    if (!allowedHosts().has(req.headers.host ?? '')) return plain(res, 403, 'Forbidden: unexpected Host header');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return plain(res, 400, 'Bad request');
    }
    if (pathname.includes('\0')) return plain(res, 400, 'Bad request');
    if (pathname === '/' || pathname === '') pathname = '/index.html';
    const file = path.resolve(staticRoot, `.${pathname}`);
    if (file !== staticRoot && !file.startsWith(staticRoot + path.sep)) return plain(res, 404, 'Not found');
    let info;
    try {
      info = await stat(file);
    } catch {
      return plain(res, 404, 'Not found');
    }
    if (!info.isFile()) return plain(res, 404, 'Not found');
    const type = MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': type,
      'Content-Length': String(info.size),
      'Content-Security-Policy': `${RENDERER_CSP}; ${HEADER_ONLY_CSP}`,
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const verdict = checkUpgrade(req);
    if (verdict) {
      refuse(socket, verdict.status, verdict.reason);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  function checkUpgrade(req: IncomingMessage): { status: 401 | 403 | 404; reason: string } | null {
    const host = req.headers.host ?? '';
    if (!allowedHosts().has(host)) return { status: 403, reason: 'unexpected Host header' };
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== WS_PATH) return { status: 404, reason: 'no such endpoint' };
    if (req.headers.origin !== `http://${host}`) return { status: 403, reason: 'unexpected Origin' };
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    const tokenProto = offered.find((p) => p.startsWith(WS_TOKEN_PREFIX));
    if (!tokenMatches(tokenProto?.slice(WS_TOKEN_PREFIX.length), token)) {
      return { status: 401, reason: 'missing or wrong token' };
    }
    if (!offered.includes(WS_PROTOCOL)) return { status: 401, reason: `subprotocol ${WS_PROTOCOL} required` };
    return null;
  }

  const sockets = new Set<WebSocket>();
  const detach = opts.host.subscribe((name, payload) => {
    if (sockets.size === 0) return;
    const text = JSON.stringify({ stream: name, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'text messages only');
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return ws.close(1007, 'not JSON');
      }
      if (typeof msg !== 'object' || msg === null) return ws.close(1008, 'bad message');
      const { id, call, request } = msg as { id?: unknown; call?: unknown; request?: unknown };
      if (typeof id !== 'number' && typeof id !== 'string') return ws.close(1008, 'message id required');
      void opts.host.router.dispatch(call, request).then((envelope) => {
        if (ws.readyState !== ws.OPEN) return;
        let text: string;
        try {
          text = JSON.stringify({ id, ...envelope });
        } catch {
          text = JSON.stringify({
            id,
            ok: false,
            error: { code: 'internal', message: 'The response could not be serialised.' },
          });
        }
        ws.send(text);
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('browser mode: server has no TCP address');
  port = address.port;
  const origin = `http://127.0.0.1:${port}`;

  let closed: Promise<void> | null = null;
  return {
    port,
    origin,
    token,
    url: `${origin}/#token=${token}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        detach();
        for (const ws of sockets) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function plain(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function refuse(socket: Duplex, status: number, reason: string) {
  const statusText = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found';
  const body = `Refused: ${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // end() flushes the answer, then the socket closes; destroy once flushed in case the peer lingers
  socket.once('finish', () => socket.destroy());
}
