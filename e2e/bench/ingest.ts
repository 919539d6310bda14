/**
 * Ingest benchmark: `npm run bench -- ingest [--sizes 100000,1000000,3000000] [--no-detect]`
 *
 * For each generated capture size, in a fresh child process (so peak RSS belongs to that size):
 *   baseline   the same file through a plain loop: gunzip + split lines + JSON.parse
 *   graph      read (capture reader: validation) → normalise/enrich → behaviour graph, with the
 *              replay log and checkpoints the session engine keeps
 *   ratio      graph events/s ÷ baseline events/s (target ≥ 0.5)
 *   peak RSS   maxRSS of the child after the graph pass (target: 3M ≤ 1.5 × 1M)
 *   seek       20 seeks to random positions (restore from checkpoint + full reset delta), max ms
 *              (target < 1 s in the 1M capture)
 * and, when detection exists, a second child that adds the detector to the graph pass: the added
 * time as a share of the graph build time (target ≤ 30%).
 * Every pipeline is warmed up on the first 30k events before it is measured. Wall-clock rates
 * depend on what else the machine runs; CPU-time ratios (user+sys of all threads, zlib included)
 * are printed next to them because they do not.
 * Generated captures are cached in os.tmpdir()/lantern-bench.
 */
import { spawn } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { LanternEvent } from '../../main/common/events';
import { openCapture } from '../../main/events/capture-file';
import { createEnricher } from '../../main/events/enrich';
import { GraphBuilder } from '../../main/graph/builder';
import { ensureCapture } from '../../main/graph/generate';
import { Cursor } from '../../main/graph/timeline';

interface ChildResult {
  events: number;
  baselineMs?: number;
  /** CPU time (user+sys, all threads) of the passes: robust when the machine is shared. */
  baselineCpuMs?: number;
  readMs?: number;
  readCpuMs?: number;
  graphMs: number;
  graphCpuMs: number;
  rssMB: number;
  heapMB: number;
  nodes: number;
  edges: number;
  patterns: number;
  replayMB: number;
  seekMaxMs?: number;
  seekMeanMs?: number;
  detectMs?: number;
  findings?: number;
}

async function baseline(path: string, limit = Infinity): Promise<{ n: number; ms: number }> {
  const t0 = performance.now();
  const dec = new StringDecoder('utf8');
  let n = 0;
  let rest = '';
  outer: for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }).pipe(
    createGunzip({ chunkSize: 1 << 18 }),
  )) {
    const s = rest + dec.write(chunk as Buffer);
    let start = 0;
    for (;;) {
      const nl = s.indexOf('\n', start);
      if (nl < 0) break;
      if (nl > start) {
        JSON.parse(s.slice(start, nl));
        if (++n >= limit) break outer;
      }
      start = nl + 1;
    }
    rest = s.slice(start);
  }
  rest += dec.end();
  if (rest && n < limit) {
    JSON.parse(rest);
    n++;
  }
  return { n, ms: performance.now() - t0 };
}

