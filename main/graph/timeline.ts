/**
 * Replay over a builder's touch log: the graph as it was after the first N events.
 *
 * The builder is causal (static attributes are fixed at creation), so the graph after N events
 * is: the elements created by events < N, with count = touches among events < N and lastSeen =
 * max(firstSeen, times of those touches). `Cursor` keeps that state for one position and moves:
 *   - forward by applying the log (what "play" does, and what a live capture does), collecting
 *     exactly the elements that changed, for a GraphDelta;
 *   - anywhere by restoring the builder's nearest checkpoint at or before N and applying at most
 *     `checkpointEvery` events (what "seek" does): never a re-read of the file.
 * Both paths run the same arithmetic, so play-to-N and seek-to-N are identical.
 */
import type { GraphDelta, GraphEdgeAttributes, GraphNodeAttributes } from '../common/graph';
import type { GraphBuilder } from './builder';

/** First element id whose firstIndex >= n (elements are created in event order). */
export function elementsBefore(b: GraphBuilder, n: number): number {
  const els = b.elements;
  let lo = 0;
  let hi = els.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (els[mid]!.firstIndex < n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Cursor {
  /** Events applied. */
  position = 0;
  /** Elements that exist at `position`. */
  elements = 0;
  counts = new Int32Array(1024);
  lastSeen = new Float64Array(1024);
  /** Running max of event times (captures from several nodes are only roughly ordered). */
  time = 0;
  private stamp = new Uint32Array(1024);
  private epoch = 0;

  constructor(private readonly b: GraphBuilder) {}

  private ensure(n: number): void {
    if (n <= this.counts.length) return;
    let cap = this.counts.length;
    while (cap < n) cap *= 2;
    const c = new Int32Array(cap);
    c.set(this.counts);
    this.counts = c;
    const l = new Float64Array(cap);
    l.set(this.lastSeen);
    this.lastSeen = l;
    const s = new Uint32Array(cap);
    s.set(this.stamp);
    this.stamp = s;
  }

  private initElements(from: number, to: number): void {
    this.ensure(to);
    const els = this.b.elements;
    for (let i = from; i < to; i++) {
      this.counts[i] = 0;
      this.lastSeen[i] = els[i]!.attrs.firstSeen;
    }
  }

  /**
   * Apply events [position, n). With `changed`, ids of pre-existing elements that changed are
   * pushed once each (new elements are [oldElements, elements)).
   */
  private apply(n: number, changed?: number[]): void {
    const b = this.b;
    const times = b.logTimes;
    const pats = b.logPatterns;
    const ps = b.patternStart;
    const ids = b.patternIds;
    const before = this.elements;
    const after = elementsBefore(b, n);
    this.initElements(before, after);
    this.elements = after;
    const counts = this.counts;
    const last = this.lastSeen;
    const stamp = this.stamp;
    const ep = ++this.epoch;
    // counts some events add beyond one per touch (connections the agent folded: net.repeats)
    const extra = b.logExtra.size ? b.logExtra : undefined;
    let tmax = this.time;
    for (let i = this.position; i < n; i++) {
      const t = times[i]!;
      if (t > tmax) tmax = t;
      const p = pats[i]!;
      for (let j = ps[p]!, e = ps[p + 1]!; j < e; j++) {
        const id = ids[j]!;
        counts[id]!++;
        if (t > last[id]!) last[id] = t;
        if (changed && id < before && stamp[id] !== ep) {
          stamp[id] = ep;
          changed.push(id);
        }
      }
      const x = extra?.get(i);
      if (x) counts[x.id]! += x.n;
    }
    this.time = tmax;
    this.position = n;
  }

  /** Move to n (0..logLength). Returns the delta from the previous position. */
  moveTo(n: number, seq: number): GraphDelta {
    const b = this.b;
    n = Math.max(0, Math.min(n, b.logLength));
    if (n >= this.position) {
      const before = this.elements;
      const changed: number[] = [];
      this.apply(n, changed);
      return this.delta(seq, before, changed, false);
    }
    this.restore(n);
    return this.full(seq);
  }

  /** Position at n from the nearest checkpoint (no delta). */
  restore(n: number): void {
    const b = this.b;
    n = Math.max(0, Math.min(n, b.logLength));
    const cps = b.checkpoints;
    let k = Math.min(cps.length - 1, Math.floor(n / b.checkpointEvery));
    while (k > 0 && cps[k]!.events > n) k--;
    const cp = cps[k]!;
    this.ensure(Math.max(cp.elements, 1));
    this.counts.set(cp.counts);
    this.lastSeen.set(cp.lastSeen);
    this.elements = cp.elements;
    this.position = cp.events;
    const tmax = cp.time;
    this.time = tmax;
    this.apply(n);
  }

  private nodeAttrs(id: number): GraphNodeAttributes {
    const a = this.b.elements[id]!.attrs as GraphNodeAttributes;
    return { ...a, count: this.counts[id]!, lastSeen: this.lastSeen[id]! };
  }
  private edgeAttrs(id: number): GraphEdgeAttributes {
    const a = this.b.elements[id]!.attrs as GraphEdgeAttributes;
    return { ...a, count: this.counts[id]!, lastSeen: this.lastSeen[id]! };
  }

  private delta(seq: number, firstNew: number, changed: number[], reset: boolean): GraphDelta {
    const els = this.b.elements;
    const d: GraphDelta = { seq, time: this.time };
    if (reset) d.reset = true;
    const nodes: NonNullable<GraphDelta['nodes']> = [];
    const edges: NonNullable<GraphDelta['edges']> = [];
    for (let id = firstNew; id < this.elements; id++) {
      const r = els[id]!;
      if (r.edge)
        edges.push({
          key: r.key,
          source: els[r.source]!.key,
          target: els[r.target]!.key,
          attributes: this.edgeAttrs(id),
        });
      else nodes.push({ key: r.key, attributes: this.nodeAttrs(id) });
    }
    if (nodes.length) d.nodes = nodes;
    if (edges.length) d.edges = edges;
    const nodeUpdates: NonNullable<GraphDelta['nodeUpdates']> = [];
    const edgeUpdates: NonNullable<GraphDelta['edgeUpdates']> = [];
    for (const id of changed) {
      const upd = { key: els[id]!.key, attributes: { count: this.counts[id]!, lastSeen: this.lastSeen[id]! } };
      if (els[id]!.edge) edgeUpdates.push(upd);
      else nodeUpdates.push(upd);
    }
    if (nodeUpdates.length) d.nodeUpdates = nodeUpdates;
    if (edgeUpdates.length) d.edgeUpdates = edgeUpdates;
    return d;
  }

  /** The whole graph at the current position, as a reset delta. */
  full(seq: number): GraphDelta {
    return this.delta(seq, 0, [], true);
  }

  /** Count and lastSeen of one element at the current position (undefined: does not exist yet). */
  stateOf(id: number): { count: number; lastSeen: number } | undefined {
    if (id >= this.elements) return undefined;
    return { count: this.counts[id]!, lastSeen: this.lastSeen[id]! };
  }

  /**
   * Number of events to apply to reach time t: binary search over event times. Captures from
   * several nodes are only roughly time-ordered; replay follows file order and this finds a
   * boundary where every earlier event is (nearly always) at or before t.
   */
  static indexAtTime(b: GraphBuilder, t: number): number {
    const times = b.logTimes;
    let lo = 0;
    let hi = b.logLength;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
