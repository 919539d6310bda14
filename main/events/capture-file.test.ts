import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureHeader } from '../common/capture';
import type { LanternEvent } from '../common/events';
import { CaptureError, CaptureWriter, openCapture, openCaptureBuffer, readCapture } from './capture-file';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lantern-capfile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const tmp = (name: string) => join(dir, `${Math.random().toString(36).slice(2)}-${name}`);

const header: CaptureHeader = {
  lantern: 'capture',
  version: 1,
  created: '2026-01-01T00:00:00.000Z',
  tool: { name: 'lantern', version: '0.1.0' },
  cluster: { server: 'https://127.0.0.1:6443', context: 'lab' },
  nodes: [{ name: 'node-1', kernel: '6.18.0' }],
  probes: ['exec', 'tcp', 'open'],
  source: 'lantern',
  inventory: {
    takenAt: '2026-01-01T00:00:00Z',
    nodes: [{ name: 'node-1', addresses: ['10.0.0.1'] }],
    namespaces: [{ name: 'shop', labels: { team: 'ünïcode ✓' } }],
    pods: [{ uid: 'u1', name: 'web-1', namespace: 'shop', containers: [{ name: 'web', id: 'a'.repeat(64) }] }],
    services: [],
    serviceAccounts: [],
  },
};

function mkEvent(i: number): LanternEvent {
  const base = {
    time: 1_700_000_000_000_000_000 + i * 1000,
    node: 'node-1',
    seq: i,
    proc: { pid: 100 + (i % 7), start: 5000 + (i % 7), comm: 'sh', exe: '/bin/sh' },
    container: { id: 'a'.repeat(64) },
  };
  switch (i % 5) {
    case 0:
      return {
        ...base,
        kind: 'exec',
        proc: { ...base.proc, args: ['sh', '-c', `echo "quoted\\n" ${i} — ünïcode 🚀 \u0001`] },
      };
    case 1:
      return {
        ...base,
        kind: 'connect',
        net: { proto: 'tcp', family: 4, saddr: '10.1.0.2', sport: 40000 + i, daddr: '10.96.0.1', dport: 443 },
      };
    case 2:
      return { ...base, kind: 'open', file: { path: `/etc/passwd${i}`, flags: 0, write: false } };
    case 3:
      return { ...base, kind: 'agent.lost', agent: { lost: 3 } };
    default:
      return { ...base, kind: 'exit', exit: { code: 1, signal: 9 } };
  }
}

/** Writes a capture; with close=false it only flushes (as a crash would leave it) and returns the open writer. */
async function writeCapture(path: string, events: LanternEvent[], close = true): Promise<CaptureWriter> {
  const w = await CaptureWriter.create(path, header);
  for (const e of events) if (!w.write(e)) await w.drain();
  if (close) await w.close();
  else await w.flush();
  return w;
}

/** Plain NDJSON text of a capture whose event lines are given raw. */
function ndjson(lines: string[], withTrailer = true): string {
  const out = [JSON.stringify(header), ...lines];
  if (withTrailer)
    out.push(
      JSON.stringify({
        lantern: 'trailer',
        ended: 'x',
        events: lines.length,
        counts: {},
        lost: {},
        status: 'complete',
      }),
    );
  return out.join('\n') + '\n';
}

const good = (i = 0) => JSON.stringify(mkEvent(i));

async function expectCaptureError(p: Promise<unknown>, line: number, reason: RegExp): Promise<CaptureError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CaptureError);
  const ce = err as CaptureError;
  expect(ce.line).toBe(line);
  expect(ce.reason).toMatch(reason);
  expect(ce.message).toContain(ce.file);
  return ce;
}

