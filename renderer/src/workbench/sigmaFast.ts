/**
 * Fast paths around sigma 3 for big graphs, where its general-purpose updates cost whole-graph
 * work on the main thread:
 *  - picking programs are never built (picking.ts does picking in JavaScript), so each frame
 *    uploads and draws every buffer once instead of twice, and half the shaders are not compiled;
 *  - layout steps move the nodes in place (positions, normalisation, label grid) without sigma's
 *    per-attribute-update reprocess, which also re-indexes every edge;
 *  - edges hidden while the layout runs are detached from sigma (an edge gate in front of the
 *    graph): not indexed, uploaded, drawn or picked — a big graph's first frame has only its
 *    nodes to index — and come back in slices of a few milliseconds when the layout stops.
 * These reach into sigma 3.0's renderer internals (named below): a sigma upgrade must re-check them.
 */
import Sigma, { Camera } from 'sigma';
import { createNormalizationFunction, matrixFromCamera } from 'sigma/utils';
import type { Attributes } from 'graphology-types';
import type { EdgeGate } from '../graph/edgeGate';

interface Coords {
  x: number;
  y: number;
}
interface DisplayData extends Coords {
  size: number;
  hidden?: boolean;
  label?: string | null;
  type: string;
}
interface ProgramLike {
  capacity: number;
  reallocate(capacity: number): void;
  process(...args: unknown[]): void;
}
/** The parts of sigma 3.0's renderer used here. */
interface SigmaInternals {
  nodeDataCache: Record<string, DisplayData>;
  edgeDataCache: Record<string, DisplayData>;
  nodeProgramIndex: Record<string, number>;
  edgeProgramIndex: Record<string, number>;
  nodeIndices: Record<string, number>;
  edgeIndices: Record<string, number>;
  nodePrograms: Record<string, ProgramLike>;
  edgePrograms: Record<string, ProgramLike>;
  nodeExtent: { x: [number, number]; y: [number, number] };
  customBBox: { x: [number, number]; y: [number, number] } | null;
  normalizationFunction: { applyTo(c: Coords): void };
  labelGrid: {
    resizeAndClear(d: { width: number; height: number }, cellSize: number): void;
    add(key: string, size: number, pos: Coords): void;
    organize(): void;
  };
  edgeZExtent: [number, number];
  needToProcess: boolean;
  addEdge(key: string): void;
  clearEdgeIndices(): void;
}

// Any sigma, whatever its attribute types: these helpers only touch display data.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySigma = Sigma<any, any, any>;
const internals = (s: AnySigma) => s as unknown as SigmaInternals;

type ProgramClass = new (gl: WebGLRenderingContext, pickingBuffer: WebGLFramebuffer | null, renderer: Sigma) => object;

/**
 * The same program classes, built without their picking variant: sigma then neither compiles the
 * picking shaders nor renders each buffer a second time into the picking framebuffer.
 */
export function withoutPicking<T extends Record<string, unknown>>(classes: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, Cls] of Object.entries(classes)) {
    const Base = Cls as unknown as ProgramClass;
    out[k] = class extends Base {
      constructor(gl: WebGLRenderingContext, _picking: WebGLFramebuffer | null, renderer: Sigma) {
        super(gl, null, renderer);
      }
    };
  }
  return out as T;
}

/** The display type (program) of each of these nodes in sigma right now. */
export function nodeTypes(sigma: AnySigma, keys: Iterable<string>): Map<string, string | undefined> {
  const cache = internals(sigma).nodeDataCache;
  const out = new Map<string, string | undefined>();
  for (const k of keys) out.set(k, cache[k]?.type);
  return out;
}

/**
 * Attribute updates already redrawn in place (same programs, same slots): sigma's own update
 * handlers ask for a full re-process at the next frame anyway, which on a big graph is a long
 * task for nothing. Call only when no node or edge was added, dropped or moved between programs.
 */
