/**
 * A container's log as the kubelet keeps it: lines with their arrival time (ns), split on '\n'
 * (a line longer than 16 KiB is cut, like the CRI log writer), bounded in memory.
 */
export interface LogEntry {
  /** ns since the epoch */
  ns: bigint;
  /** RFC3339 with a fixed 9-digit fraction, as the kubelet prints with timestamps=true */
  ts: string;
  stream: 'stdout' | 'stderr';
  /** The line including its trailing '\n' */
  data: Buffer;
}

const MAX_LINE = 16 * 1024;
const MAX_BYTES = 64 * 1024 * 1024;

// Wall clock with ns resolution: anchor Date.now() once and advance with hrtime.
const anchorMs = BigInt(Date.now());
const anchorHr = process.hrtime.bigint();
let lastNs = 0n;
export function nowNs(): bigint {
  let n = anchorMs * 1_000_000n + (process.hrtime.bigint() - anchorHr);
  if (n <= lastNs) n = lastNs + 1n; // strictly increasing: resume by sinceTime is exact
  lastNs = n;
  return n;
}
export function formatTs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.123Z
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

export class ContainerLog {
  private entries: LogEntry[] = [];
  private bytes = 0;
  private partial: Record<'stdout' | 'stderr', Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  private subs = new Set<{ on: (e: LogEntry) => void; end: () => void }>();
  ended = false;

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    let buf = this.partial[stream].length ? Buffer.concat([this.partial[stream], chunk]) : chunk;
    for (;;) {
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length >= MAX_LINE) {
          this.push(stream, Buffer.concat([buf.subarray(0, MAX_LINE), Buffer.from('\n')]));
          buf = buf.subarray(MAX_LINE);
          continue;
        }
        break;
      }
      const line = buf.subarray(0, nl + 1);
      if (line.length > MAX_LINE + 1) {
        this.push(stream, Buffer.concat([line.subarray(0, MAX_LINE), Buffer.from('\n')]));
        buf = buf.subarray(MAX_LINE);
        continue;
      }
      this.push(stream, Buffer.from(line));
      buf = buf.subarray(nl + 1);
    }
    this.partial[stream] = Buffer.from(buf);
  }

  /** A kubelet-side message (e.g. "container started") is not part of the log; nothing else writes here. */
  private push(stream: 'stdout' | 'stderr', data: Buffer): void {
    const ns = nowNs();
    const e: LogEntry = { ns, ts: formatTs(ns), stream, data };
    this.entries.push(e);
    this.bytes += data.length;
    while (this.bytes > MAX_BYTES && this.entries.length > 1) this.bytes -= this.entries.shift()!.data.length;
    for (const s of [...this.subs]) s.on(e);
  }

  end(): void {
    if (this.ended) return;
    for (const stream of ['stdout', 'stderr'] as const)
      if (this.partial[stream].length) this.push(stream, Buffer.concat([this.partial[stream], Buffer.from('\n')]));
    this.ended = true;
    for (const s of [...this.subs]) s.end();
    this.subs.clear();
  }

  snapshot(): LogEntry[] {
    return this.entries.slice();
  }

  subscribe(on: (e: LogEntry) => void, end: () => void): () => void {
    const s = { on, end };
    this.subs.add(s);
    return () => this.subs.delete(s);
  }
}
