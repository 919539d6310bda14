import Graph from 'graphology';
import { parse as parseGexf } from 'graphology-gexf';
import { parse as parseGraphml } from 'graphology-graphml';
import { describe, expect, it } from 'vitest';
import { makeCapture } from '../graph/generate';
import type { Finding } from '../common/findings';
import { keys } from '../common/graph';
import { createEnricher } from '../events/enrich';
import { GraphBuilder, type BehaviourGraph } from '../graph/builder';
import { exportGraph, exportText } from './index';

const XSS = '<img src=x onerror=alert(1)>';

function sample(): { graph: BehaviourGraph; header: ReturnType<typeof makeCapture>['header'] } {
  const cap = makeCapture({ events: 3000, attack: true, seed: 4 });
  const b = new GraphBuilder({ enricher: createEnricher(cap.header.inventory) });
  for (const e of cap.events()) b.ingest(e);
  // attacker-chosen text in names: a file, a process and a DNS name
  b.ingest({
    kind: 'open',
    time: b.maxTime + 1,
    node: 'node-a',
    proc: { pid: 4242, start: 1, comm: 'evil', exe: `/tmp/${XSS}` },
    file: { path: `/tmp/${XSS}"&'` },
  });
  b.ingest({
    kind: 'dns',
    time: b.maxTime + 2,
    node: 'node-a',
    proc: { pid: 4242, start: 1, comm: 'evil', exe: `/tmp/${XSS}` },
    dns: { query: `x]]></a><script>alert(2)</script>.example`, server: '10.96.0.10', serverPort: 53 },
  });
  return { graph: b.graph, header: cap.header };
}

/** Node/edge keys and attributes as comparable plain data; numbers compared as numbers. */
function shape(g: Graph) {
  const nodes = g.mapNodes((k, a) => ({ k, a: normalise(a) })).sort((x, y) => (x.k < y.k ? -1 : 1));
  const edges = g.mapEdges((k, a, s, t) => ({ k, s, t, a: normalise(a) })).sort((x, y) => (x.k < y.k ? -1 : 1));
  return { nodes, edges };
}
function normalise(a: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

describe('graph exports read back by the libraries that read those formats', () => {
  const { graph } = sample();

  it('GEXF → graphology-gexf gives the same nodes, edges and attributes', () => {
    const text = exportText('gexf', { graph, name: 'x' });
    const back = parseGexf(Graph, text);
    expect(back.order).toBe(graph.order);
    expect(back.size).toBe(graph.size);
    const s = shape(back);
    const want = shape(graph);
    expect(s.nodes.map((n) => n.k)).toEqual(want.nodes.map((n) => n.k));
    expect(s.edges.map((e) => [e.k, e.s, e.t])).toEqual(want.edges.map((e) => [e.k, e.s, e.t]));
    for (let i = 0; i < want.nodes.length; i++) {
      const w = want.nodes[i]!.a;
      const got = s.nodes[i]!.a;
      for (const [k, v] of Object.entries(w)) expect(got[k], `${want.nodes[i]!.k}.${k}`).toEqual(v);
    }
    for (let i = 0; i < want.edges.length; i++) {
      const w = want.edges[i]!.a;
      const got = s.edges[i]!.a;
      for (const [k, v] of Object.entries(w)) expect(got[k], `${want.edges[i]!.k}.${k}`).toEqual(v);
    }
  });

  it('GraphML → graphology-graphml gives the same nodes, edges and attributes', () => {
    const text = exportText('graphml', { graph, name: 'x' });
    const back = parseGraphml(Graph, text);
    const s = shape(back);
    const want = shape(graph);
    expect(s.nodes.map((n) => n.k)).toEqual(want.nodes.map((n) => n.k));
    expect(s.edges.map((e) => [e.s, e.t])).toEqual(want.edges.map((e) => [e.s, e.t]));
    for (let i = 0; i < want.nodes.length; i++) expect(s.nodes[i]!.a, want.nodes[i]!.k).toEqual(want.nodes[i]!.a);
    const backEdges = new Map<string, Record<string, unknown>>(
      back.mapEdges((_k, a, src, t) => [`${a.kind}:${src}->${t}`, normalise(a)]),
    );
    for (const e of want.edges) expect(backEdges.get(e.k), e.k).toEqual(e.a);
  });

  it('graphology JSON round-trips exactly', () => {
    const back = Graph.from(JSON.parse(exportText('json', { graph, name: 'x' })));
    expect(shape(back)).toEqual(shape(graph));
  });

  it('OpenGraph JSON has every node with kinds and properties and every edge with a kind', () => {
    const og = JSON.parse(exportText('opengraph', { graph, name: 'x' })) as {
      metadata: { source_kind: string };
      graph: {
        nodes: { id: string; kinds: string[]; properties: Record<string, unknown> }[];
        edges: {
          kind: string;
          start: { value: string };
          end: { value: string };
          properties: Record<string, unknown>;
        }[];
      };
    };
    expect(og.metadata.source_kind).toBe('LanternBase');
    expect(og.graph.nodes.length).toBe(graph.order);
    expect(og.graph.edges.length).toBe(graph.size);
    const ids = new Set(og.graph.nodes.map((n) => n.id));
    for (const e of og.graph.edges) {
      expect(ids.has(e.start.value) && ids.has(e.end.value)).toBe(true);
      expect(e.kind).toMatch(/^K8s[A-Z][A-Za-z]+$/);
    }
    for (const n of og.graph.nodes) {
      expect(n.kinds[0]).toMatch(/^K8s[A-Z][A-Za-z]+$/);
      for (const v of Object.values(n.properties)) expect(['string', 'number', 'boolean']).toContain(typeof v);
    }
  });
});

describe('HTML report and Markdown', () => {
  const { graph, header } = sample();
  const finding: Finding = {
    id: 'f1',
    method: 'rule',
    ruleId: 'LNT-001',
    severity: 'high',
    score: 90,
    title: `Shell ${XSS} in a container`,
    explanation: `ran ${XSS}`,
    technique: 'T1059',
    evidence: {
      events: [{ index: 1, time: 1 }],
      nodes: [keys.process(keys.hostScope('node-a'), `/tmp/${XSS}`)],
      edges: [],
    },
    firstSeen: 1_793_527_200_000_000_000,
    lastSeen: 1_793_527_200_000_000_000,
    status: 'new',
    occurrences: 1,
  };

  it('is self-contained, runs no script, and shows attacker text literally', () => {
    const res = exportGraph('html', { graph, header, findings: [finding], name: `cap${XSS}.lantern` });
    const html = res.data;
    expect(res.mime).toBe('text/html');
    expect(res.fileName).not.toMatch(/[<>]/);
    expect(html).not.toContain(XSS);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<[^>]*\son(error|load)=/i);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('<svg');
    // findings and summary are there
    expect(html).toContain('T1059');
    expect(html).toContain('&#60;script&#62;alert(2)&#60;/script&#62;');
    expect(html).toMatch(/Graph<\/td><td>\d+ nodes, \d+ edges/);
  });

  it('markdown summary and findings escape markup', () => {
    const md = exportText('md', { graph, header, findings: [finding], name: 'cap' });
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const fmd = exportText('findings-md', { graph, findings: [finding], name: 'cap' });
    expect(fmd).toContain('T1059');
    expect(fmd).not.toContain('<img');
    expect(JSON.parse(exportText('findings-json', { graph, findings: [finding], name: 'cap' }))[0].title).toBe(
      finding.title,
    );
  });
});
