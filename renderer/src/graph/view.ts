/**
 * Display rules of the graph view, as pure functions over the mirror: filters → hidden set,
 * neighbourhoods, shortest paths, search, collapse mapping, and the sigma node/edge reducers.
 * No DOM, no WebGL: unit-tested directly.
 */
import type { Attributes } from 'graphology-types';
import { SEVERITY_ORDER, type CollapseLevel, type NodeKind, type Severity } from '../../../main/common/graph';
import type { MirrorEdge, MirrorGraph, MirrorNode } from './mirror';
import { DIFF_COLORS } from './style';

export interface Filters {
  /** Node kinds not shown. */
  hiddenKinds: Set<string>;
  /** Only these namespaces (empty: all). */
  namespaces: Set<string>;
  /** Only these workloads (empty: all). */
  workloads: Set<string>;
  /** Only nodes with a finding at least this severe, plus their direct neighbours for context. */
  minSeverity: Severity | null;
  /** Only what was active within [from, to] (epoch ns). */
  timeWindow: [number, number] | null;
  /** Hide nodes with more than `hubDegree` neighbours (shared libraries, DNS servers ...). */
  hideHubs: boolean;
  hubDegree: number;
  /** Hide external endpoints and domains ("the internet"). */
  hideInternet: boolean;
  /** Hide what appeared after the replay cursor (epoch ns), when following the timeline. */
  cursor: number | null;
}

export function defaultFilters(): Filters {
  return {
    hiddenKinds: new Set(),
    namespaces: new Set(),
    workloads: new Set(),
    minSeverity: null,
    timeWindow: null,
    hideHubs: false,
    hubDegree: 60,
    hideInternet: false,
    cursor: null,
  };
}

/** "Clear filters": every filter the analyst sets back off; the hub threshold and the replay cursor stay. */
export function clearedFilters(): Partial<Filters> {
  const { hubDegree: _hubDegree, cursor: _cursor, ...cleared } = defaultFilters();
  return cleared;
}

export function isInternet(a: Attributes): boolean {
  if (a.kind === 'domain') return true;
  return a.kind === 'endpoint' && (a.endpointClass === 'external' || a.endpointClass === 'metadata');
}

function severityRank(s: unknown): number {
  return typeof s === 'string' && s in SEVERITY_ORDER ? SEVERITY_ORDER[s as Severity] : -1;
}

/** Which nodes the filters hide. Computed when filters or the graph change, not per frame. */
export function computeHidden(graph: MirrorGraph, f: Filters): Set<string> {
  const hidden = new Set<string>();
  const minSev = f.minSeverity ? SEVERITY_ORDER[f.minSeverity] : -1;
  const severe = new Set<string>();
  graph.forEachNode((key, a) => {
    if (f.hiddenKinds.has(a.kind)) hidden.add(key);
    else if (f.namespaces.size && a.namespace !== undefined && !f.namespaces.has(a.namespace)) hidden.add(key);
    else if (
      f.namespaces.size &&
      a.namespace === undefined &&
      a.kind !== 'endpoint' &&
      a.kind !== 'domain' &&
      a.kind !== 'file'
    )
      hidden.add(key);
    else if (f.workloads.size && !(typeof a.workload === 'string' && f.workloads.has(a.workload))) {
      // Workload filter keeps things outside any workload (endpoints, files) reachable from it.
      if (a.kind !== 'endpoint' && a.kind !== 'domain' && a.kind !== 'file') hidden.add(key);
    } else if (f.timeWindow && (a.lastSeen < f.timeWindow[0] || a.firstSeen > f.timeWindow[1])) hidden.add(key);
    else if (f.cursor !== null && a.firstSeen > f.cursor) hidden.add(key);
    else if (f.hideInternet && isInternet(a)) hidden.add(key);
    else if (f.hideHubs && graph.degree(key) > f.hubDegree) hidden.add(key);
    if (minSev >= 0 && severityRank(a.severity) >= minSev) severe.add(key);
  });
  if (minSev >= 0) {
    const keep = new Set(severe);
    for (const k of severe) graph.forEachNeighbor(k, (nb) => keep.add(nb));
    graph.forEachNode((key) => {
      if (!keep.has(key)) hidden.add(key);
    });
  }
  // Leaves whose only link was hidden stay hidden too (a file read only by a hidden hub process
  // would float alone), except when the filter leaves nothing else.
  return hidden;
}

