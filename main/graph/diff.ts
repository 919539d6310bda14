/**
 * Diff of two behaviour graphs: nodes and edges new, gone, and changed in rate, after
 * normalising volatile identities so that the same behaviour in two captures lines up:
 *   - generated pod name suffixes: web-5d9f7c8b6d-x7k2p → web-*, node-exporter-k4zcq → node-exporter-*
 *     (StatefulSet ordinals such as db-0 are stable and kept);
 *   - container ids used as names → `*`;
 *   - endpoints of pods, services and nodes by what they are, not by IP (pod IPs change);
 *   - ephemeral ports (>= 32768) on endpoints that are not external → `*`;
 *   - pids never appear in keys; paths were already folded by the builder (paths.ts).
 * Refuses, with the reason, when the captures are not comparable: different cluster servers or
 * different probe sets (a behaviour would look "new" only because it was not being watched).
 */
import type { CaptureHeader } from '../common/capture';
import type { GraphEdgeAttributes, GraphNodeAttributes, NodeKind, EdgeKind } from '../common/graph';
import { keys } from '../common/graph';
import type { BehaviourGraph } from './builder';
import { newGraph } from './view';

/** Characters Kubernetes uses for generated name suffixes (no vowels, no 0/1/3). */
const GEN = 'bcdfghjklmnpqrstvwxz2456789';
const RS_POD = new RegExp(`^(.+)-[${GEN}]{6,10}-[${GEN}]{5}$`);
const GEN_POD = new RegExp(`^(.+)-[${GEN}]{5}$`);
const JOB_POD = new RegExp(`^(.+)-\\d{8,10}-[${GEN}]{5}$`);

export function normalisePodName(name: string): string {
  const m = JOB_POD.exec(name) ?? RS_POD.exec(name) ?? GEN_POD.exec(name);
  return m ? `${m[1]}-*` : name;
}

const HEX_ID = /^[0-9a-f]{12,64}$/;
function normCtr(name: string): string {
  return HEX_ID.test(name) ? '*' : name;
}

function normScope(scope: string): string {
  // ctr:ns/pod/container | host:node
  if (!scope.startsWith('ctr:')) return scope;
  const parts = scope.slice(4).split('/');
  if (parts.length < 3) return scope;
  const [ns, pod, ...rest] = parts;
  if (ns === '?') return `ctr:?/*/${normCtr(rest.join('/'))}`;
  return keys.container(ns!, normalisePodName(pod!), normCtr(rest.join('/')));
}

/** The key a node is compared by. */
export function normaliseNodeKey(key: string, a: GraphNodeAttributes): string {
  switch (a.kind) {
    case 'pod':
      return a.namespace && a.pod ? keys.pod(a.namespace, normalisePodName(a.pod)) : key;
    case 'container':
      return normScope(key);
    case 'process': {
      const bar = key.indexOf('|');
      if (!key.startsWith('proc:') || bar < 0) return key;
      return keys.process(normScope(key.slice(5, bar)), key.slice(bar + 1));
    }
    case 'endpoint': {
      const port = typeof a.port === 'number' ? a.port : Number(key.slice(key.lastIndexOf(':') + 1));
      const cls = a.endpointClass;
      const p = cls !== 'external' && port >= 32768 ? '*' : String(port);
      if (cls === 'pod' && a.namespace && a.pod) return `ep:pod:${a.namespace}/${normalisePodName(a.pod)}:${p}`;
      if (cls === 'service' && a.service) return `ep:svc:${a.namespace ?? ''}/${a.service as string}:${p}`;
      if (cls === 'cluster-api') return `ep:cluster-api:${p}`;
      if (cls === 'node' && a.node) return `ep:node:${a.node}:${p}`;
      if (p === '*') return `${key.slice(0, key.lastIndexOf(':'))}:*`;
      return key;
    }
    default:
      return key;
  }
}

export interface DiffOptions {
  /** Rates (per second of capture) that differ by this factor count as changed (default 3). */
  changeRatio?: number;
  /** Ignore edges/nodes seen fewer times than this in both (noise; default 1 = keep all). */
  minCount?: number;
}

export interface DiffEntry {
  key: string;
  kind: NodeKind | EdgeKind;
  label: string;
  countA: number;
  countB: number;
  source?: string;
  target?: string;
}

export interface GraphDiff {
  comparable: boolean;
  reason?: string;
  added: { nodes: DiffEntry[]; edges: DiffEntry[] };
  removed: { nodes: DiffEntry[]; edges: DiffEntry[] };
  changed: { edges: DiffEntry[] };
  /** Union graph with `diff: 'added'|'removed'|'changed'|'same'` and countA/countB on everything. */
  graph: BehaviourGraph;
}

