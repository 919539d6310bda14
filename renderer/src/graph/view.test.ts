import { describe, expect, it } from 'vitest';
import { applyDelta, createMirror, createMirrorState, type MirrorGraph } from './mirror';
import {
  collapseTarget,
  computeHidden,
  clearedFilters,
  defaultFilters,
  edgeReducer,
  THIN_EDGE_TYPE,
  emptyViewState,
  neighbourhood,
  nodeReducer,
  searchNodes,
  shortestPath,
} from './view';

/** ns → wl → pod → ctr → sh → curl → ep(external), curl → file; a second pod with nginx. */
function cluster(): MirrorGraph {
  const g = createMirror();
  const node = (key: string, kind: string, extra: Record<string, unknown> = {}) => ({
    key,
    attributes: {
      kind: kind as 'pod',
      label: key.split(/[:/|]/).pop()!,
      count: 1,
      firstSeen: 10,
      lastSeen: 20,
      ...extra,
    },
  });
  const edge = (kind: string, source: string, target: string) => ({
    key: `${kind}:${source}->${target}`,
    source,
    target,
    attributes: { kind: kind as 'runs', count: 1, firstSeen: 10, lastSeen: 20 },
  });
  const ns = { namespace: 'shop' };
  applyDelta(g, createMirrorState(), {
    seq: 0,
    reset: true,
    nodes: [
      node('ns:shop', 'namespace', ns),
      node('wl:shop/Deployment/web', 'workload', { ...ns, workload: 'web' }),
      node('pod:shop/web-1', 'pod', { ...ns, workload: 'web' }),
      node('ctr:shop/web-1/main', 'container', { ...ns, workload: 'web' }),
      node('proc:ctr:shop/web-1/main|/bin/sh', 'process', { ...ns, workload: 'web', severity: 'high' }),
      node('proc:ctr:shop/web-1/main|/usr/bin/curl', 'process', {
        ...ns,
        workload: 'web',
        firstSeen: 50,
        lastSeen: 60,
      }),
      node('ep:1.2.3.4:443', 'endpoint', { endpointClass: 'external', firstSeen: 50, lastSeen: 60 }),
      node('file:/etc/shadow', 'file', { detail: '/etc/shadow' }),
      node('pod:other/db-0', 'pod', { namespace: 'other', workload: 'db' }),
    ],
    edges: [
      edge('contains', 'ns:shop', 'wl:shop/Deployment/web'),
      edge('contains', 'wl:shop/Deployment/web', 'pod:shop/web-1'),
      edge('contains', 'pod:shop/web-1', 'ctr:shop/web-1/main'),
      edge('runs', 'ctr:shop/web-1/main', 'proc:ctr:shop/web-1/main|/bin/sh'),
      edge('spawned', 'proc:ctr:shop/web-1/main|/bin/sh', 'proc:ctr:shop/web-1/main|/usr/bin/curl'),
      edge('connected', 'proc:ctr:shop/web-1/main|/usr/bin/curl', 'ep:1.2.3.4:443'),
      edge('read', 'proc:ctr:shop/web-1/main|/bin/sh', 'file:/etc/shadow'),
    ],
  });
  return g;
}
const SH = 'proc:ctr:shop/web-1/main|/bin/sh';
const CURL = 'proc:ctr:shop/web-1/main|/usr/bin/curl';

describe('filters', () => {
  it('hides kinds, namespaces, the internet, and hubs', () => {
    const g = cluster();
    expect(computeHidden(g, defaultFilters()).size).toBe(0);
    expect([...computeHidden(g, { ...defaultFilters(), hiddenKinds: new Set(['file']) })]).toEqual([
      'file:/etc/shadow',
    ]);
    const nsOnly = computeHidden(g, { ...defaultFilters(), namespaces: new Set(['other']) });
    expect(nsOnly.has(SH)).toBe(true);
    expect(nsOnly.has('pod:other/db-0')).toBe(false);
    expect(nsOnly.has('ep:1.2.3.4:443')).toBe(false);
    expect([...computeHidden(g, { ...defaultFilters(), hideInternet: true })]).toEqual(['ep:1.2.3.4:443']);
    const hubs = computeHidden(g, { ...defaultFilters(), hideHubs: true, hubDegree: 2 });
    expect(hubs.has(SH)).toBe(true); // runs + spawned + read = 3 links
    expect(hubs.has(CURL)).toBe(false);
  });

  it('keeps only what was active in the time window, or seen before the cursor', () => {
    const g = cluster();
    const win = computeHidden(g, { ...defaultFilters(), timeWindow: [40, 70] });
    expect(win.has(CURL)).toBe(false);
    expect(win.has(SH)).toBe(true);
    const cur = computeHidden(g, { ...defaultFilters(), cursor: 30 });
    expect(cur.has(CURL)).toBe(true);
    expect(cur.has(SH)).toBe(false);
  });

  it('severity filter keeps severe nodes and their neighbours', () => {
    const g = cluster();
    const h = computeHidden(g, { ...defaultFilters(), minSeverity: 'medium' });
    const shown = g.nodes().filter((k) => !h.has(k));
    expect(shown.sort()).toEqual([SH, CURL, 'ctr:shop/web-1/main', 'file:/etc/shadow'].sort());
    expect(computeHidden(g, { ...defaultFilters(), minSeverity: 'critical' }).size).toBe(g.order);
  });

  it('workload filter keeps endpoints and files', () => {
    const g = cluster();
    const h = computeHidden(g, { ...defaultFilters(), workloads: new Set(['db']) });
    expect(h.has(SH)).toBe(true);
    expect(h.has('file:/etc/shadow')).toBe(false);
    expect(h.has('pod:other/db-0')).toBe(false);
  });
});

