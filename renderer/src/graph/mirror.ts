/**
 * The renderer's long-lived graph mirror: one graphology graph that GraphDelta batches are
 * applied to. Pure (no DOM, no WebGL). Data attributes from the engine are kept as they are;
 * visual attributes (x, y, size, color) are derived here so that reducers stay cheap per frame.
 */
import Graph from 'graphology';
import type { GraphDelta, GraphEdgeAttributes, GraphNodeAttributes } from '../../../main/common/graph';
import { SEVERITY_COLORS, NODE_SHAPES, edgeColor, edgeSize, nodeColor, nodeSize } from './style';
import type { Severity } from '../../../main/common/graph';

/** Node attributes held in the mirror: the engine's plus the view's own. */
export type MirrorNode = GraphNodeAttributes & {
  x: number;
  y: number;
  size: number;
  color: string;
  /** sigma program: square (declared infrastructure), circle (behaviour), border (has a finding). */
  type: string;
  borderColor?: string;
};
export type MirrorEdge = GraphEdgeAttributes & { size: number; color: string };
export type MirrorGraph = Graph<MirrorNode, MirrorEdge>;

export function createMirror(): MirrorGraph {
  return new Graph<MirrorNode, MirrorEdge>({ type: 'directed', multi: true, allowSelfLoops: true });
}

/** Keys that must never be copied from attacker-controlled objects onto our attribute objects. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Copy own enumerable properties, skipping prototype-polluting keys. */
export function safeAssign<T extends object>(target: T, source: object | undefined | null): T {
  if (!source) return target;
  for (const k of Object.keys(source)) {
    if (FORBIDDEN_KEYS.has(k)) continue;
    (target as Record<string, unknown>)[k] = (source as Record<string, unknown>)[k];
  }
  return target;
}

export interface ApplyResult {
  /** The delta replaced the mirror (reset). */
  reset: boolean;
  addedNodes: number;
  addedEdges: number;
  droppedNodes: number;
  droppedEdges: number;
  updated: number;
  /** Edges whose endpoints were missing: the mirror is out of step and should ask for a snapshot. */
  orphanEdges: number;
  /** Structure changed (nodes or edges added or dropped): the layout needs to know. */
  structural: boolean;
  time?: number;
}

export interface MirrorState {
  /** Sequence number of the last delta applied; -1 before the first. */
  seq: number;
  /** Positions of nodes that left the mirror (reset, seek back, collapse change), reused when they return. */
  positions: Map<string, { x: number; y: number }>;
  /** Deterministic jitter source (tests and reproducible layouts). */
  random: () => number;
}

export function createMirrorState(seed = 1): MirrorState {
  return { seq: -1, positions: new Map(), random: mulberry32(seed) };
}

