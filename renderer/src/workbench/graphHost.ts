/**
 * GraphHost: the non-React owner of the graph view — the graphology mirror, the sigma renderer,
 * the ForceAtlas2 worker and the analyst's view state. React components talk to it through
 * methods and subscribe to its change counter, so a 20k-node graph never goes through React state.
 */
import Graph from 'graphology';
import Sigma from 'sigma';
import FA2LayoutSupervisor from 'graphology-layout-forceatlas2/worker';
import { inferSettings, type ForceAtlas2Settings } from 'graphology-layout-forceatlas2';
import { EdgeArrowProgram, EdgeLineProgram, EdgeRectangleProgram, NodeCircleProgram } from 'sigma/rendering';
import { NodeSquareProgram } from '@sigma/node-square';
import { createNodeBorderProgram } from '@sigma/node-border';
import { toBlob } from '@sigma/export-image';
import { installJsPicking } from './picking';
import { edgeGate } from '../graph/edgeGate';
import {
  attachEdges,
  detachEdges,
  indexCurrent,
  nodeTypes,
  pushNodePositions,
  rebuildLabelGrid,
  skipReprocess,
  withoutPicking,
} from './sigmaFast';
import type { GraphDelta } from '../../../main/common/graph';
import {
  applyDelta,
  createMirror,
  createMirrorState,
  deltaInOrder,
  type ApplyResult,
  type MirrorEdge,
  type MirrorGraph,
  type MirrorNode,
  type MirrorState,
} from '../graph/mirror';
import {
  computeHidden,
  defaultFilters,
  edgeReducer,
  emptyViewState,
  neighbourhood,
  nodeReducer,
  shortestPath,
  themeColors,
  THIN_EDGE_TYPE,
  type Filters,
  type ViewState,
} from '../graph/view';

export type LabelDensity = 'sparse' | 'normal' | 'dense';
const LABEL_SETTINGS: Record<
  LabelDensity,
  { labelDensity: number; labelGridCellSize: number; labelRenderedSizeThreshold: number }
> = {
  sparse: { labelDensity: 0.25, labelGridCellSize: 140, labelRenderedSizeThreshold: 9 },
  normal: { labelDensity: 0.6, labelGridCellSize: 90, labelRenderedSizeThreshold: 6 },
  dense: { labelDensity: 1.5, labelGridCellSize: 60, labelRenderedSizeThreshold: 3 },
};

/** Above this many items a delta is applied with the renderer and layout detached, then re-attached once. */
const BULK_THRESHOLD = 3000;
/**
 * Above this many nodes + edges, layout steps move sigma's nodes in place (sigmaFast.ts) instead of
 * through graphology attribute events, which make sigma re-index the whole graph on every step.
 */
const BIG_GRAPH = 20_000;
/** Above this many edges, ordinary edges are one-pixel lines (ViewState.thinEdges). */
const THIN_EDGES_ABOVE = 10_000;
/** How often a big graph's layout positions are drawn (the worker keeps iterating in between). */
const LAYOUT_DRAW_MS = 200;

export interface LayoutSettings extends ForceAtlas2Settings {
  /** Stop on its own after this many seconds (0: never). */
  autoStopSec: number;
  /** Do not draw edges while the layout runs on graphs with more edges than this (0: always draw). */
  hideEdgesAbove: number;
}

type Listener = () => void;

/** Labels placed so far in one drawing of the graph (viewport boxes x0, y0, x1, y1, flattened). */
interface LabelFrame {
  boxes: number[];
  /** Forced labels (selection, evidence, path) are reserved once, at the frame's first label. */
  started: boolean;
  /**
   * Nodes whose label was placed in this frame. A node coming round again means a new frame of
   * a renderer whose frames cannot be watched (the export's, which renders more than once).
   */
  placed: Set<string>;
}

const newLabelFrame = (): LabelFrame => ({ boxes: [], started: false, placed: new Set() });

