/**
 * The analyst's workbench: findings on the left, the behaviour graph in the centre, details on
 * the right, the timeline below; cluster capture, diff, export and help as sheets and menus.
 * It receives what the start screen opened (a session, or a connected cluster).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { LanternApi } from '../api';
import { errorMessage } from '../api';
import type {
  ClusterSummary,
  DiffSummary,
  ReplayState,
  SessionInfo,
  TimelineHistogram,
} from '../../../main/common/contract';
import type { CollapseLevel } from '../../../main/common/graph';
import type { Finding, TriageStatus } from '../../../main/common/findings';
import { collapseTarget } from '../graph/view';
import { GraphHost } from './graphHost';
import { GraphArea } from './GraphArea';
import { FindingsPanel, rankFindings } from './FindingsPanel';
import { DetailsPanel, type DetailsTarget } from './DetailsPanel';
import { Timeline } from './Timeline';
import { ClusterSheet } from './ClusterSheet';
import { DiffDialog, ExportMenu, FilterMenu, HelpOverlay, SearchBox, type SearchHandle, EXPORTS } from './Controls';
import { Icon } from './icons';
import { base64ToBytes, downloadBlob, fmtCount, typingIn, useHost, useKey } from './util';
import './workbench.css';

export type Opened =
  { kind: 'session'; session: SessionInfo; note?: string } | { kind: 'cluster'; cluster: ClusterSummary };

const LEVELS: CollapseLevel[] = ['process', 'pod', 'workload', 'namespace'];
const HISTOGRAM_BUCKETS = 240;

interface Notice {
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
}

export function Workbench({
  api,
  opened,
  close,
  hostForTests,
}: {
  api: LanternApi;
  opened: Opened;
  close(): void;
  hostForTests?: GraphHost;
}) {
  const hostRef = useRef<GraphHost | null>(hostForTests ?? null);
  if (!hostRef.current) hostRef.current = new GraphHost();
  const host = hostRef.current;
  useEffect(() => () => host.dispose(), [host]);

  const [session, setSession] = useState<SessionInfo | null>(opened.kind === 'session' ? opened.session : null);
  const [clusterOpen, setClusterOpen] = useState(opened.kind === 'cluster');
  const clusterEver = useRef(clusterOpen);
  if (clusterOpen) clusterEver.current = true;
  const [cluster] = useState<ClusterSummary | null>(opened.kind === 'cluster' ? opened.cluster : null);
  const [collapse, setCollapse] = useState<CollapseLevel>('process');
  const [graphState, setGraphState] = useState<{ status: 'idle' | 'loading' | 'ready' | 'error'; message?: string }>({
    status: 'idle',
  });
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const [findingsErr, setFindingsErr] = useState<string | null>(null);
  const [target, setTarget] = useState<DetailsTarget>(null);
  const [activeFinding, setActiveFinding] = useState<string | null>(null);
  const [replay, setReplay] = useState<ReplayState | null>(null);
  const [histogram, setHistogram] = useState<TimelineHistogram | null>(null);
  const [cursor, setCursor] = useState<number | null>(null);
  const [timeWindow, setTimeWindow] = useState<[number, number] | null>(null);
  const [theme, setTheme] = useState<'dark' | 'light'>('dark');
  const [menu, setMenu] = useState<null | 'export' | 'filters'>(null);
  const [sheet, setSheet] = useState<null | 'help' | 'diff'>(null);
  const [layoutOpen, setLayoutOpen] = useState(false);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [diff, setDiff] = useState<DiffSummary | null>(null);
  const [live, setLive] = useState<{ captureId: string } | null>(null);
  const search = useRef<SearchHandle>(null);
  const sid = session?.sessionId ?? null;
  const loadToken = useRef(0);
  const pendingSelection = useRef<string[]>([]);

  const notify = useCallback((message: string, level: Notice['level'] = 'info', ms?: number) => {
    const id = Date.now() + Math.random();
    setNotices((n) => [...n.slice(-3), { id, level, message }]);
    setTimeout(() => setNotices((n) => n.filter((x) => x.id !== id)), ms ?? (level === 'error' ? 12_000 : 5_000));
  }, []);

  // Why this capture was opened (e.g. the demo, opened by itself without a cluster): said once.
  const openedNote = opened.kind === 'session' ? opened.note : undefined;
  useEffect(() => {
    if (openedNote) notify(openedNote, 'info', 15_000);
  }, [openedNote, notify]);

  // Theme: remembered by the main side.
  useEffect(() => {
    api.call('settings.get', {}).then(
      (s) => {
        setTheme(s.theme);
        host.setTheme(s.theme);
      },
      () => {},
    );
  }, [api, host]);
  const toggleTheme = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    setTheme(next);
    host.setTheme(next);
    api.call('settings.update', { theme: next }).catch(() => {});
  };

  // ---- graph snapshot + live deltas ----
  const loadSnapshot = useCallback(
    async (why?: string) => {
      if (!sid) return;
      const token = ++loadToken.current;
      setGraphState({ status: 'loading', message: why ?? `Building the ${collapse}-level graph…` });
      try {
        const d = await api.call('graph.snapshot', { sessionId: sid, collapse });
        if (token !== loadToken.current) return;
        host.apply({ ...d, reset: true });
        // A new view (opening, another collapse level) starts framed; catching up keeps the camera.
        if (!why) host.zoomToFit();
        setGraphState({ status: 'ready' });
        const keep = pendingSelection.current.filter((k) => host.graph.hasNode(k));
        pendingSelection.current = [];
        if (keep.length) {
          host.select(keep[0]!);
          setTarget({ kind: 'node', key: keep[0]! });
        }
      } catch (e) {
        if (token !== loadToken.current) return;
        setGraphState({ status: 'error', message: errorMessage(e) });
      }
    },
    [api, host, sid, collapse],
  );
  useEffect(() => {
    void loadSnapshot();
  }, [loadSnapshot]);

  useEffect(() => {
    if (!sid) return;
    let resnap: ReturnType<typeof setTimeout> | undefined;
    const off = api.on('graph.delta', (p) => {
      if (p.sessionId !== sid || loadToken.current < 0) return;
      host.apply(p.delta);
      if (host.needsSnapshot && !resnap) {
        // Missed a delta: rebuild from a snapshot, at most a few times a second.
        resnap = setTimeout(() => {
          resnap = undefined;
          void loadSnapshot('Catching up with the engine…');
        }, 300);
      }
    });
    return () => {
      off();
      clearTimeout(resnap);
    };
  }, [api, host, sid, loadSnapshot]);

  // ---- findings ----
  useEffect(() => {
    if (!sid) return;
    let live_ = true;
    setFindings(null);
    setFindingsErr(null);
    api.call('findings.list', { sessionId: sid }).then(
      (f) => live_ && setFindings(f),
      (e: unknown) => live_ && setFindingsErr(errorMessage(e)),
    );
    const off = api.on('findings.changed', (p) => p.sessionId === sid && setFindings(p.findings));
    return () => {
      live_ = false;
      off();
    };
  }, [api, sid]);

  // ---- timeline + replay ----
  useEffect(() => {
    if (!sid) return;
    let live_ = true;
    // A new session (diff, live capture) starts with its own timeline, not the previous one's.
    setHistogram(null);
    setReplay(null);
    setCursor(null);
    setTimeWindow(null);
    const load = () =>
      api.call('timeline.histogram', { sessionId: sid, buckets: HISTOGRAM_BUCKETS }).then(
        (h) => live_ && setHistogram(h),
        // No time axis for this session (a diff): an empty span, which the timeline explains.
        () => live_ && setHistogram((cur) => cur ?? { start: 0, end: 0, counts: [], findings: [] }),
      );
    void load();
    // A live capture's timeline and counts keep growing.
    const refreshInfo = () =>
      api.call('session.info', { sessionId: sid }).then(
        (info) => live_ && setSession((cur) => (cur && cur.sessionId === info.sessionId ? info : cur)),
        () => {},
      );
    const timer =
      session?.kind === 'live'
        ? setInterval(() => {
            void load();
            void refreshInfo();
          }, 3000)
        : undefined;
    const off = api.on('replay.state', (s) => {
      if (s.sessionId !== sid) return;
      setReplay(s);
    });
    return () => {
      live_ = false;
      off();
      clearInterval(timer);
    };
  }, [api, sid, session?.kind]);

  // The graph shows the state at the cursor: hide what appeared later (cheap, immediate),
  // while the engine replays to the same point.
  const following = cursor !== null || !!replay?.playing;
  const effectiveCursor = cursor ?? (replay?.playing ? replay.time : null);
  useEffect(() => {
    host.setFilters({ cursor: following ? effectiveCursor : null });
  }, [host, following, effectiveCursor]);
  useEffect(() => {
    host.setFilters({ timeWindow });
  }, [host, timeWindow]);

  const seekTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const onSeek = (t: number, final: boolean) => {
    setCursor(t);
    clearTimeout(seekTimer.current);
    const send = () =>
      sid && api.call('replay.control', { sessionId: sid, action: 'seek', time: t }).then(setReplay, () => {});
    if (final) void send();
    else seekTimer.current = setTimeout(send, 120);
  };
  const replayCall = (action: 'play' | 'pause' | 'speed', speed?: number) => {
    if (!sid) return;
    if (action === 'play') setCursor(null);
    if (action === 'pause' && replay) setCursor(replay.time);
    api.call('replay.control', { sessionId: sid, action, ...(speed ? { speed } : {}) }).then(
      (s) => {
        setReplay(s);
        if (action === 'pause') setCursor(s.time);
      },
      (e: unknown) => notify(errorMessage(e), 'warning'),
    );
  };

  // ---- selection, findings, triage ----
  const selectNode = useCallback(
    (key: string, additive = false) => {
      host.select(key, additive);
      setTarget({ kind: 'node', key });
      if (!additive) host.zoomTo([key, ...(host.graph.hasNode(key) ? host.graph.neighbors(key).slice(0, 30) : [])]);
    },
    [host],
  );
  const pickFinding = useCallback(
    (f: Finding) => {
      setActiveFinding(f.id);
      setTarget({ kind: 'finding', id: f.id });
      const n = host.focusEvidence(f.evidence.nodes, f.evidence.edges);
      if (n === 0 && f.evidence.nodes.length)
        notify(
          collapse === 'process'
            ? 'The evidence of this finding is not in the graph at this point in time.'
            : 'The evidence of this finding is at process level: switch the collapse level to Process to see it.',
          'warning',
        );
    },
    [host, notify, collapse],
  );
  const triage = useCallback(
    async (f: Finding, status: TriageStatus, allowList?: boolean) => {
      if (!sid) return;
      try {
        const updated = await api.call('findings.triage', {
          sessionId: sid,
          id: f.id,
          status,
          ...(allowList ? { allowList } : {}),
        });
        setFindings((list) => (list ?? []).map((x) => (x.id === updated.id ? updated : x)));
        notify(
          status === 'benign'
            ? allowList
              ? 'Marked benign and allow-listed: it will not be raised again for this workload.'
              : 'Marked benign.'
            : status === 'confirmed'
              ? 'Confirmed as malicious.'
              : 'Reopened.',
        );
      } catch (e) {
        notify(errorMessage(e), 'error');
      }
    },
    [api, sid, notify],
  );
  const path = () => {
    const r = host.showPath();
    if (r === null) notify('Select two nodes first: click one, then shift-click another.', 'warning');
    else if (r === false) notify('There is no path between these two nodes in the visible graph.', 'warning');
  };
  const clearAll = () => {
    host.select(null);
    host.clearFocus();
    setActiveFinding(null);
    setTarget(null);
  };

  const changeCollapse = (level: CollapseLevel) => {
    if (level === collapse) return;
    pendingSelection.current = host.view.selected.map((k) => collapseTarget(host.graph, k, level));
    setTarget(null);
    setCollapse(level);
  };

  // ---- export ----
  const doExport = async (id: string) => {
    if (!sid) return;
    const label = EXPORTS.find((e) => e.id === id)?.label ?? id;
    notify(`Exporting ${label}…`);
    try {
      if (id === 'png') {
        const blob = await host.pngBlob();
        downloadBlob(blob, `${fileStem(session!.name)}.png`);
      } else {
        const r = await api.call('export.graph', { sessionId: sid, format: id as 'gexf', collapse });
        const bytes = r.encoding === 'base64' ? base64ToBytes(r.data) : r.data;
        downloadBlob(new Blob([bytes], { type: r.mime }), r.fileName);
      }
    } catch (e) {
      notify(`Export failed: ${errorMessage(e)}`, 'error');
    }
  };

  // ---- engine notices ----
  useEffect(() => api.on('notice', (n) => notify(n.message, n.level)), [api, notify]);

  // ---- keyboard ----
  const ranked = findings ? rankFindings(findings) : [];
  useKey(
    (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) {
        if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
          e.preventDefault();
          search.current?.focus();
        }
        return;
      }
      if (e.key === 'Escape') {
        if (sheet) setSheet(null);
        else if (menu) setMenu(null);
        else clearAll();
        return;
      }
      if (typingIn(e.target) || clusterOpen || sheet) return;
      const sel = host.view.selected[host.view.selected.length - 1];
      switch (e.key) {
        case '/':
          search.current?.focus();
          break;
        case '?':
          setSheet('help');
          break;
        case 'f':
        case 'F':
          host.zoomToFit();
          break;
        case '+':
        case '=':
          host.zoom(1.5);
          break;
        case '-':
          host.zoom(1 / 1.5);
          break;
        case 'l':
        case 'L':
          if (host.isLayoutRunning()) host.stopLayout();
          else host.startLayout();
          break;
        case '1':
        case '2':
        case '3':
          if (sel) host.focusNeighbourhood(sel, +e.key);
          break;
        case 'p':
        case 'P':
          path();
          break;
        case 'h':
        case 'H':
          host.setFilters({ hideHubs: !host.filters.hideHubs });
          break;
        case 'i':
        case 'I':
          host.setFilters({ hideInternet: !host.filters.hideInternet });
          break;
        case 'c':
        case 'C':
          changeCollapse(LEVELS[(LEVELS.indexOf(collapse) + 1) % LEVELS.length]!);
          break;
        case 'j':
        case 'k': {
          if (!ranked.length) break;
          const i = ranked.findIndex((f) => f.id === activeFinding);
          const next = e.key === 'j' ? Math.min(ranked.length - 1, i + 1) : Math.max(0, i - 1);
          pickFinding(ranked[next]!);
          break;
        }
        case 'b':
        case 'B': {
          const f = ranked.find((x) => x.id === activeFinding);
          if (f) void triage(f, 'benign');
          break;
        }
        case ' ':
          if (replay?.playing) replayCall('pause');
          else replayCall('play');
          break;
        case 't':
        case 'T':
          toggleTheme();
          break;
        case 'e':
        case 'E':
          setMenu(menu === 'export' ? null : 'export');
          break;
        default:
          return;
      }
      e.preventDefault();
    },
    [host, sheet, menu, clusterOpen, collapse, ranked, activeFinding, replay, theme, sid],
  );

  const backToStart = () => {
    if (live && !window.confirm('A capture is still running. Leave it running and go back to the start screen?'))
      return;
    loadToken.current = -1;
    if (sid) api.call('session.close', { sessionId: sid }).catch(() => {});
    close();
  };

  return (
    <div className="wb" data-theme={theme} data-testid="workbench">
      <header className="wb-top">
        <button
          type="button"
          className="wb-brand"
          onClick={backToStart}
          title="Back to the start screen"
          data-testid="home"
        >
          <Icon name="lantern" /> Lantern
        </button>
        {session && (
          <div className="wb-session">
            <b title={session.name}>{session.name}</b>
            <span>
              {session.kind === 'live'
                ? '● live capture'
                : session.kind === 'diff'
                  ? 'diff'
                  : session.kind === 'demo'
                    ? 'demo capture'
                    : 'capture file'}{' '}
              · {fmtCount(session.events)} events{session.complete ? '' : ' · incomplete'}
            </span>
          </div>
        )}
        {session && (
          <div className="seg" role="group" aria-label="Collapse level" data-testid="collapse">
            {LEVELS.map((l) => (
              <button
                key={l}
                type="button"
                className={collapse === l ? 'on' : ''}
                onClick={() => changeCollapse(l)}
                aria-pressed={collapse === l}
                data-testid={`collapse-${l}`}
              >
                {l[0]!.toUpperCase() + l.slice(1)}
              </button>
            ))}
          </div>
        )}
        <div className="spacer" />
        {session && <SearchBox ref={search} host={host} onPick={(k) => selectNode(k)} />}
        {session && (
          <div className="anchor">
            <FiltersButton
              host={host}
              open={menu === 'filters'}
              onClick={() => setMenu(menu === 'filters' ? null : 'filters')}
            />
            {menu === 'filters' && <FilterMenu host={host} onClose={() => setMenu(null)} />}
          </div>
        )}
        {session && (
          <div className="anchor">
            <button
              type="button"
              className={menu === 'export' ? 'on' : ''}
              onClick={() => setMenu(menu === 'export' ? null : 'export')}
              data-testid="export-button"
            >
              Export
            </button>
            {menu === 'export' && <ExportMenu onExport={(id) => void doExport(id)} onClose={() => setMenu(null)} />}
          </div>
        )}
        <button type="button" onClick={() => setSheet('diff')} title="Compare two captures" data-testid="diff-button">
          Diff
        </button>
        <button
          type="button"
          className={live ? 'on' : ''}
          onClick={() => setClusterOpen(true)}
          data-testid="cluster-button"
        >
          {live ? '● Capturing' : 'Capture'}
        </button>
        <button
          type="button"
          onClick={toggleTheme}
          title="Dark / light theme (T)"
          aria-label="Toggle theme"
          data-testid="theme"
        >
          <span style={{ display: 'inline-block', width: 14, height: 14, verticalAlign: -2 }}>
            <Icon name={theme === 'dark' ? 'sun' : 'moon'} />
          </span>
        </button>
        <button
          type="button"
          onClick={() => setSheet('help')}
          title="Keyboard shortcuts (?)"
          aria-label="Keyboard shortcuts"
          data-testid="help-button"
        >
          ?
        </button>
      </header>

      {session ? (
        <>
          <FindingsPanel
            findings={findings}
            error={findingsErr}
            activeId={activeFinding}
            onPick={pickFinding}
            onTriage={(f, s, a) => void triage(f, s, a)}
            api={api}
            session={session}
            notify={notify}
          />
          <GraphArea
            host={host}
            state={graphState}
            onNodeClick={(k, add) => {
              host.select(k, add);
              setTarget({ kind: 'node', key: k });
            }}
            onEdgeClick={(k) => {
              host.selectEdge(k);
              setTarget({ kind: 'edge', key: k });
            }}
            onStageClick={() => {
              host.select(null);
              if (target?.kind !== 'finding') setTarget(null);
            }}
            onRetry={() => void loadSnapshot()}
            layoutOpen={layoutOpen}
            setLayoutOpen={setLayoutOpen}
            banner={
              <>
                {graphState.status === 'loading' && (
                  <div className="overlay banner" style={{ top: 'auto', bottom: 10 }}>
                    {graphState.message}
                    <button
                      type="button"
                      onClick={() => {
                        loadToken.current++;
                        setGraphState({ status: 'ready' });
                        notify('Stopped loading; the graph shows what had arrived.', 'warning');
                      }}
                      data-testid="cancel-load"
                    >
                      Cancel
                    </button>
                  </div>
                )}
                <FocusBanner host={host} />
                {diff && (
                  <div className="overlay banner diff" data-testid="diff-summary">
                    <span className="ok">
                      +{diff.added.nodes} nodes, +{diff.added.edges} edges new
                    </span>
                    <span className="bad">
                      −{diff.removed.nodes} nodes, −{diff.removed.edges} edges gone
                    </span>
                    <span style={{ color: 'var(--warn)' }}>{diff.changed.edges} edges changed</span>
                  </div>
                )}
              </>
            }
          />
          <DetailsPanel
            api={api}
            host={host}
            session={session}
            target={target}
            findings={findings ?? []}
            onSelectNode={(k) => selectNode(k)}
            onPickFinding={pickFinding}
            onTriage={(f, s, a) => void triage(f, s, a)}
            onPath={path}
            notify={notify}
          />
          <Timeline
            histogram={histogram}
            replay={replay}
            cursor={cursor}
            window={timeWindow}
            live={session.kind === 'live' && !!live}
            onSeek={onSeek}
            onPlay={() => replayCall('play')}
            onPause={() => replayCall('pause')}
            onSpeed={(s) => replayCall('speed', s)}
            onWindow={setTimeWindow}
            onFinding={(id) => {
              const f = findings?.find((x) => x.id === id);
              if (f) pickFinding(f);
            }}
          />
        </>
      ) : (
        <section className="centre" style={{ gridColumn: '1 / -1', gridRow: '2 / -1' }}>
          <div className="centre-state">
            <div className="overlay">
              <b>{cluster ? `Connected to ${cluster.context}` : 'No capture open'}</b>
              <p className="muted">Start a capture to see what really runs in this cluster.</p>
              <button type="button" className="primary" onClick={() => setClusterOpen(true)}>
                Set up a capture
              </button>
            </div>
          </div>
        </section>
      )}

      {/* Kept mounted once opened, so a running capture's progress and ledger survive closing it. */}
      {clusterEver.current && (
        <div hidden={!clusterOpen}>
          <ClusterSheet
            api={api}
            initial={cluster}
            running={live}
            onClose={() => setClusterOpen(false)}
            onLiveSession={(info, captureId) => {
              host.setView({ diff: false });
              setDiff(null);
              setSession(info);
              setLive({ captureId });
            }}
            onCaptureEnded={() => setLive(null)}
          />
        </div>
      )}
      {sheet === 'help' && <HelpOverlay onClose={() => setSheet(null)} />}
      {sheet === 'diff' && (
        <DiffDialog
          api={api}
          onClose={() => setSheet(null)}
          onOpen={(info, d) => {
            setSheet(null);
            setDiff(d);
            host.setView({ diff: true });
            setTarget(null);
            setSession(info);
          }}
        />
      )}
      <div className="toasts" aria-live="polite" data-testid="toasts">
        {notices.map((n) => (
          <div key={n.id} className={`toast ${n.level}`} role={n.level === 'error' ? 'alert' : 'status'}>
            <span>{n.message}</span>
            <button
              type="button"
              onClick={() => setNotices((l) => l.filter((x) => x.id !== n.id))}
              aria-label="Dismiss"
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}

function FocusBanner({ host }: { host: GraphHost }) {
  useHost(host);
  if (!host.view.focus && !host.view.path) return null;
  return (
    <div className="overlay banner" data-testid="focus-banner">
      {host.view.path ? `Path: ${host.view.path.nodes.size} nodes` : `Focused on ${host.view.focus!.size} nodes`}
      <button type="button" onClick={() => host.clearFocus()}>
        Show all <kbd>Esc</kbd>
      </button>
    </div>
  );
}

function FiltersButton({ host, open, onClick }: { host: GraphHost; open: boolean; onClick(): void }) {
  useHost(host);
  return (
    <button
      type="button"
      className={open || hasFilters(host) ? 'on' : ''}
      onClick={onClick}
      data-testid="filters-button"
    >
      Filters
    </button>
  );
}

function hasFilters(host: GraphHost): boolean {
  const f = host.filters;
  return f.namespaces.size > 0 || f.workloads.size > 0 || f.minSeverity !== null || f.hiddenKinds.size > 0;
}

/** A file name from a capture name (attacker-controlled): keep it short and boring. */
export function fileStem(name: string): string {
  const s = name
    .replace(/\.lantern(\.gz)?$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+/, '')
    .slice(0, 80);
  return `lantern-${s || 'graph'}`;
}
