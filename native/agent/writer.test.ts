/**
 * The agent's single writer (lib/json.awk + lib/merge.awk), run with the machine's awk on
 * bpftrace-shaped input: every output line stays within the bound, a map of thousands of
 * entries arrives whole as several map lines, and the laptop's parser reads them back.
 * Needs only awk (no root, no bpftrace).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentStreamParser } from '../../main/events/agent/parse';
import type { LanternEvent } from '../../main/common/events';

const lib = join(dirname(fileURLToPath(import.meta.url)), 'lib');
const hasAwk = spawnSync('awk', ['BEGIN { exit 0 }']).status === 0;
if (!hasAwk)
  console.warn(
    'native/agent/writer.test.ts skipped: no awk on PATH. Reading split map lines is covered in main/events/agent/parse.test.ts.',
  );

function writer(input: string, maxLine = 8192): string[] {
  const r = spawnSync(
    'awk',
    [
      '-f',
      join(lib, 'json.awk'),
      '-f',
      join(lib, 'merge.awk'),
      '-v',
      `MAXLINE=${maxLine}`,
      '-v',
      'errfile=/dev/null',
      '-v',
      'missing=/dev/null',
      '-v',
      'cgfile=/dev/null',
      '-v',
      'boot_off=0',
      '-v',
      'started=0',
      '-v',
      'duration=1',
    ],
    { input, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`awk failed: ${r.stderr}`);
  return r.stdout.toString('latin1').split('\n').filter(Boolean);
}

/** A key as bpftrace -f json writes it: quotes and backslashes escaped, bytes >= 0x80 as \uffffffXX. */
function bt(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

describe.skipIf(!hasAwk)('agent writer line bound', () => {
  it('splits a map of 5000 entries into bounded map lines that parse back to every count', () => {
    const entries: string[] = [];
    let total = 0;
    for (let i = 0; i < 5000; i++) {
      // paths with commas, quotes, backslashes and ", " inside, and a digit before it
      const path = i % 7 === 0 ? `/d${i % 13}/we, "ird\\9, "x${i}` : `/d${i % 13}/f${i}.txt`;
      const count = (i % 5) + 1;
      total += count;
      entries.push(`"${bt(`4242,${1000 + (i % 3)},${i % 2},${path}`)}": ${count}`);
    }
    const input =
      `{"type": "map", "data": {"@o0": {${entries.join(', ')}}}}\n` + `{"type": "map", "data": {"@ot0": ${total}}}\n`;
    expect(input.length).toBeGreaterThan(100_000);
    const out = writer(input);
    const maps = out.filter((l) => l.includes('"@o0"'));
    expect(maps.length).toBeGreaterThan(10);
    for (const l of out) expect(l.length).toBeLessThanOrEqual(8192);
    // sequence numbers stay consecutive across the split
    expect(out.map((l) => JSON.parse(l).seq)).toEqual(out.map((_, i) => i + 1));
    const keys = maps.flatMap((l) => Object.keys(JSON.parse(l).data['@o0']));
    expect(keys.length).toBe(5000);
    expect(new Set(keys).size).toBe(5000);
    expect(keys).toContain(`4242,1000,0,/d0/we, "ird\\9, "x0`);
    const p = new AgentStreamParser({ node: 'n' });
    const events: LanternEvent[] = out.flatMap((l, i) => {
      const r = p.parseLine(l, i + 1);
      expect(r.error).toBeUndefined();
      return r.events;
    });
    const opens = events.filter((e) => e.kind === 'open');
    expect(opens.reduce((n, e) => n + (e.file!.count ?? 0), 0)).toBe(total);
    // all counted opens were attributed: no loss reported for the full map
    expect(events.filter((e) => e.kind === 'agent.lost')).toEqual([]);
    expect(opens.some((e) => e.file!.write === true)).toBe(true);
  });

  it('replaces a line it cannot split with an oversize line, and bounds text lines', () => {
    const long = `{"type": "printf", "data": "cg 1 ${'x'.repeat(20_000)}"}\n`;
    const junk = `${'\u0001'.repeat(3000)}\n`;
    const out = writer(long + junk);
    for (const l of out) expect(l.length).toBeLessThanOrEqual(8192);
    expect(JSON.parse(out[0]!)).toMatchObject({ seq: 1, type: 'oversize', data: { type: 'printf' } });
    expect(JSON.parse(out[1]!).type).toBe('text');
    const p = new AgentStreamParser({ node: 'n' });
    const lost = p.parseLine(out[0]!, 1).events[0]!;
    expect(lost.kind).toBe('agent.lost');
    expect(lost.agent!.message).toMatch(/dropped a \d+-byte "printf" line/);
  });
});