/** Small seeded PRNG: reproducible placement. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Is this delta the next one, or must the mirror be rebuilt from a snapshot? */
export function deltaInOrder(state: MirrorState, delta: GraphDelta): 'apply' | 'stale' | 'gap' {
  if (delta.reset) return 'apply';
  if (state.seq < 0) return 'apply';
  if (delta.seq <= state.seq) return 'stale';
  if (delta.seq > state.seq + 1) return 'gap';
  return 'apply';
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Derive the visual attributes once, when data arrives, so that the reducers can hand sigma the
 * stored object unchanged for the (vast) majority of nodes on every frame.
 */
function styleNode(node: MirrorNode): MirrorNode {
  node.size = nodeSize(node.kind, node.count);
  node.color = nodeColor(node.kind);
  const severe = typeof node.severity === 'string' && node.severity !== 'info' && node.severity in SEVERITY_COLORS;
  // `type` is sigma's program selector: whatever the engine sent under that name is replaced.
  node.type = severe ? 'border' : (NODE_SHAPES[node.kind] ?? 'circle');
  if (severe) node.borderColor = SEVERITY_COLORS[node.severity as Severity];
  else delete node.borderColor;
  return node;
}

function visualNode(attrs: GraphNodeAttributes, prev?: { x: number; y: number }): MirrorNode {
  const node = safeAssign({} as MirrorNode, attrs);
  node.label = typeof attrs.label === 'string' ? attrs.label : String(attrs.label ?? '');
  node.x = finite(attrs.x) ? attrs.x : (prev?.x ?? NaN);
  node.y = finite(attrs.y) ? attrs.y : (prev?.y ?? NaN);
  return styleNode(node);
}

function visualEdge(attrs: GraphEdgeAttributes): MirrorEdge {
  const edge = safeAssign({} as MirrorEdge, attrs);
  edge.size = edgeSize(attrs.count);
  edge.color = edgeColor(attrs.kind);
  return edge;
}

/**
 * Apply one delta to the mirror. Returns what changed. New nodes get a position near an
 * already placed neighbour (or a remembered position), so a growing graph does not jump.
 */
export function applyDelta(graph: MirrorGraph, state: MirrorState, delta: GraphDelta): ApplyResult {
  const res: ApplyResult = {
    reset: !!delta.reset,
    addedNodes: 0,
    addedEdges: 0,
    droppedNodes: 0,
    droppedEdges: 0,
    updated: 0,
    orphanEdges: 0,
    structural: false,
    time: delta.time,
  };
  if (delta.reset) {
    rememberPositions(graph, state);
    graph.clear();
    res.structural = true;
  }
  const fresh: string[] = [];
  for (const n of delta.nodes ?? []) {
    if (typeof n?.key !== 'string') continue;
    if (graph.hasNode(n.key)) {
      // A re-sent node is an update; its position stays.
      const cur = graph.getNodeAttributes(n.key);
      const next = visualNode(n.attributes, cur);
      graph.replaceNodeAttributes(n.key, next);
      res.updated++;
      continue;
    }
    const node = visualNode(n.attributes, state.positions.get(n.key));
    graph.addNode(n.key, node);
    if (!finite(node.x) || !finite(node.y)) fresh.push(n.key);
    res.addedNodes++;
  }
  for (const u of delta.nodeUpdates ?? []) {
    if (!graph.hasNode(u.key)) continue;
    graph.updateNodeAttributes(u.key, (cur) => {
      const next = safeAssign({ ...cur }, u.attributes) as MirrorNode;
      next.x = cur.x;
      next.y = cur.y;
      if (typeof next.label !== 'string') next.label = String(next.label ?? '');
      return styleNode(next);
    });
    res.updated++;
  }
  for (const e of delta.edges ?? []) {
    if (typeof e?.key !== 'string') continue;
    if (graph.hasEdge(e.key)) {
      graph.replaceEdgeAttributes(e.key, visualEdge(e.attributes));
      res.updated++;
      continue;
    }
    if (!graph.hasNode(e.source) || !graph.hasNode(e.target)) {
      res.orphanEdges++;
      continue;
    }
    graph.addDirectedEdgeWithKey(e.key, e.source, e.target, visualEdge(e.attributes));
    res.addedEdges++;
  }
  for (const u of delta.edgeUpdates ?? []) {
    if (!graph.hasEdge(u.key)) continue;
    graph.updateEdgeAttributes(u.key, (cur) => {
      const next = safeAssign({ ...cur }, u.attributes) as MirrorEdge;
      next.size = edgeSize(next.count);
      next.color = edgeColor(next.kind);
      return next;
    });
    res.updated++;
  }
  for (const key of delta.dropEdges ?? []) {
    if (!graph.hasEdge(key)) continue;
    graph.dropEdge(key);
    res.droppedEdges++;
  }
  for (const key of delta.dropNodes ?? []) {
    if (!graph.hasNode(key)) continue;
    const a = graph.getNodeAttributes(key);
    if (finite(a.x) && finite(a.y)) state.positions.set(key, { x: a.x, y: a.y });
    graph.dropNode(key);
    res.droppedNodes++;
  }
  if (fresh.length) placeNodes(graph, fresh, state.random);
  if (res.addedNodes || res.addedEdges || res.droppedNodes || res.droppedEdges) res.structural = true;
  state.seq = delta.seq;
  return res;
}

function rememberPositions(graph: MirrorGraph, state: MirrorState): void {
  graph.forEachNode((key, a) => {
    if (finite(a.x) && finite(a.y)) state.positions.set(key, { x: a.x, y: a.y });
  });
  // Bound the memory: a long replay can see many distinct nodes come and go.
  if (state.positions.size > 500_000) state.positions.clear();
}

/**
 * Give positions to nodes that have none. Breadth-first from each unplaced node's placed
 * neighbours, so a new process lands beside its container and a fresh snapshot starts as
 * clusters (ForceAtlas2 then converges quickly instead of untangling a random cloud).
 *
 * The walk runs over a compact adjacency built from one pass over the edge list: graphology's
 * per-node edge iteration in a multi graph walks objects keyed by neighbour, which dominated the
 * placement of a 20k-node snapshot.
 */
export function placeNodes(graph: MirrorGraph, keys: string[], random: () => number): void {
  if (keys.length < 500 && keys.length * 8 < graph.order) {
    placeFew(graph, keys, random);
    return;
  }
  const n = Math.max(1, graph.order);
  const spread = Math.sqrt(n) * 10;
  // Index every node; `x`/`y` hold placed positions (NaN: not placed).
  const index = new Map<string, number>();
  const attrs: MirrorNode[] = [];
  graph.forEachNode((key, a) => {
    index.set(key, attrs.length);
    attrs.push(a);
  });
  const count = attrs.length;
  const pending = new Uint8Array(count);
  for (const key of keys) {
    const i = index.get(key);
    if (i !== undefined) pending[i] = 1;
  }
  // Compressed adjacency (both directions), only for edges that touch a pending node.
  const degree = new Uint32Array(count + 1);
  const ends: number[] = [];
  graph.forEachEdge((_e, _a, source, target) => {
    const s = index.get(source)!;
    const t = index.get(target)!;
    if (!pending[s] && !pending[t]) return;
    ends.push(s, t);
    degree[s]!++;
    degree[t]!++;
  });
  const offset = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) offset[i + 1] = offset[i]! + degree[i]!;
  const fill = offset.slice(0, count);
  const adj = new Uint32Array(offset[count]!);
  for (let k = 0; k < ends.length; k += 2) {
    const s = ends[k]!;
    const t = ends[k + 1]!;
    adj[fill[s]!++] = t;
    adj[fill[t]!++] = s;
  }
  const queue = new Uint32Array(count);
  let tail = 0;
  // Positions are written straight into the attribute objects of nodes added in this same batch:
  // the renderer refreshes once after the delta, and one event per node would cost more than the
  // placement itself on a 20k-node snapshot.
  const placeNear = (i: number, x: number, y: number, r: number) => {
    const angle = random() * Math.PI * 2;
    const dist = r * (0.5 + random());
    const a = attrs[i]!;
    a.x = x + Math.cos(angle) * dist;
    a.y = y + Math.sin(angle) * dist;
    pending[i] = 0;
    queue[tail++] = i;
  };
  // First: anything next to an already placed node.
  if (count > keys.length) {
    for (const key of keys) {
      const i = index.get(key);
      if (i === undefined || !pending[i]) continue;
      for (let k = offset[i]!; k < offset[i + 1]!; k++) {
        const nb = adj[k]!;
        const a = attrs[nb]!;
        if (pending[nb] || !finite(a.x) || !finite(a.y)) continue;
        placeNear(i, a.x, a.y, 5);
        break;
      }
    }
  }
  let head = 0;
  const drain = () => {
    while (head < tail) {
      const cur = queue[head++]!;
      const a = attrs[cur]!;
      for (let k = offset[cur]!; k < offset[cur + 1]!; k++) {
        const nb = adj[k]!;
        if (pending[nb]) placeNear(nb, a.x, a.y, 8);
      }
    }
  };
  drain();
  // Then: components with no placed node at all start somewhere in a disc and grow from there.
  for (const key of keys) {
    const i = index.get(key);
    if (i === undefined || !pending[i]) continue;
    const angle = random() * Math.PI * 2;
    const r = spread * Math.sqrt(random());
    placeNear(i, Math.cos(angle) * r, Math.sin(angle) * r, 1);
    drain();
  }
}

