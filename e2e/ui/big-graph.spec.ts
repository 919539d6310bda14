/**
 * The big-graph paths of the workbench, in Chromium with software WebGL, on the bench page (the
 * real workbench on an in-memory API and a generated graph of 8,000 nodes and 16,000 edges:
 * captures of the lab never grow that big). Above 20,000 nodes + edges the view takes the fast
 * paths of workbench/sigmaFast.ts; above 10,000 edges ordinary edges are thin lines. Checked:
 *  - edges held back during a layout all come back when it stops;
 *  - a filter, the theme and a focus bring every edge back (a slice at a time), also when the
 *    filter changes while the layout holds the edges back;
 *  - a timeline step redraws the few nodes it hides or shows in place (edges stay), and so does a
 *    live delta of count updates;
 *  - thin lines for ordinary edges, a thick one for the selected edge;
 *  - no page error throughout.
 * Speed is measured by `npm run bench -- ui`, not here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import { buildBenchPage, serve } from '../bench/ui';
import { shot } from './helpers';

let dir = '';
let server: Server | undefined;
let origin = '';
test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = mkdtempSync(path.join(os.tmpdir(), 'lantern-big-graph-'));
  await buildBenchPage(dir);
  ({ server, origin } = await serve(dir));
});
test.afterAll(async () => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What sigma holds of the graph right now (read in the page). */
async function sigmaState(page: Page) {
  return page.evaluate(() => {
    const host = (window as unknown as { __lanternHost: Record<string, unknown> }).__lanternHost as unknown as {
      sigma: { edgeDataCache: Record<string, { type: string; hidden?: boolean }>; edgeProgramIndex: object };
      graph: { size: number; order: number; edges(): string[] };
      view: { edgesHiddenForLayout: boolean; thinEdges: boolean };
      isAttachingEdges(): boolean;
      isLayoutRunning(): boolean;
    };
    const cache = host.sigma.edgeDataCache;
    const types: Record<string, number> = {};
    for (const k in cache) types[cache[k]!.type] = (types[cache[k]!.type] ?? 0) + 1;
    return {
      edges: host.graph.size,
      cached: Object.keys(cache).length,
      types,
      heldBack: host.view.edgesHiddenForLayout,
      thin: host.view.thinEdges,
      attaching: host.isAttachingEdges(),
      layout: host.isLayoutRunning(),
    };
  });
}

type Host = {
  stopLayout(): void;
  startLayout(s?: number): void;
  setLayoutSettings(s: object): void;
  setFilters(f: object): void;
  setTheme(t: string): void;
  isAttachingEdges(): boolean;
  focusNeighbourhood(k: string, hops: number): void;
  clearFocus(): void;
  selectEdge(k: string | null): void;
  select(k: string | null): void;
  setView(v: object): void;
  graph: { nodes(): string[]; edges(): string[] };
};

async function call(page: Page, fn: string, ...args: unknown[]) {
  await page.evaluate(
    ([fn, args]) => {
      const host = (window as unknown as { __lanternHost: Record<string, (...a: unknown[]) => void> }).__lanternHost;
      host[fn as string]!(...(args as unknown[]));
    },
    [fn, args] as const,
  );
}

/** Waits until no edge is coming back any more, then checks that sigma has every edge. */
async function expectAllEdgesBack(page: Page, what: string) {
  await page.waitForFunction(
    () => !(window as unknown as { __lanternHost: Host }).__lanternHost.isAttachingEdges(),
    null,
    { timeout: 60_000, polling: 50 },
  );
  // sigma's own processing runs at its next frame
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  const s = await sigmaState(page);
  expect(s.cached, `${what}: ${JSON.stringify(s)}`).toBe(s.edges);
  return s;
}

