import { describe, expect, it } from 'vitest';
import type { GraphDelta } from '../../../main/common/graph';
import { applyDelta, createMirror, createMirrorState, deltaInOrder } from './mirror';
import { generateGraph } from './generate';

const n = (key: string, kind = 'process', extra: Record<string, unknown> = {}) => ({
  key,
  attributes: { kind: kind as 'process', label: key, count: 1, firstSeen: 1, lastSeen: 2, ...extra },
});
const e = (source: string, target: string, kind = 'spawned') => ({
  key: `${kind}:${source}->${target}`,
  source,
  target,
  attributes: { kind: kind as 'spawned', count: 1, firstSeen: 1, lastSeen: 2 },
});

describe('applyDelta', () => {
  it('adds nodes and edges, derives size and colour, and places every node', () => {
    const g = createMirror();
    const s = createMirrorState();
    const r = applyDelta(g, s, {
      seq: 0,
      reset: true,
      nodes: [n('a'), n('b'), n('c', 'file')],
      edges: [e('a', 'b'), e('a', 'c', 'opened')],
    });
    expect(r).toMatchObject({ addedNodes: 3, addedEdges: 2, structural: true, orphanEdges: 0 });
    expect(g.order).toBe(3);
    g.forEachNode((_k, a) => {
      expect(Number.isFinite(a.x) && Number.isFinite(a.y)).toBe(true);
      expect(a.size).toBeGreaterThan(0);
      expect(a.color).toMatch(/^#/);
    });
    expect(s.seq).toBe(0);
  });

  it('keeps positions of existing nodes when the graph grows and puts new nodes near a neighbour', () => {
    const g = createMirror();
    const s = createMirrorState();
    applyDelta(g, s, { seq: 0, reset: true, nodes: [n('a'), n('far')] });
    g.mergeNodeAttributes('a', { x: 1000, y: 1000 });
    g.mergeNodeAttributes('far', { x: -1000, y: -1000 });
    applyDelta(g, s, { seq: 1, nodes: [n('b')], edges: [e('a', 'b')] });
    expect(g.getNodeAttributes('a')).toMatchObject({ x: 1000, y: 1000 });
    const b = g.getNodeAttributes('b');
    expect(Math.hypot(b.x - 1000, b.y - 1000)).toBeLessThan(20);
  });

  it('places a big snapshot as clusters: every node beside a neighbour, existing positions kept', () => {
    const g = createMirror();
    const s = createMirrorState();
    // 3,000 new nodes in one delta take the indexed path; two of them are pinned by the engine.
    const delta = generateGraph(3000, 6000, 3);
    delta.nodes![0]!.attributes.x = 500;
    delta.nodes![0]!.attributes.y = -500;
    applyDelta(g, s, delta);
    expect(g.getNodeAttributes(delta.nodes![0]!.key)).toMatchObject({ x: 500, y: -500 });
    let far = 0;
    g.forEachNode((k, a) => {
      expect(Number.isFinite(a.x) && Number.isFinite(a.y)).toBe(true);
      // Placed within 12 units (8 × 1.5) of some neighbour, or a component's seed.
      const near = g.someNeighbor(k, (_nb, b) => Math.hypot(a.x - b.x, a.y - b.y) <= 12.01);
      if (!near) far++;
    });
    expect(far).toBeLessThan(g.order / 50);
    // Then a small delta (the per-node path): the newcomer lands beside its neighbour.
    const anchor = delta.nodes![5]!.key;
    const at = g.getNodeAttributes(anchor);
    applyDelta(g, s, { seq: 1, nodes: [n('newcomer')], edges: [e(anchor, 'newcomer')] });
    const b = g.getNodeAttributes('newcomer');
    expect(Math.hypot(b.x - at.x, b.y - at.y)).toBeLessThan(8);
  });

  it('applies partial updates without touching positions, and recomputes size from count', () => {
    const g = createMirror();
    const s = createMirrorState();
    applyDelta(g, s, { seq: 0, reset: true, nodes: [n('a')] });
    const before = g.getNodeAttributes('a');
    applyDelta(g, s, { seq: 1, nodeUpdates: [{ key: 'a', attributes: { count: 100000, severity: 'high' } }] });
    const after = g.getNodeAttributes('a');
    expect(after.x).toBe(before.x);
    expect(after.severity).toBe('high');
    expect(after.size).toBeGreaterThan(before.size);
  });

  it('drops edges and nodes, and remembers dropped positions for when they come back after a reset', () => {
    const g = createMirror();
    const s = createMirrorState();
    applyDelta(g, s, { seq: 0, reset: true, nodes: [n('a'), n('b')], edges: [e('a', 'b')] });
    const pos = { x: g.getNodeAttribute('b', 'x'), y: g.getNodeAttribute('b', 'y') };
    applyDelta(g, s, { seq: 1, dropEdges: ['spawned:a->b'], dropNodes: ['b'] });
    expect(g.order).toBe(1);
    expect(g.size).toBe(0);
    applyDelta(g, s, { seq: 2, reset: true, nodes: [n('a'), n('b')] });
    expect(g.getNodeAttributes('b')).toMatchObject(pos);
  });

  it('counts edges whose endpoints are missing instead of throwing', () => {
    const g = createMirror();
    const s = createMirrorState();
    const r = applyDelta(g, s, { seq: 0, reset: true, nodes: [n('a')], edges: [e('a', 'ghost')] });
    expect(r.orphanEdges).toBe(1);
    expect(g.size).toBe(0);
  });

  it('keeps two edge kinds between the same pair (read and wrote)', () => {
    const g = createMirror();
    const s = createMirrorState();
    applyDelta(g, s, {
      seq: 0,
      reset: true,
      nodes: [n('p'), n('f', 'file')],
      edges: [e('p', 'f', 'read'), e('p', 'f', 'wrote')],
    });
    expect(g.size).toBe(2);
  });

  it('never lets attacker-controlled __proto__ keys reach an object prototype', () => {
    const g = createMirror();
    const s = createMirrorState();
    const evil = JSON.parse(
      '{"kind":"process","label":"x","count":1,"firstSeen":1,"lastSeen":1,"__proto__":{"polluted":true}}',
    );
    applyDelta(g, s, { seq: 0, reset: true, nodes: [{ key: '__proto__', attributes: evil }] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(g.getNodeAttributes('__proto__'))).toBe(Object.prototype);
    expect(g.getNodeAttribute('__proto__', 'label')).toBe('x');
  });

  it('tells in-order, stale and gapped deltas apart', () => {
    const s = createMirrorState();
    const d = (seq: number, reset = false): GraphDelta => ({ seq, reset });
    expect(deltaInOrder(s, d(5))).toBe('apply');
    s.seq = 5;
    expect(deltaInOrder(s, d(6))).toBe('apply');
    expect(deltaInOrder(s, d(5))).toBe('stale');
    expect(deltaInOrder(s, d(8))).toBe('gap');
    expect(deltaInOrder(s, d(1, true))).toBe('apply');
  });

  // Speed is measured by `npm run bench -- ui`; this checks the big case is correct.
  it('loads a 20k/60k generated graph and places every node', () => {
    const delta = generateGraph(20_000, 60_000);
    expect(delta.nodes!.length).toBe(20_000);
    expect(delta.edges!.length).toBe(60_000);
    const g = createMirror();
    applyDelta(g, createMirrorState(), delta);
    expect(g.order).toBe(20_000);
    expect(g.size).toBe(60_000);
    let unplaced = 0;
    g.forEachNode((_k, a) => {
      if (!Number.isFinite(a.x)) unplaced++;
    });
    expect(unplaced).toBe(0);
  });
});
