/**
 * Graph exports: GEXF (Gephi), GraphML, graphology JSON, BloodHound OpenGraph JSON.
 * Attribute values are primitives in the graph already (the builder keeps them so); anything
 * else is written as JSON text so no format chokes on it.
 */
import { write as writeGexf } from 'graphology-gexf';
import type { GraphEdgeAttributes, GraphNodeAttributes } from '../common/graph';
import type { BehaviourGraph } from '../graph/builder';

export function xmlEscape(s: string): string {
  // Characters XML 1.0 cannot carry at all are dropped (a NUL from a file name would make the document unreadable).
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (c) =>
      c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
    );
}

function prim(v: unknown): string | number | boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  return JSON.stringify(v);
}

function cleanAttrs(a: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const k of Object.keys(a)) {
    const v = prim(a[k]);
    if (v !== undefined) out[k] = typeof v === 'string' ? xmlSafe(v) : v;
  }
  return out;
}
function xmlSafe(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

/** Attribute names whose type must not be guessed per value (mixed across kinds). */
function attributeTypes(items: Record<string, unknown>[]): Map<string, 'string' | 'double' | 'boolean'> {
  const types = new Map<string, 'string' | 'double' | 'boolean'>();
  for (const a of items) {
    for (const k of Object.keys(a)) {
      const v = prim(a[k]);
      if (v === undefined) continue;
      const t = typeof v === 'number' ? 'double' : typeof v === 'boolean' ? 'boolean' : 'string';
      const prev = types.get(k);
      if (!prev) types.set(k, t);
      else if (prev !== t) types.set(k, 'string');
    }
  }
  return types;
}

export function toGexf(g: BehaviourGraph): string {
  // GEXF declares one type per attribute: values of mixed-type attributes become strings.
  const nodeTypes = attributeTypes(g.mapNodes((_k, a) => a));
  const edgeTypes = attributeTypes(g.mapEdges((_k, a) => a));
  const coerce = (a: Record<string, unknown>, types: Map<string, string>) => {
    const out = cleanAttrs(a);
    for (const k of Object.keys(out))
      if (types.get(k) === 'string' && typeof out[k] !== 'string') out[k] = String(out[k]);
    return out;
  };
  return writeGexf(g, {
    formatNode: (_key, a) => ({ label: xmlSafe(String(a.label ?? '')), attributes: coerce(a, nodeTypes) }),
    formatEdge: (_key, a) => ({ label: a.kind, weight: a.count, attributes: coerce(a, edgeTypes) }),
  });
}

export function toGraphML(g: BehaviourGraph): string {
  const nodeTypes = attributeTypes(g.mapNodes((_k, a) => a));
  const edgeTypes = attributeTypes(g.mapEdges((_k, a) => a));
  const ids = new Map<string, string>();
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
  ];
  let i = 0;
  for (const [target, types] of [
    ['node', nodeTypes],
    ['edge', edgeTypes],
  ] as const) {
    for (const [name, type] of types) {
      const id = `${target[0]}${i++}`;
      ids.set(`${target}|${name}`, id);
      lines.push(`  <key id="${id}" for="${target}" attr.name="${xmlEscape(name)}" attr.type="${type}"/>`);
    }
  }
  lines.push('  <graph edgedefault="directed">');
  const data = (target: 'node' | 'edge', a: Record<string, unknown>, types: Map<string, string>, indent: string) => {
    for (const k of Object.keys(a)) {
      const v = prim(a[k]);
      if (v === undefined || !types.has(k)) continue;
      lines.push(`${indent}<data key="${ids.get(`${target}|${k}`)}">${xmlEscape(String(v))}</data>`);
    }
  };
  g.forEachNode((key, a) => {
    lines.push(`    <node id="${xmlEscape(key)}">`);
    data('node', a, nodeTypes, '      ');
    lines.push('    </node>');
  });
  g.forEachEdge((key, a, s, t) => {
    lines.push(`    <edge id="${xmlEscape(key)}" source="${xmlEscape(s)}" target="${xmlEscape(t)}">`);
    data('edge', a, edgeTypes, '      ');
    lines.push('    </edge>');
  });
  lines.push('  </graph>', '</graphml>', '');
  return lines.join('\n');
}

/** graphology's own serialisation (Graph.from / graph.import read it back). */
export function toGraphologyJson(g: BehaviourGraph): string {
  return JSON.stringify(g.export(), null, 1);
}

function pascal(s: string): string {
  return s
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** BloodHound OpenGraph: nodes with kinds and primitive properties, edges with a kind. */
export function toOpenGraph(g: BehaviourGraph): string {
  const nodes = g.mapNodes((key, a: GraphNodeAttributes) => ({
    id: key,
    kinds: [`K8s${pascal(a.kind)}`, 'LanternBase'],
    properties: { name: a.label, objectid: key, ...cleanAttrs(a) },
  }));
  const edges = g.mapEdges((_key, a: GraphEdgeAttributes, s, t) => ({
    kind: `K8s${pascal(a.kind)}`,
    start: { value: s, match_by: 'id' },
    end: { value: t, match_by: 'id' },
    properties: cleanAttrs(a),
  }));
  return JSON.stringify({ metadata: { source_kind: 'LanternBase' }, graph: { nodes, edges } }, null, 1);
}
