import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonValues, type JsonItem } from './json-values';

async function split(input: string | Uint8Array, chunkSize = 1 << 20, opts = {}): Promise<JsonItem[]> {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const out: JsonItem[] = [];
  for await (const it of jsonValues(chunks(), opts)) out.push(it);
  return out;
}
const values = (items: JsonItem[]) =>
  items.filter((i): i is { value: unknown; line: number } => 'value' in i).map((i) => i.value);
const errors = (items: JsonItem[]) => items.filter((i): i is { error: string; line: number } => 'error' in i);

describe('jsonValues', () => {
  const objs = [{ a: 1 }, { b: 'x}{"\\', c: [1, { d: null }] }, { e: 'ünïcode ✓ 🚀' }];

  it('reads NDJSON, pretty-printed, concatenated and array forms alike, with line numbers', async () => {
    expect(values(await split(objs.map((o) => JSON.stringify(o)).join('\n')))).toEqual(objs);
    expect(values(await split(objs.map((o) => JSON.stringify(o, null, 2)).join('\n')))).toEqual(objs);
    expect(values(await split(objs.map((o) => JSON.stringify(o, null, 4)).join('')))).toEqual(objs);
    expect(values(await split(JSON.stringify(objs, null, 2)))).toEqual(objs);
    const pretty = await split(objs.map((o) => JSON.stringify(o, null, 2)).join('\n'));
    expect(pretty.map((p) => p.line)).toEqual([1, 4, 13]);
  });

  it('gives the same answer whatever the chunking (multi-byte characters split across chunks)', async () => {
    const text = `\uFEFF${objs.map((o) => JSON.stringify(o, null, 1)).join('\n')}\n`;
    for (const size of [1, 2, 3, 7, 64]) expect(values(await split(text, size))).toEqual(objs);
  });

  it('skips non-JSON text and bare scalars, naming the line, and resynchronises', async () => {
    const items = await split(`garbage here\n{"a":1}\n42\n"str"\nnull\n{"b":2}\n`);
    expect(values(items)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(errors(items).map((e) => e.line)).toEqual([1, 3, 4, 5]);
  });

  it('reports a value cut off at the end, invalid JSON inside braces, and forbidden keys', async () => {
    expect(errors(await split('{"a":1}\n{"b": [1, 2'))).toEqual([
      { error: 'the input ends inside a JSON value (file cut off?)', line: 2 },
    ]);
    expect(errors(await split('{"a": nope}'))[0]?.error).toMatch(/not valid JSON/);
    expect(errors(await split('{"__proto__": {"x": 1}}'))[0]?.error).toMatch(/forbidden key "__proto__"/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('refuses a value over the limit without buffering it, and carries on', async () => {
    const big = `{"a":"${'x'.repeat(10_000)}"}`;
    const items = await split(`${big}\n{"ok":true}\n`, 512, { maxValueChars: 1000 });
    expect(errors(items)[0]?.error).toMatch(/longer than 1000/);
    expect(values(items)).toEqual([{ ok: true }]);
  });

  it('never throws on arbitrary input (2,000 generated inputs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 200 })),
        fc.integer({ min: 1, max: 16 }),
        async (input, size) => {
          const items = await split(typeof input === 'string' ? input : input, size);
          for (const it of items) expect(typeof it.line).toBe('number');
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
