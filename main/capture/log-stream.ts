/**
 * One `pods/log?follow=true&timestamps=true[&sinceTime=]` request, read line by line.
 *
 * Written on node:https with the kubeconfig's own TLS/credential options (via
 * @kubernetes/client-node's `applyToHTTPSOptions`, so exec plugins and client certs work the same)
 * rather than the library's `Log` helper, because we must tell "the server closed the stream" from
 * "the connection broke" and see every byte up to the break; the helper pipes and hides both.
 */
import { request } from 'node:https';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { describeClusterError, type ErrorWhere } from '../cluster/errors';

/** A log line longer than this is cut off: no honest agent line is this long. */
export const MAX_LOG_LINE_BYTES = 1 << 20;

/** RFC3339(Nano) timestamp as (seconds, nanoseconds), comparable. */
export interface LogTime {
  sec: number;
  nsec: number;
  text: string;
}

export function parseLogTime(text: string): LogTime | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(ms)) return undefined;
  const frac = m[2] ?? '';
  return { sec: Math.floor(ms / 1000), nsec: frac ? Number(frac.padEnd(9, '0')) : 0, text };
}

export function compareLogTime(a: LogTime, b: LogTime): number {
  return a.sec - b.sec || a.nsec - b.nsec;
}

export interface LogLine {
  /** Undefined when the line had no parsable timestamp (should not happen with timestamps=true). */
  time: LogTime | undefined;
  text: string;
  /** The line was longer than MAX_LOG_LINE_BYTES and was cut. */
  truncated?: boolean;
}

export interface LogRequest {
  namespace: string;
  pod: string;
  container?: string;
  follow: boolean;
  sinceTime?: string;
  signal?: AbortSignal;
  where?: ErrorWhere;
}

export type LogEnd = { reason: 'eof' } | { reason: 'broken'; error: Error } | { reason: 'aborted' };

/**
 * Streams the log; calls `onLine` for every complete line. Resolves when the stream ends:
 * 'eof' (the server ended the response cleanly), 'broken' (connection error mid-stream),
 * 'aborted' (our signal). Rejects, with words, when the request itself is refused (4xx/5xx).
 */
export async function streamPodLog(kc: KubeConfig, req: LogRequest, onLine: (line: LogLine) => void): Promise<LogEnd> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const url = new URL(
    `${cluster.server.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/${encodeURIComponent(req.pod)}/log`,
  );
  url.searchParams.set('follow', String(req.follow));
  url.searchParams.set('timestamps', 'true');
  if (req.container) url.searchParams.set('container', req.container);
  if (req.sinceTime) url.searchParams.set('sinceTime', req.sinceTime);
  const opts: RequestOptions & { headers: Record<string, string> } = { method: 'GET', headers: {} };
  await kc.applyToHTTPSOptions(opts as never);
  // A fresh connection per stream: a pooled socket may be the one the server just cut.
  delete (opts as { agent?: unknown }).agent;
  (opts as { agent?: unknown }).agent = false;
  const where: ErrorWhere = req.where ?? { verb: 'get', resource: 'pods/log', namespace: req.namespace };
  if (req.signal?.aborted) return { reason: 'aborted' };

  return new Promise<LogEnd>((resolve, reject) => {
    let settled = false;
    const finish = (end: LogEnd) => {
      if (settled) return;
      settled = true;
      req.signal?.removeEventListener('abort', onAbort);
      resolve(end);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.signal?.removeEventListener('abort', onAbort);
      reject(describeClusterError(err, where));
    };
    const doRequest = url.protocol === 'http:' ? httpRequest : request;
    let gotResponse = false;
    const r = doRequest(url, opts, (res: IncomingMessage) => {
      gotResponse = true;
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 65536) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          fail(Object.assign(new Error(`HTTP ${res.statusCode}`), { code: res.statusCode, body }));
        });
        res.on('error', (e) => fail(e));
        return;
      }
      let pending: Buffer[] = [];
      let pendingLen = 0;
      let dropping = false; // inside an over-long line: skip until its newline
      const emit = (buf: Buffer, truncated: boolean) => {
        let text = buf.toString('utf8');
        if (text.endsWith('\r')) text = text.slice(0, -1);
        const sp = text.indexOf(' ');
        const time = sp > 0 ? parseLogTime(text.slice(0, sp)) : undefined;
        const line: LogLine = { time, text: time ? text.slice(sp + 1) : text };
        if (truncated) line.truncated = true;
        onLine(line);
      };
      res.on('data', (chunk: Buffer) => {
        let start = 0;
        for (;;) {
          const nl = chunk.indexOf(0x0a, start);
          if (nl < 0) break;
          const part = chunk.subarray(start, nl);
          if (dropping) dropping = false;
          else if (pendingLen + part.length > MAX_LOG_LINE_BYTES) {
            pending.push(part);
            emit(Buffer.concat(pending).subarray(0, MAX_LOG_LINE_BYTES), true);
          } else {
            pending.push(part);
            emit(pending.length === 1 ? part : Buffer.concat(pending), false);
          }
          pending = [];
          pendingLen = 0;
          start = nl + 1;
        }
        if (start < chunk.length && !dropping) {
          const rest = chunk.subarray(start);
          pending.push(Buffer.from(rest));
          pendingLen += rest.length;
          if (pendingLen > MAX_LOG_LINE_BYTES) {
            emit(Buffer.concat(pending).subarray(0, MAX_LOG_LINE_BYTES), true);
            pending = [];
            pendingLen = 0;
            dropping = true;
          }
        }
      });
      // A partial last line is dropped on purpose: after a break we resume from the last
      // complete line's timestamp, so the partial line comes again whole.
      res.on('end', () => finish({ reason: 'eof' }));
      res.on('aborted', () =>
        finish(
          req.signal?.aborted
            ? { reason: 'aborted' }
            : { reason: 'broken', error: new Error('stream aborted by the server') },
        ),
      );
      res.on('error', (e) => finish(req.signal?.aborted ? { reason: 'aborted' } : { reason: 'broken', error: e }));
      res.on('close', () =>
        finish(
          req.signal?.aborted ? { reason: 'aborted' } : { reason: 'broken', error: new Error('connection closed') },
        ),
      );
    });
    const onAbort = () => {
      r.destroy();
      finish({ reason: 'aborted' });
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    r.on('error', (e) => {
      if (req.signal?.aborted) finish({ reason: 'aborted' });
      else if (gotResponse) finish({ reason: 'broken', error: e });
      else fail(e);
    });
    r.setTimeout(0);
    r.end();
  });
}