/** Nodes within `hops` of `key`, ignoring direction and hidden nodes. */
export function neighbourhood(graph: MirrorGraph, key: string, hops: number, hidden?: Set<string>): Set<string> {
  const seen = new Set<string>();
  if (!graph.hasNode(key)) return seen;
  seen.add(key);
  let frontier = [key];
  for (let h = 0; h < hops && frontier.length; h++) {
    const next: string[] = [];
    for (const k of frontier)
      graph.forEachNeighbor(k, (nb) => {
        if (seen.has(nb) || hidden?.has(nb)) return;
        seen.add(nb);
        next.push(nb);
      });
    frontier = next;
  }
  return seen;
}

/** Shortest path between two nodes, ignoring edge direction (who talked to whom, either way). */
export function shortestPath(
  graph: MirrorGraph,
  from: string,
  to: string,
  hidden?: Set<string>,
): { nodes: string[]; edges: string[] } | null {
  if (!graph.hasNode(from) || !graph.hasNode(to)) return null;
  if (from === to) return { nodes: [from], edges: [] };
  const parent = new Map<string, { node: string; edge: string }>();
  const seen = new Set([from]);
  const queue = [from];
  let head = 0;
  while (head < queue.length) {
    const cur = queue[head++]!;
    let found = false;
    graph.forEachEdge(cur, (edge, _a, source, target) => {
      if (found) return;
      const nb = source === cur ? target : source;
      if (seen.has(nb) || (hidden?.has(nb) && nb !== to)) return;
      seen.add(nb);
      parent.set(nb, { node: cur, edge });
      if (nb === to) found = true;
      queue.push(nb);
    });
    if (found) break;
  }
  if (!parent.has(to)) return null;
  const nodes = [to];
  const edges: string[] = [];
  let cur = to;
  while (cur !== from) {
    const p = parent.get(cur)!;
    edges.push(p.edge);
    nodes.push(p.node);
    cur = p.node;
  }
  return { nodes: nodes.reverse(), edges: edges.reverse() };
}

export interface SearchHit {
  key: string;
  label: string;
  kind: string;
  detail?: string;
  score: number;
}

/** Rank nodes for the search box: exact, then prefix, then substring of label, detail or key. */
export function searchNodes(graph: MirrorGraph, query: string, limit = 20): SearchHit[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hits: SearchHit[] = [];
  graph.forEachNode((key, a) => {
    const label = String(a.label ?? '').toLowerCase();
    const detail = typeof a.detail === 'string' ? a.detail.toLowerCase() : '';
    let score = 0;
    if (label === q) score = 100;
    else if (label.startsWith(q)) score = 80;
    else if (label.includes(q)) score = 60;
    else if (detail.includes(q)) score = 40;
    else if (key.toLowerCase().includes(q)) score = 20;
    if (!score) return;
    // Busier nodes first among equals: they are usually what the analyst means.
    score += Math.min(10, Math.log10(1 + (a.count || 0)));
    hits.push({
      key,
      label: String(a.label ?? key),
      kind: a.kind,
      detail: typeof a.detail === 'string' ? a.detail : undefined,
      score,
    });
  });
  hits.sort((x, y) => y.score - x.score || x.label.localeCompare(y.label));
  return hits.slice(0, limit);
}

const LEVEL_KIND: Record<CollapseLevel, NodeKind> = {
  process: 'process',
  pod: 'pod',
  workload: 'workload',
  namespace: 'namespace',
};
const LEVEL_RANK: Record<string, number> = { process: 0, container: 0.5, pod: 1, workload: 2, namespace: 3 };

/**
 * Where a node goes when the view collapses to `level`: the enclosing pod/workload/namespace,
 * found by walking incoming structural edges (runs, contains, owns). Nodes outside the
 * hierarchy (endpoints, files, domains) stay themselves. Used to keep the selection across a
 * collapse change.
 */
