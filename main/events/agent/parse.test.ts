import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { AgentStreamParser, restoreBytes, decodeProcNetAddr, decodeDnsName, decodeRawAddr } from './parse';

const P = (tag: string, rest: unknown[]) => [
  tag,
  1000,
  42,
  42,
  1,
  0,
  0,
  5_000_000_000,
  1_000_000_000,
  7,
  'sh',
  ...rest,
];
const line = (seq: number, type: string, data: unknown) => JSON.stringify({ seq, type, data });

describe('AgentStreamParser', () => {
  it('parses the recorded agent sample without errors', () => {
    const p = new AgentStreamParser({ node: 'n1' });
    const text = readFileSync(new URL('../../../native/agent/testdata/sample.ndjson', import.meta.url), 'utf8');
    const kinds = new Set<string>();
    text.split('\n').forEach((l, i) => {
      const r = p.parseLine(l, i + 1);
      expect(r.error, r.error).toBeUndefined();
      for (const e of r.events) {
        kinds.add(e.kind);
        expect(e.node).toBe('n1');
        expect(e.source).toBe('lantern');
      }
    });
    expect(kinds.has('exec')).toBe(true);
    expect(kinds.has('agent.status')).toBe(true);
  });

  it('finds each recorded behaviour in the sample with the right fields', () => {
    const p = new AgentStreamParser({ node: 'lab-node-1' });
    const text = readFileSync(new URL('../../../native/agent/testdata/sample.ndjson', import.meta.url), 'utf8');
    const all = text.split('\n').flatMap((l, i) => p.parseLine(l, i + 1).events);
    const pod = '11111111-2222-3333-4444-555555555555';
    const echo = all.find((e) => e.kind === 'exec' && e.proc?.exe === '/bin/echo')!;
    expect(echo.proc!.args).toEqual(['/bin/echo', 'q"x', 'a\nb\tc\ufffd']);
    expect(echo.container!.podUid).toBe(pod);
    expect(echo.container!.id).toBe('a'.repeat(64));
    const shadow = all.find((e) => e.kind === 'open' && e.file?.path === '/etc/shadow')!;
    expect(shadow.ret).toBe(3);
    expect(shadow.proc!.comm).toBe('cat');
    expect(all.find((e) => e.kind === 'dns' && e.dns?.query === 'example.com')).toBeDefined();
    const lis = all.find((e) => e.kind === 'listen')!;
    const acc = all.find((e) => e.kind === 'accept')!;
    const con = all.find((e) => e.kind === 'connect' && e.net?.proto === 'tcp' && e.net.dport === lis.net!.sport)!;
    expect(acc.net!.sport).toBe(lis.net!.sport);
    expect(acc.net!.dport).toBe(con.net!.sport);
    expect(all.find((e) => e.kind === 'ns' && e.ns?.op === 'unshare')!.ns!.flags).toBe(0x10000000);
    expect(all.some((e) => e.kind === 'exit' && e.exit?.code === 5 && e.proc?.comm === 'sh')).toBe(true);
    expect(all.some((e) => e.kind === 'open' && e.file?.aggregated && (e.file.count ?? 0) > 0)).toBe(true);
    const start = all.find((e) => e.kind === 'agent.status' && e.agent?.phase === 'start')!;
    expect(start.agent!.bootTimeNs).toBeGreaterThan(1.7e18);
    expect(echo.time).toBeGreaterThan(1.7e18);
    // seq strictly increasing, one per line
    const seqs = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).seq as number);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
  });

  it('joins argv lines to the exec head, keeps attacker bytes intact, converts time', () => {
    const p = new AgentStreamParser({ node: 'n' });
    p.parseLine(line(1, 'status', { phase: 'start', bootTimeNs: 1e18 }));
    p.parseLine(
      line(2, 'cg', {
        id: 7,
        path:
          '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice/cri-containerd-' +
          'a'.repeat(64) +
          '.scope',
      }),
    );
    // what bpftrace writes for "q\"\\\n\t\xff": note \uffffffff for the byte 0xff
    p.parseLine(String.raw`{"seq":3,"type": "value", "data": ["arg",42,900,0,"q\"\\\n\t\uffffffff"]}`);
    p.parseLine(line(4, 'value', ['arg', 42, 900, 1, 'x,y']));
    const r = p.parseLine(line(5, 'value', P('exec', [42, 900, 2, '/bin/echo'])));
    const e = r.events[0]!;
    expect(e.kind).toBe('exec');
    expect(e.proc!.args).toEqual(['q"\\\n\t\ufffd', 'x,y']);
    expect(e.time).toBe(1e18 + 1000);
    expect(e.container!.podUid).toBe('11111111-2222-3333-4444-555555555555');
    expect(e.container!.id).toBe('a'.repeat(64));
  });

  it('drops duplicates after a resume and reports gaps', () => {
    const p = new AgentStreamParser({ node: 'n' });
    p.parseLine(line(1, 'value', ['tick', 1]));
    expect(p.parseLine(line(1, 'value', ['tick', 1])).events).toEqual([]);
    const r = p.parseLine(line(5, 'value', ['tick', 2]));
    expect(r.events[0]!.kind).toBe('agent.lost');
    expect(r.events[0]!.agent!.lost).toBe(3);
    expect(p.lastSeq).toBe(5);
  });

  it('gives a line number and a reason for unreadable lines', () => {
    const p = new AgentStreamParser({ node: 'n' });
    expect(p.parseLine('{"seq":1,"type": "value", "data": ["exec",1', 17).error).toMatch(/^line 17: not a JSON object/);
    expect(p.parseLine('[1,2]', 18).error).toMatch(/line 18/);
    expect(p.parseLine(line(2, 'value', ['nope']), 19).error).toMatch(/line 19: unknown tuple tag/);
    expect(p.parseLine(JSON.stringify({ seq: 3, type: 'map', data: { __proto__: 1 } }), 20).error).toBeUndefined();
  });

  it('folds aggregated opens per directory, reads apart from writes, and reports a full map as loss', () => {
    const p = new AgentStreamParser({ node: 'n' });
    const r1 = p.parseLine(
      line(1, 'map', { '@o0': { '7,42,0,/etc/a': 2, '7,42,0,/etc/b,c': 1, '7,42,1,/etc/d': 1, '7,43,1,/tmp/x': 1 } }),
    );
    const dirs = r1.events.map((e) => [e.file!.path, e.file!.count, e.file!.write ?? false]);
    expect(dirs).toEqual([
      ['/etc', 3, false],
      ['/etc', 1, true],
      ['/tmp', 1, true],
    ]);
    const r2 = p.parseLine(line(2, 'map', { '@ot0': 7 }));
    expect(r2.events[0]!.kind).toBe('agent.lost');
    expect(r2.events[0]!.agent!.lost).toBe(2);
  });

  it('reads aggregated opens of agents before 0.2 (no write bit in the key)', () => {
    const p = new AgentStreamParser({ node: 'n' });
    p.parseLine(line(1, 'status', { phase: 'start', agentVersion: '0.1.0', bootTimeNs: 1 }));
    const r = p.parseLine(line(2, 'map', { '@o0': { '7,42,/etc/a': 2, '7,42,1,x': 1 } }));
    expect(r.events.map((e) => [e.file!.path, e.file!.count, e.file!.write])).toEqual([
      ['/etc', 2, undefined],
      ['.', 1, undefined],
    ]);
  });

  it('joins the cwd components (leaf first) onto the exec that follows, marking a tail', () => {
    const p = new AgentStreamParser({ node: 'n' });
    const head = (seq: number, pid: number) =>
      line(seq, 'value', ['exec', 5, pid, pid, 1, 0, 0, 10, 9, 7, 'true', pid, 4, 0, '/bin/true']);
    p.parseLine(line(1, 'value', ['cwd', 42, 0, 'b\uffffffc3\uffffffa9']));
    p.parseLine(line(2, 'value', ['cwd', 42, 1, 'a']));
    p.parseLine(line(3, 'value', ['cwdend', 42, 2, 0]));
    expect(p.parseLine(head(4, 42)).events[0]!.proc).toMatchObject({ cwd: '/a/bé' });
    p.parseLine(line(5, 'value', ['cwdend', 43, 0, 0]));
    expect(p.parseLine(head(6, 43)).events[0]!.proc!.cwd).toBe('/');
    p.parseLine(line(7, 'value', ['cwd', 44, 0, 'data']));
    p.parseLine(line(8, 'value', ['cwdend', 44, 1, 2])); // stopped at the root of another mount
    expect(p.parseLine(head(9, 44)).events[0]!.proc).toMatchObject({ cwd: '…/data', cwdTruncated: true });
    // no cwd lines (an older agent): no cwd
    expect(p.parseLine(head(10, 45)).events[0]!.proc!.cwd).toBeUndefined();
  });

  it('resolves relative aggregated paths against the cwd from exec and chdir', () => {
    const p = new AgentStreamParser({ node: 'n' });
    p.parseLine(line(1, 'value', ['cwdend', 50, 0, 0]));
    p.parseLine(line(2, 'value', ['exec', 5, 50, 50, 1, 0, 0, 10, 9, 7, 'sh', 50, 4, 0, '/bin/sh']));
    p.parseLine(line(3, 'value', ['chdir', 50, 'etc/./ssh/..']));
    p.parseLine(line(4, 'value', ['chdir', 51, 'rel'])); // cwd never known: stays relative
    const r = p.parseLine(line(5, 'map', { '@o0': { '7,50,1,passwd': 1, '7,50,0,../x/y': 2, '7,51,1,z': 1 } }));
    expect(r.events.map((e) => [e.proc!.pid, e.file!.path, e.file!.write ?? false])).toEqual([
      [50, '/etc', true],
      [50, '/x', false],
      [51, '.', true],
    ]);
  });

  it('reads connect/accept/listen with numeric addresses (c4/a4/l4, c6/a6/l6) like the ntop shapes', () => {
    // 127.0.0.1 and ::1 as the kernel stores them, read as little-endian u32 words
    const lo4 = 0x0100007f;
    const lo6 = [0, 0, 0, 0x01000000];
    const mapped = [0, 0, 0xffff0000, 0x0200000a]; // ::ffff:10.0.0.2
    const doc = [0xb80d0120, 0, 0, 0x05000000]; // 2001:db8::5
    const net = (tuples: unknown[][]) => {
      const p = new AgentStreamParser({ node: 'n' });
      return tuples.map((t, i) => {
        const [e] = p.parseLine(line(i + 1, 'value', t)).events;
        return [e!.kind, e!.ret, e!.net];
      });
    };
    const raw = net([
      P('l4', [0, 6, 8080, lo4]),
      P('c4', [-115, 6, 40000, 8080, lo4, lo4]),
      P('a4', [6, 8080, 40000, lo4, lo4]),
      P('l6', [0, 6, 8443, ...lo6]),
      P('c6', [0, 6, 40001, 8443, ...mapped, ...doc]),
      P('a6', [17, 53, 40002, ...doc, ...lo6]),
    ]);
    const text = net([
      P('lis4', [0, 6, 8080, '127.0.0.1']),
      P('conn4', [-115, 6, 40000, 8080, '127.0.0.1', '127.0.0.1']),
      P('acc4', [6, 8080, 40000, '127.0.0.1', '127.0.0.1']),
      P('lis6', [0, 6, 8443, '::1']),
      P('conn6', [0, 6, 40001, 8443, '::ffff:10.0.0.2', '2001:db8::5']),
      P('acc6', [17, 53, 40002, '2001:db8::5', '::1']),
    ]);
    expect(raw).toEqual(text);
    expect(raw[4]![2]).toMatchObject({ family: 6, saddr: '::ffff:10.0.0.2', daddr: '2001:db8::5', sport: 40001 });
    expect(raw[5]![2]).toMatchObject({ proto: 'udp', saddr: '2001:db8::5', daddr: '::1' });
    expect(decodeRawAddr([0], 4)).toBe('0.0.0.0');
    expect(decodeRawAddr([0, 0, 0, 0], 6)).toBe('::');
    expect(decodeRawAddr(['x', null, -1, 2 ** 40], 6)).toMatch(/^[0-9a-f:]+$/); // never throws on odd input
  });

  it('decodes helpers', () => {
    expect(restoreBytes('\uffffffc3\uffffffa9')).toBe('é');
    expect(decodeProcNetAddr('0100007F:1F90', 4)).toEqual(['127.0.0.1', 8080]);
    expect(decodeProcNetAddr('00000000000000000000000001000000:0050', 6)).toEqual(['::1', 80]);
    expect(decodeDnsName('\u0007example\u0003com')).toBe('example.com');
  });
});
