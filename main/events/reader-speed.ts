/**
 * Quick measurement of the capture reader against the floor it cannot beat: a plain loop of
 * gunzip + split + JSON.parse over the same file, measured in the same run.
 *   npx tsx main/events/reader-speed.ts [events=500000 | FILE.lantern]
 * With a number it writes a synthetic capture first; with a file it reads that one (e.g. the
 * ingest benchmark's cached captures in os.tmpdir()/lantern-bench). Rounds alternate and the
 * best CPU time (user+sys) of each is compared: robust on a shared machine.
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

const N = /^\d+$/.test(process.argv[2] ?? '') ? Number(process.argv[2]) : 500_000;

function sampleEvent(i: number): LanternEvent {
  const pid = 1000 + (i % 500);
  const base = {
    time: 1.7e18 + i * 1000,
    node: `node-${i % 3}`,
    seq: i,
    proc: { pid, start: pid * 1e6, ppid: 1, uid: 0, comm: 'curl', exe: '/usr/bin/curl' },
    container: { id: 'ab'.repeat(32), podUid: '11111111-2222-3333-4444-555555555555' },
  };
  switch (i % 4) {
    case 0:
      return { ...base, kind: 'exec', proc: { ...base.proc, args: ['curl', '-s', `http://web/${i % 50}`] } };
    case 1:
      return {
        ...base,
        kind: 'connect',
        net: {
          proto: 'tcp',
          family: 4,
          saddr: '10.0.0.5',
          sport: 30000 + (i % 20000),
          daddr: `10.96.0.${i % 10}`,
          dport: 80,
        },
      };
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
    for (const l of lines)
      if (l) {
        JSON.parse(l);
        n++;
      }
  }
  if (rest) {
    JSON.parse(rest);
    n++;
  }
  return n;
}

async function readerLoop(path: string): Promise<number> {
  const r = await openCapture(path);
  let n = 0;
  for await (const b of r.batches()) n += b.length;
  return n;
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

async function compare(file: string, n: number): Promise<void> {
  const res = { plain: [] as number[], reader: [] as number[] };
  for (let round = 0; round < 5; round++) {
    let c = process.cpuUsage();
    const a = await plainLoop(file);
    res.plain.push(cpuMs(c));
    c = process.cpuUsage();
    const b = await readerLoop(file);
    res.reader.push(cpuMs(c));
    // plain counts header and trailer lines too
    if (a - b > 2 || b > a) throw new Error(`count mismatch ${a} vs ${b}`);
  }
  const p = Math.min(...res.plain);
  const r = Math.min(...res.reader);
  console.log(`plain gunzip+JSON.parse: ${p.toFixed(0)} ms CPU (${((n / p) * 1000).toFixed(0)} ev/s)`);
  console.log(`openCapture().batches(): ${r.toFixed(0)} ms CPU (${((n / r) * 1000).toFixed(0)} ev/s)`);
  console.log(`reader speed / plain speed: ${(p / r).toFixed(2)}x`);
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg && !/^\d+$/.test(arg)) {
    const r = await openCapture(arg);
    let n = 0;
    for await (const b of r.batches()) n += b.length;
    console.log(`${arg}: ${n} events`);
    await compare(arg, n);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'lantern-speed-'));
  try {
    const file = join(dir, 'speed.lantern');
    const header: CaptureHeader = {
      lantern: 'capture',
      version: 1,
      created: new Date().toISOString(),
      tool: { name: 'lantern', version: '0.1.0' },
      nodes: [{ name: 'node-0' }],
      probes: ['exec'],
      source: 'lantern',
    };
    const t = performance.now();
    const w = await CaptureWriter.create(file, header);
    for (let i = 0; i < N; i++) if (!w.write(sampleEvent(i))) await w.drain();
    await w.close();
    const writeMs = performance.now() - t;
    console.log(
      `wrote ${N} events (${((await stat(file)).size / 1e6).toFixed(1)} MB gz) in ${writeMs.toFixed(0)} ms = ${((N / writeMs) * 1000).toFixed(0)} ev/s`,
    );
    await compare(file, N);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