export function skipReprocess(sigma: AnySigma): void {
  internals(sigma).needToProcess = false;
}

/** Can the fast paths run (sigma has indexed every node and edge since the last structural change)? */
export function indexCurrent(sigma: AnySigma): boolean {
  return !internals(sigma).needToProcess;
}

/**
 * The layout moved the nodes (their x/y attributes were written in place): re-normalise, refill
 * the node programs (and the edge programs when `edges`), rebuild the label grid when `labels`, draw.
 */
export function pushNodePositions(sigma: AnySigma, opts: { edges: boolean; labels: boolean }): void {
  const s = internals(sigma);
  const graph = sigma.getGraph();
  let minX = Infinity,
    maxX = -Infinity,
    minY = Infinity,
    maxY = -Infinity;
  graph.forEachNode((_k, a: Attributes) => {
    const x = a.x as number,
      y = a.y as number;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  });
  if (!Number.isFinite(minX) || !Number.isFinite(minY)) return;
  s.nodeExtent = { x: [minX, maxX], y: [minY, maxY] };
  s.normalizationFunction = createNormalizationFunction(s.customBBox ?? s.nodeExtent);
  const cache = s.nodeDataCache;
  graph.forEachNode((key, a: Attributes) => {
    const d = cache[key];
    if (!d) return;
    d.x = a.x as number;
    d.y = a.y as number;
    s.normalizationFunction.applyTo(d);
    const slot = s.nodeProgramIndex[key];
    if (slot !== undefined) s.nodePrograms[d.type]?.process(s.nodeIndices[key], slot, d);
  });
  if (opts.labels) rebuildLabelGrid(sigma);
  if (opts.edges) {
    graph.forEachEdge((e, _a, source, target) => {
      const slot = s.edgeProgramIndex[e];
      const d = s.edgeDataCache[e];
      const src = cache[source];
      const dst = cache[target];
      if (slot !== undefined && d && src && dst) s.edgePrograms[d.type]?.process(s.edgeIndices[e], slot, src, dst, d);
    });
  }
  sigma.scheduleRender();
}

/** Re-sort which labels fit where (sigma does it in process(), for the camera at rest). */
export function rebuildLabelGrid(sigma: AnySigma): void {
  const s = internals(sigma);
  const dims = sigma.getDimensions();
  s.labelGrid.resizeAndClear(dims, sigma.getSetting('labelGridCellSize') as number);
  const nullMatrix = matrixFromCamera(
    new Camera().getState(),
    dims,
    sigma.getGraphDimensions(),
    sigma.getStagePadding(),
  );
  const cache = s.nodeDataCache;
  for (const key in cache) {
    const d = cache[key]!;
    if (typeof d.label === 'string' && !d.hidden)
      s.labelGrid.add(key, d.size, sigma.framedGraphToViewport(d, { matrix: nullMatrix }));
  }
  s.labelGrid.organize();
  sigma.scheduleRender();
}

/** Close the gate: sigma forgets the edges and stops uploading and drawing them. */
export function detachEdges<G extends object>(sigma: AnySigma, gate: EdgeGate<G>): void {
  const s = internals(sigma);
  gate.set(false);
  s.clearEdgeIndices();
  for (const program of Object.values(s.edgePrograms)) program.reallocate(0);
  sigma.scheduleRender();
}

/**
 * Open the gate and index the edges into sigma's programs a slice of `sliceMs` per task (what
 * sigma's process() would do for them in one go: a long task on a big graph), drawing what has
 * landed a few times a second. Returns a cancel function; `done(true)` once all are in. A sigma reprocess meanwhile
 * indexes them all itself and ends the job.
 */