function cpuMs(since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

/** The capture reader alone (validation, no graph): shows where the time of the graph pass goes. */
async function readOnly(path: string, limit = Infinity): Promise<number> {
  const r = await openCapture(path);
  let n = 0;
  for await (const batch of r.batches()) {
    n += batch.length;
    if (n >= limit) break;
  }
  await r.close();
  return n;
}

/**
 * Every pipeline runs once over the first events before anything is measured, so that all of
 * them are measured JIT-warm (the plain loop is tiny and warms up at once; the graph is not).
 */
const WARM_UP = 30_000;
async function warmUp(path: string, withDetector: boolean): Promise<void> {
  await baseline(path, WARM_UP);
  await readOnly(path, WARM_UP);
  const r = await openCapture(path);
  const b = new GraphBuilder({ enricher: createEnricher(r.header.inventory), log: true });
  const detector = withDetector
    ? (await import('../../main/detect/index')).createDetector({ inventory: r.header.inventory })
    : undefined;
  for await (const batch of r.batches()) {
    for (const e of batch) b.ingest(e);
    detector?.ingest(batch, batch.firstIndex);
    if (b.events >= WARM_UP) break;
  }
  detector?.finish();
  await r.close();
}

async function child(path: string, mode: 'graph' | 'detect'): Promise<ChildResult> {
  const out: Partial<ChildResult> = {};
  await warmUp(path, mode === 'detect');
  if (mode === 'graph') {
    let c = process.cpuUsage();
    out.baselineMs = (await baseline(path)).ms;
    out.baselineCpuMs = cpuMs(c);
    c = process.cpuUsage();
    const r0 = performance.now();
    await readOnly(path);
    out.readMs = performance.now() - r0;
    out.readCpuMs = cpuMs(c);
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await openCapture(path);
  const b = new GraphBuilder({ enricher: createEnricher(r.header.inventory), log: true });
  let detector:
    { ingest(e: readonly LanternEvent[], i: number): void; finish(): void; findings(): unknown[] } | undefined;
  if (mode === 'detect') {
    const { createDetector } = await import('../../main/detect/index');
    detector = createDetector({ inventory: r.header.inventory });
  }
  let detectMs = 0;
  for await (const batch of r.batches()) {
    for (let i = 0; i < batch.length; i++) b.ingest(batch[i]!);
    if (detector) {
      const d0 = process.cpuUsage();
      detector.ingest(batch, batch.firstIndex);
      detectMs += cpuMs(d0);
    }
  }
  if (detector) {
    const d0 = process.cpuUsage();
    detector.finish();
    out.findings = detector.findings().length;
    detectMs += cpuMs(d0);
    out.detectMs = detectMs;
  }
  // (in detect mode these include detection; only detectMs, CPU, is used from that child)
  out.graphMs = performance.now() - t0;
  out.graphCpuMs = cpuMs(c0);
  out.events = b.events;
  out.nodes = b.graph.order;
  out.edges = b.graph.size;
  out.patterns = b.patternStart.length - 1;
  let cps = 0;
  for (const cp of b.checkpoints) cps += cp.counts.byteLength + cp.lastSeen.byteLength;
  out.replayMB = (b.logTimes.byteLength + b.logPatterns.byteLength + cps) / 1e6;
  out.rssMB = process.resourceUsage().maxRSS / 1024;
  out.heapMB = process.memoryUsage().heapUsed / 1e6;
  if (mode === 'graph') {
    // deterministic "random" seek positions, alternating far backward and forward
    const c = new Cursor(b);
    c.restore(b.logLength);
    let x = 12345;
    let max = 0;
    let sum = 0;
    const N = 20;
    for (let i = 0; i < N; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const target = Cursor.indexAtTime(b, b.logTimes[x % b.logLength]!);
      const s0 = performance.now();
      c.restore(target);
      const d = c.full(i);
      const ms = performance.now() - s0;
      if (!d.reset) throw new Error('seek must give a reset delta');
      max = Math.max(max, ms);
      sum += ms;
    }
    out.seekMaxMs = max;
    out.seekMeanMs = sum / N;
  }
  return out as ChildResult;
}

function runChild(path: string, mode: 'graph' | 'detect'): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`benchmark child (${mode}) exited with ${code}`));
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as ChildResult);
      } catch {
        reject(new Error(`benchmark child printed no result: ${out.slice(-500)}`));
      }
    });
  });
}

async function detectionExists(): Promise<boolean> {
  try {
    const m = (await import('../../main/detect/index')) as { createDetector?: unknown };
    return typeof m.createDetector === 'function';
  } catch {
    return false;
  }
}

