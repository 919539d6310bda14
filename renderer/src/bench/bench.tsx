/**
 * UI benchmark page (e2e/bench/ui.ts drives it): the real workbench on a generated graph served
 * by an in-memory API. Publishes its measurements on window.__lanternBench.
 */
import { createRoot } from 'react-dom/client';
import { generateGraph } from '../graph/generate';
import { GraphHost } from '../workbench/graphHost';
import { Workbench } from '../workbench/Workbench';
import { memoryApi } from './memoryApi';
import type { Finding } from '../../../main/common/findings';

interface BenchResult {
  nodes: number;
  edges: number;
  generateMs: number;
  /** Snapshot answered → first sigma frame with the whole graph. */
  firstFrameMs: number | null;
  /** Snapshot answered → sigma has drawn the whole graph (main thread; presenting waits on the GPU). */
  drawnMs: number | null;
  longTasks: { start: number; duration: number }[];
  layoutStartedAt: number | null;
}

declare global {
  interface Window {
    __lanternBench: BenchResult;
    __lanternHost: GraphHost;
  }
}

const params = new URLSearchParams(location.search);
const N = Number(params.get('nodes') ?? 20000);
const M = Number(params.get('edges') ?? 60000);
const t0 = performance.now();
const delta = generateGraph(N, M, 11);
const generateMs = performance.now() - t0;
const start = Math.min(...delta.nodes!.map((n) => n.attributes.firstSeen));
const end = Math.max(...delta.nodes!.map((n) => n.attributes.lastSeen));
const findings: Finding[] = delta.nodes!.slice(0, 40).map((n, i) => ({
  id: `f${i}`,
  method: 'rule',
  ruleId: `LNT-${100 + i}`,
  severity: (['critical', 'high', 'medium', 'low'] as const)[i % 4]!,
  score: 100 - i,
  title: `Synthetic finding ${i} on ${n.attributes.label}`,
  explanation: 'Generated for the benchmark.',
  technique: 'T1059',
  evidence: { events: [], nodes: [n.key], edges: [] },
  firstSeen: n.attributes.firstSeen,
  lastSeen: n.attributes.lastSeen,
  status: 'new',
  occurrences: 1,
}));
const session = {
  sessionId: 'bench',
  name: `Generated ${N} nodes / ${M} edges`,
  kind: 'file' as const,
  nodes: ['node-a'],
  probes: ['exec'],
  source: 'generated',
  startTime: start,
  endTime: end,
  events: M * 3,
  warnings: [],
  complete: true,
};
const result: BenchResult = {
  nodes: N,
  edges: M,
  generateMs,
  firstFrameMs: null,
  drawnMs: null,
  longTasks: [],
  layoutStartedAt: null,
};
window.__lanternBench = result;

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) result.longTasks.push({ start: e.startTime, duration: e.duration });
}).observe({ type: 'longtask', buffered: true });

const api = memoryApi(delta, session, findings);
// Mark when the snapshot is handed over (the data "arrives"), then wait for sigma's frame with it.
const realCall = api.call.bind(api);
let dataAt = 0;
const frame = () => new Promise((r) => requestAnimationFrame(r));
api.call = (async (name: string, req: unknown) => {
  const r = await (realCall as (n: string, q: unknown) => Promise<unknown>)(name, req);
  if (name === 'graph.snapshot') {
    // A real engine answers after the window is up (WebGL context and shaders ready): do the same,
    // so the figure is data → frame, not app start → frame.
    while (!window.__lanternHost?.sigma) await frame();
    await frame();
    await frame();
    dataAt = performance.now();
  }
  return r;
}) as typeof api.call;

const host = new GraphHost();
window.__lanternHost = host;
const realApply = host.apply.bind(host);
host.apply = (d) => {
  const r = realApply(d);
  if (d.reset && result.drawnMs === null && host.graph.order >= N) result.drawnMs = performance.now() - dataAt;
  return r;
};
const off = host.subscribe(() => {
  const s = host.sigma;
  if (!s || host.graph.order < N || result.firstFrameMs !== null) return;
  s.once('afterRender', () => {
    if (result.firstFrameMs !== null) return;
    result.firstFrameMs = performance.now() - dataAt;
    result.layoutStartedAt = performance.now();
    off();
  });
  s.scheduleRender();
});

createRoot(document.getElementById('root')!).render(
  <Workbench api={api} opened={{ kind: 'session', session }} close={() => {}} hostForTests={host} />,
);
document.documentElement.dataset.benchReady = 'true';
