/** Top-bar controls and small dialogs: search, filters, export menu, diff, help. */
import { forwardRef, useImperativeHandle, useMemo, useRef, useState } from 'react';
import type { LanternApi } from '../api';
import { errorMessage } from '../api';
import { useLongOp } from '../api/useLongOp';
import { OpProgress } from './OpProgress';
import type { DiffSummary, SessionInfo } from '../../../main/common/contract';
import type { Severity } from '../../../main/common/graph';
import { NODE_KIND_LABELS, nodeColor } from '../graph/style';
import { clearedFilters, searchNodes, type SearchHit } from '../graph/view';
import type { GraphHost } from './graphHost';
import { Icon } from './icons';

export interface SearchHandle {
  focus(): void;
}

export const SearchBox = forwardRef<SearchHandle, { host: GraphHost; onPick(key: string): void }>(function SearchBox(
  { host, onPick },
  ref,
) {
  const input = useRef<HTMLInputElement>(null);
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  useImperativeHandle(ref, () => ({ focus: () => input.current?.select() }), []);
  // Re-run when the query changes; the graph is read as it is at that moment.
  const hits: SearchHit[] = useMemo(() => (q.trim() ? searchNodes(host.graph, q, 12) : []), [host, q]);
  const pick = (h: SearchHit | undefined) => {
    if (!h) return;
    onPick(h.key);
    setOpen(false);
    input.current?.blur();
  };
  return (
    <div className="search anchor" role="combobox" aria-expanded={open && hits.length > 0} aria-haspopup="listbox">
      <span className="icon" style={{ width: 14, height: 14 }}>
        <Icon name="search" />
      </span>
      <input
        ref={input}
        type="search"
        placeholder="Search nodes"
        aria-label="Search nodes"
        data-testid="search"
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') setActive(Math.min(hits.length - 1, active + 1));
          else if (e.key === 'ArrowUp') setActive(Math.max(0, active - 1));
          else if (e.key === 'Enter') pick(hits[active]);
          else if (e.key === 'Escape') {
            setOpen(false);
            input.current?.blur();
          } else return;
          e.preventDefault();
        }}
      />
      {!q && (
        <span className="hint">
          <kbd>/</kbd>
        </span>
      )}
      {open && q.trim() && (
        <div className="popover" role="listbox" data-testid="search-results">
          {hits.length === 0 && <div className="menu-item muted">No node matches.</div>}
          {hits.map((h, i) => (
            <button
              key={h.key}
              type="button"
              role="option"
              aria-selected={i === active}
              className={`menu-item${i === active ? ' active' : ''}`}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(h)}
            >
              <span className="dot" style={{ background: nodeColor(h.kind) }} />
              <span style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{h.label}</span>
              <span className="sub">{h.detail ?? (NODE_KIND_LABELS as Record<string, string>)[h.kind]}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
});

export function FilterMenu({ host, onClose }: { host: GraphHost; onClose(): void }) {
  const f = host.filters;
  const namespaces = useMemo(() => {
    const s = new Set<string>();
    host.graph.forEachNode((_k, a) => {
      if (typeof a.namespace === 'string') s.add(a.namespace);
    });
    return [...s].sort();
  }, [host, host.structureVersion]); // eslint-disable-line react-hooks/exhaustive-deps
  const workloads = useMemo(() => {
    const s = new Set<string>();
    host.graph.forEachNode((_k, a) => {
      if (typeof a.workload === 'string' && (!f.namespaces.size || (a.namespace && f.namespaces.has(a.namespace))))
        s.add(a.workload);
    });
    return [...s].sort();
  }, [host, host.structureVersion, f.namespaces]); // eslint-disable-line react-hooks/exhaustive-deps
  const toggle = (set: Set<string>, v: string) => {
    const n = new Set(set);
    if (n.has(v)) n.delete(v);
    else n.add(v);
    return n;
  };
  return (
    <div className="popover right" style={{ width: 300, padding: 12 }} data-testid="filter-menu" onMouseLeave={onClose}>
      <div
        className="settings"
        style={{ position: 'static', width: 'auto', padding: 0, border: 'none', boxShadow: 'none', background: 'none' }}
      >
        <h3>Severity</h3>
        <label>
          Only findings at least
          <select
            value={f.minSeverity ?? ''}
            onChange={(e) => host.setFilters({ minSeverity: (e.target.value || null) as Severity | null })}
            data-testid="filter-severity"
          >
            <option value="">(everything)</option>
            <option value="low">low</option>
            <option value="medium">medium</option>
            <option value="high">high</option>
            <option value="critical">critical</option>
          </select>
        </label>
        <h3>Namespaces {f.namespaces.size > 0 && <span className="muted">({f.namespaces.size})</span>}</h3>
        <div className="checks" style={{ maxHeight: 130, overflow: 'auto' }}>
          {namespaces.length === 0 && <span className="muted">none in the graph</span>}
          {namespaces.map((n) => (
            <label key={n} style={{ justifyContent: 'flex-start' }}>
              <input
                type="checkbox"
                checked={f.namespaces.has(n)}
                onChange={() => host.setFilters({ namespaces: toggle(f.namespaces, n) })}
              />
              {n}
            </label>
          ))}
        </div>
        <h3>Workloads {f.workloads.size > 0 && <span className="muted">({f.workloads.size})</span>}</h3>
        <div className="checks" style={{ maxHeight: 130, overflow: 'auto' }}>
          {workloads.length === 0 && <span className="muted">none in the graph</span>}
          {workloads.slice(0, 300).map((n) => (
            <label key={n} style={{ justifyContent: 'flex-start' }}>
              <input
                type="checkbox"
                checked={f.workloads.has(n)}
                onChange={() => host.setFilters({ workloads: toggle(f.workloads, n) })}
              />
              {n}
            </label>
          ))}
        </div>
        <h3>Noise</h3>
        <label>
          Hide hubs (more than {f.hubDegree} links)
          <input
            type="checkbox"
            checked={f.hideHubs}
            onChange={(e) => host.setFilters({ hideHubs: e.target.checked })}
          />
        </label>
        <label>
          Hide the internet
          <input
            type="checkbox"
            checked={f.hideInternet}
            onChange={(e) => host.setFilters({ hideInternet: e.target.checked })}
          />
        </label>
        <div className="btn-row" style={{ padding: 0 }}>
          <button type="button" onClick={() => host.setFilters(clearedFilters())}>
            Clear all filters
          </button>
        </div>
      </div>
    </div>
  );
}

export const EXPORTS: { id: string; label: string; sub: string }[] = [
  { id: 'gexf', label: 'GEXF', sub: 'Gephi, Gephi Lite' },
  { id: 'graphml', label: 'GraphML', sub: 'yEd, Cytoscape, NetworkX' },
  { id: 'json', label: 'Graph JSON', sub: 'graphology serialisation' },
  { id: 'opengraph', label: 'OpenGraph JSON', sub: 'BloodHound' },
  { id: 'png', label: 'PNG image', sub: 'the current view' },
  { id: 'html', label: 'HTML report', sub: 'self-contained' },
  { id: 'findings-json', label: 'Findings JSON', sub: 'for tooling' },
  { id: 'findings-md', label: 'Findings Markdown', sub: 'for tickets' },
];

export function ExportMenu({ onExport, onClose }: { onExport(id: string): void; onClose(): void }) {
  return (
    <div className="popover right" style={{ width: 280 }} role="menu" data-testid="export-menu" onMouseLeave={onClose}>
      {EXPORTS.map((e) => (
        <button
          key={e.id}
          type="button"
          role="menuitem"
          className="menu-item"
          data-testid={`export-${e.id}`}
          onClick={() => {
            onClose();
            onExport(e.id);
          }}
        >
          <b>{e.label}</b>
          <span className="sub">{e.sub}</span>
        </button>
      ))}
    </div>
  );
}

export const SHORTCUTS: [string, string][] = [
  ['/', 'Search nodes'],
  ['?', 'This help'],
  ['Esc', 'Clear selection, focus and path'],
  ['F', 'Zoom to fit'],
  ['+ / −', 'Zoom in / out'],
  ['L', 'Run / stop the layout'],
  ['1 2 3', 'Focus on 1–3 hops around the selection'],
  ['Shift-click', 'Select a second node'],
  ['P', 'Shortest path between the two selected nodes'],
  ['H', 'Hide / show hubs'],
  ['I', 'Hide / show the internet'],
  ['C', 'Next collapse level (process → pod → workload → namespace)'],
  ['J / K', 'Next / previous finding'],
  ['B', 'Mark the open finding benign'],
  ['Space', 'Play / pause the replay'],
  ['← / →', 'Step the timeline (when it has focus)'],
  ['T', 'Dark / light theme'],
  ['E', 'Export menu'],
];

export function HelpOverlay({ onClose }: { onClose(): void }) {
  return (
    <div
      className="scrim"
      role="dialog"
      aria-modal="true"
      aria-label="Keyboard shortcuts"
      onClick={onClose}
      data-testid="help"
    >
      <div className="sheet narrow" onClick={(e) => e.stopPropagation()}>
        <div className="sheet-head">
          <h2>Keyboard shortcuts</h2>
          <button type="button" onClick={onClose} aria-label="Close" style={{ marginLeft: 'auto' }}>
            <Icon name="close" />
          </button>
        </div>
        <div className="sheet-body">
          <div className="help-grid">
            {SHORTCUTS.map(([k, what]) => (
              <div key={k}>
                <span>{what}</span>
                <kbd>{k}</kbd>
              </div>
            ))}
          </div>
          <p className="muted">
            Mouse: hover a node to light up its neighbours, click to select, double-click to focus on its neighbourhood,
            drag the background to pan, wheel to zoom. On the timeline, drag to scrub and shift-drag to keep only a time
            window.
          </p>
        </div>
      </div>
    </div>
  );
}

export function DiffDialog({
  api,
  onOpen,
  onClose,
}: {
  api: LanternApi;
  onOpen(s: SessionInfo, d: DiffSummary): void;
  onClose(): void;
}) {
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  // Reading two big captures takes a while: its progress is shown, and it can be cancelled.
  const comparing = useLongOp(api);
  const browse = async (set: (v: string) => void) => {
    try {
      const r = await api.call('dialog.openCapture', {});
      if (r.path) set(r.path);
    } catch (e) {
      setErr(errorMessage(e));
    }
  };
  const go = async () => {
    setBusy(true);
    setErr(null);
    try {
      const d = await comparing.run((opId) => api.call('diff.open', { a: a.trim(), b: b.trim(), opId }));
      if (!d) {
        setErr('Cancelled: nothing was compared.');
        return;
      }
      if (!d.comparable) {
        setErr(d.reason ?? 'These two captures cannot be compared.');
        return;
      }
      const info = await api.call('session.info', { sessionId: d.sessionId });
      onOpen(info, d);
    } catch (e) {
      setErr(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="scrim" role="dialog" aria-modal="true" aria-label="Compare two captures" data-testid="diff-dialog">
      <div className="sheet narrow">
        <div className="sheet-head">
          <Icon name="diff" />
          <h2>Compare two captures</h2>
          <button type="button" onClick={onClose} aria-label="Close" style={{ marginLeft: 'auto' }}>
            <Icon name="close" />
          </button>
        </div>
        <div className="sheet-body">
          <p className="muted" style={{ margin: 0 }}>
            The first is the baseline (known good); the second is compared with it. New behaviour shows in green,
            behaviour that is gone in red.
          </p>
          <div className="form-grid">
            <label htmlFor="diff-a">Baseline (A)</label>
            <div style={{ display: 'flex', gap: 6 }}>
              <input
                id="diff-a"
                type="text"
                value={a}
                onChange={(e) => setA(e.target.value)}
                placeholder="/path/to/baseline.lantern"
                style={{ flex: 1 }}
                data-testid="diff-a"
              />
              {api.mode === 'electron' && (
                <button type="button" onClick={() => void browse(setA)}>
                  Browse…
                </button>
              )}
            </div>
            <label htmlFor="diff-b">Compared (B)</label>
            <div style={{ display: 'flex', gap: 6 }}>
              <input
                id="diff-b"
                type="text"
                value={b}
                onChange={(e) => setB(e.target.value)}
                placeholder="/path/to/new.lantern"
                style={{ flex: 1 }}
                data-testid="diff-b"
              />
              {api.mode === 'electron' && (
                <button type="button" onClick={() => void browse(setB)}>
                  Browse…
                </button>
              )}
            </div>
          </div>
          {err && (
            <div className="error-box wrap" role="alert">
              {err}
            </div>
          )}
          {comparing.running && <OpProgress label="Comparing…" op={comparing.running} onCancel={comparing.cancel} />}
          <div className="btn-row" style={{ padding: 0, justifyContent: 'flex-end' }}>
            <button
              type="button"
              onClick={() => {
                // Closing while it compares stops the comparison too: nothing is left running.
                comparing.cancel();
                onClose();
              }}
            >
              {comparing.running ? 'Close' : 'Cancel'}
            </button>
            <button
              type="button"
              className="primary"
              disabled={busy || !a.trim() || !b.trim()}
              onClick={() => void go()}
              data-testid="diff-go"
            >
              {busy ? 'Comparing…' : 'Compare'}
            </button>
          </div>
        </div>
      </div>
    </div>
  );
}