describe('round trip', () => {
  it('reads back exactly what was written, in order, with indexes and a computed trailer', async () => {
    const path = tmp('rt.lantern');
    const events = Array.from({ length: 20_000 }, (_, i) => mkEvent(i));
    await writeCapture(path, events);
    const raw = await readFile(path);
    expect(raw[0]).toBe(0x1f); // gzip
    const r = await openCapture(path);
    expect(r.header).toEqual(header);
    const got: LanternEvent[] = [];
    let batches = 0;
    for await (const b of r.batches()) {
      expect(b.firstIndex).toBe(got.length);
      batches++;
      got.push(...b);
    }
    expect(batches).toBeGreaterThan(1);
    expect(got).toEqual(events);
    expect(r.warnings).toEqual([]);
    expect(r.stats).toEqual({ lines: 20_002, events: 20_000, skipped: 0 });
    expect(r.trailer).toMatchObject({
      lantern: 'trailer',
      events: 20_000,
      status: 'complete',
      counts: { exec: 4000, connect: 4000, open: 4000, 'agent.lost': 4000, exit: 4000 },
      lost: { 'node-1': 12_000 },
    });
    expect(r.trailer?.firstTime).toBe(events[0]!.time);
    expect(r.trailer?.lastTime).toBe(events[19_999]!.time);
  });

  it('close() fields override the computed trailer', async () => {
    const path = tmp('status.lantern');
    const w = await CaptureWriter.create(path, header);
    w.write(mkEvent(0));
    const t = await w.close({ status: 'stopped', skipped: 2 });
    expect(t).toMatchObject({ status: 'stopped', skipped: 2, events: 1 });
    const back = await readCapture(path);
    expect(back.trailer).toEqual(t);
    await expect(async () => w.write(mkEvent(1))).rejects.toThrow(/closed/);
  });

  it('reads plain NDJSON, from a buffer, with or without a final newline, CRLF and a BOM', async () => {
    const text = ndjson([good(0), good(1)]);
    const a = await openCaptureBuffer(Buffer.from(text), 'upload.ndjson');
    const evs: LanternEvent[] = [];
    for await (const b of a.batches()) evs.push(...b);
    expect(evs).toEqual([mkEvent(0), mkEvent(1)]);
    expect(a.warnings).toEqual([]);

    const noFinalNl = await openCaptureBuffer(Buffer.from(text.trimEnd()), 'x');
    for await (const _ of noFinalNl.batches());
    expect(noFinalNl.trailer?.events).toBe(2);
    expect(noFinalNl.warnings).toEqual([]);

    const crlf = await openCaptureBuffer(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text.replace(/\n/g, '\r\n'))]),
      'crlf',
    );
    let n = 0;
    for await (const b of crlf.batches()) n += b.length;
    expect(n).toBe(2);
    expect(crlf.trailer).toBeDefined();

    const gz = await openCaptureBuffer(gzipSync(text), 'upload.lantern');
    let m = 0;
    for await (const b of gz.batches()) m += b.length;
    expect(m).toBe(2);
  });

  it('stopping early closes the file', async () => {
    const path = tmp('early.lantern');
    await writeCapture(
      path,
      Array.from({ length: 5000 }, (_, i) => mkEvent(i)),
    );
    const r = await openCapture(path);
    for await (const b of r.batches()) {
      expect(b.length).toBeGreaterThan(0);
      break;
    }
    await r.close();
    await expect(async () => {
      for await (const _ of r.batches());
    }).rejects.toThrow(/only once/);
  });
});

