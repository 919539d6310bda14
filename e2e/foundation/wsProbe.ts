/** Raw WebSocket probes against browser mode, from Node (any header can be forged here). */
import WebSocket from 'ws';

export type ProbeResult = { outcome: 'open'; protocol: string } | { outcome: 'refused'; status: number };

export function probeWs(opts: {
  port: number;
  host?: string;
  origin?: string;
  protocols?: string[];
  timeoutMs?: number;
}): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.host) headers.Host = opts.host;
    const ws = new WebSocket(`ws://127.0.0.1:${opts.port}/api`, opts.protocols ?? [], {
      headers,
      ...(opts.origin ? { origin: opts.origin } : {}),
      handshakeTimeout: opts.timeoutMs ?? 5_000,
    });
    ws.on('open', () => {
      const protocol = ws.protocol;
      ws.close();
      resolve({ outcome: 'open', protocol });
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ outcome: 'refused', status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}
