/**
 * Quick measurement of the capture reader against the floor it cannot beat: a plain loop of
 * gunzip + split + JSON.parse over the same file, measured in the same run.
 *   npx tsx main/events/reader-speed.ts [events=500000]
 * (The full read → normalise → graph benchmark is `npm run bench -- ingest`.)
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { CaptureHeader } from '../common/capture';
import type { LanternEvent } from '../common/events';
import { CaptureWriter, openCapture } from './capture-file';

const N = Number(process.argv[2] ?? 500_000);

function sampleEvent(i: number): LanternEvent {
  const pid = 1000 + (i % 500);
  const base = { time: 1.7e18 + i * 1000, node: `node-${i % 3}`, seq: i, proc: { pid, start: pid * 1e6, ppid: 1, uid: 0, comm: 'curl', exe: '/usr/bin/curl' }, container: { id: 'ab'.repeat(32), podUid: '11111111-2222-3333-4444-555555555555' } };
  switch (i % 4) {
    case 0:
      return { ...base, kind: 'exec', proc: { ...base.proc, args: ['curl', '-s', `http://web/${i % 50}`] } };
    case 1:
      return { ...base, kind: 'connect', net: { proto: 'tcp', family: 4, saddr: '10.0.0.5', sport: 30000 + (i % 20000), daddr: `10.96.0.${i % 10}`, dport: 80 } };
    case 2:
      return { ...base, kind: 'open', file: { path: `/etc/file${i % 100}`, flags: 0 } };
    default:
      return { ...base, kind: 'exit', exit: { code: 0 } };
  }
}

async function plainLoop(path: string): Promise<number> {
  let n = 0;
  let rest = '';
  const gz = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 18 }));
  for await (const chunk of gz) {
    const lines = (rest + (chunk as Buffer).toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (l) { JSON.parse(l); n++; }
  }
  if (rest) { JSON.parse(rest); n++; }
  return n;
}

async function readerLoop(path: string): Promise<number> {
  const r = await openCapture(path);
  let n = 0;
  for await (const b of r.batches()) n += b.length;
  return n;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lantern-speed-'));
  try {
    const file = join(dir, 'speed.lantern');
    const header: CaptureHeader = { lantern: 'capture', version: 1, created: new Date().toISOString(), tool: { name: 'lantern', version: '0.1.0' }, nodes: [{ name: 'node-0' }], probes: ['exec'], source: 'lantern' };
    let t = performance.now();
    const w = await CaptureWriter.create(file, header);
    for (let i = 0; i < N; i++) if (!w.write(sampleEvent(i))) await w.drain();
    await w.close();
    const writeMs = performance.now() - t;
    console.log(`wrote ${N} events (${((await stat(file)).size / 1e6).toFixed(1)} MB gz) in ${writeMs.toFixed(0)} ms = ${((N / writeMs) * 1000).toFixed(0)} ev/s`);
    const res: Record<string, number[]> = { plain: [], reader: [] };
    for (let round = 0; round < 3; round++) {
      t = performance.now();
      const a = await plainLoop(file);
      res.plain!.push(performance.now() - t);
      t = performance.now();
      const b = await readerLoop(file);
      res.reader!.push(performance.now() - t);
      if (a - 1 !== b - 0 && a !== b + 2) throw new Error(`count mismatch ${a} vs ${b}`);
    }
    const best = (xs: number[]) => Math.min(...xs);
    const p = best(res.plain!);
    const r = best(res.reader!);
    console.log(`plain gunzip+JSON.parse: ${p.toFixed(0)} ms (${((N / p) * 1000).toFixed(0)} ev/s)`);
    console.log(`openCapture().batches(): ${r.toFixed(0)} ms (${((N / r) * 1000).toFixed(0)} ev/s)`);
    console.log(`ratio reader/plain speed: ${(p / r).toFixed(2)}x`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