function fmt(n: number, d = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const res = await child(args[2]!, args[1] as 'graph' | 'detect');
    process.stdout.write(JSON.stringify(res) + '\n');
    return;
  }
  const si = args.indexOf('--sizes');
  const sizes = si >= 0 ? args[si + 1]!.split(',').map(Number) : [100_000, 1_000_000, 3_000_000];
  const detect = !args.includes('--no-detect') && (await detectionExists());
  const rows: (ChildResult & { size: number; fileMB: number })[] = [];
  for (const size of sizes) {
    const g0 = performance.now();
    const path = await ensureCapture({ events: size, attack: true });
    const genS = (performance.now() - g0) / 1000;
    if (genS > 1) process.stderr.write(`generated ${fmt(size)} events in ${genS.toFixed(1)} s → ${path}\n`);
    const res = await runChild(path, 'graph');
    if (detect) {
      const d = await runChild(path, 'detect');
      res.detectMs = d.detectMs;
      res.findings = d.findings;
    }
    rows.push({ ...res, size, fileMB: statSync(path).size / 1e6 });
    const r = rows.at(-1)!;
    process.stderr.write(
      `  ${fmt(size)}: graph ${fmt(r.graphMs)} ms (CPU ${fmt(r.graphCpuMs)}), reader ${fmt(r.readMs ?? 0)} ms, baseline ${fmt(r.baselineMs ?? 0)} ms (CPU ${fmt(r.baselineCpuMs ?? 0)}), rss ${fmt(r.rssMB)} MB\n`,
    );
  }
  const head = [
    'events',
    'file MB',
    'baseline ev/s',
    'reader ev/s',
    'graph ev/s',
    'ratio wall',
    'ratio CPU',
    'reader-only ratio CPU',
    'peak RSS MB',
    'nodes',
    'edges',
    'replay MB',
    'seek max ms',
    'detect +% (CPU)',
  ];
  const lines = [head.join(' | '), head.map(() => '---').join(' | ')];
  for (const r of rows) {
    const base = (r.events / (r.baselineMs ?? NaN)) * 1000;
    const read = (r.events / (r.readMs ?? NaN)) * 1000;
    const graph = (r.events / r.graphMs) * 1000;
    lines.push(
      [
        fmt(r.events),
        fmt(r.fileMB, 1),
        fmt(base),
        fmt(read),
        fmt(graph),
        (graph / base).toFixed(2),
        ((r.baselineCpuMs ?? NaN) / r.graphCpuMs).toFixed(2),
        ((r.baselineCpuMs ?? NaN) / (r.readCpuMs ?? NaN)).toFixed(2),
        fmt(r.rssMB),
        fmt(r.nodes),
        fmt(r.edges),
        fmt(r.replayMB, 1),
        fmt(r.seekMaxMs ?? NaN, 1),
        r.detectMs === undefined ? 'n/a' : `${fmt((r.detectMs / r.graphCpuMs) * 100)}% (${r.findings} findings)`,
      ].join(' | '),
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
  const by = new Map(rows.map((r) => [r.size, r]));
  const verdicts: string[] = [];
  for (const r of rows) {
    const ratio = r.events / r.graphMs / (r.events / (r.baselineMs ?? NaN));
    const cpu = (r.baselineCpuMs ?? NaN) / r.graphCpuMs;
    // Judged on CPU time: wall time on a shared machine measures the neighbours as much as us.
    verdicts.push(
      `${fmt(r.size)}: ratio ${cpu.toFixed(2)} (CPU time; wall ${ratio.toFixed(2)}) ${cpu >= 0.5 ? 'meets' : 'MISSES'} ≥ 0.5`,
    );
  }
  const m1 = by.get(1_000_000);
  const m3 = by.get(3_000_000);
  if (m1 && m3)
    verdicts.push(
      `RSS 3M / 1M = ${(m3.rssMB / m1.rssMB).toFixed(2)} ${m3.rssMB <= 1.5 * m1.rssMB ? 'meets' : 'MISSES'} ≤ 1.5`,
    );
  if (m1)
    verdicts.push(
      `seek in 1M: max ${fmt(m1.seekMaxMs ?? NaN, 1)} ms, mean ${fmt(m1.seekMeanMs ?? NaN, 1)} ms ${(m1.seekMaxMs ?? Infinity) < 1000 ? 'meets' : 'MISSES'} < 1 s`,
    );
  if (m1?.detectMs !== undefined) {
    const share = m1.detectMs / m1.graphCpuMs;
    verdicts.push(
      `detection at 1M adds ${(share * 100).toFixed(0)}% of graph build time ${share <= 0.3 ? 'meets' : 'MISSES'} ≤ 30%`,
    );
  }
  process.stdout.write(verdicts.join('\n') + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
