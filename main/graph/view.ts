/**
 * Views over a behaviour graph, all pure (no node:*): a graph from a GraphDelta, the collapse
 * process → pod → workload → namespace, and helpers to find and hide high-degree hubs.
 */
import Graph from 'graphology';
import type { CollapseLevel, GraphDelta, GraphEdgeAttributes, GraphNodeAttributes, NodeKind } from '../common/graph';
import { keys } from '../common/graph';
import type { BehaviourGraph } from './builder';

export function newGraph(): BehaviourGraph {
  return new Graph<GraphNodeAttributes, GraphEdgeAttributes>({ type: 'directed', multi: true, allowSelfLoops: true });
}

/** Applies a delta to a graph (the same thing the renderer's mirror does). */
export function applyDelta(g: BehaviourGraph, d: GraphDelta): void {
  if (d.reset) g.clear();
  for (const k of d.dropEdges ?? []) if (g.hasEdge(k)) g.dropEdge(k);
  for (const k of d.dropNodes ?? []) if (g.hasNode(k)) g.dropNode(k);
  for (const n of d.nodes ?? []) g.mergeNode(n.key, n.attributes);
  for (const e of d.edges ?? [])
    if (!g.hasEdge(e.key)) g.addDirectedEdgeWithKey(e.key, e.source, e.target, e.attributes);
  for (const u of d.nodeUpdates ?? []) if (g.hasNode(u.key)) g.mergeNodeAttributes(u.key, u.attributes);
  for (const u of d.edgeUpdates ?? []) if (g.hasEdge(u.key)) g.mergeEdgeAttributes(u.key, u.attributes);
}

export function graphFromDelta(d: GraphDelta): BehaviourGraph {
  const g = newGraph();
  applyDelta(g, d);
  return g;
}

/** The whole graph as a reset delta. */
export function deltaFromGraph(g: BehaviourGraph, seq: number, time?: number): GraphDelta {
  const d: GraphDelta = { seq, reset: true, nodes: [], edges: [] };
  if (time !== undefined) d.time = time;
  g.forEachNode((key, attributes) => d.nodes!.push({ key, attributes: { ...attributes } }));
  g.forEachEdge((key, attributes, source, target) =>
    d.edges!.push({ key, source, target, attributes: { ...attributes } }),
  );
  return d;
}

function workloadKey(ns: string, wl: string): string {
  const i = wl.indexOf('/');
  return i > 0 ? keys.workload(ns, wl.slice(0, i), wl.slice(i + 1)) : keys.workload(ns, 'Workload', wl);
}

/** Where a node lands at a collapse level (its own key when it does not collapse). */
export function groupOf(key: string, a: GraphNodeAttributes, level: CollapseLevel): string {
  if (level === 'process') return key;
  const ns = a.namespace;
  const podLevel = (): string => {
    if (level === 'namespace') return keys.namespace(ns!);
    if (level === 'workload' && a.workload) return workloadKey(ns!, a.workload);
    return keys.pod(ns!, a.pod!);
  };
  switch (a.kind) {
    case 'process':
    case 'container':
      if (ns && a.pod) return podLevel();
      return a.node ? keys.clusterNode(a.node) : key;
    case 'pod':
      return ns && a.pod ? podLevel() : key;
    case 'endpoint':
      // A pod's address stands for the pod: process→endpoint edges become pod→pod edges.
      if (a.endpointClass === 'pod' && ns && a.pod) return podLevel();
      return key;
    case 'workload':
      return level === 'namespace' && ns ? keys.namespace(ns) : key;
    case 'service-account':
      return level === 'namespace' && ns ? keys.namespace(ns) : key;
    default:
      return key;
  }
}

const KIND_OF_GROUP: Record<string, NodeKind> = {
  'pod:': 'pod',
  'wl:': 'workload',
  'ns:': 'namespace',
  'node:': 'cluster-node',
};

/**
 * Collapse a graph to a level. Members are summed into their group (count, first/last seen,
 * `members`); edges between groups are merged per kind; edges inside a group disappear, except
 * self-loops that were self-loops already (a privilege change stays visible on the pod).
 */
