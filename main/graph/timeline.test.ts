import { describe, expect, it } from 'vitest';
import type { LanternEvent } from '../common/events';
import { makeCapture } from './generate';
import { createEnricher } from '../events/enrich';
import { GraphBuilder, type BehaviourGraph } from './builder';
import { Cursor } from './timeline';
import { applyDelta, graphFromDelta, newGraph } from './view';

function canon(g: BehaviourGraph) {
  const nodes = g.mapNodes((k, a) => [k, a] as const).sort((x, y) => (x[0] < y[0] ? -1 : 1));
  const edges = g.mapEdges((k, a, s, t) => [k, s, t, a] as const).sort((x, y) => (x[0] < y[0] ? -1 : 1));
  return { nodes, edges };
}

describe('replay: play to T equals seek to T', () => {
  const cap = makeCapture({ events: 30_000, attack: true, seed: 3 });
  const events: LanternEvent[] = [...cap.events()];
  const full = new GraphBuilder({ enricher: createEnricher(cap.header.inventory), log: true, checkpointEvery: 2048 });
  for (const e of structuredClone(events)) full.ingest(e);
  const stops = [0, 1, 777, 2048, 5000, 12_345, 18_000, 18_010, 29_999, events.length];

  it('the state at N from a checkpoint equals a fresh build of the first N events', () => {
    for (const n of stops) {
      const prefix = new GraphBuilder({ enricher: createEnricher(cap.header.inventory) });
      for (const e of structuredClone(events.slice(0, n))) prefix.ingest(e);
      const c = new Cursor(full);
      c.restore(n);
      const seeked = graphFromDelta(c.full(1));
      expect(canon(seeked), `at ${n} events`).toEqual(canon(prefix.graph));
    }
  });

  it('playing forward in steps, applying deltas to a mirror, lands on the same graph as seeking', () => {
    const c = new Cursor(full);
    const mirror = newGraph();
    let seq = 0;
    applyDelta(mirror, c.moveTo(0, ++seq));
    let pos = 0;
    // irregular steps, like a replay clock at varying speed
    const steps = [1, 10, 100, 999, 3000, 7, 5000, 20_000];
    for (const s of steps) {
      pos = Math.min(events.length, pos + s);
      applyDelta(mirror, c.moveTo(pos, ++seq));
      const seek = new Cursor(full);
      seek.restore(pos);
      expect(canon(mirror), `at ${pos}`).toEqual(canon(graphFromDelta(seek.full(1))));
    }
    // and backwards: a reset delta
    const back = c.moveTo(4321, ++seq);
    expect(back.reset).toBe(true);
    applyDelta(mirror, back);
    const seek = new Cursor(full);
    seek.restore(4321);
    expect(canon(mirror)).toEqual(canon(graphFromDelta(seek.full(1))));
  });

  it('seeks by time and never needs more than one checkpoint interval of log', () => {
    const mid = full.logTimes[15_000]!;
    const n = Cursor.indexAtTime(full, mid);
    expect(full.logTimes[n - 1]!).toBeLessThanOrEqual(mid);
    expect(n).toBeGreaterThan(15_000 - 1);
    expect(full.checkpoints.length).toBe(Math.floor(events.length / 2048) + 1);
    // the final cursor state equals the builder's own counts
    const c = new Cursor(full);
    c.restore(full.logLength);
    expect(canon(graphFromDelta(c.full(1)))).toEqual(canon(full.graph));
  });
});
