/** Ranked findings with severity counts, filters and quick triage. Text only. */
import { useMemo, useState } from 'react';
import type { Finding, TriageStatus } from '../../../main/common/findings';
import { SEVERITY_ORDER, type Severity } from '../../../main/common/graph';
import { SEVERITY_COLORS } from '../graph/style';
import { fmtTime } from './util';
import type { LanternApi } from '../api';
import type { SessionInfo } from '../../../main/common/contract';
import { BaselineControl } from './BaselineMenu';

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export function rankFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.status === 'benign' ? 1 : 0) - (b.status === 'benign' ? 1 : 0) ||
      SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
      b.score - a.score ||
      a.firstSeen - b.firstSeen,
  );
}

export function FindingsPanel(props: {
  findings: Finding[] | null;
  error: string | null;
  activeId: string | null;
  onPick(f: Finding): void;
  onTriage(f: Finding, status: TriageStatus, allowList?: boolean): void;
  /** With these, the panel offers the baseline control (hunt against / learn / import / delete). */
  api?: LanternApi;
  session?: SessionInfo;
  notify?(message: string, level?: 'info' | 'warning' | 'error'): void;
}) {
  const [sev, setSev] = useState<Set<Severity>>(new Set());
  const [text, setText] = useState('');
  const [showBenign, setShowBenign] = useState(true);
  const all = useMemo(() => props.findings ?? [], [props.findings]);
  const counts = useMemo(() => {
    const m = new Map<Severity, number>();
    for (const f of all) if (f.status !== 'benign') m.set(f.severity, (m.get(f.severity) ?? 0) + 1);
    return m;
  }, [all]);
  const shown = useMemo(() => {
    const q = text.trim().toLowerCase();
    return rankFindings(all).filter((f) => {
      if (sev.size && !sev.has(f.severity)) return false;
      if (!showBenign && f.status === 'benign') return false;
      if (!q) return true;
      const hay =
        `${f.title} ${f.technique} ${f.ruleId} ${f.pod?.namespace ?? ''}/${f.pod?.name ?? ''} ${f.explanation}`.toLowerCase();
      return hay.includes(q);
    });
  }, [all, sev, text, showBenign]);
  const toggleSev = (s: Severity) => {
    const next = new Set(sev);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    setSev(next);
  };
  const open = all.filter((f) => f.status !== 'benign').length;
  const [activeBaseline, setActiveBaseline] = useState<string | null>(props.session?.baseline ?? null);
  const fromBaseline = all.filter((f) => f.method === 'baseline' && f.status !== 'benign').length;
  return (
    <aside className="panel panel-left" aria-label="Findings" data-testid="findings-panel">
      <div className="panel-head">
        <h2>
          Findings{' '}
          <span className="muted" data-testid="findings-open-count">
            {open} open
          </span>
          {all.length !== open && <span className="muted">· {all.length - open} benign</span>}
        </h2>
        {props.api && props.session && props.session.kind !== 'diff' && (
          <BaselineControl
            api={props.api}
            session={props.session}
            baselineFindings={fromBaseline}
            onActiveChange={setActiveBaseline}
            notify={props.notify ?? (() => {})}
          />
        )}
        <div className="chips" role="group" aria-label="Severity filter">
          {SEVERITIES.filter((s) => s !== 'info' || counts.get('info')).map((s) => (
            <button
              key={s}
              type="button"
              className={`chip sev-${s}${sev.has(s) ? ' on' : ''}`}
              onClick={() => toggleSev(s)}
              aria-pressed={sev.has(s)}
              data-testid={`sev-chip-${s}`}
            >
              <span className="dot" style={{ background: SEVERITY_COLORS[s] }} />
              <span className="n">{counts.get(s) ?? 0}</span> {s}
            </button>
          ))}
        </div>
        <div style={{ display: 'flex', gap: 6 }}>
          <input
            type="search"
            placeholder="Filter findings (title, technique, pod)"
            value={text}
            onChange={(e) => setText(e.target.value)}
            style={{ flex: 1, minWidth: 0 }}
            aria-label="Filter findings"
          />
          <button
            type="button"
            className={showBenign ? '' : 'on'}
            onClick={() => setShowBenign(!showBenign)}
            title="Hide findings marked benign"
          >
            {showBenign ? 'Hide benign' : 'Show benign'}
          </button>
        </div>
      </div>
      <div className="panel-body" role="list" data-testid="findings-list">
        {props.error && <div className="error-box">{props.error}</div>}
        {!props.findings && !props.error && (
          <div className="empty">
            <div className="spinner" />
            Looking for findings…
          </div>
        )}
        {props.findings && all.length === 0 && (
          <div className="empty" data-testid="findings-empty">
            <b>No findings.</b>
            {props.session?.kind === 'diff'
              ? 'A diff compares two graphs: open either capture on its own to hunt it. The graph shows what is new (green) and gone (red).'
              : activeBaseline
                ? `Nothing in this capture matched a rule, stood out from its peers, or is new to baseline "${activeBaseline}".`
                : 'Nothing in this capture matched a rule or stood out from its peers. Explore the graph for what is normal here.'}
          </div>
        )}
        {props.findings && all.length > 0 && shown.length === 0 && (
          <div className="empty">No finding matches these filters.</div>
        )}
        {shown.map((f) => (
          <div
            key={f.id}
            role="listitem"
            className={`finding${f.id === props.activeId ? ' active' : ''}${f.status === 'benign' ? ' benign' : ''}`}
            onClick={() => props.onPick(f)}
            data-testid="finding"
            data-finding-id={f.id}
            tabIndex={0}
            onKeyDown={(e) => {
              if (e.key === 'Enter') props.onPick(f);
            }}
          >
            <div className="bar" style={{ background: SEVERITY_COLORS[f.severity] }} />
            <div style={{ minWidth: 0 }}>
              <div className="title">{f.title}</div>
              <div className="meta">
                <span className={`sev sev-${f.severity}`}>{f.severity}</span>
                {f.technique && <span className="mono">{f.technique}</span>}
                {f.pod && (
                  <span className="mono" style={{ overflowWrap: 'anywhere' }}>
                    {f.pod.namespace}/{f.pod.name}
                  </span>
                )}
                {f.status !== 'new' && (
                  <span className={`status status-${f.status}`} data-testid="finding-status">
                    {f.status}
                  </span>
                )}
                <span className="score" title="Score (0–100)" style={{ marginLeft: 'auto' }}>
                  {Math.round(f.score)}
                </span>
              </div>
              <div className="meta">
                <span>{fmtTime(f.firstSeen)}</span>
                {f.occurrences > 1 && <span>× {f.occurrences}</span>}
              </div>
            </div>
          </div>
        ))}
      </div>
    </aside>
  );
}
