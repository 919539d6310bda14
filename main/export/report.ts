/**
 * Human-readable exports: a self-contained HTML report (inline SVG picture laid out with
 * ForceAtlas2, findings, summary; no script, no network, a CSP that forbids both) and Markdown
 * summaries. Every string from the capture is attacker-controlled and is escaped: it must show
 * up literally, never as markup.
 */
import forceAtlas2 from 'graphology-layout-forceatlas2';
import type { CaptureHeader } from '../common/capture';
import type { Finding } from '../common/findings';
import type { GraphNodeAttributes, NodeKind } from '../common/graph';
import { SEVERITY_ORDER } from '../common/graph';
import type { BehaviourGraph } from '../graph/builder';
import { collapse } from '../graph/view';

export interface ReportInput {
  graph: BehaviourGraph;
  header?: CaptureHeader;
  findings?: Finding[];
  name: string;
  events?: number;
  warnings?: string[];
}

export function htmlEscape(s: unknown): string {
  return String(s).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const KIND_COLOURS: Record<NodeKind, string> = {
  'cluster-node': '#6b7280',
  namespace: '#8b5cf6',
  workload: '#6366f1',
  pod: '#3b82f6',
  container: '#0ea5e9',
  process: '#10b981',
  endpoint: '#f59e0b',
  domain: '#eab308',
  file: '#ef4444',
  'service-account': '#ec4899',
};
const SEV_COLOURS: Record<string, string> = {
  critical: '#b91c1c',
  high: '#dc2626',
  medium: '#ea580c',
  low: '#ca8a04',
  info: '#6b7280',
};

function fmtTime(ns: number): string {
  if (!Number.isFinite(ns) || ns <= 0) return '';
  return new Date(ns / 1e6)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** Keep the picture readable: collapse big graphs, then keep the busiest nodes and the evidence. */
function pictureGraph(g: BehaviourGraph, findings: Finding[], max = 250): BehaviourGraph {
  let pg = g;
  if (pg.order > max) pg = collapse(pg, 'pod');
  if (pg.order <= max) return pg;
  const keep = new Set<string>();
  for (const f of findings) for (const n of f.evidence.nodes) if (pg.hasNode(n)) keep.add(n);
  const ranked = pg.mapNodes((k, a) => ({ k, w: pg.degree(k) * 10 + Math.log1p(a.count) })).sort((x, y) => y.w - x.w);
  for (const { k } of ranked) {
    if (keep.size >= max) break;
    keep.add(k);
  }
  const out = pg.copy() as BehaviourGraph;
  out.forEachNode((k) => {
    if (!keep.has(k)) out.dropNode(k);
  });
  return out;
}

export function renderSvg(g: BehaviourGraph, findings: Finding[] = [], size = 900): string {
  const pg = pictureGraph(g, findings).copy() as BehaviourGraph;
  const n = pg.order;
  let i = 0;
  pg.forEachNode((k) => {
    const a = (2 * Math.PI * i++) / Math.max(1, n);
    pg.mergeNodeAttributes(k, { x: Math.cos(a) * 100, y: Math.sin(a) * 100 });
  });
  if (n > 1)
    forceAtlas2.assign(pg, {
      iterations: 150,
      settings: { gravity: 1, scalingRatio: 10, barnesHutOptimize: n > 500, strongGravityMode: true },
    });
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  pg.forEachNode((_k, a) => {
    const x = a.x as number;
    const y = a.y as number;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  });
  const pad = 40;
  const sx = (x: number) => (maxX > minX ? pad + ((x - minX) / (maxX - minX)) * (size - 2 * pad) : size / 2);
  const sy = (y: number) => (maxY > minY ? pad + ((y - minY) / (maxY - minY)) * (size - 2 * pad) : size / 2);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="100%" role="img" aria-label="behaviour graph">`,
  ];
  parts.push('<g stroke="#9ca3af" stroke-opacity="0.5">');
  pg.forEachEdge((_k, a, s, t, sa, ta) => {
    const w = Math.min(4, 0.5 + Math.log10(1 + a.count) / 2);
    const colour = a.severity ? SEV_COLOURS[a.severity] : undefined;
    parts.push(
      `<line x1="${sx(sa.x as number).toFixed(1)}" y1="${sy(sa.y as number).toFixed(1)}" x2="${sx(ta.x as number).toFixed(1)}" y2="${sy(ta.y as number).toFixed(1)}" stroke-width="${w.toFixed(2)}"${colour ? ` stroke="${colour}"` : ''}><title>${htmlEscape(`${a.kind} ×${a.count}`)}</title></line>`,
    );
  });
  parts.push('</g><g font-family="sans-serif" font-size="9">');
  // Labels for what matters (findings, the busiest and best-connected nodes); the rest keep a tooltip.
  const labelled = new Set(
    pg
      .mapNodes((k, a) => ({ k, w: (a.severity ? 1e9 : 0) + pg.degree(k) * 100 + a.count }))
      .sort((x, y) => y.w - x.w)
      .slice(0, 60)
      .map((x) => x.k),
  );
  pg.forEachNode((key, a: GraphNodeAttributes) => {
    const r = Math.min(14, 3 + Math.log10(1 + a.count) * 2);
    const x = sx(a.x as number).toFixed(1);
    const y = sy(a.y as number).toFixed(1);
    const stroke = a.severity ? ` stroke="${SEV_COLOURS[a.severity]}" stroke-width="3"` : '';
    parts.push(
      `<g><circle cx="${x}" cy="${y}" r="${r.toFixed(1)}" fill="${KIND_COLOURS[a.kind] ?? '#999'}"${stroke}/><title>${htmlEscape(`${a.kind}: ${a.detail ?? a.label} (×${a.count})`)}</title>` +
        (labelled.has(key)
          ? `<text x="${x}" y="${(Number(y) + r + 9).toFixed(1)}" text-anchor="middle" fill="#111827">${htmlEscape(String(a.label).slice(0, 40))}</text>`
          : '') +
        '</g>',
    );
  });
  parts.push('</g></svg>');
  return parts.join('\n');
}

export interface GraphSummary {
  nodes: number;
  edges: number;
  byNodeKind: Record<string, number>;
  byEdgeKind: Record<string, number>;
  firstSeen: number;
  lastSeen: number;
  topProcesses: { key: string; label: string; detail: string; pod: string; count: number }[];
  externalEndpoints: { label: string; count: number }[];
  sensitiveFiles: { path: string; sensitive: string; count: number }[];
}

export function summarise(g: BehaviourGraph): GraphSummary {
  const s: GraphSummary = {
    nodes: g.order,
    edges: g.size,
    byNodeKind: {},
    byEdgeKind: {},
    firstSeen: Infinity,
    lastSeen: 0,
    topProcesses: [],
    externalEndpoints: [],
    sensitiveFiles: [],
  };
  g.forEachNode((key, a) => {
    s.byNodeKind[a.kind] = (s.byNodeKind[a.kind] ?? 0) + 1;
    if (a.firstSeen < s.firstSeen) s.firstSeen = a.firstSeen;
    if (a.lastSeen > s.lastSeen) s.lastSeen = a.lastSeen;
    if (a.kind === 'process')
      s.topProcesses.push({
        key,
        label: a.label,
        detail: String(a.detail ?? ''),
        pod: a.pod ? `${a.namespace}/${a.pod}` : `host ${a.node ?? ''}`,
        count: a.count,
      });
    if (
      a.kind === 'endpoint' &&
      (a.endpointClass === 'external' || a.endpointClass === 'metadata' || a.endpointClass === 'cluster-api')
    )
      s.externalEndpoints.push({ label: `${a.label} (${a.endpointClass})`, count: a.count });
    if (a.kind === 'file' && typeof a.sensitive === 'string')
      s.sensitiveFiles.push({ path: String(a.detail ?? a.label), sensitive: a.sensitive, count: a.count });
  });
  g.forEachEdge((_k, a) => {
    s.byEdgeKind[a.kind] = (s.byEdgeKind[a.kind] ?? 0) + 1;
  });
  if (!Number.isFinite(s.firstSeen)) s.firstSeen = 0;
  s.topProcesses.sort((a, b) => b.count - a.count).splice(25);
  s.externalEndpoints.sort((a, b) => b.count - a.count).splice(50);
  s.sensitiveFiles.sort((a, b) => b.count - a.count).splice(50);
  return s;
}

function sortFindings(f: Finding[]): Finding[] {
  return [...f].sort((a, b) => SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] || b.score - a.score);
}

export function toHtmlReport(input: ReportInput): string {
  const { graph, header } = input;
  const findings = sortFindings(input.findings ?? []);
  const s = summarise(graph);
  const e = htmlEscape;
  const rows = (items: string[][]) =>
    items.map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('\n');
  const out: string[] = [];
  out.push(
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // No script, no network: the report is a document, nothing in it may run or phone home.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>Lantern report — ${e(input.name)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:2em;color:#111827;max-width:1100px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #d1d5db;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}th{background:#f3f4f6}code,td{overflow-wrap:anywhere}.sev-critical,.sev-high{color:#b91c1c;font-weight:bold}.sev-medium{color:#c2410c}.legend span{display:inline-block;margin-right:1em}</style>',
    '</head><body>',
    `<h1>Lantern report: ${e(input.name)}</h1>`,
  );
  out.push('<h2>Summary</h2><table>');
  out.push(
    rows([
      ['Cluster', header?.cluster?.server ?? header?.cluster?.context ?? '(not recorded)'],
      ['Context', header?.cluster?.context ?? ''],
      ['Source', header?.source ?? ''],
      ['Nodes captured', (header?.nodes ?? []).map((n) => n.name).join(', ')],
      ['Probes', (header?.probes ?? []).join(', ')],
      ['From', fmtTime(s.firstSeen)],
      ['To', fmtTime(s.lastSeen)],
      ['Events', input.events === undefined ? '' : String(input.events)],
      ['Graph', `${s.nodes} nodes, ${s.edges} edges`],
      [
        'Node kinds',
        Object.entries(s.byNodeKind)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ],
      [
        'Edge kinds',
        Object.entries(s.byEdgeKind)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ],
      ['Findings', String(findings.length)],
    ]),
  );
  out.push('</table>');
  for (const w of input.warnings ?? []) out.push(`<p><strong>Warning:</strong> ${e(w)}</p>`);
  out.push(`<h2>Findings (${findings.length})</h2>`);
  if (findings.length === 0) out.push('<p>No findings.</p>');
  else {
    out.push(
      '<table><tr><th>Severity</th><th>Score</th><th>Title</th><th>Why</th><th>Technique</th><th>Pod</th><th>First seen</th><th>Evidence</th></tr>',
    );
    for (const f of findings) {
      out.push(
        `<tr><td class="sev-${e(f.severity)}">${e(f.severity)}</td><td>${e(f.score)}</td><td>${e(f.title)}</td><td>${e(f.explanation)}</td><td>${e(f.technique)}</td><td>${e(
          f.pod ? `${f.pod.namespace}/${f.pod.name}` : (f.node ?? ''),
        )}</td><td>${e(fmtTime(f.firstSeen))}</td><td>${e(f.evidence.nodes.slice(0, 5).join('\n'))}${f.evidence.events.length ? e(` (${f.evidence.events.length} events)`) : ''}</td></tr>`,
      );
    }
    out.push('</table>');
  }
  out.push('<h2>Graph</h2>');
  out.push(
    '<p class="legend">' +
      Object.entries(KIND_COLOURS)
        .map(
          ([k, c]) =>
            `<span><svg width="10" height="10"><circle cx="5" cy="5" r="5" fill="${c}"/></svg> ${e(k)}</span>`,
        )
        .join('') +
      '</p>',
  );
  out.push(renderSvg(graph, findings));
  out.push('<h2>Busiest processes</h2><table><tr><th>Executable</th><th>Where</th><th>Events</th></tr>');
  out.push(rows(s.topProcesses.map((p) => [p.detail || p.label, p.pod, String(p.count)])));
  out.push('</table>');
  if (s.externalEndpoints.length) {
    out.push('<h2>External, metadata and API server endpoints</h2><table><tr><th>Endpoint</th><th>Events</th></tr>');
    out.push(rows(s.externalEndpoints.map((x) => [x.label, String(x.count)])));
    out.push('</table>');
  }
  if (s.sensitiveFiles.length) {
    out.push('<h2>Sensitive files</h2><table><tr><th>Path</th><th>Class</th><th>Events</th></tr>');
    out.push(rows(s.sensitiveFiles.map((x) => [x.path, x.sensitive, String(x.count)])));
    out.push('</table>');
  }
  out.push(
    `<p><small>Generated by Lantern at ${e(new Date().toISOString())}. Everything above from the capture is shown as text.</small></p>`,
  );
  out.push('</body></html>', '');
  return out.join('\n');
}

/** Markdown escaping: attacker text must not become links, images, HTML or table cells. */
export function mdEscape(s: unknown): string {
  return (
    String(s)
      .replace(/[\r\n]+/g, ' ')
      // Values never start a line (they follow "| " or "- Label: "), so only inline markup matters:
      // emphasis, code, links/images (brackets), table cells, strikethrough, and raw HTML.
      .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
  );
}

export function toMarkdownSummary(input: ReportInput): string {
  const { graph, header } = input;
  const s = summarise(graph);
  const findings = sortFindings(input.findings ?? []);
  const m = mdEscape;
  const out: string[] = [`# Lantern summary: ${m(input.name)}`, ''];
  out.push(`- Cluster: ${m(header?.cluster?.server ?? header?.cluster?.context ?? '(not recorded)')}`);
  out.push(`- Nodes captured: ${m((header?.nodes ?? []).map((n) => n.name).join(', '))}`);
  out.push(`- Probes: ${m((header?.probes ?? []).join(', '))}`);
  out.push(`- Time: ${m(fmtTime(s.firstSeen))} to ${m(fmtTime(s.lastSeen))}`);
  if (input.events !== undefined) out.push(`- Events: ${input.events}`);
  out.push(
    `- Graph: ${s.nodes} nodes, ${s.edges} edges (${m(
      Object.entries(s.byNodeKind)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    )})`,
  );
  out.push(`- Findings: ${findings.length}`);
  for (const w of input.warnings ?? []) out.push(`- Warning: ${m(w)}`);
  out.push('');
  if (findings.length) {
    out.push('## Findings', '', findingsTable(findings), '');
  }
  out.push('## Busiest processes', '', '| Executable | Where | Events |', '|---|---|---|');
  for (const p of s.topProcesses) out.push(`| ${m(p.detail || p.label)} | ${m(p.pod)} | ${p.count} |`);
  if (s.externalEndpoints.length) {
    out.push('', '## External, metadata and API server endpoints', '', '| Endpoint | Events |', '|---|---|');
    for (const x of s.externalEndpoints) out.push(`| ${m(x.label)} | ${x.count} |`);
  }
  if (s.sensitiveFiles.length) {
    out.push('', '## Sensitive files', '', '| Path | Class | Events |', '|---|---|---|');
    for (const x of s.sensitiveFiles) out.push(`| ${m(x.path)} | ${m(x.sensitive)} | ${x.count} |`);
  }
  out.push('');
  return out.join('\n');
}

function findingsTable(findings: Finding[]): string {
  const m = mdEscape;
  const lines = ['| Severity | Score | Title | Why | Technique | Pod | First seen |', '|---|---|---|---|---|---|---|'];
  for (const f of findings)
    lines.push(
      `| ${m(f.severity)} | ${f.score} | ${m(f.title)} | ${m(f.explanation)} | ${m(f.technique)} | ${m(f.pod ? `${f.pod.namespace}/${f.pod.name}` : (f.node ?? ''))} | ${m(fmtTime(f.firstSeen))} |`,
    );
  return lines.join('\n');
}

export function findingsToMarkdown(findings: Finding[], name: string): string {
  const sorted = sortFindings(findings);
  return [`# Lantern findings: ${mdEscape(name)}`, '', sorted.length ? findingsTable(sorted) : 'No findings.', ''].join(
    '\n',
  );
}
