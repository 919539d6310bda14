/**
 * A minimal pods/exec client over WebSocket (v5.channel.k8s.io, falling back to v4), the same
 * wire path kubectl exec uses. The lab uses it for scenarios so that each scenario is also a
 * genuine "kubectl exec" as far as the API server and the node can tell.
 */
import WebSocket from 'ws';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The Status object from the error channel, when one arrived. */
  status?: { status?: string; message?: string; reason?: string };
}

export interface ExecTarget {
  server: string; // https://127.0.0.1:port
  token: string;
  ca: string;
  namespace: string;
  pod: string;
  container?: string;
}

export function execInPod(
  t: ExecTarget,
  argv: string[],
  opts: { stdin?: string | Buffer; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const q = new URLSearchParams();
  for (const a of argv) q.append('command', a);
  if (t.container) q.set('container', t.container);
  q.set('stdout', 'true');
  q.set('stderr', 'true');
  if (opts.stdin !== undefined) q.set('stdin', 'true');
  const url = `${t.server.replace(/^http/, 'ws')}/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods/${encodeURIComponent(t.pod)}/exec?${q}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
      headers: { Authorization: `Bearer ${t.token}` },
      ca: t.ca,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let status: ExecResult['status'];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`exec in ${t.namespace}/${t.pod} timed out after ${opts.timeoutMs ?? 120_000} ms`));
    }, opts.timeoutMs ?? 120_000);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        let msg = body;
        try {
          msg = JSON.parse(body).message ?? body;
        } catch {
          /* keep text */
        }
        reject(new Error(`exec refused (${res.statusCode}): ${msg}`));
      });
    });
    ws.on('open', () => {
      if (opts.stdin !== undefined) {
        const data = Buffer.isBuffer(opts.stdin) ? opts.stdin : Buffer.from(opts.stdin);
        for (let i = 0; i < data.length; i += 32 * 1024)
          ws.send(Buffer.concat([Buffer.from([0]), data.subarray(i, i + 32 * 1024)]));
        if (ws.protocol === 'v5.channel.k8s.io') ws.send(Buffer.from([255, 0]));
      }
    });
    ws.on('message', (data: Buffer) => {
      const ch = data[0];
      const body = data.subarray(1);
      if (ch === 1) out.push(body);
      else if (ch === 2) err.push(body);
      else if (ch === 3 && body.length) {
        try {
          status = JSON.parse(body.toString());
        } catch {
          status = { status: 'Failure', message: body.toString() };
        }
      }
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      let code = 0;
      if (status && status.status !== 'Success') {
        const causes =
          (status as { details?: { causes?: { reason?: string; message?: string }[] } }).details?.causes ?? [];
        const ec = causes.find((c) => c.reason === 'ExitCode');
        code = ec ? Number(ec.message) : 1;
      }
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status });
    });
  });
}