test('a big graph: edges held back by the layout, filters, the theme and a focus all end with every edge drawn', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.addInitScript('globalThis.__name = (f) => f;');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/src/bench/index.html?nodes=8000&edges=16000`);
  await page.waitForFunction(
    () =>
      (window as unknown as { __lanternBench?: { firstFrameMs: number | null } }).__lanternBench?.firstFrameMs != null,
    null,
    { timeout: 120_000 },
  );

  // Hold the edges back during any layout of this graph.
  await call(page, 'setLayoutSettings', { hideEdgesAbove: 1000, autoStopSec: 0 });
  await call(page, 'startLayout');
  await expect.poll(async () => (await sigmaState(page)).heldBack).toBe(true);
  expect((await sigmaState(page)).cached).toBe(0);
  await page.waitForTimeout(1500);
  await shot(page, '70-big-graph-layout');
  // A filter while the edges are held back: they stay back until the layout stops.
  await call(page, 'setFilters', { hideInternet: true });
  await page.waitForTimeout(300);
  expect((await sigmaState(page)).heldBack).toBe(true);
  await call(page, 'stopLayout');
  const afterLayout = await expectAllEdgesBack(page, 'after the layout');
  expect(afterLayout.thin).toBe(true);
  // Ordinary edges are thin lines.
  expect(afterLayout.types.thin ?? 0).toBeGreaterThan(afterLayout.edges * 0.9);

  await call(page, 'setFilters', { hideInternet: false });
  expect((await sigmaState(page)).attaching, 'a whole-view change on a big graph redraws its edges in slices').toBe(
    true,
  );
  await expectAllEdgesBack(page, 'after a filter');

  await call(page, 'setTheme', 'light');
  await expectAllEdgesBack(page, 'after the theme');
  await shot(page, '71-big-graph-light');
  await call(page, 'setTheme', 'dark');
  await expectAllEdgesBack(page, 'after the theme back');

  // A focus, and the selected edge drawn thick.
  const [node, edge] = await page.evaluate(() => {
    const host = (window as unknown as { __lanternHost: Host }).__lanternHost;
    return [host.graph.nodes()[0]!, host.graph.edges()[0]!];
  });
  await call(page, 'focusNeighbourhood', node, 2);
  await expectAllEdgesBack(page, 'after a focus');
  // Selected through the in-place path: it changes program (thin to thick), so its programs are rebuilt.
  await call(page, 'selectEdge', edge);
  const selected = await expectAllEdgesBack(page, 'after selecting an edge');
  const edgeType = await page.evaluate(
    (e) =>
      (window as unknown as { __lanternHost: { sigma: { edgeDataCache: Record<string, { type: string }> } } })
        .__lanternHost.sigma.edgeDataCache[e]!.type,
    edge,
  );
  expect(edgeType, JSON.stringify(selected.types)).toBe('line');
  await call(page, 'clearFocus');
  await call(page, 'select', null);
  await expectAllEdgesBack(page, 'after clearing the focus');

  // A timeline step hides or shows a few nodes: they are redrawn in place, the edges never leave.
  const cursor = await page.evaluate(() => {
    const host = (window as unknown as { __lanternHost: Host }).__lanternHost as unknown as {
      graph: { nodes(): string[]; getNodeAttribute(k: string, a: string): number };
    };
    const seen = host.graph
      .nodes()
      .map((k) => host.graph.getNodeAttribute(k, 'firstSeen'))
      .sort((a, b) => a - b);
    return seen[seen.length - 60]! - 1;
  });
  for (const at of [cursor, null]) {
    await call(page, 'setFilters', { cursor: at });
    const step = await sigmaState(page);
    expect(step.attaching, `cursor ${at}: ${JSON.stringify(step)}`).toBe(false);
    expect(step.cached).toBe(step.edges);
    const hidden = await page.evaluate(
      () => (window as unknown as { __lanternHost: { view: { hidden: Set<string> } } }).__lanternHost.view.hidden.size,
    );
    if (at === null) expect(hidden).toBe(0);
    else expect(hidden).toBeGreaterThanOrEqual(50);
  }

  // A live capture's routine delta (counts of things already drawn) is redrawn in place: the
  // node grows, and sigma is not left a whole re-process to do.
  const live = await page.evaluate(() => {
    type Internals = {
      nodeDataCache: Record<string, { size: number }>;
      needToProcess: boolean;
    };
    const host = (window as unknown as { __lanternHost: Host }).__lanternHost as unknown as {
      sigma: Internals;
      graph: { nodes(): string[]; getNodeAttribute(k: string, a: string): number };
      mirror: { seq: number };
      apply(d: unknown): unknown;
    };
    const key = host.graph.nodes()[3]!;
    const before = host.sigma.nodeDataCache[key]!.size;
    host.apply({
      seq: host.mirror.seq + 1,
      nodeUpdates: [{ key, attributes: { count: host.graph.getNodeAttribute(key, 'count') * 1000 + 1000 } }],
    });
    return { before, after: host.sigma.nodeDataCache[key]!.size, needToProcess: host.sigma.needToProcess };
  });
  expect(live.after, JSON.stringify(live)).toBeGreaterThan(live.before);
  expect(live.needToProcess).toBe(false);
  await expectAllEdgesBack(page, 'after a live update');
  await page.waitForTimeout(500);
  await shot(page, '72-big-graph-after');
  expect(errors).toEqual([]);
});