describe('neighbourhood and path', () => {
  it('expands by hops ignoring direction and skipping hidden nodes', () => {
    const g = cluster();
    expect([...neighbourhood(g, CURL, 1)].sort()).toEqual([SH, CURL, 'ep:1.2.3.4:443'].sort());
    expect(neighbourhood(g, CURL, 2).has('file:/etc/shadow')).toBe(true);
    expect(neighbourhood(g, CURL, 2, new Set([SH])).has('file:/etc/shadow')).toBe(false);
    expect(neighbourhood(g, 'missing', 2).size).toBe(0);
  });

  it('finds the shortest undirected path with its edges, or null', () => {
    const g = cluster();
    const p = shortestPath(g, 'ep:1.2.3.4:443', 'file:/etc/shadow')!;
    expect(p.nodes).toEqual(['ep:1.2.3.4:443', CURL, SH, 'file:/etc/shadow']);
    expect(p.edges).toEqual([
      `connected:${CURL}->ep:1.2.3.4:443`,
      `spawned:${SH}->${CURL}`,
      `read:${SH}->file:/etc/shadow`,
    ]);
    expect(shortestPath(g, 'ep:1.2.3.4:443', 'pod:other/db-0')).toBeNull();
    expect(shortestPath(g, 'ep:1.2.3.4:443', 'file:/etc/shadow', new Set([SH]))).toBeNull();
  });
});

describe('search and collapse', () => {
  it('ranks exact and prefix label matches first, then detail', () => {
    const g = cluster();
    const hits = searchNodes(g, 'sh');
    expect(hits[0]!.key).toBe(SH);
    expect(hits.map((h) => h.key)).toContain('file:/etc/shadow');
    expect(searchNodes(g, '   ')).toEqual([]);
  });

  it('maps a process to its pod, workload, namespace; leaves endpoints alone', () => {
    const g = cluster();
    expect(collapseTarget(g, CURL, 'pod')).toBe('pod:shop/web-1');
    expect(collapseTarget(g, CURL, 'workload')).toBe('wl:shop/Deployment/web');
    expect(collapseTarget(g, CURL, 'namespace')).toBe('ns:shop');
    expect(collapseTarget(g, CURL, 'process')).toBe(CURL);
    expect(collapseTarget(g, 'ep:1.2.3.4:443', 'pod')).toBe('ep:1.2.3.4:443');
    expect(collapseTarget(g, 'pod:shop/web-1', 'process')).toBe('pod:shop/web-1');
  });
});

