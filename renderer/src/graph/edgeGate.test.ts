import Graph from 'graphology';
import { describe, expect, it } from 'vitest';
import { edgeGate } from './edgeGate';

describe('edgeGate', () => {
  it('hides the edges from its view while closed, never from the graph itself', () => {
    const g = new Graph();
    g.addNode('a');
    g.addNode('b');
    g.addNode('c');
    g.addEdgeWithKey('ab', 'a', 'b');
    g.addEdgeWithKey('bc', 'b', 'c');
    const gate = edgeGate(g);
    expect(gate.view.edges()).toEqual(['ab', 'bc']);
    gate.set(false);
    expect(gate.view.edges()).toEqual([]);
    expect(gate.view.size).toBe(0);
    const seen: string[] = [];
    gate.view.forEachEdge((e) => seen.push(e));
    expect(seen).toEqual([]);
    // What the slices that bring edges back must read: every edge, gate or not.
    expect(gate.graph.edges()).toEqual(['ab', 'bc']);
    expect(gate.view.order).toBe(3);
    expect(gate.view.hasEdge('ab')).toBe(true);
    gate.set(true);
    expect(gate.view.size).toBe(2);
  });
});