export class GraphHost {
  readonly graph: MirrorGraph = createMirror();
  readonly mirror: MirrorState = createMirrorState();
  /** What sigma draws: the mirror, with its edges held back while a big graph is laid out. */
  private readonly edgeGate = edgeGate(this.graph);
  sigma: Sigma<MirrorNode, MirrorEdge> | null = null;
  view: ViewState = emptyViewState('dark');
  filters: Filters = defaultFilters();
  theme: 'dark' | 'light' = 'dark';
  labelDensity: LabelDensity = 'normal';
  layoutSettings: LayoutSettings = { autoStopSec: 12, hideEdgesAbove: 20_000, ...inferSettings(1000) };
  /** Bumped whenever something React shows (counts, legend, selection) may have changed. */
  version = 0;
  /** Bumped only when nodes/edges or the hidden set change (legend counts, filter lists). */
  structureVersion = 0;
  /** Set when a delta arrived out of order: the owner should fetch a snapshot. */
  needsSnapshot = false;
  private layout: FA2LayoutSupervisor | null = null;
  private layoutTimer: ReturnType<typeof setTimeout> | undefined;
  private layoutWanted = false;
  private listeners = new Set<Listener>();
  private notifyFrame = 0;
  private hiddenDirty = true;
  /** Rebuilt on each view change; sigma always calls through the stable wrappers below. */
  private nodeReducerFn = nodeReducer(this.view);
  private edgeReducerFn = edgeReducer(this.view, this.graph);
  /** Layout positions written to the graph but not drawn yet (big graphs). */
  private positionsDirty = false;
  private labelGridAt = 0;
  private labelGridTimer: ReturnType<typeof setTimeout> | undefined;
  /** Cancels the slice-by-slice return of edges after a big layout. */
  private cancelAttach: ((reopen?: boolean) => void) | null = null;

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Coalesce notifications to one per animation frame. */
  private notify() {
    this.version++;
    if (this.notifyFrame) return;
    const run = () => {
      this.notifyFrame = 0;
      for (const l of this.listeners) l();
    };
    this.notifyFrame =
      typeof requestAnimationFrame === 'function'
        ? requestAnimationFrame(run)
        : (setTimeout(run, 16) as unknown as number);
  }

  mount(container: HTMLElement): void {
    if (this.sigma) return;
    const BorderProgram = createNodeBorderProgram({
      borders: [
        { size: { value: 0.28 }, color: { attribute: 'borderColor' } },
        { size: { fill: true }, color: { attribute: 'color' } },
      ],
    });
    const s = new Sigma<MirrorNode, MirrorEdge>(this.edgeGate.view, container, {
      // Picking is done in JavaScript (picking.ts): no program needs its picking twin.
      nodeProgramClasses: withoutPicking({
        circle: NodeCircleProgram,
        square: NodeSquareProgram,
        border: BorderProgram,
      }),
      edgeProgramClasses: withoutPicking({
        line: EdgeRectangleProgram,
        [THIN_EDGE_TYPE]: EdgeLineProgram,
        arrow: EdgeArrowProgram,
      }),
      defaultNodeType: 'circle',
      defaultEdgeType: 'line',
      zIndex: true,
      renderEdgeLabels: false,
      allowInvalidContainer: true,
      labelFont: 'Inter, "Segoe UI", system-ui, sans-serif',
      labelSize: 12,
      labelWeight: '500',
      minCameraRatio: 0.01,
      maxCameraRatio: 20,
      nodeReducer: (k, d) => this.nodeReducerFn(k, d) as never,
      edgeReducer: (k, d) => this.edgeReducerFn(k, d) as never,
      ...LABEL_SETTINGS[this.labelDensity],
      ...this.themeSettings(),
      defaultDrawNodeHover: (ctx, data, settings) => this.drawHover(ctx, data, settings),
      defaultDrawNodeLabel: (ctx, data, settings) => this.drawLabel(ctx, data, settings),
    });
    // Picking is done in JavaScript (picking.ts), so sigma's picking framebuffers are never read:
    // shrink them to almost nothing (it still clears them each frame).
    (s as unknown as { pickingDownSizingRatio: number }).pickingDownSizingRatio = 64;
    // Every node shape draws its label and hover the same, themed way (node-square brings its own
    // white hover box), and labels go through the overlap check below.
    for (const p of Object.values((s as unknown as { nodePrograms: Record<string, object> }).nodePrograms))
      Object.assign(p, { drawLabel: undefined, drawHover: undefined });
    s.on('beforeRender', () => {
      this.screenLabels = newLabelFrame();
    });
    this.sigma = s;
    installJsPicking(this.sigma as unknown as Sigma);
    this.refreshView();
    if (this.layoutWanted) this.startLayout();
  }

  unmount(): void {
    clearTimeout(this.labelGridTimer);
    this.cancelAttach?.(false);
    this.cancelAttach = null;
    this.killLayout();
    this.sigma?.kill();
    this.sigma = null;
  }