describe('reducers', () => {
  it('hide filtered nodes, ring severe ones, and dim outside the hover neighbourhood', () => {
    const g = cluster();
    const v = emptyViewState('dark');
    v.hidden = new Set(['file:/etc/shadow']);
    const nr = nodeReducer(v);
    expect(nr('file:/etc/shadow', g.getNodeAttributes('file:/etc/shadow')).hidden).toBe(true);
    const sh = nr(SH, g.getNodeAttributes(SH));
    expect(sh.type).toBe('border');
    expect(sh.borderColor).toBeDefined();
    expect(nr('pod:shop/web-1', g.getNodeAttributes('pod:shop/web-1')).type).toBe('square');

    const hv = { ...v, hovered: CURL, hoverNeighbours: neighbourhood(g, CURL, 1) };
    const hr = nodeReducer(hv);
    expect(hr('pod:other/db-0', g.getNodeAttributes('pod:other/db-0'))).toMatchObject({
      color: v.dimColor,
      label: null,
    });
    expect(hr(SH, g.getNodeAttributes(SH))).toMatchObject({ forceLabel: true });
    expect(hr(CURL, g.getNodeAttributes(CURL)).highlighted).toBe(true);
    const er = edgeReducer(hv, g);
    const far = `read:${SH}->file:/etc/shadow`;
    expect(er(far, g.getEdgeAttributes(far)).color).toBe(v.dimEdgeColor);
    const near = `spawned:${SH}->${CURL}`;
    expect(er(near, g.getEdgeAttributes(near)).color).not.toBe(v.dimEdgeColor);
  });

  it('show only the path edges and colour diffs', () => {
    const g = cluster();
    const p = shortestPath(g, SH, 'ep:1.2.3.4:443')!;
    const v = { ...emptyViewState('light'), path: { nodes: new Set(p.nodes), edges: new Set(p.edges) } };
    const er = edgeReducer(v, g);
    const onPath = p.edges[0]!;
    expect(er(onPath, g.getEdgeAttributes(onPath)).hidden).toBeUndefined();
    const off = `read:${SH}->file:/etc/shadow`;
    expect(er(off, g.getEdgeAttributes(off)).hidden).toBe(true);
    g.setNodeAttribute(CURL, 'diff', 'added');
    const dr = nodeReducer({ ...emptyViewState('dark'), diff: true });
    expect(dr(CURL, g.getNodeAttributes(CURL)).color).toBe('#3ddc84');
    expect(dr(SH, g.getNodeAttributes(SH)).color).toBe(emptyViewState('dark').dimColor);
  });

  it('hide edges while a big layout runs, except the selected edge and the path', () => {
    const g = cluster();
    const e1 = `spawned:${SH}->${CURL}`;
    const e2 = `read:${SH}->file:/etc/shadow`;
    const er = edgeReducer({ ...emptyViewState('dark'), edgesHiddenForLayout: true, selectedEdge: e2 }, g);
    expect(er(e1, g.getEdgeAttributes(e1)).hidden).toBe(true);
    expect(er(e2, g.getEdgeAttributes(e2)).hidden).toBeUndefined();
    const plain = edgeReducer(emptyViewState('dark'), g);
    expect(plain(e1, g.getEdgeAttributes(e1))).toBe(g.getEdgeAttributes(e1));
  });

  it('draw the edges of a big graph as thin lines, the selected edge and a path thick, hover by colour', () => {
    const g = cluster();
    const e1 = `spawned:${SH}->${CURL}`;
    const e2 = `read:${SH}->file:/etc/shadow`;
    const big = { ...emptyViewState('dark'), thinEdges: true };
    const thin = edgeReducer(big, g);
    expect(thin(e1, g.getEdgeAttributes(e1)).type).toBe(THIN_EDGE_TYPE);
    // the stored attributes are never touched
    expect(g.getEdgeAttribute(e1, 'type' as never)).toBeUndefined();
    const selected = edgeReducer({ ...big, selectedEdge: e2 }, g);
    expect(selected(e2, g.getEdgeAttributes(e2)).type).toBeUndefined();
    expect(selected(e2, g.getEdgeAttributes(e2)).size).toBeGreaterThanOrEqual(3);
    expect(selected(e1, g.getEdgeAttributes(e1)).type).toBe(THIN_EDGE_TYPE);
    const hovered = edgeReducer({ ...big, hovered: SH, hoverDims: false }, g);
    expect(hovered(e1, g.getEdgeAttributes(e1)).type).toBe(THIN_EDGE_TYPE);
    expect(hovered(e1, g.getEdgeAttributes(e1)).color).toBe(big.highlightColor);
    const path = edgeReducer({ ...big, path: { nodes: new Set([SH, CURL]), edges: new Set([e1]) } }, g);
    expect(path(e1, g.getEdgeAttributes(e1)).type).toBeUndefined();
    expect(path(e2, g.getEdgeAttributes(e2)).hidden).toBe(true);
    expect(edgeReducer(emptyViewState('dark'), g)(e1, g.getEdgeAttributes(e1)).type).toBeUndefined();
  });

  it('keep attacker-controlled labels as plain strings (drawn as canvas text, never parsed)', () => {
    const g = cluster();
    g.setNodeAttribute(CURL, 'label', '<img src=x onerror=alert(1)>');
    const out = nodeReducer(emptyViewState('dark'))(CURL, g.getNodeAttributes(CURL));
    expect(out.label).toBe('<img src=x onerror=alert(1)>');
  });
});

describe('clearedFilters', () => {
  it('turns every analyst filter off but keeps the hub threshold and the replay cursor', () => {
    const set = { ...defaultFilters(), hiddenKinds: new Set(['file']), hideHubs: true, hubDegree: 12, cursor: 5 };
    const after = { ...set, ...clearedFilters() };
    expect(after.hiddenKinds.size).toBe(0);
    expect(after.hideHubs).toBe(false);
    expect(after.hubDegree).toBe(12);
    expect(after.cursor).toBe(5);
  });
});