/** Few new nodes (a live delta): walk from each through graphology, without indexing the graph. */
function placeFew(graph: MirrorGraph, keys: string[], random: () => number): void {
  const pending = new Set(keys);
  const n = Math.max(1, graph.order);
  const spread = Math.sqrt(n) * 10;
  const queue: string[] = [];
  // Positions are written straight into the attribute objects of nodes added in this same batch:
  // the renderer refreshes once after the delta, and one event per node would cost more than the
  // placement itself on a 20k-node snapshot.
  const placeNear = (key: string, x: number, y: number, r: number) => {
    const angle = random() * Math.PI * 2;
    const dist = r * (0.5 + random());
    const a = graph.getNodeAttributes(key);
    a.x = x + Math.cos(angle) * dist;
    a.y = y + Math.sin(angle) * dist;
    pending.delete(key);
    queue.push(key);
  };
  // First: anything next to an already placed node.
  if (graph.order > keys.length) {
    for (const key of keys) {
      if (!pending.has(key)) continue;
      graph.someEdge(key, (_e, _ea, source, target, sa, ta) => {
        const nb = source === key ? target : source;
        const a = source === key ? ta : sa;
        if (pending.has(nb) || !finite(a.x) || !finite(a.y)) return false;
        placeNear(key, a.x, a.y, 5);
        return true;
      });
    }
  }
  let head = 0;
  const drain = () => {
    while (head < queue.length) {
      const cur = queue[head++]!;
      const a = graph.getNodeAttributes(cur);
      // forEachEdge, not forEachNeighbor: neighbour iteration de-duplicates through a Set per
      // call in a multi graph, which dominated the placement of large snapshots.
      graph.forEachEdge(cur, (_e, _ea, source, target) => {
        const nb = source === cur ? target : source;
        if (pending.has(nb)) placeNear(nb, a.x, a.y, 8);
      });
    }
  };
  drain();
  // Then: components with no placed node at all start somewhere in a disc and grow from there.
  for (const key of keys) {
    if (!pending.has(key)) continue;
    const angle = random() * Math.PI * 2;
    const r = spread * Math.sqrt(random());
    placeNear(key, Math.cos(angle) * r, Math.sin(angle) * r, 1);
    drain();
  }
}
