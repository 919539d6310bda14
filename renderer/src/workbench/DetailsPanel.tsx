/**
 * Everything about the selected node, edge or finding: attributes, process tree, command lines,
 * neighbours, counts, first/last seen, raw events (paged via graph.events), copy as JSON.
 * Local attributes from the mirror show at once; the engine's details fill in when they arrive.
 */
import { useEffect, useState } from 'react';
import type { LanternApi } from '../api';
import { errorMessage } from '../api';
import type { NodeDetails, SessionInfo } from '../../../main/common/contract';
import type { LanternEvent } from '../../../main/common/events';
import type { Finding, TriageStatus } from '../../../main/common/findings';
import { NODE_KIND_LABELS, nodeColor, edgeColor } from '../graph/style';
import type { GraphHost } from './graphHost';
import { copyText, fmtCount, fmtDuration, fmtTime, toJson } from './util';

export type DetailsTarget =
  { kind: 'node'; key: string } | { kind: 'edge'; key: string } | { kind: 'finding'; id: string } | null;

interface Props {
  api: LanternApi;
  host: GraphHost;
  session: SessionInfo;
  target: DetailsTarget;
  findings: Finding[];
  onSelectNode(key: string): void;
  onPickFinding(f: Finding): void;
  onTriage(f: Finding, status: TriageStatus, allowList?: boolean): void;
  onPath(): void;
  notify(msg: string, level?: 'info' | 'warning' | 'error'): void;
}

export function DetailsPanel(props: Props) {
  const { target } = props;
  let body;
  if (!target) body = <Overview {...props} />;
  else if (target.kind === 'node') body = <NodeView {...props} nodeKey={target.key} key={target.key} />;
  else if (target.kind === 'edge') body = <EdgeView {...props} edgeKey={target.key} key={target.key} />;
  else {
    const f = props.findings.find((x) => x.id === target.id);
    body = f ? (
      <FindingView {...props} finding={f} key={f.id} />
    ) : (
      <div className="empty">This finding is no longer listed.</div>
    );
  }
  return (
    <aside className="panel panel-right" aria-label="Details" data-testid="details-panel">
      {body}
    </aside>
  );
}

function Overview({ session, host }: Props) {
  return (
    <>
      <div className="panel-head">
        <h2>Capture</h2>
        <div className="details-title">
          <span className="name" data-testid="session-name">
            {session.name}
          </span>
        </div>
      </div>
      <div className="panel-body">
        <dl className="kv">
          <dt>Source</dt>
          <dd className="mono">{session.source}</dd>
          <dt>Kind</dt>
          <dd>{session.kind}</dd>
          {session.cluster?.context && (
            <>
              <dt>Context</dt>
              <dd>{session.cluster.context}</dd>
            </>
          )}
          {session.cluster?.server && (
            <>
              <dt>Server</dt>
              <dd className="mono">{session.cluster.server}</dd>
            </>
          )}
          <dt>Nodes</dt>
          <dd>{session.nodes.join(', ') || '—'}</dd>
          <dt>Probes</dt>
          <dd>{session.probes.join(', ') || '—'}</dd>
          <dt>From</dt>
          <dd>{fmtTime(session.startTime, true)}</dd>
          <dt>To</dt>
          <dd>{fmtTime(session.endTime, true)}</dd>
          <dt>Duration</dt>
          <dd>{fmtDuration(session.endTime - session.startTime)}</dd>
          <dt>Events</dt>
          <dd>{fmtCount(session.events)}</dd>
          <dt>Graph</dt>
          <dd>
            {fmtCount(host.graph.order)} nodes, {fmtCount(host.graph.size)} edges
          </dd>
          <dt>Complete</dt>
          <dd className={session.complete ? 'ok' : session.kind === 'live' ? '' : 'bad'}>
            {session.complete
              ? 'yes'
              : session.kind === 'live'
                ? 'capturing (or stopped early)'
                : 'no — the file was cut short; showing what it holds'}
          </dd>
        </dl>
        {session.warnings.map((w, i) => (
          <div className="warn-box wrap" key={i}>
            {w}
          </div>
        ))}
        <div className="section">
          <h3>How to hunt</h3>
          <ul className="list muted" style={{ paddingBottom: 12 }}>
            <li>Click a finding on the left: the graph focuses on its evidence.</li>
            <li>Click a node for its details; double-click to focus on its neighbours.</li>
            <li>Shift-click a second node, then P, for the shortest path between them.</li>
            <li>Press / to search, ? for all shortcuts.</li>
          </ul>
        </div>
      </div>
    </>
  );
}