/** Why two captures cannot be compared, or undefined when they can. */
export function incomparableReason(a: CaptureHeader, b: CaptureHeader): string | undefined {
  const sa = a.cluster?.server;
  const sb = b.cluster?.server;
  if (sa && sb && sa !== sb) return `the captures come from different clusters (A: ${sa}, B: ${sb})`;
  const pa = new Set(a.probes ?? []);
  const pb = new Set(b.probes ?? []);
  const onlyA = [...pa].filter((p) => !pb.has(p)).sort();
  const onlyB = [...pb].filter((p) => !pa.has(p)).sort();
  if (onlyA.length || onlyB.length) {
    const parts: string[] = [];
    if (onlyA.length) parts.push(`only A watched ${onlyA.join(', ')}`);
    if (onlyB.length) parts.push(`only B watched ${onlyB.join(', ')}`);
    return `the captures used different probes (${parts.join('; ')}), so a difference could just be what was watched`;
  }
  return undefined;
}

interface Agg {
  key: string;
  attrs: GraphNodeAttributes | GraphEdgeAttributes;
  count: number;
  source?: string;
  target?: string;
}

function normalise(g: BehaviourGraph): { nodes: Map<string, Agg>; edges: Map<string, Agg>; span: number } {
  const nodes = new Map<string, Agg>();
  const edges = new Map<string, Agg>();
  const nk = new Map<string, string>();
  let first = Infinity;
  let last = -Infinity;
  g.forEachNode((key, a) => {
    const k = normaliseNodeKey(key, a);
    nk.set(key, k);
    if (a.firstSeen < first) first = a.firstSeen;
    if (a.lastSeen > last) last = a.lastSeen;
    const x = nodes.get(k);
    if (x) x.count += a.count;
    else nodes.set(k, { key: k, attrs: a, count: a.count });
  });
  g.forEachEdge((_key, a, s, t) => {
    const source = nk.get(s)!;
    const target = nk.get(t)!;
    const k = keys.edge(a.kind, source, target);
    const x = edges.get(k);
    if (x) x.count += a.count;
    else edges.set(k, { key: k, attrs: a, count: a.count, source, target });
  });
  return { nodes, edges, span: Number.isFinite(first) ? Math.max(1, (last - first) / 1e9) : 1 };
}

function entry(x: Agg, countA: number, countB: number): DiffEntry {
  const e: DiffEntry = {
    key: x.key,
    kind: x.attrs.kind,
    label: typeof x.attrs.label === 'string' ? x.attrs.label : x.key,
    countA,
    countB,
  };
  if (x.source !== undefined) e.source = x.source;
  if (x.target !== undefined) e.target = x.target;
  return e;
}

export function diffGraphs(a: BehaviourGraph, b: BehaviourGraph, opts: DiffOptions = {}): GraphDiff {
  const ratio = opts.changeRatio ?? 3;
  const min = opts.minCount ?? 1;
  const A = normalise(a);
  const B = normalise(b);
  const out: GraphDiff = {
    comparable: true,
    added: { nodes: [], edges: [] },
    removed: { nodes: [], edges: [] },
    changed: { edges: [] },
    graph: newGraph(),
  };
  const g = out.graph;
  for (const [k, x] of B.nodes) {
    const y = A.nodes.get(k);
    const diff = y ? 'same' : 'added';
    if (!y && x.count >= min) out.added.nodes.push(entry(x, 0, x.count));
    g.addNode(k, { ...(x.attrs as GraphNodeAttributes), count: x.count, diff, countA: y?.count ?? 0, countB: x.count });
  }
  for (const [k, y] of A.nodes) {
    if (B.nodes.has(k)) continue;
    if (y.count >= min) out.removed.nodes.push(entry(y, y.count, 0));
    g.addNode(k, { ...(y.attrs as GraphNodeAttributes), count: y.count, diff: 'removed', countA: y.count, countB: 0 });
  }
  for (const [k, x] of B.edges) {
    const y = A.edges.get(k);
    let diff = 'same';
    if (!y) {
      diff = 'added';
      if (x.count >= min) out.added.edges.push(entry(x, 0, x.count));
    } else {
      const ra = y.count / A.span;
      const rb = x.count / B.span;
      if ((x.count >= min || y.count >= min) && Math.max(ra, rb) >= ratio * Math.min(ra, rb)) {
        diff = 'changed';
        out.changed.edges.push(entry(x, y.count, x.count));
      }
    }
    g.addDirectedEdgeWithKey(k, x.source!, x.target!, {
      ...(x.attrs as GraphEdgeAttributes),
      count: x.count,
      diff,
      countA: y?.count ?? 0,
      countB: x.count,
    });
  }
  for (const [k, y] of A.edges) {
    if (B.edges.has(k)) continue;
    if (y.count >= min) out.removed.edges.push(entry(y, y.count, 0));
    g.addDirectedEdgeWithKey(k, y.source!, y.target!, {
      ...(y.attrs as GraphEdgeAttributes),
      count: y.count,
      diff: 'removed',
      countA: y.count,
      countB: 0,
    });
  }
  const byCount = (p: DiffEntry, q: DiffEntry) =>
    q.countA + q.countB - (p.countA + p.countB) || (p.key < q.key ? -1 : 1);
  for (const l of [out.added.nodes, out.added.edges, out.removed.nodes, out.removed.edges, out.changed.edges])
    l.sort(byCount);
  return out;
}