export function collapseTarget(graph: MirrorGraph, key: string, level: CollapseLevel): string {
  if (!graph.hasNode(key)) return key;
  const kind = graph.getNodeAttribute(key, 'kind');
  if (!(kind in LEVEL_RANK) || LEVEL_RANK[kind]! >= LEVEL_RANK[level]!) return key;
  const want = LEVEL_KIND[level];
  const seen = new Set([key]);
  let frontier = [key];
  while (frontier.length) {
    const next: string[] = [];
    for (const k of frontier) {
      for (const e of graph.inEdges(k)) {
        const ek = graph.getEdgeAttribute(e, 'kind');
        if (ek !== 'contains' && ek !== 'runs' && ek !== 'owns' && ek !== 'spawned') continue;
        const src = graph.source(e);
        if (seen.has(src)) continue;
        seen.add(src);
        if (graph.getNodeAttribute(src, 'kind') === want) return src;
        next.push(src);
      }
    }
    frontier = next;
  }
  return key;
}

/** Everything the reducers need to know about the analyst's current view. */
export interface ViewState {
  hidden: Set<string>;
  hovered: string | null;
  hoverNeighbours: Set<string> | null;
  /**
   * Hovering dims everything outside the neighbourhood (small graphs), or only lights up the
   * neighbourhood (big graphs, where re-drawing every node on each hover would stall the UI).
   */
  hoverDims: boolean;
  selected: string[];
  selectedEdge: string | null;
  /** Neighbourhood focus or a finding's evidence: everything else is dimmed. */
  focus: Set<string> | null;
  focusEdges: Set<string> | null;
  /**
   * The nodes whose labels are forced inside a focus (the evidence itself); the context around
   * them gets labels only where the label grid has room, so a hub's neighbours do not turn to mush.
   */
  focusCore: Set<string> | null;
  path: { nodes: Set<string>; edges: Set<string> } | null;
  diff: boolean;
  /** Big graphs: edges are not drawn while ForceAtlas2 moves the nodes (too much to redraw per step). */
  edgesHiddenForLayout: boolean;
  /**
   * Big graphs: edges are drawn as one-pixel lines (a fraction of the cost of a thick edge's two
   * triangles per frame, which is what a software-rendered frame waits for), except the selected
   * edge and a path, which keep their thickness.
   */
  thinEdges: boolean;
  dimColor: string;
  dimEdgeColor: string;
  highlightColor: string;
}

export function emptyViewState(theme: 'dark' | 'light' = 'dark'): ViewState {
  return {
    hidden: new Set(),
    hovered: null,
    hoverNeighbours: null,
    hoverDims: true,
    selected: [],
    selectedEdge: null,
    focus: null,
    focusEdges: null,
    focusCore: null,
    path: null,
    diff: false,
    edgesHiddenForLayout: false,
    thinEdges: false,
    ...themeColors(theme),
  };
}

export function themeColors(theme: 'dark' | 'light') {
  return theme === 'dark'
    ? { dimColor: '#2a3040', dimEdgeColor: '#1d2230', highlightColor: '#ffffff' }
    : { dimColor: '#d9dde5', dimEdgeColor: '#eceef3', highlightColor: '#111111' };
}

/** The display data sigma draws for a node. */
export type NodeDisplay = Omit<Partial<MirrorNode>, 'label'> & {
  hidden?: boolean;
  highlighted?: boolean;
  forceLabel?: boolean;
  zIndex?: number;
  label?: string | null;
};

/**
 * Node reducer. Returns the stored attributes object itself when nothing about the view touches
 * the node (sigma copies what it needs), so a 20k-node refresh allocates almost nothing.
 */
export function nodeReducer(view: ViewState) {
  const dimming = !!(view.path || (view.hovered && view.hoverNeighbours && view.hoverDims) || view.focus);
  const plain = !dimming && !view.diff && view.hidden.size === 0 && !view.hovered && view.selected.length === 0;
  return (key: string, data: MirrorNode): NodeDisplay => {
    if (plain) return data;
    if (view.hidden.has(key)) return { ...data, hidden: true };
    const selected = view.selected.length > 0 && view.selected.includes(key);
    const near =
      view.hovered !== null && !view.hoverDims && view.hoverNeighbours !== null && view.hoverNeighbours.has(key);
    let dim = false;
    if (view.path) dim = !view.path.nodes.has(key);
    else if (view.hovered && view.hoverNeighbours && view.hoverDims) dim = !view.hoverNeighbours.has(key);
    else if (view.focus) dim = !view.focus.has(key);
    if (!dim && !view.diff && !selected && !near && !dimming && key !== view.hovered) return data;
    const out: NodeDisplay = { ...data };
    if (view.diff) {
      const d = data.diff as string | undefined;
      if (d === 'added' || d === 'removed' || d === 'changed') {
        out.color = DIFF_COLORS[d];
        out.zIndex = 1;
      } else out.color = view.dimColor;
    }
    if (dim) {
      out.color = view.dimColor;
      out.borderColor = view.dimColor;
      out.label = null;
      out.zIndex = 0;
    } else if (dimming || near) {
      // Force labels only where they carry the story: the path, the evidence, the hovered
      // node's neighbours when there are few of them. Elsewhere the label grid decides.
      const core = view.path
        ? true
        : view.hovered && view.hoverNeighbours
          ? view.hoverNeighbours.size <= 40
          : view.focusCore
            ? view.focusCore.has(key)
            : (view.focus?.size ?? 0) <= 40;
      if (core) out.forceLabel = true;
      out.zIndex = 2;
    }
    if (key === view.hovered) out.highlighted = true;
    if (selected) {
      out.highlighted = true;
      out.forceLabel = true;
      out.zIndex = 3;
    }
    return out;
  };
}

