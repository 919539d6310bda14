/**
 * Folded repeats of connect/accept (agent net.bt: @ccN/@acN count maps), on lines recorded
 * from the real agent (`lantern-agent --probes net --flush 2 --scope host` while one node
 * process connected 20 times to a 127.0.0.1 listener, 10 times to a ::1 listener and 3
 * times to a closed 127.0.0.1 port; non-blocking, so every connect returned -EINPROGRESS).
 */
import { describe, it, expect } from 'vitest';
import { AgentStreamParser } from './parse';
import type { LanternEvent } from '../../common/events';

const recorded = [
  '{"seq":1,"type":"status","data":{"phase":"start","node":"","agentVersion":"0.2.0","bootTimeNs":1795856415254159872,"startedNs":1795872207610280669,"probes":["net"],"scope":"host","duration":4}}',
  '{"seq":2,"type": "value", "data": ["begin",15868554702598,162912]}',
  '{"seq":3,"type": "value", "data": ["l4",15869308954832,7856,7856,7761,0,0,15869220000000,15866720000000,1,"node",0,6,41021,16777343]}',
  '{"seq":4,"type": "value", "data": ["l6",15869313848767,7856,7856,7761,0,0,15869220000000,15866720000000,1,"node",0,6,35565,0,0,0,16777216]}',
  '{"seq":5,"type": "value", "data": ["c4",15869315461389,7856,7856,7761,0,0,15869220000000,15866720000000,1,"node",-115,6,45502,41021,16777343,16777343]}',
  '{"seq":6,"type": "value", "data": ["a4",15869315918432,7856,7856,7761,0,0,15869220000000,15866720000000,1,"node",6,41021,45502,16777343,16777343]}',
  '{"seq":7,"type": "value", "data": ["c6",15869326559262,7856,7856,7761,0,0,15869220000000,15866720000000,1,"node",-115,6,59428,35565,0,0,0,16777216,0,0,0,16777216]}',
  '{"seq":8,"type": "value", "data": ["a6",15869326658550,7856,7856,7761,0,0,15869220000000,15866720000000,1,"node",6,35565,59428,0,0,0,16777216,0,0,0,16777216]}',
  '{"seq":9,"type": "value", "data": ["l4",15869328944027,7856,7856,7761,0,0,15869220000000,15866720000000,1,"node",0,6,45125,16777343]}',
  '{"seq":10,"type": "value", "data": ["c4",15869329328522,7856,7856,7761,0,0,15869220000000,15866720000000,1,"node",-115,6,0,45125,16777343,16777343]}',
  '{"seq":11,"type": "map", "data": {"@cc0": {"1,7856,518,-115,45125,16777343,0,0,0": 2, "1,7856,2566,-115,35565,0,0,0,16777216": 9, "1,7856,518,-115,41021,16777343,0,0,0": 19}}}',
  '{"seq":12,"type": "map", "data": {"@ac0": {"1,7856,2566,35565,0,0,0,16777216": 9, "1,7856,518,41021,16777343,0,0,0": 19}}}',
  '{"seq":13,"type": "value", "data": ["end",15871596881289]}',
  '{"seq":14,"type": "map", "data": {"@n": {"listen": 3, "accept": 30, "connect": 33}}}',
];

function parseAll(lines: string[]): LanternEvent[] {
  const p = new AgentStreamParser({ node: 'n1' });
  return lines.flatMap((l, i) => {
    const r = p.parseLine(l, i + 1);
    expect(r.error, r.error).toBeUndefined();
    return r.events;
  });
}

/** Connections per (kind, destination) once repeats are counted in. */
function totals(events: LanternEvent[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const e of events) {
    if ((e.kind !== 'connect' && e.kind !== 'accept') || !e.net) continue;
    const k = e.kind === 'connect' ? `c ${e.net.daddr} ${e.net.dport}` : `a ${e.net.sport} ${e.net.daddr}`;
    t[k] = (t[k] ?? 0) + 1 + (e.net.repeats ?? 0);
  }
  return t;
}

describe('AgentStreamParser: folded connect/accept repeats', () => {
  it('turns each count entry into a copy of the first full event of its key, with net.repeats', () => {
    const all = parseAll(recorded);
    expect(totals(all)).toEqual({
      'c 127.0.0.1 41021': 20,
      'c ::1 35565': 10,
      'c 127.0.0.1 45125': 3,
      'a 41021 127.0.0.1': 20,
      'a 35565 ::1': 10,
    });
    const firstC4 = all.find((e) => e.kind === 'connect' && e.net?.dport === 41021 && !e.net.repeats)!;
    const rep = all.find((e) => e.kind === 'connect' && e.net?.dport === 41021 && e.net.repeats)!;
    expect(rep.net!.repeats).toBe(18); // 19 folded: this event is one of them, 18 more
    // same process, pod and connection as the first one; only the time (flush) and seq differ
    expect(rep.proc).toEqual(firstC4.proc);
    expect(rep.container).toEqual(firstC4.container);
    expect(rep.ret).toBe(-115);
    expect({ ...rep.net, repeats: undefined }).toEqual({ ...firstC4.net, repeats: undefined });
    expect(rep.seq).toBe(11);
    expect(rep.time).toBeGreaterThanOrEqual(firstC4.time);
    const acc6 = all.find((e) => e.kind === 'accept' && e.net?.family === 6 && e.net.repeats)!;
    expect(acc6.net).toMatchObject({ saddr: '::1', sport: 35565, daddr: '::1', dport: 59428, repeats: 8 });
    // the full events are untouched: no repeats field
    expect(all.filter((e) => e.net && e.net.repeats === undefined && e.kind === 'connect')).toHaveLength(3);
    // a count of 1 is one more connection like the first, with no repeats of its own
    const one = all.filter((e) => e.kind === 'connect' && e.net?.dport === 45125);
    expect(one.map((e) => [e.seq, e.net!.repeats])).toEqual([
      [10, undefined],
      [11, 1],
    ]);
  });

  it('builds the event from the key alone when the full one was never seen (stream joined late)', () => {
    const all = parseAll([
      recorded[0]!,
      '{"seq":2,"type": "map", "data": {"@cc1": {"5,900,2566,-111,443,3087860000,0,0,83886080": 4}}}',
      '{"seq":3,"type": "map", "data": {"@ac1": {"5,900,518,8080,16777343,0,0,0": 7}}}',
    ]);
    expect(all.filter((e) => e.kind === 'connect' || e.kind === 'accept').map((e) => [e.kind, e.ret, e.net])).toEqual([
      ['connect', -111, { proto: 'tcp', family: 6, saddr: '', sport: 0, daddr: '2001:db8::5', dport: 443, repeats: 3 }],
      [
        'accept',
        undefined,
        { proto: 'tcp', family: 4, saddr: '', sport: 8080, daddr: '127.0.0.1', dport: 0, repeats: 6 },
      ],
    ]);
    expect(all[1]!.container!.cgroup).toBe('cgroup-id:5');
    expect(all[1]!.proc!.pid).toBe(900);
  });

  it('ignores malformed count keys and attacker-shaped map names without throwing', () => {
    const all = parseAll([
      recorded[0]!,
      '{"seq":2,"type": "map", "data": {"@cc0": {"__proto__": 3, "1,2,3": 4, "1,2,518,-1,80,1,0,0,0": -5, "1,2,518,0,80,1,0,0,0": "x"}}}',
    ]);
    expect(all.filter((e) => e.kind === 'connect')).toHaveLength(0);
  });
});