function KindTag({ kind }: { kind: string }) {
  return (
    <span className="kind-tag" style={{ background: nodeColor(kind) }}>
      {(NODE_KIND_LABELS as Record<string, string>)[kind] ?? kind}
    </span>
  );
}

/** Attribute names shown in the main table or sections; the rest go under "More attributes". */
const SHOWN = new Set([
  'kind',
  'label',
  'count',
  'firstSeen',
  'lastSeen',
  'namespace',
  'workload',
  'pod',
  'node',
  'detail',
  'endpointClass',
  'severity',
  'x',
  'y',
  'size',
  'color',
  'args',
  'cmdlines',
  'commands',
]);

function attrText(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return toJson(v);
}

function NodeView(props: Props & { nodeKey: string }) {
  const { api, host, session, nodeKey } = props;
  const [details, setDetails] = useState<NodeDetails | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setDetails(null);
    setErr(null);
    api.call('graph.nodeDetails', { sessionId: session.sessionId, key: nodeKey }).then(
      (d) => live && setDetails(d),
      (e: unknown) => live && setErr(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [api, session.sessionId, nodeKey]);
  const local = host.graph.hasNode(nodeKey) ? host.graph.getNodeAttributes(nodeKey) : null;
  const a = (details?.attributes ?? local) as Record<string, unknown> | null;
  if (!a) return <div className="empty">This node is not in the graph at this point in time.</div>;
  const kind = String(a.kind);
  const cmdlines = [a.args, a.cmdlines, a.commands].flatMap((v) =>
    Array.isArray(v)
      ? v.every((x) => typeof x === 'string') && v === a.args
        ? [v.join(' ')]
        : v.map((x) => (Array.isArray(x) ? x.join(' ') : String(x)))
      : typeof v === 'string'
        ? [v]
        : [],
  );
  const extra = Object.keys(a).filter((k) => !SHOWN.has(k));
  const related = props.findings.filter((f) => f.evidence.nodes.includes(nodeKey) || details?.findings.includes(f.id));
  const twoSelected = host.view.selected.length === 2;
  const neighbours = details?.neighbours ?? localNeighbours(host, nodeKey);
  return (
    <>
      <div className="panel-head">
        <div className="details-title">
          <KindTag kind={kind} />
          <span className="name" data-testid="details-title">
            {String(a.label ?? nodeKey)}
          </span>
        </div>
        <div className="btn-row" style={{ padding: 0 }}>
          {[1, 2, 3].map((h) => (
            <button
              key={h}
              type="button"
              onClick={() => host.focusNeighbourhood(nodeKey, h)}
              title={`Focus on ${h} hop${h > 1 ? 's' : ''} around (${h})`}
            >
              {h}-hop
            </button>
          ))}
          <button
            type="button"
            onClick={props.onPath}
            disabled={!twoSelected}
            title="Shift-click a second node first (P)"
          >
            Path
          </button>
          <button
            type="button"
            onClick={async () => {
              const ok = await copyText(toJson({ key: nodeKey, attributes: stripView(a), details }));
              props.notify(ok ? 'Copied the node as JSON.' : 'Could not reach the clipboard.', ok ? 'info' : 'warning');
            }}
            data-testid="copy-json"
          >
            Copy JSON
          </button>
        </div>
      </div>
      <div className="panel-body">
        <dl className="kv">
          <dt>Key</dt>
          <dd className="mono">{nodeKey}</dd>
          {typeof a.detail === 'string' && (
            <>
              <dt>{kind === 'process' ? 'Executable' : kind === 'file' ? 'Path' : 'Detail'}</dt>
              <dd className="mono">{a.detail}</dd>
            </>
          )}
          {(['namespace', 'workload', 'pod', 'node', 'endpointClass', 'severity'] as const).map((k) =>
            a[k] !== undefined ? <Row key={k} k={k === 'endpointClass' ? 'class' : k} v={attrText(a[k])} /> : null,
          )}
          <dt>Events</dt>
          <dd>{fmtCount(Number(a.count))}</dd>
          <dt>First seen</dt>
          <dd>{fmtTime(Number(a.firstSeen), true)}</dd>
          <dt>Last seen</dt>
          <dd>{fmtTime(Number(a.lastSeen), true)}</dd>
          <dt>Links</dt>
          <dd>{host.graph.hasNode(nodeKey) ? host.graph.degree(nodeKey) : '—'}</dd>
        </dl>
        {err && <div className="warn-box">Details from the engine are not available: {err}</div>}
        {cmdlines.length > 0 && (
          <div className="section">
            <h3>Command lines</h3>
            {cmdlines.slice(0, 20).map((c, i) => (
              <div className="cmd mono" key={i} data-testid="cmdline">
                {c}
              </div>
            ))}
          </div>
        )}
        {details && (details.ancestors.length > 0 || details.children.length > 0) && (
          <div className="section">
            <h3>Process tree</h3>
            <ul className="list tree">
              {details.ancestors.map((p, i) => (
                <li
                  key={p.key}
                  className="link"
                  style={{ ['--depth' as string]: i }}
                  onClick={() => props.onSelectNode(p.key)}
                >
                  <span className="lbl">{p.label}</span>
                </li>
              ))}
              <li className="self" style={{ ['--depth' as string]: details.ancestors.length }}>
                <span className="lbl">{String(a.label)}</span>
              </li>
              {details.children.map((c) => (
                <li
                  key={c.key}
                  className="link"
                  style={{ ['--depth' as string]: details.ancestors.length + 1 }}
                  onClick={() => props.onSelectNode(c.key)}
                >
                  <span className="lbl">{c.label}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
        {related.length > 0 && (
          <div className="section">
            <h3>Findings</h3>
            <ul className="list">
              {related.map((f) => (
                <li key={f.id} className="link" onClick={() => props.onPickFinding(f)}>
                  <span className={`sev sev-${f.severity}`}>{f.severity}</span>
                  <span className="lbl">{f.title}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="section">
          <h3>
            Neighbours <span className="muted">{neighbours.length}</span>
          </h3>
          <ul className="list">
            {neighbours.slice(0, 200).map((n) => (
              <li
                key={`${n.key}|${n.edgeKind}|${n.direction}`}
                className="link"
                onClick={() => props.onSelectNode(n.key)}
                title={n.key}
              >
                <span className="dot" style={{ background: nodeColor(n.kind) }} />
                <span className="muted" style={{ flex: 'none', color: edgeColor(n.edgeKind) }}>
                  {n.direction === 'out' ? `${n.edgeKind} →` : `← ${n.edgeKind}`}
                </span>
                <span className="lbl">{n.label}</span>
                <span className="n">{fmtCount(n.count)}</span>
              </li>
            ))}
            {neighbours.length > 200 && <li className="muted">… and {neighbours.length - 200} more</li>}
          </ul>
        </div>
        {extra.length > 0 && (
          <div className="section">
            <h3>More attributes</h3>
            <dl className="kv">
              {extra.map((k) => (
                <Row key={k} k={k} v={attrText(a[k])} />
              ))}
            </dl>
          </div>
        )}
        <RawEvents api={api} sessionId={session.sessionId} nodeKey={nodeKey} />
      </div>
    </>
  );
}

function Row({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt>{k}</dt>
      <dd className="wrap">{v}</dd>
    </>
  );
}

function stripView(a: Record<string, unknown>) {
  const { x: _x, y: _y, size: _s, color: _c, ...rest } = a;
  return rest;
}

function localNeighbours(host: GraphHost, key: string): NodeDetails['neighbours'] {
  const out: NodeDetails['neighbours'] = [];
  if (!host.graph.hasNode(key)) return out;
  host.graph.forEachEdge(key, (_e, ea, source, target, sa, ta) => {
    const out_ = source === key;
    const other = out_ ? ta : sa;
    out.push({
      key: out_ ? target : source,
      label: String(other.label),
      kind: other.kind,
      edgeKind: ea.kind,
      direction: out_ ? 'out' : 'in',
      count: ea.count,
    });
  });
  out.sort((x, y) => y.count - x.count);
  return out;
}

function EdgeView(props: Props & { edgeKey: string }) {
  const { host, edgeKey } = props;
  if (!host.graph.hasEdge(edgeKey))
    return <div className="empty">This edge is not in the graph at this point in time.</div>;
  const a = host.graph.getEdgeAttributes(edgeKey);
  const s = host.graph.source(edgeKey);
  const t = host.graph.target(edgeKey);
  return (
    <>
      <div className="panel-head">
        <div className="details-title">
          <span className="kind-tag" style={{ background: edgeColor(a.kind) }}>
            {a.kind}
          </span>
          <span className="name" data-testid="details-title">
            {String(host.graph.getNodeAttribute(s, 'label'))} → {String(host.graph.getNodeAttribute(t, 'label'))}
          </span>
        </div>
        <div className="btn-row" style={{ padding: 0 }}>
          <button type="button" onClick={() => props.onSelectNode(s)}>
            Source
          </button>
          <button type="button" onClick={() => props.onSelectNode(t)}>
            Target
          </button>
          <button
            type="button"
            onClick={async () => {
              const ok = await copyText(toJson({ key: edgeKey, source: s, target: t, attributes: stripView(a) }));
              props.notify(ok ? 'Copied the edge as JSON.' : 'Could not reach the clipboard.');
            }}
          >
            Copy JSON
          </button>
        </div>
      </div>
      <div className="panel-body">
        <dl className="kv">
          <dt>Key</dt>
          <dd className="mono">{edgeKey}</dd>
          <dt>Events</dt>
          <dd>{fmtCount(a.count)}</dd>
          <dt>First seen</dt>
          <dd>{fmtTime(a.firstSeen, true)}</dd>
          <dt>Last seen</dt>
          <dd>{fmtTime(a.lastSeen, true)}</dd>
          {Object.keys(a)
            .filter((k) => !['kind', 'count', 'firstSeen', 'lastSeen', 'size', 'color'].includes(k))
            .map((k) => (
              <Row key={k} k={k} v={attrText((a as Record<string, unknown>)[k])} />
            ))}
        </dl>
        <RawEvents api={props.api} sessionId={props.session.sessionId} edgeKey={edgeKey} />
      </div>
    </>
  );
}

function FindingView(props: Props & { finding: Finding }) {
  const { finding: f, host } = props;
  // The raw events of the most specific evidence node in the graph: the process rather than its
  // pod or workload, then the one with the fewest events, so the finding's own are near the top.
  const specificity = (k: string) =>
    ({ process: 0, container: 2, pod: 3, workload: 4, namespace: 5, 'cluster-node': 6 })[
      host.graph.getNodeAttribute(k, 'kind') as string
    ] ?? 1;
  const rawNode = f.evidence.nodes
    .filter((k) => host.graph.hasNode(k))
    .sort(
      (a, b) =>
        specificity(a) - specificity(b) ||
        (host.graph.getNodeAttribute(a, 'count') ?? 0) - (host.graph.getNodeAttribute(b, 'count') ?? 0),
    )[0];
  return (
    <>
      <div className="panel-head">
        <div className="details-title">
          <span className={`sev sev-${f.severity}`}>{f.severity}</span>
          <span className="name" data-testid="details-title">
            {f.title}
          </span>
        </div>
        <div className="btn-row" style={{ padding: 0 }} role="group" aria-label="Triage">
          <button
            type="button"
            className={f.status === 'confirmed' ? 'on' : ''}
            onClick={() => props.onTriage(f, 'confirmed')}
            data-testid="triage-confirm"
          >
            Confirm
          </button>
          <button
            type="button"
            className={f.status === 'benign' ? 'on' : ''}
            onClick={() => props.onTriage(f, 'benign')}
            data-testid="triage-benign"
          >
            Benign
          </button>
          <button
            type="button"
            onClick={() => props.onTriage(f, 'benign', true)}
            title="Mark benign and allow-list it for future captures"
            data-testid="triage-allow"
          >
            Benign + allow-list
          </button>
          {f.status !== 'new' && (
            <button type="button" onClick={() => props.onTriage(f, 'new')} data-testid="triage-reset">
              Reopen
            </button>
          )}
        </div>
      </div>
      <div className="panel-body">
        <dl className="kv">
          <dt>Status</dt>
          <dd data-testid="details-status">{f.status}</dd>
          <dt>Score</dt>
          <dd>{Math.round(f.score)} / 100</dd>
          <dt>Technique</dt>
          <dd className="mono">{f.technique || '—'}</dd>
          <dt>Rule</dt>
          <dd className="mono">
            {f.ruleId} ({f.method})
          </dd>
          {f.pod && (
            <>
              <dt>Pod</dt>
              <dd className="mono">
                {f.pod.namespace}/{f.pod.name}
                {f.pod.workload ? ` (${f.pod.workload})` : ''}
              </dd>
            </>
          )}
          {f.node && (
            <>
              <dt>Node</dt>
              <dd>{f.node}</dd>
            </>
          )}
          <dt>First seen</dt>
          <dd>{fmtTime(f.firstSeen, true)}</dd>
          <dt>Last seen</dt>
          <dd>{fmtTime(f.lastSeen, true)}</dd>
          <dt>Occurrences</dt>
          <dd>{f.occurrences}</dd>
        </dl>
        <div className="section">
          <h3>Why this stands out</h3>
          <div className="explain" data-testid="finding-explanation">
            {f.explanation}
          </div>
        </div>
        <div className="section">
          <h3>
            Evidence
            <span className="right">
              <button type="button" onClick={() => props.onPickFinding(f)}>
                Focus
              </button>
            </span>
          </h3>
          <ul className="list" data-testid="evidence-nodes">
            {f.evidence.nodes.map((k) => {
              const present = host.graph.hasNode(k);
              const label = present ? String(host.graph.getNodeAttribute(k, 'label')) : k;
              return (
                <li
                  key={k}
                  className={present ? 'link' : ''}
                  onClick={() => present && props.onSelectNode(k)}
                  title={k}
                >
                  <span
                    className="dot"
                    style={{ background: present ? nodeColor(host.graph.getNodeAttribute(k, 'kind')) : 'var(--faint)' }}
                  />
                  <span className="lbl">{label}</span>
                  {!present && <span className="n">not at this level</span>}
                </li>
              );
            })}
          </ul>
          {f.evidence.events.length > 0 && (
            <div className="muted" style={{ padding: '0 12px 10px' }}>
              {f.evidence.events.length} raw event{f.evidence.events.length > 1 ? 's' : ''}: first at{' '}
              {fmtTime(f.evidence.events[0]!.time)} (event #{f.evidence.events[0]!.index})
            </div>
          )}
        </div>
        {rawNode && (
          <RawEvents
            api={props.api}
            sessionId={props.session.sessionId}
            nodeKey={rawNode}
            title={`Raw events of ${String(host.graph.getNodeAttribute(rawNode, 'label'))}`}
          />
        )}
      </div>
    </>
  );
}

const PAGE = 50;

/** One-line text summary of a raw event. */
export function eventSummary(e: LanternEvent): string {
  const who = e.proc ? `${e.proc.comm}[${e.proc.pid}]` : '';
  switch (e.kind) {
    case 'exec':
      return `${who} exec ${e.proc?.exe ?? ''} ${(e.proc?.args ?? []).join(' ')}`.trim();
    case 'connect':
    case 'accept':
    case 'listen':
      return `${who} ${e.kind} ${e.net ? `${e.net.daddr}:${e.net.dport} (${e.net.proto})` : ''}`;
    case 'dns':
      return `${who} dns ${e.dns?.query ?? ''} via ${e.dns?.server ?? ''}`;
    case 'open':
      return `${who} open ${e.file?.path ?? ''}${e.file?.write ? ' (write)' : ''}${e.file?.aggregated ? ` ×${e.file.count ?? ''}` : ''}`;
    case 'setuid':
    case 'capset':
      return `${who} ${e.priv?.op ?? e.kind} ${e.priv?.uid ?? ''} ${e.priv?.caps ?? ''}`;
    case 'ptrace':
      return `${who} ptrace pid ${e.ptrace?.targetPid ?? ''}`;
    case 'mount':
      return `${who} ${e.mount?.op ?? 'mount'} ${e.mount?.source ?? ''} → ${e.mount?.target ?? ''}`;
    case 'module':
      return `${who} ${e.module?.op ?? ''} ${e.module?.name ?? ''}`;
    case 'exit':
      return `${who} exit ${e.exit?.code ?? ''}`;
    case 'alert':
      return `${e.alert?.tool ?? ''} ${e.alert?.rule ?? ''}: ${e.alert?.output ?? ''}`;
    default:
      return `${who} ${e.kind}`;
  }
}

function RawEvents({
  api,
  sessionId,
  nodeKey,
  edgeKey,
  title = 'Raw events',
}: {
  api: LanternApi;
  sessionId: string;
  nodeKey?: string;
  edgeKey?: string;
  title?: string;
}) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ events: LanternEvent[]; total: number } | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    setErr(null);
    api.call('graph.events', { sessionId, nodeKey, edgeKey, offset, limit: PAGE }).then(
      (p) => live && setPage(p),
      (e: unknown) => live && setErr(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [api, sessionId, nodeKey, edgeKey, offset]);
  return (
    <div className="section" data-testid="raw-events">
      <h3>
        {title} {page && <span className="muted">{fmtCount(page.total)}</span>}
        <span className="right">
          <button
            type="button"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - PAGE))}
            aria-label="Previous page"
          >
            ‹
          </button>
          <span className="muted">
            {page && page.total ? `${offset + 1}–${Math.min(offset + PAGE, page.total)}` : ''}
          </span>
          <button
            type="button"
            disabled={!page || offset + PAGE >= page.total}
            onClick={() => setOffset(offset + PAGE)}
            aria-label="Next page"
          >
            ›
          </button>
        </span>
      </h3>
      {err && <div className="warn-box">Raw events are not available: {err}</div>}
      {!page && !err && <div className="empty">Loading events…</div>}
      {page && page.events.length === 0 && <div className="empty">No raw events recorded for this.</div>}
      {page && page.events.length > 0 && (
        <table className="events">
          <tbody>
            {page.events.map((e, i) => (
              <tr key={offset + i} onClick={() => setOpen(open === i ? null : i)} style={{ cursor: 'pointer' }}>
                <td className="mono muted">{fmtTime(e.time)}</td>
                <td className="what mono">
                  {eventSummary(e)}
                  {open === i && (
                    <pre className="yaml" style={{ marginTop: 6, whiteSpace: 'pre-wrap' }}>
                      {toJson(e)}
                    </pre>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