export type EdgeDisplay = Partial<MirrorEdge> & {
  hidden?: boolean;
  zIndex?: number;
  forceLabel?: boolean;
  type?: string;
};

/** The edge program of one-pixel lines (registered beside sigma's default 'line'). */
export const THIN_EDGE_TYPE = 'thin';

export function edgeReducer(view: ViewState, graph: MirrorGraph) {
  const plain = !view.diff && !view.path && !view.hovered && !view.focus && !view.selectedEdge && !view.thinEdges;
  return (key: string, data: MirrorEdge): EdgeDisplay => {
    if (view.edgesHiddenForLayout && key !== view.selectedEdge && !view.path?.edges.has(key))
      return { ...data, hidden: true };
    if (plain) return data;
    let out: EdgeDisplay | null = null;
    const copy = () => (out ??= { ...data });
    // Drawn thick on a thin-edge graph: the path and the selected edge only. Hover and focus
    // emphasise by colour, so that their in-place redraws never move an edge between programs.
    let thick = false;
    if (view.diff) {
      const d = data.diff as string | undefined;
      copy().color = d === 'added' || d === 'removed' || d === 'changed' ? DIFF_COLORS[d] : view.dimEdgeColor;
    }
    if (view.path) {
      if (view.path.edges.has(key)) {
        thick = true;
        const o = copy();
        o.color = view.highlightColor;
        o.size = Math.max(3, (data.size ?? 1) * 2);
        o.zIndex = 2;
      } else copy().hidden = true;
    } else if (view.hovered) {
      const touches = graph.hasExtremity(key, view.hovered);
      if (view.hoverDims) {
        if (!touches) copy().color = view.dimEdgeColor;
        else copy().zIndex = 2;
      } else if (touches) {
        const o = copy();
        o.color = view.highlightColor;
        o.zIndex = 2;
      }
    } else if (view.focus) {
      const inFocus = view.focusEdges
        ? view.focusEdges.has(key) || (view.focus.has(graph.source(key)) && view.focus.has(graph.target(key)))
        : view.focus.has(graph.source(key)) && view.focus.has(graph.target(key));
      if (!inFocus) copy().hidden = true;
      else copy().zIndex = 2;
    }
    if (key === view.selectedEdge) {
      thick = true;
      const o = copy();
      o.color = view.highlightColor;
      o.size = Math.max(3, (data.size ?? 1) * 2);
      o.zIndex = 3;
    }
    if (view.thinEdges && !thick) copy().type = THIN_EDGE_TYPE;
    return out ?? data;
  };
}

/** Bounding box (graph coordinates) of a set of nodes, for camera moves. */
export function bbox(graph: MirrorGraph, keys: Iterable<string>): { x: [number, number]; y: [number, number] } | null {
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (const k of keys) {
    if (!graph.hasNode(k)) continue;
    const { x, y } = graph.getNodeAttributes(k);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  if (minX === Infinity) return null;
  return { x: [minX, maxX], y: [minY, maxY] };
}

/** Counts per kind of what is visible, for the legend. */
export function kindCounts(graph: MirrorGraph, hidden: Set<string>): Map<string, number> {
  const m = new Map<string, number>();
  graph.forEachNode((k, a: MirrorNode) => {
    if (hidden.has(k)) return;
    m.set(a.kind, (m.get(a.kind) ?? 0) + 1);
  });
  return m;
}
