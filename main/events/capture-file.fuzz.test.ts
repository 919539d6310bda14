/**
 * Property/fuzz test of the capture reader: 12,000 generated or mutated inputs (mutated gzip
 * bytes, mutated NDJSON lines, hostile JSON values). Whatever the input, the reader either
 * returns events that are valid LanternEvents, or throws a CaptureError; it never crashes with
 * another error, never hangs, and never pollutes Object.prototype.
 * LANTERN_FUZZ_RUNS=N raises the runs per property for a longer soak. It takes ~10 s on an idle
 * machine; the generous timeouts are for a busy one.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaptureHeader } from '../common/capture';
import type { LanternEvent } from '../common/events';
import { CaptureError, checkEvent, openCaptureBuffer, type ReadOptions } from './capture-file';

const header: CaptureHeader = {
  lantern: 'capture',
  version: 1,
  created: '2026-01-01T00:00:00Z',
  tool: { name: 'lantern', version: '0.1.0' },
  nodes: [{ name: 'n1' }],
  probes: ['exec'],
  source: 'lantern',
  inventory: {
    takenAt: 'x',
    nodes: [],
    namespaces: [{ name: 'a' }],
    pods: [{ uid: 'u', name: 'p', namespace: 'a', containers: [{ name: 'c' }] }],
    services: [],
    serviceAccounts: [],
  },
};
const events: LanternEvent[] = [
  {
    kind: 'exec',
    time: 1,
    node: 'n1',
    proc: { pid: 1, start: 2, comm: 'sh', exe: '/bin/sh', args: ['sh', '-c', 'id'] },
    container: { id: 'a'.repeat(64) },
  },
  {
    kind: 'connect',
    time: 2,
    node: 'n1',
    proc: { pid: 1, start: 2, comm: 'sh' },
    net: { proto: 'tcp', family: 4, saddr: '10.0.0.1', sport: 1234, daddr: '1.1.1.1', dport: 443 },
  },
  {
    kind: 'open',
    time: 3,
    node: 'n1',
    proc: { pid: 1, start: 2, comm: 'cat' },
    file: { path: '/etc/shadow', flags: 0 },
  },
  { kind: 'alert', time: 4, node: 'n1', alert: { tool: 'falco', rule: 'Terminal shell', output: 'ünïcode ✓' } },
];
const trailer = {
  lantern: 'trailer',
  ended: 'x',
  events: events.length,
  counts: { exec: 1 },
  lost: {},
  status: 'complete',
};
const lines = [JSON.stringify(header), ...events.map((e) => JSON.stringify(e)), JSON.stringify(trailer)];
const validText = lines.join('\n') + '\n';
const validGzip = gzipSync(validText);
const protoKeysBefore = Object.getOwnPropertyNames(Object.prototype).join(',');

const PER_INPUT_MS = 5_000;

/** Reads everything; returns normally or throws. Fails the property on a hang or a non-CaptureError. */
async function readAll(buf: Uint8Array, opts: ReadOptions): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const run = (async () => {
    try {
      const r = await openCaptureBuffer(buf, 'fuzz', opts);
      let n = 0;
      for await (const b of r.batches()) {
        for (const e of b) expect(checkEvent(e)).toBeUndefined();
        n += b.length;
      }
      expect(n).toBe(r.stats.events);
      expect(r.stats.events + r.stats.skipped).toBeLessThanOrEqual(r.stats.lines);
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      expect(e.message).toContain('fuzz');
    }
  })();
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`reader did not finish within ${PER_INPUT_MS} ms`)), PER_INPUT_MS);
  });
  try {
    await Promise.race([run, hang]);
  } finally {
    clearTimeout(timer);
  }
  expect(Object.getOwnPropertyNames(Object.prototype).join(',')).toBe(protoKeysBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 32 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(base: Uint8Array, ms: Mutation[]): Buffer {
  let b = Buffer.from(base);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.op === 'flip') b[at] = m.byte;
    else if (m.op === 'cut') b = b.subarray(0, at);
    else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
  }
  return b;
}

/** Strings that make JSON and prototype handling interesting. */
const nasty = fc.constantFrom(
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  ':',
  '\\',
  '\\u0000',
  '\\ud800',
  '"__proto__":{"polluted":1},',
  '"constructor":{"prototype":{"polluted":1}},',
  '"\\u005f_proto__":{"polluted":1},',
  '\n',
  '\r\n',
  '\u0000',
  '\ud83d',
  'null',
  '1e999',
  '-0',
  '"kind":"exec",',
  '"time":"x",',
  '{"lantern":"trailer"}',
);
const lineMutation = fc.record({
  line: fc.nat(),
  at: fc.nat(),
  insert: fc.oneof(nasty, fc.string({ maxLength: 8 })),
  del: fc.nat({ max: 6 }),
});

const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(
      fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        'kind',
        'time',
        'node',
        'proc',
        'net',
        'pid',
        'polluted',
      ),
      tie('value'),
      { maxKeys: 4 },
    ),
    fc.record({
      kind: fc.constantFrom('exec', 'open', 'connect', 'alert', 'nope'),
      time: fc.oneof(fc.double(), fc.string()),
      node: fc.oneof(fc.string(), fc.integer()),
      proc: tie('value'),
    }),
  ),
})).value;

describe('capture reader fuzz (12,000 inputs)', () => {
  it('mutated gzip bytes: 5,000 inputs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (ms, continueOnError) => {
          await readAll(mutate(validGzip, ms), { continueOnError });
        },
      ),
      { numRuns: Number(process.env.LANTERN_FUZZ_RUNS ?? 5_000) },
    );
  }, 180_000);

  it('mutated NDJSON lines, plain and gzip: 5,000 inputs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineMutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        async (ms, continueOnError, gz) => {
          const ls = [...lines];
          for (const m of ms) {
            const i = m.line % ls.length;
            const l = ls[i]!;
            const at = m.at % (l.length + 1);
            ls[i] = l.slice(0, at) + m.insert + l.slice(at + m.del);
          }
          const text = Buffer.from(ls.join('\n') + '\n');
          await readAll(gz ? gzipSync(text) : text, { continueOnError, maxLineBytes: 4096 });
        },
      ),
      { numRuns: Number(process.env.LANTERN_FUZZ_RUNS ?? 5_000) },
    );
  }, 180_000);

  it('hostile JSON values as event lines and as the header: 2,000 inputs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostileValue, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
        async (vals, continueOnError, asHeader) => {
          const body = vals.map((v) => JSON.stringify(v) ?? 'undefined');
          // JSON.stringify writes a "__proto__" own key as a plain key, so these really reach the parser.
          const text = asHeader ? body.join('\n') : [lines[0], ...body].join('\n');
          await readAll(Buffer.from(text), { continueOnError });
        },
      ),
      { numRuns: Number(process.env.LANTERN_FUZZ_RUNS ?? 2_000) },
    );
  }, 180_000);
});