export function collapse(g: BehaviourGraph, level: CollapseLevel): BehaviourGraph {
  if (level === 'process') return g.copy() as BehaviourGraph;
  const out = newGraph();
  const group = new Map<string, string>();
  g.forEachNode((key, a) => {
    const gk = groupOf(key, a, level);
    group.set(key, gk);
    const existing = out.hasNode(gk) ? out.getNodeAttributes(gk) : undefined;
    if (!existing) {
      let base: GraphNodeAttributes;
      if (gk === key) base = { ...a, members: 1 };
      else if (g.hasNode(gk))
        base = { ...g.getNodeAttributes(gk), count: a.count, firstSeen: a.firstSeen, lastSeen: a.lastSeen, members: 1 };
      else {
        const prefix = gk.slice(0, gk.indexOf(':') + 1);
        const kind = KIND_OF_GROUP[prefix] ?? a.kind;
        base = {
          kind,
          label: gk.slice(prefix.length),
          count: a.count,
          firstSeen: a.firstSeen,
          lastSeen: a.lastSeen,
          members: 1,
          ...(a.namespace ? { namespace: a.namespace } : {}),
          ...(kind === 'workload' && a.workload ? { workload: a.workload } : {}),
        };
      }
      out.addNode(gk, base);
      return;
    }
    if (gk === key) {
      // the group's own node arrives after members: keep its descriptive attributes
      const m = existing;
      out.replaceNodeAttributes(gk, {
        ...a,
        count: m.count + a.count,
        firstSeen: Math.min(m.firstSeen, a.firstSeen),
        lastSeen: Math.max(m.lastSeen, a.lastSeen),
        members: ((m.members as number) ?? 1) + 1,
      });
      return;
    }
    existing.count += a.count;
    if (a.firstSeen < existing.firstSeen) existing.firstSeen = a.firstSeen;
    if (a.lastSeen > existing.lastSeen) existing.lastSeen = a.lastSeen;
    existing.members = ((existing.members as number) ?? 1) + 1;
    if (a.severity && (!existing.severity || sevRank(a.severity) > sevRank(existing.severity)))
      existing.severity = a.severity;
  });
  g.forEachEdge((_key, a, s, t) => {
    const gs = group.get(s)!;
    const gt = group.get(t)!;
    if (gs === gt && s !== t) return;
    const ek = keys.edge(a.kind, gs, gt);
    if (out.hasEdge(ek)) {
      const e = out.getEdgeAttributes(ek);
      e.count += a.count;
      if (a.firstSeen < e.firstSeen) e.firstSeen = a.firstSeen;
      if (a.lastSeen > e.lastSeen) e.lastSeen = a.lastSeen;
      e.members = ((e.members as number) ?? 1) + 1;
    } else out.addDirectedEdgeWithKey(ek, gs, gt, { ...a, members: 1 });
  });
  return out;
}

const SEV = ['info', 'low', 'medium', 'high', 'critical'];
function sevRank(s: string): number {
  return SEV.indexOf(s);
}

/**
 * Hubs: nodes whose degree is far above the rest (the API server endpoint, kube-dns, a
 * logging sidecar). Default threshold: max(minDegree, 10 × median degree of non-leaf nodes).
 */
export function findHubs(
  g: BehaviourGraph,
  opts: { minDegree?: number; threshold?: number; limit?: number } = {},
): { key: string; degree: number }[] {
  const degs: { key: string; degree: number }[] = [];
  g.forEachNode((key) => degs.push({ key, degree: g.degree(key) }));
  const nonLeaf = degs
    .filter((d) => d.degree > 1)
    .map((d) => d.degree)
    .sort((a, b) => a - b);
  const median = nonLeaf.length ? nonLeaf[Math.floor(nonLeaf.length / 2)]! : 1;
  const threshold = opts.threshold ?? Math.max(opts.minDegree ?? 20, 10 * median);
  return degs
    .filter((d) => d.degree >= threshold)
    .sort((a, b) => b.degree - a.degree)
    .slice(0, opts.limit ?? 50);
}

/** A copy without the given nodes (and their edges). */
export function withoutNodes(g: BehaviourGraph, hide: Iterable<string>): BehaviourGraph {
  const out = g.copy() as BehaviourGraph;
  for (const k of hide) if (out.hasNode(k)) out.dropNode(k);
  return out;
}