describe('incomplete files open with a warning', () => {
  it('a flushed, never-closed capture (the writer process killed with SIGKILL) keeps every flushed event', async () => {
    const path = tmp('killed.lantern');
    const script = join(dir, `kill-${Math.random().toString(36).slice(2)}.mts`);
    const modUrl = new URL('./capture-file.ts', import.meta.url).href;
    await writeFile(
      script,
      `import { CaptureWriter } from ${JSON.stringify(modUrl)};
       const w = await CaptureWriter.create(${JSON.stringify(path)}, ${JSON.stringify(header)});
       for (let i = 0; i < 1000; i++) w.write({ kind: 'exec', time: i, node: 'n', proc: { pid: i, start: 0, comm: 'x' } });
       await w.flush();
       for (let i = 0; i < 50; i++) w.write({ kind: 'exec', time: i, node: 'n', proc: { pid: i, start: 0, comm: 'unflushed' } });
       process.kill(process.pid, 'SIGKILL');`,
    );
    const tsxLoader = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
    const child = spawn(process.execPath, ['--import', tsxLoader, script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    expect(signal, stderr).toBe('SIGKILL');
    expect(code).toBeNull();
    const back = await readCapture(path);
    expect(back.events.length).toBe(1000);
    expect(back.trailer).toBeUndefined();
    expect(back.warnings.join('\n')).toMatch(/gzip stream ends early/);
    expect(back.warnings.join('\n')).toMatch(/no trailer.*1000 events read/);
  }, 180_000);

  it('a gzip file cut at any point reads a prefix and says what is missing', async () => {
    const path = tmp('cut.lantern');
    const events = Array.from({ length: 3000 }, (_, i) => mkEvent(i));
    await writeCapture(path, events);
    const size = (await stat(path)).size;
    for (const frac of [0.3, 0.6, 0.95]) {
      const cut = tmp('cut-part.lantern');
      await writeFile(cut, (await readFile(path)).subarray(0, Math.floor(size * frac)));
      const back = await readCapture(cut);
      expect(back.events.length).toBeLessThan(3000);
      expect(back.events).toEqual(events.slice(0, back.events.length));
      expect(back.warnings.some((w) => /gzip stream ends early/.test(w))).toBe(true);
      expect(back.warnings.some((w) => new RegExp(`no trailer.*${back.events.length} events read`).test(w))).toBe(true);
    }
  });

  it('a plain file cut mid-line drops only the cut line', async () => {
    const text = ndjson([good(0), good(1), good(2)], false);
    const cut = text.slice(0, text.length - 20);
    const path = tmp('cut.ndjson');
    await writeFile(path, cut);
    const back = await readCapture(path);
    expect(back.events).toEqual([mkEvent(0), mkEvent(1)]);
    expect(back.warnings.join('\n')).toMatch(/line 4.*cut off mid-way/);
    expect(back.warnings.join('\n')).toMatch(/no trailer/);
  });

  it('a capture with only its header (killed right after create) opens with zero events', async () => {
    const path = tmp('hdr.lantern');
    const w = await writeCapture(path, [], false);
    const back = await readCapture(path);
    await w.abort();
    expect(back.header).toEqual(header);
    expect(back.events).toEqual([]);
    expect(back.warnings.join('\n')).toMatch(/no trailer.*0 events read/);
  });

  it('autoFlushMs flushes on its own; abort leaves a file without trailer', async () => {
    const path = tmp('auto.lantern');
    const w = await CaptureWriter.create(path, header, { autoFlushMs: 20 });
    w.write(mkEvent(0));
    await new Promise((r) => setTimeout(r, 200));
    const mid = await readCapture(path);
    expect(mid.events).toEqual([mkEvent(0)]);
    await w.abort();
    const after = await readCapture(path);
    expect(after.events).toEqual([mkEvent(0)]);
    expect(after.trailer).toBeUndefined();
  });
});

describe('bad input is refused in words, or skipped and counted', () => {
  const cases: { name: string; line: string | Buffer; reason: RegExp }[] = [
    { name: 'garbage', line: 'this is not json {', reason: /not valid JSON/ },
    { name: 'invalid UTF-8', line: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), reason: /invalid UTF-8/ },
    {
      name: '__proto__ key',
      line: `{"kind":"exec","time":1,"node":"n","__proto__":{"polluted":true}}`,
      reason: /forbidden key "__proto__"/,
    },
    {
      name: 'escaped __proto__ key',
      line: `{"kind":"exec","time":1,"node":"n","pod":{"name":"a","namespace":"b","\\u005f_proto__":{"polluted":true}}}`,
      reason: /forbidden key "__proto__"/,
    },
    {
      name: 'constructor.prototype',
      line: `{"kind":"exec","time":1,"node":"n","constructor":{"prototype":{"polluted":true}}}`,
      reason: /forbidden key/,
    },
    {
      name: 'wrong time type',
      line: `{"kind":"exec","time":"yesterday","node":"n"}`,
      reason: /"time" must be a number/,
    },
    { name: 'unknown kind', line: `{"kind":"teleport","time":1,"node":"n"}`, reason: /unknown event kind "teleport"/ },
    {
      name: 'pid as string',
      line: `{"kind":"exec","time":1,"node":"n","proc":{"pid":"1","start":0,"comm":"x"}}`,
      reason: /"proc" needs numeric pid/,
    },
    {
      name: 'args not strings',
      line: `{"kind":"exec","time":1,"node":"n","proc":{"pid":1,"start":0,"comm":"x","args":[{"a":1}]}}`,
      reason: /must hold strings/,
    },
    {
      name: 'net without addresses',
      line: `{"kind":"connect","time":1,"node":"n","net":{"dport":80}}`,
      reason: /"net" needs/,
    },
    { name: 'array', line: `[1,2,3]`, reason: /not a JSON object/ },
    { name: 'deep nesting', line: '['.repeat(200_000), reason: /not valid JSON/ },
    {
      name: 'deep nesting that parses',
      line: `{"kind":"exec","time":1,"node":"n","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      reason: /nested deeper than 64 levels/,
    },
    {
      name: 'deep __proto__',
      line: `{"kind":"exec","time":1,"node":"n","x":[{"y":{"__proto__":{"polluted":1}}}]}`,
      reason: /forbidden key "__proto__"/,
    },
    { name: 'second header', line: JSON.stringify(header), reason: /second capture header/ },
  ];

  for (const c of cases) {
    it(`${c.name}: CaptureError naming file and line; skipped and counted with continueOnError`, async () => {
      const before = Buffer.from(ndjson([good(0)], false));
      const bad = Buffer.isBuffer(c.line) ? c.line : Buffer.from(c.line);
      const after = Buffer.from(`\n${good(1)}\n`);
      const path = tmp('bad.lantern');
      await writeFile(path, gzipSync(Buffer.concat([before, bad, after])));
      const seen: LanternEvent[] = [];
      const strict = (async () => {
        const r = await openCapture(path);
        for await (const b of r.batches()) seen.push(...b);
      })();
      const err = await expectCaptureError(strict, 3, c.reason);
      expect(err.file).toBe(path);
      expect(seen).toEqual([mkEvent(0)]); // what came before the bad line is delivered
      const lenient = await readCapture(path, { continueOnError: true });
      expect(lenient.events).toEqual([mkEvent(0), mkEvent(1)]);
      expect(lenient.stats.skipped).toBe(1);
      expect(lenient.skippedReasons[0]?.line).toBe(3);
      expect(lenient.skippedReasons[0]?.reason).toMatch(c.reason);
      expect(lenient.warnings.join('\n')).toMatch(/1 bad line skipped/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      for (const e of lenient.events) expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
    });
  }

  it('event values that merely mention __proto__ or constructor are fine', async () => {
    const ev: LanternEvent = {
      kind: 'exec',
      time: 1,
      node: 'n',
      proc: { pid: 1, start: 0, comm: 'node', args: ['node', '-e', 'x.__proto__ = y; x.constructor'] },
    };
    const back = await openCaptureBuffer(Buffer.from(ndjson([JSON.stringify(ev)])), 'mention');
    const got: LanternEvent[] = [];
    for await (const b of back.batches()) got.push(...b);
    expect(got).toEqual([ev]);
  });

  it('a 100 MB line is refused without buffering it and without hanging', async () => {
    const path = tmp('huge.lantern');
    const gz = createGzip({ level: 1 });
    const out = createWriteStream(path);
    gz.pipe(out);
    gz.write(ndjson([good(0)], false));
    const mb = Buffer.alloc(1 << 20, 0x61);
    gz.write('{"kind":"exec","time":1,"node":"');
    for (let i = 0; i < 100; i++) if (!gz.write(mb)) await once(gz, 'drain');
    gz.write(`"}\n${good(1)}\n`);
    gz.end();
    await once(out, 'close');
    const rssBefore = process.memoryUsage().rss;
    const t0 = Date.now();
    await expectCaptureError(readCapture(path), 3, /longer than 8388608 bytes/);
    const lenient = await readCapture(path, { continueOnError: true });
    expect(lenient.events).toEqual([mkEvent(0), mkEvent(1)]);
    expect(lenient.stats.skipped).toBe(1);
    expect(Date.now() - t0).toBeLessThan(30_000);
    // Buffering the line would cost at least 100 MB (more as a string).
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(60 << 20);
  }, 180_000);

  it('maxLineBytes applies to a line split across chunks and to one inside a chunk', async () => {
    const long = JSON.stringify({ ...mkEvent(0), proc: { pid: 1, start: 0, comm: 'x', args: ['y'.repeat(5000)] } });
    const back = await openCaptureBuffer(Buffer.from(ndjson([good(0), long, good(1)])), 'x', {
      continueOnError: true,
      maxLineBytes: 1000,
    });
    let n = 0;
    for await (const b of back.batches()) n += b.length;
    expect(n).toBe(2);
    expect(back.skippedReasons[0]?.reason).toMatch(/longer than 1000 bytes/);
    expect(back.skippedReasons[0]?.line).toBe(3);
  });

  it('header problems are always fatal, with the reason', async () => {
    const cases: [string | Buffer, RegExp][] = [
      [
        JSON.stringify({ ...header, version: 2 }) + '\n',
        /version 2 was written by a newer Lantern; this one reads up to version 1/,
      ],
      [JSON.stringify({ ...header, version: 'one' }) + '\n', /no valid format version/],
      [JSON.stringify({ hello: 'world' }) + '\n', /not a Lantern capture/],
      ['{"lantern":"capture","version":1,"__proto__":{"x":1}}\n', /forbidden key "__proto__"/],
      [JSON.stringify({ ...header, nodes: 'all' }) + '\n', /"nodes" must be a list/],
      [JSON.stringify({ ...header, inventory: { pods: [{ name: 'x' }] } }) + '\n', /inventory pods need string uid/],
      [Buffer.from([0x50, 0x4b, 0x03, 0x04, 0xff, 0x00, 0x0a]), /not valid UTF-8|not a Lantern capture/],
      ['%PDF-1.4 nope\n', /not a Lantern capture \(line 1 is not JSON/],
    ];
    for (const [content, reason] of cases) {
      for (const gz of [false, true]) {
        const buf = Buffer.isBuffer(content) ? content : Buffer.from(content);
        await expectCaptureError(
          openCaptureBuffer(gz ? gzipSync(buf) : buf, 'h', { continueOnError: true }),
          1,
          reason,
        );
      }
    }
  });

  it('files that cannot be captures at all', async () => {
    const empty = tmp('empty.lantern');
    await writeFile(empty, '');
    await expectCaptureError(openCapture(empty), 0, /empty file/);
    await expectCaptureError(openCapture(tmp('missing.lantern')), 0, /cannot open.*ENOENT/);
    const d = tmp('adir');
    await mkdir(d);
    await expectCaptureError(openCapture(d), 0, /not a regular file|EISDIR/);
    await expectCaptureError(
      openCaptureBuffer(Buffer.from([0x1f, 0x8b, 0x08]), 'tiny.gz'),
      0,
      /gzip data ends before any content/,
    );
    await expectCaptureError(
      openCaptureBuffer(Buffer.from([0x1f, 0x8b, 0x99, 0x99, 1, 2, 3, 4, 5, 6, 7, 8]), 'badgz'),
      1,
      /gzip data is corrupt/,
    );
  });

  it('corrupt gzip in the middle: error in strict mode, a warning and the good prefix otherwise', async () => {
    const path = tmp('corrupt.lantern');
    const events = Array.from({ length: 4000 }, (_, i) => mkEvent(i));
    await writeCapture(path, events);
    const raw = await readFile(path);
    const bad = Buffer.from(raw);
    for (let i = Math.floor(raw.length / 2); i < Math.floor(raw.length / 2) + 64; i++) bad[i] = bad[i]! ^ 0x5a;
    const p = tmp('corrupt2.lantern');
    await writeFile(p, bad);
    const strict = await readCapture(p).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Depending on where the damage lands zlib reports corruption or the JSON breaks: either way a CaptureError.
    expect(strict).toBeInstanceOf(CaptureError);
    const lenient = await readCapture(p, { continueOnError: true });
    expect(lenient.events.length).toBeGreaterThan(0);
    expect(lenient.events.length).toBeLessThan(4000);
    expect(lenient.events.slice(0, 100)).toEqual(events.slice(0, 100));
    expect(lenient.warnings.length).toBeGreaterThan(0);
  });

  it('data after the trailer is reported', async () => {
    const text = ndjson([good(0)]) + good(1) + '\n';
    await expectCaptureError(
      (async () => {
        const r = await openCaptureBuffer(Buffer.from(text), 'after');
        for await (const _ of r.batches());
      })(),
      4,
      /data after the trailer/,
    );
  });

  it('a truncated copy of a file cut to every length from 0 to 400 bytes never throws anything but CaptureError', async () => {
    const path = tmp('small.lantern');
    await writeCapture(path, [mkEvent(0), mkEvent(1)]);
    const raw = await readFile(path);
    for (let n = 0; n < Math.min(raw.length, 400); n++) {
      const p = openCaptureBuffer(raw.subarray(0, n), 'prefix').then(async (r) => {
        for await (const _ of r.batches());
        return r;
      });
      const res = await p.catch((e: unknown) => e);
      if (!(res instanceof CaptureError)) expect(res).toHaveProperty('warnings');
    }
  });
});
