/**
 * Node and edge picking in JavaScript instead of sigma's GPU picking. Sigma reads the picking
 * framebuffer with gl.readPixels on every mouse move and click; with software WebGL that call
 * waits for every queued frame to finish rasterising (seconds on a 60k-edge graph). Here we
 * test the cursor against the display positions sigma already holds: a few ms for 20k nodes.
 */
import type Sigma from 'sigma';

interface Cached {
  x: number;
  y: number;
  size: number;
  hidden?: boolean;
  zIndex?: number;
}

interface SigmaInternals {
  nodeDataCache: Record<string, Cached>;
  edgeDataCache: Record<string, { hidden?: boolean; size: number }>;
  getNodeAtPosition(p: { x: number; y: number }): string | null;
  getEdgeAtPoint(x: number, y: number): string | null;
}

/**
 * The affine map from graph coordinates to viewport pixels for the current camera, from three
 * probe points. Positions come from the graph itself: sigma's cache holds normalised positions
 * only after its next frame has processed them, and a click can arrive before that frame.
 */
function affine(s: Sigma) {
  const o = s.graphToViewport({ x: 0, y: 0 });
  const ex = s.graphToViewport({ x: 1, y: 0 });
  const ey = s.graphToViewport({ x: 0, y: 1 });
  const a = ex.x - o.x,
    b = ey.x - o.x,
    c = ex.y - o.y,
    d = ey.y - o.y;
  return (x: number, y: number) => ({ vx: o.x + a * x + b * y, vy: o.y + c * x + d * y });
}

export function installJsPicking(sigma: Sigma): void {
  const s = sigma as unknown as SigmaInternals;
  const graph = sigma.getGraph();
  s.getNodeAtPosition = ({ x, y }) => {
    const map = affine(sigma);
    let best: string | null = null;
    let bestZ = -Infinity;
    let bestD = Infinity;
    const cache = s.nodeDataCache;
    sigma.getGraph().forEachNode((key, a) => {
      const n = cache[key];
      if (!n || n.hidden) return;
      const { vx, vy } = map(a.x as number, a.y as number);
      const r = sigma.scaleSize(n.size) + 1;
      const dx = vx - x,
        dy = vy - y;
      if (Math.abs(dx) > r || Math.abs(dy) > r) return;
      const dist = dx * dx + dy * dy;
      if (dist > r * r * 1.3) return;
      const z = n.zIndex ?? 0;
      // Topmost first (what the analyst sees), then nearest centre.
      if (z > bestZ || (z === bestZ && dist < bestD)) {
        best = key;
        bestZ = z;
        bestD = dist;
      }
    });
    return best;
  };
  s.getEdgeAtPoint = (x, y) => {
    const g = sigma.getGraph();
    if (g !== graph && g.order === 0) return null;
    const map = affine(sigma);
    const nodes = s.nodeDataCache;
    const edges = s.edgeDataCache;
    let best: string | null = null;
    let bestD = Infinity;
    g.forEachEdge((key, _a, source, target, sa, ta) => {
      const e = edges[key];
      if (!e || e.hidden) return;
      const sn = nodes[source],
        tn = nodes[target];
      if (!sn || !tn || sn.hidden || tn.hidden) return;
      const p = map(sa.x as number, sa.y as number),
        q = map(ta.x as number, ta.y as number);
      const tol = Math.max(3, sigma.scaleSize(e.size) + 2);
      if (
        x < Math.min(p.vx, q.vx) - tol ||
        x > Math.max(p.vx, q.vx) + tol ||
        y < Math.min(p.vy, q.vy) - tol ||
        y > Math.max(p.vy, q.vy) + tol
      )
        return;
      const dx = q.vx - p.vx,
        dy = q.vy - p.vy;
      const len2 = dx * dx + dy * dy || 1;
      const t = Math.max(0, Math.min(1, ((x - p.vx) * dx + (y - p.vy) * dy) / len2));
      const ddx = p.vx + t * dx - x,
        ddy = p.vy + t * dy - y;
      const d = Math.sqrt(ddx * ddx + ddy * ddy);
      if (d <= tol && d < bestD) {
        best = key;
        bestD = d;
      }
    });
    return best;
  };
}