  dispose(): void {
    this.unmount();
    if (this.notifyFrame && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(this.notifyFrame);
    this.listeners.clear();
  }

  /** Label boxes drawn in the current frame of the screen (viewport pixels: x0, y0, x1, y1). */
  private screenLabels: LabelFrame = newLabelFrame();

  private labelBox(ctx: CanvasRenderingContext2D, x: number, y: number, nodeSize: number, label: string, size: number) {
    const w = ctx.measureText(label).width;
    const x0 = x + nodeSize + 3;
    return [x0 - 2, y - size / 2 - 2, x0 + w + 2, y + size / 2 + 2] as const;
  }

  /**
   * Node labels that never overlap: a label is drawn only where no label drawn before it in this
   * frame sits, except forced ones (selection, evidence, path), which are reserved first and
   * always drawn. A halo in the background colour keeps text legible over edges. Canvas text only.
   */
  private drawLabel(
    ctx: CanvasRenderingContext2D,
    data: { key?: string; x: number; y: number; size: number; label?: string | null; forceLabel?: boolean },
    settings: { labelSize: number; labelFont: string; labelWeight: string; labelColor: { color?: string } },
    frame: LabelFrame = this.screenLabels,
  ) {
    if (typeof data.label !== 'string' || !data.label) return;
    const size = settings.labelSize;
    ctx.font = `${settings.labelWeight} ${size}px ${settings.labelFont}`;
    const boxes = frame.boxes;
    const s = this.sigma;
    if (!frame.started && s) {
      frame.started = true;
      // sigma draws the label grid's picks first and forced labels last: reserve the forced ones.
      const internals = s as unknown as {
        nodesWithForcedLabels: Set<string>;
        nodeDataCache: Record<string, { x: number; y: number; size: number; hidden?: boolean; label?: string | null }>;
      };
      for (const k of internals.nodesWithForcedLabels) {
        const d = internals.nodeDataCache[k];
        if (!d || d.hidden || typeof d.label !== 'string') continue;
        const p = s.framedGraphToViewport(d);
        boxes.push(...this.labelBox(ctx, p.x, p.y, s.scaleSize(d.size), d.label, size));
      }
    }
    if (data.key !== undefined) frame.placed.add(data.key);
    const box = this.labelBox(ctx, data.x, data.y, data.size, data.label, size);
    if (!data.forceLabel) {
      for (let i = 0; i < boxes.length; i += 4)
        if (box[0] < boxes[i + 2]! && box[2] > boxes[i]! && box[1] < boxes[i + 3]! && box[3] > boxes[i + 1]!) return;
      boxes.push(...box);
    }
    const dark = this.theme === 'dark';
    const x = data.x + data.size + 3;
    const y = data.y + size / 3;
    ctx.lineJoin = 'round';
    ctx.lineWidth = 3;
    ctx.strokeStyle = dark ? 'rgba(15,19,26,0.85)' : 'rgba(255,255,255,0.9)';
    ctx.strokeText(data.label, x, y);
    ctx.fillStyle = settings.labelColor.color ?? (dark ? '#d7dce5' : '#1d2330');
    ctx.fillText(data.label, x, y);
  }

  /** Hover label in the theme's colours (sigma's default is a white box, glaring on dark). Canvas text: never HTML. */
  private drawHover(
    ctx: CanvasRenderingContext2D,
    data: { x: number; y: number; size: number; label?: string | null; color: string },
    settings: { labelSize: number; labelFont: string; labelWeight: string },
  ) {
    const dark = this.theme === 'dark';
    const size = settings.labelSize;
    ctx.font = `${settings.labelWeight} ${size}px ${settings.labelFont}`;
    const label = typeof data.label === 'string' ? data.label : '';
    const w = label ? ctx.measureText(label).width : 0;
    const pad = 4;
    const h = size + pad * 2;
    const x = data.x + data.size + 4;
    const y = data.y - h / 2;
    ctx.fillStyle = dark ? '#1b212b' : '#ffffff';
    ctx.strokeStyle = dark ? '#f5b841' : '#c98a00';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.arc(data.x, data.y, data.size + 3, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
    if (label) {
      ctx.beginPath();
      ctx.roundRect(x - pad, y, w + pad * 2, h, 4);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = dark ? '#e6e9ef' : '#1b2130';
      ctx.fillText(label, x, data.y + size / 3);
    }
    ctx.fillStyle = data.color;
    ctx.beginPath();
    ctx.arc(data.x, data.y, data.size, 0, Math.PI * 2);
    ctx.fill();
  }

  private themeSettings() {
    const dark = this.theme === 'dark';
    return {
      labelColor: { color: dark ? '#d7dce5' : '#1d2330' },
      defaultEdgeColor: dark ? '#3a4150' : '#c5cad3',
    };
  }

  setTheme(theme: 'dark' | 'light'): void {
    // The saved theme arrives as the graph loads: the same theme must not re-index a big graph.
    if (theme === this.theme) return;
    this.theme = theme;
    this.view = { ...this.view, ...themeColors(theme) };
    if (this.sigma)
      for (const [k, v] of Object.entries(this.themeSettings())) this.sigma.setSetting(k as 'labelColor', v as never);
    this.refreshView(null, true, true);
  }

  setLabelDensity(d: LabelDensity): void {
    this.labelDensity = d;
    if (this.sigma)
      for (const [k, v] of Object.entries(LABEL_SETTINGS[d])) this.sigma.setSetting(k as 'labelDensity', v);
    this.notify();
  }

  /** Apply a delta from the engine. Big ones detach sigma and the layout so they cost one re-index. */
  apply(delta: GraphDelta): ApplyResult | null {
    const order = deltaInOrder(this.mirror, delta);
    if (order === 'stale') return null;
    if (order === 'gap') {
      this.needsSnapshot = true;
      this.notify();
      return null;
    }
    const items =
      (delta.nodes?.length ?? 0) +
      (delta.edges?.length ?? 0) +
      (delta.dropNodes?.length ?? 0) +
      (delta.dropEdges?.length ?? 0);
    const bulk = !!delta.reset || items > BULK_THRESHOLD;
    const wasRunning = this.layout?.isRunning() ?? false;
    if (bulk) {
      this.killLayout();
      this.cancelAttach?.(false);
      this.cancelAttach = null;
      this.sigma?.setGraph(new Graph() as unknown as MirrorGraph);
    }
    // A live capture's routine delta on a big graph: counts and times of things already drawn.
    const s = this.sigma;
    const updatesOnly =
      !bulk &&
      !!s &&
      this.bigGraph() &&
      indexCurrent(s) &&
      !delta.nodes?.length &&
      !delta.edges?.length &&
      !delta.dropNodes?.length &&
      !delta.dropEdges?.length;
    const updatedNodes = updatesOnly ? (delta.nodeUpdates ?? []).map((u) => u.key) : [];
    const typesBefore = updatesOnly ? nodeTypes(s!, updatedNodes) : null;
    const hiddenBefore = this.view.hidden;
    const res = applyDelta(this.graph, this.mirror, delta);
    if (res.orphanEdges) this.needsSnapshot = true;
    else if (delta.reset) this.needsSnapshot = false;
    if (res.structural || res.updated) this.hiddenDirty = true;
    this.recomputeHidden();
    if (res.structural) this.structureVersion++;
    this.view.hoverDims = this.graph.order + this.graph.size < 15_000;
    this.view.thinEdges = this.graph.size > THIN_EDGES_ABOVE;
    const willLayout = res.structural && (wasRunning || this.layoutWanted || res.reset);
    // Decide before the first draw whether edges wait for the layout, so that frame is not wasted.
    if (bulk) {
      const hide =
        willLayout && this.layoutSettings.hideEdgesAbove > 0 && this.graph.size > this.layoutSettings.hideEdgesAbove;
      this.view = { ...this.view, edgesHiddenForLayout: hide };
      // Hidden edges are not even given to sigma: its first frame indexes the nodes only.
      this.edgeGate.set(!hide);
    }
    // While detached, refreshing costs nothing; re-attaching indexes and draws the mirror once.
    if (bulk) {
      this.refreshView(null, false);
      this.sigma?.setGraph(this.edgeGate.view);
    } else if (
      updatesOnly &&
      !res.structural &&
      this.redrawUpdatesInPlace(delta, updatedNodes, typesBefore!, hiddenBefore)
    ) {
      // done in place
    } else this.refreshView();
    // A growing graph settles its newcomers for a few seconds; the rest of it barely moves.
    if (willLayout && bulk && typeof requestAnimationFrame === 'function') {
      // The big graph's first frame first: building the layout's matrices and starting its
      // worker would compete with it for the CPU, and nothing moves before it is on screen.
      this.layoutWanted = true;
      this.deferLayoutStart(res.reset ? undefined : 4);
    } else if (willLayout) this.startLayout(res.reset ? undefined : 4);
    this.notify();
    return res;
  }

  setFilters(f: Partial<Filters>): void {
    if ((Object.keys(f) as (keyof Filters)[]).every((k) => this.filters[k] === f[k])) return;
    this.filters = { ...this.filters, ...f };
    this.structureVersion++;
    this.hiddenDirty = true;
    const before = this.view.hidden;
    this.recomputeHidden();
    this.refreshView(this.hiddenChangeScope(before, this.view.hidden), true, true);
    this.notify();
  }

  /**
   * A delta of attribute updates only, on a big graph: the updated nodes and edges (and any node a
   * filter now hides or shows) are redrawn in their programs' slots, and sigma's full re-process
   * (0.3–0.4 s at 20k nodes / 60k edges, for every delta of a live capture) is skipped. False when
   * that cannot be done: a node changed program (a severity ring), or too much changed.
   */
  private redrawUpdatesInPlace(
    delta: GraphDelta,
    updatedNodes: string[],
    typesBefore: Map<string, string | undefined>,
    hiddenBefore: Set<string>,
  ): boolean {
    const s = this.sigma;
    if (!s) return false;
    const typesAfter = nodeTypes(s, updatedNodes);
    for (const [k, t] of typesBefore) if (typesAfter.get(k) !== t) return false;
    const scope = this.hiddenChangeScope(hiddenBefore, this.view.hidden, false);
    if (!scope) return false;
    const edges = [...scope.edges, ...(delta.edgeUpdates ?? []).map((u) => u.key)];
    this.refreshView({ nodes: [...updatedNodes, ...scope.nodes], edges });
    // Unless the scoped refresh fell back to a whole one (an edge had to change program), or a
    // whole one is pending anyway: then sigma's re-process is needed.
    if (!this.slicePending) skipReprocess(s);
    return true;
  }

  /**
   * On a big graph, a filter that shows or hides a few nodes (a timeline cursor step, the replay
   * playing) redraws just those nodes and their edges in place; the whole graph (null) otherwise.
   */
  private hiddenChangeScope(
    before: Set<string>,
    after: Set<string>,
    requireIndex = true,
  ): { nodes: string[]; edges: string[] } | null {
    if (!this.sigma || !this.bigGraph() || (requireIndex && !indexCurrent(this.sigma))) return null;
    const limit = Math.max(200, this.graph.order * 0.05);
    const nodes: string[] = [];
    for (const k of after) if (!before.has(k) && nodes.push(k) > limit) return null;
    for (const k of before) if (!after.has(k) && nodes.push(k) > limit) return null;
    const edges: string[] = [];
    for (const k of nodes) if (this.graph.hasNode(k)) this.graph.forEachEdge(k, (e) => void edges.push(e));
    if (edges.length > limit * 4) return null;
    // Labels: which ones fit is sorted by sigma's full re-index only; here, in a task of its own.
    if (nodes.length) this.scheduleLabelGrid();
    return { nodes, edges };
  }

  private recomputeHidden() {
    if (!this.hiddenDirty) return;
    this.hiddenDirty = false;
    this.view = { ...this.view, hidden: computeHidden(this.graph, this.filters) };
  }

  /**
   * Change the view. `scope` lists the only nodes/edges whose look changes (selection, hover on a
   * big graph): sigma then re-draws just those instead of re-processing the whole graph.
   */
  setView(v: Partial<ViewState>, scope?: { nodes: Iterable<string>; edges?: Iterable<string> }): void {
    this.view = { ...this.view, ...v };
    this.refreshView(scope ?? null, true, true);
    this.notify();
  }

  /**
   * New reducers for the current view, and sigma told what to redraw: `scope` in place, otherwise
   * everything. `inSlices` (an analyst's change of the whole view: a filter, the theme, a focus):
   * on a big graph the edges then come back a slice at a time instead of in one long re-index.
   */
  private refreshView(
    scope: { nodes: Iterable<string>; edges?: Iterable<string> } | null = null,
    render = true,
    inSlices = false,
  ) {
    this.nodeReducerFn = nodeReducer(this.view);
    this.edgeReducerFn = edgeReducer(this.view, this.graph);
    const s = this.sigma;
    if (!s || !render) return;
    if (scope) {
      // Only items sigma has in its programs can be re-drawn in place (hidden ones are there too,
      // drawn as nothing; edges held back by a layout are not).
      const idx = s as unknown as {
        nodeProgramIndex: Record<string, number>;
        edgeProgramIndex: Record<string, number>;
        edgeDataCache: Record<string, { type: string }>;
      };
      const nodes = [...new Set(scope.nodes)].filter(
        (k) => idx.nodeProgramIndex[k] !== undefined && this.graph.hasNode(k),
      );
      const edges = [...new Set(scope.edges ?? [])].filter(
        (k) => idx.edgeProgramIndex[k] !== undefined && this.graph.hasEdge(k),
      );
      // In place means in the same program: an edge changing program (thin <-> thick, as when an
      // edge of a big graph is selected) needs its programs rebuilt.
      const movesProgram = edges.some(
        (e) => (this.edgeReducerFn(e, this.graph.getEdgeAttributes(e)).type ?? 'line') !== idx.edgeDataCache[e]?.type,
      );
      if (movesProgram) this.refreshView(null, true, true);
      else s.refresh({ partialGraph: { nodes, edges }, skipIndexation: true, schedule: true });
    } else if (inSlices && this.bigGraph() && !this.view.edgesHiddenForLayout) this.refreshInSlices(s);
    else s.refresh({ schedule: true });
  }

  private sliceRefreshes = 0;
  /** A sliced refresh waits for sigma to process the nodes before its edges come back. */
  private slicePending = false;

  /**
   * The whole view changed on a big graph, where sigma's refresh re-indexes every node and edge
   * in one task (0.3–0.5 s at 20k nodes / 60k edges). The nodes are re-indexed at once; the
   * edges are detached and come back in slices once sigma has processed the nodes, as after a
   * layout (the view says "drawing edges…" meanwhile).
   */
  private refreshInSlices(s: Sigma<MirrorNode, MirrorEdge>) {
    this.cancelAttach?.(false);
    this.cancelAttach = null;
    detachEdges(s, this.edgeGate);
    s.refresh({ schedule: true });
    const round = ++this.sliceRefreshes;
    this.slicePending = true;
    s.once('afterProcess', () => {
      if (round === this.sliceRefreshes) this.slicePending = false;
      // Superseded meanwhile: another refresh, a layout holding the edges, or edges already coming back.
      if (this.sigma !== s || round !== this.sliceRefreshes || this.view.edgesHiddenForLayout || this.cancelAttach)
        return;
      this.cancelAttach = attachEdges(s, this.edgeGate, () => {
        this.cancelAttach = null;
        this.notify();
      });
      this.notify();
    });
  }

  hover(key: string | null): void {
    if (key === this.view.hovered) return;
    const nb = key && this.graph.hasNode(key) ? neighbourhood(this.graph, key, 1, this.view.hidden) : null;
    if (this.view.hoverDims) {
      this.setView({ hovered: key, hoverNeighbours: nb });
      return;
    }
    // Big graph: light up the neighbourhood only, and re-draw only what changes.
    const prev = this.view.hoverNeighbours;
    const prevKey = this.view.hovered;
    const nodes = [...(prev ?? []), ...(nb ?? [])];
    const edges = [
      ...(prevKey && this.graph.hasNode(prevKey) ? this.graph.edges(prevKey) : []),
      ...(key && this.graph.hasNode(key) ? this.graph.edges(key) : []),
    ];
    this.setView({ hovered: key, hoverNeighbours: nb }, { nodes, edges });
  }

  select(key: string | null, additive = false): void {
    let selected: string[];
    if (!key) selected = [];
    else if (additive) selected = [...this.view.selected.filter((k) => k !== key), key].slice(-2);
    else selected = [key];
    const before = this.view;
    const structural = !!before.path || !!before.selectedEdge;
    this.setView(
      { selected, selectedEdge: null, path: null },
      structural ? undefined : { nodes: [...before.selected, ...selected] },
    );
  }

  selectEdge(key: string | null): void {
    const before = this.view;
    this.setView(
      { selectedEdge: key, selected: [] },
      before.path
        ? undefined
        : { nodes: before.selected, edges: [before.selectedEdge, key].filter((k): k is string => !!k) },
    );
  }

  /** Dim everything outside `hops` of the node. */
  focusNeighbourhood(key: string, hops: number): void {
    const focus = neighbourhood(this.graph, key, hops, this.view.hidden);
    this.setView({
      focus,
      focusEdges: null,
      focusCore: focus.size <= 40 ? null : neighbourhood(this.graph, key, 1, this.view.hidden),
      path: null,
    });
    this.zoomTo(focus);
  }

  /** Focus on a finding's evidence (only the parts present at the current collapse level). */
  focusEvidence(nodes: string[], edges: string[]): number {
    const focus = new Set<string>();
    for (const n of nodes) if (this.graph.hasNode(n)) focus.add(n);
    const focusEdges = new Set<string>();
    for (const e of edges)
      if (this.graph.hasEdge(e)) {
        focusEdges.add(e);
        focus.add(this.graph.source(e));
        focus.add(this.graph.target(e));
      }
    if (!focus.size) {
      this.setView({ focus: null, focusEdges: null });
      return 0;
    }
    // Context: the direct neighbours of the evidence, so the analyst sees where it sits (a hub's
    // hundreds of neighbours are left out: they would bury the evidence).
    const context = new Set(focus);
    for (const k of focus) if (this.graph.degree(k) <= 25) this.graph.forEachNeighbor(k, (nb) => context.add(nb));
    this.setView({ focus: context, focusEdges, focusCore: focus, path: null, selected: [...focus].slice(0, 1) });
    this.zoomTo(focus);
    return focus.size;
  }

  clearFocus(): void {
    if (!this.view.focus && !this.view.path && !this.view.focusEdges) return;
    this.setView({ focus: null, focusEdges: null, focusCore: null, path: null });
  }

  /** Shortest path between the two selected nodes; false when there is none. */
  showPath(): boolean | null {
    const [a, b] = this.view.selected;
    if (!a || !b) return null;
    // A path is drawn with its edges: a big graph's layout holding them back stops here.
    if (!this.edgeGate.open()) this.stopLayout();
    const p = shortestPath(this.graph, a, b, this.view.hidden);
    if (!p) {
      this.setView({ path: null });
      return false;
    }
    this.setView({ path: { nodes: new Set(p.nodes), edges: new Set(p.edges) }, focus: null });
    this.zoomTo(p.nodes);
    return true;
  }

  zoomTo(keys: Iterable<string>): void {
    const s = this.sigma;
    if (!s) return;
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity,
      n = 0;
    for (const k of keys) {
      if (!this.graph.hasNode(k)) continue;
      const a = this.graph.getNodeAttributes(k);
      if (!Number.isFinite(a.x) || !Number.isFinite(a.y)) continue;
      // Graph coordinates → the camera's normalised ("framed graph") space. Not sigma's display
      // cache: between a refresh and the next frame it holds un-normalised positions.
      const d = s.viewportToFramedGraph(s.graphToViewport(a));
      n++;
      minX = Math.min(minX, d.x);
      maxX = Math.max(maxX, d.x);
      minY = Math.min(minY, d.y);
      maxY = Math.max(maxY, d.y);
    }
    if (!n) return;
    const ratio = Math.min(1.2, Math.max(0.04, Math.max(maxX - minX, maxY - minY) * 1.5));
    s.getCamera().animate({ x: (minX + maxX) / 2, y: (minY + maxY) / 2, ratio }, { duration: 400 });
  }

  zoomToFit(): void {
    this.sigma?.getCamera().animatedReset({ duration: 300 });
  }

  zoom(factor: number): void {
    const cam = this.sigma?.getCamera();
    if (!cam) return;
    if (factor > 1) cam.animatedZoom({ duration: 200, factor });
    else cam.animatedUnzoom({ duration: 200, factor: 1 / factor });
  }

  // ---- layout (ForceAtlas2 in its web worker) ----

  isLayoutRunning(): boolean {
    return this.layout?.isRunning() ?? false;
  }

  private bigGraph(): boolean {
    return this.graph.order + this.graph.size > BIG_GRAPH;
  }

  /**
   * Hide or show the edges for a layout. Hidden edges are detached from sigma (not indexed,
   * drawn or picked); they come back a slice at a time, as one re-index of 60k edges is a long task.
   */
  private hideEdgesForLayout(hide: boolean) {
    if (hide === this.view.edgesHiddenForLayout && hide !== this.edgeGate.open()) return;
    if (!hide && this.cancelAttach) return;
    this.view = { ...this.view, edgesHiddenForLayout: hide };
    this.refreshView(null, false);
    const s = this.sigma;
    this.cancelAttach?.(false);
    this.cancelAttach = null;
    if (!s) this.edgeGate.set(!hide);
    else if (hide) detachEdges(s, this.edgeGate);
    else
      this.cancelAttach = attachEdges(s, this.edgeGate, () => {
        this.cancelAttach = null;
        this.notify();
      });
  }

  private layoutStartFrame = 0;
  private layoutStartTimer: ReturnType<typeof setTimeout> | undefined;

  /** Start the layout once sigma has drawn the next frame (and the browser has had a turn). */
  private deferLayoutStart(seconds?: number) {
    cancelAnimationFrame(this.layoutStartFrame);
    clearTimeout(this.layoutStartTimer);
    const start = () => {
      this.layoutStartTimer = setTimeout(() => {
        if (this.layoutWanted && !this.isLayoutRunning()) this.startLayout(seconds);
      }, 0);
    };
    this.layoutStartFrame = requestAnimationFrame(() => {
      this.layoutStartFrame = 0;
      const s = this.sigma;
      if (!s) return start();
      s.once('afterRender', start);
      s.scheduleRender();
    });
  }

  startLayout(seconds?: number): void {
    this.layoutWanted = true;
    if (!this.graph.order || typeof Worker === 'undefined') return;
    if (!this.layout) {
      const inferred = inferSettings(this.graph);
      const { autoStopSec: _ignored, hideEdgesAbove: _ignored2, ...fa2 } = this.layoutSettings;
      this.layout = new FA2LayoutSupervisor(this.graph, {
        settings: { ...inferred, ...fa2, barnesHutOptimize: this.graph.order > 1500 },
        getEdgeWeight: null,
      });
      this.wireLayout(this.layout);
    }
    if (!this.layout.isRunning()) this.layout.start();
    const hide = this.layoutSettings.hideEdgesAbove > 0 && this.graph.size > this.layoutSettings.hideEdgesAbove;
    this.hideEdgesForLayout(hide);
    clearTimeout(this.layoutTimer);
    const limit = seconds ?? this.layoutSettings.autoStopSec;
    if (limit > 0) this.layoutTimer = setTimeout(() => this.stopLayout(), limit * 1000);
    this.notify();
  }

  stopLayout(): void {
    this.layoutWanted = false;
    clearTimeout(this.layoutTimer);
    this.layout?.stop();
    const s = this.sigma;
    if (this.positionsDirty && s) this.drawPositions();
    this.hideEdgesForLayout(false);
    this.notify();
  }

  /** True while edges are still coming back after a big layout. */
  isAttachingEdges(): boolean {
    return this.cancelAttach !== null || this.slicePending;
  }

  setLayoutSettings(s: Partial<LayoutSettings>): void {
    this.layoutSettings = { ...this.layoutSettings, ...s };
    const running = this.isLayoutRunning();
    this.killLayout();
    if (running) this.startLayout();
    this.notify();
  }

  /** Draw the positions the layout wrote into the graph (big graphs). */
  private drawPositions() {
    const s = this.sigma;
    if (!s) return;
    this.positionsDirty = false;
    // A re-index is pending anyway (structure or view changed): it reads the new positions.
    if (!indexCurrent(s)) {
      s.scheduleRender();
      return;
    }
    pushNodePositions(s, { edges: this.edgeGate.open() && !this.cancelAttach, labels: false });
    // The label grid (which labels fit) is re-sorted in a task of its own, every ~0.6 s and after
    // the last step, so that no single task does both on a big graph.
    const now = performance.now();
    if (!this.isLayoutRunning() || now - this.labelGridAt > 600) {
      this.labelGridAt = now;
      this.scheduleLabelGrid();
    }
  }

  /** Re-sort which labels fit (sigma does it only in a full re-index), in a task of its own. */
  private scheduleLabelGrid() {
    const s = this.sigma;
    if (!s) return;
    clearTimeout(this.labelGridTimer);
    this.labelGridTimer = setTimeout(() => {
      if (this.sigma === s && indexCurrent(s)) rebuildLabelGrid(s);
    }, 0);
  }

  /**
   * On big graphs, ForceAtlas2's positions go straight into the node attribute objects (no
   * graphology event: sigma would re-index every node and edge on each step) and are drawn at
   * most every LAYOUT_DRAW_MS, while the worker keeps iterating at full speed. Reaches into the
   * supervisor (graphology-layout-forceatlas2 0.10), which has no hook for this.
   */
  private wireLayout(layout: FA2LayoutSupervisor) {
    const sup = layout as unknown as {
      worker: Worker;
      handleMessage: (e: MessageEvent<{ nodes: ArrayBuffer }>) => void;
      running: boolean;
      matrices: { nodes: Float32Array } | null;
      askForIterations(): void;
    };
    const original = sup.handleMessage;
    let last = 0;
    const onStep = (event: MessageEvent<{ nodes: ArrayBuffer }>) => {
      if (!sup.running || !sup.matrices) return;
      if (!this.bigGraph() || !this.sigma) {
        original(event);
        return;
      }
      const matrix = new Float32Array(event.data.nodes);
      // The matrix follows the graph's node order; after a structural change the worker is
      // respawned with a new one, and a step of the old size is dropped.
      if (matrix.length === this.graph.order * 10) {
        let i = 0;
        this.graph.forEachNode((_k, a) => {
          a.x = matrix[i]!;
          a.y = matrix[i + 1]!;
          i += 10;
        });
        this.positionsDirty = true;
      }
      sup.matrices.nodes = matrix;
      sup.askForIterations();
      const now = performance.now();
      if (now - last >= LAYOUT_DRAW_MS) {
        last = now;
        this.drawPositions();
      }
    };
    sup.worker.removeEventListener('message', original as EventListener);
    sup.worker.addEventListener('message', onStep as EventListener);
    // The supervisor re-registers `this.handleMessage` when it respawns its worker.
    sup.handleMessage = onStep;
  }

  private killLayout() {
    clearTimeout(this.layoutTimer);
    clearTimeout(this.layoutStartTimer);
    if (this.layoutStartFrame && typeof cancelAnimationFrame === 'function')
      cancelAnimationFrame(this.layoutStartFrame);
    this.layoutStartFrame = 0;
    this.layout?.kill();
    this.layout = null;
  }

  // ---- export ----

  async pngBlob(): Promise<Blob> {
    const s = this.sigma;
    if (!s) throw new Error('The graph is not on screen yet.');
    // The picture is of the whole graph: while a big graph is laid out its edges are held back
    // from the screen (edge gate closed, reducer hiding them), never from an export. The export
    // draws through a renderer of its own; give it the graph itself and the reducer of a view
    // whose edges are not held back.
    let exportLabels = newLabelFrame();
    const exportEdges = edgeReducer({ ...this.view, edgesHiddenForLayout: false }, this.graph);
    const whole = new Proxy(s, {
      get: (target, prop) => (prop === 'getGraph' ? () => this.graph : Reflect.get(target, prop, target)),
    });
    return toBlob(whole as unknown as Sigma, {
      format: 'png',
      backgroundColor: this.theme === 'dark' ? '#0f131a' : '#ffffff',
      sigmaSettings: {
        edgeReducer: (k, d) => exportEdges(k, d as MirrorEdge) as never,
        // Its labels are placed on its own frame: the screen's boxes would hide every one of them.
        defaultDrawNodeLabel: (ctx, data, settings) => {
          if (exportLabels.placed.has(data.key)) exportLabels = newLabelFrame();
          this.drawLabel(ctx, data, settings, exportLabels);
        },
      },
    });
  }
}