export function attachEdges<G extends object>(
  sigma: AnySigma,
  gate: EdgeGate<G>,
  done: (completed: boolean) => void,
  sliceMs = 16,
): (reopen?: boolean) => void {
  const s = internals(sigma);
  const graph = sigma.getGraph();
  let over = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let phase: 'data' | 'slots' = 'data';
  let edges: string[] = [];
  let next = 0;
  let slots = new Map<string, number>();
  let id = 0;
  let drawnAt = 0;
  const finish = (completed: boolean) => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    sigma.removeListener('beforeProcess', onProcess);
    done(completed);
  };
  const restart = () => {
    phase = 'data';
    // From the graph itself: through the closed gate (sigma's view of it) there are none.
    edges = (gate.graph as unknown as { edges(): string[] }).edges();
    next = 0;
  };
  const onProcess = () => {
    // While the gate is closed sigma processed the nodes only: start over with the current edges.
    // Once it is open, sigma has just indexed every edge itself.
    if (gate.open()) finish(false);
    else restart();
  };
  sigma.on('beforeProcess', onProcess);
  // Edge display data first (reducers) while the gate is still closed, counting per program.
  gate.set(false);
  restart();
  const step = () => {
    if (over) return;
    const start = performance.now();
    // Yield at once when the analyst clicks or types (Chromium's isInputPending).
    const input = (navigator as { scheduling?: { isInputPending?: () => boolean } }).scheduling;
    const spent = () => performance.now() - start > sliceMs || !!input?.isInputPending?.();
    if (phase === 'data') {
      for (; next < edges.length; next++) {
        if ((next & 127) === 0 && spent()) break;
        const e = edges[next]!;
        if (graph.hasEdge(e)) s.addEdge(e);
      }
      if (next >= edges.length) {
        // A full sigma refresh between two slices empties the edge cache (and only then, at its
        // next frame, restarts this job): every edge must be in it before the gate opens, as
        // sigma's own process() reads the cache of every edge it is shown. One pass of lookups,
        // counting per program on the way.
        const counts = new Map<string, number>();
        for (const e of edges) {
          if (!graph.hasEdge(e)) continue;
          let d = s.edgeDataCache[e];
          if (!d) {
            s.addEdge(e);
            d = s.edgeDataCache[e]!;
          }
          counts.set(d.type, (counts.get(d.type) ?? 0) + 1);
        }
        // sigma numbers nodes 1..order and edges after them; the programs get their capacity.
        gate.set(true);
        for (const [type, program] of Object.entries(s.edgePrograms)) program.reallocate(counts.get(type) ?? 0);
        slots = new Map();
        id = graph.order + 1;
        next = 0;
        phase = 'slots';
      }
    }
    if (phase === 'slots') {
      const cache = s.nodeDataCache;
      for (; next < edges.length; next++) {
        if ((next & 127) === 0 && spent()) break;
        const e = edges[next]!;
        const d = s.edgeDataCache[e];
        if (!d || !graph.hasEdge(e)) continue;
        const src = cache[graph.source(e)];
        const dst = cache[graph.target(e)];
        const program = s.edgePrograms[d.type];
        if (!src || !dst || !program) continue;
        const slot = slots.get(d.type) ?? 0;
        slots.set(d.type, slot + 1);
        s.edgeIndices[e] = id;
        s.edgeProgramIndex[e] = slot;
        program.process(id++, slot, src, dst, d);
      }
      // Each frame uploads and draws every edge slot: draw a few times a second, not per slice.
      if (next >= edges.length || performance.now() - drawnAt > 300) {
        drawnAt = performance.now();
        sigma.scheduleRender();
      }
      if (next >= edges.length) {
        finish(true);
        return;
      }
    }
    timer = setTimeout(step, 0);
  };
  step();
  return (reopen = true) => {
    // Cancelled half-way: leave sigma consistent (all edges, indexed by its own next process),
    // unless the caller closes the gate again anyway.
    if (!over && reopen) {
      gate.set(true);
      // A full re-index: the edge cache may be partial (process() alone would read missing edges).
      sigma.refresh({ schedule: true });
    }
    finish(false);
  };
}
