/**
 * The edge gate: what sigma is shown instead of the graph while a big graph is laid out (see
 * workbench/sigmaFast.ts). Pure graph code, tested without WebGL.
 */
/**
 * What sigma is given instead of the graph: the same graph, except that while the gate is closed
 * it has no edges (`edges()`, `forEachEdge`, `size`). Everything else, events included, is the
 * graph's own.
 */
export interface EdgeGate<G extends object> {
  readonly view: G;
  /** The graph itself, whose edges the gate never hides. */
  readonly graph: G;
  open(): boolean;
  set(open: boolean): void;
}

export function edgeGate<G extends object>(graph: G): EdgeGate<G> {
  let isOpen = true;
  const none = () => [];
  const nothing = () => {};
  // Methods bound to the graph once, so that their internals skip the proxy.
  const bound = new Map<PropertyKey, { fn: unknown; b: unknown }>();
  const view = new Proxy(graph, {
    get(target, prop) {
      if (!isOpen) {
        if (prop === 'edges') return none;
        if (prop === 'forEachEdge') return nothing;
        if (prop === 'size') return 0;
      }
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      const hit = bound.get(prop);
      if (hit && hit.fn === v) return hit.b;
      const b = (v as (...a: unknown[]) => unknown).bind(target);
      bound.set(prop, { fn: v, b });
      return b;
    },
  });
  return { view, graph, open: () => isOpen, set: (o) => void (isOpen = o) };
}
