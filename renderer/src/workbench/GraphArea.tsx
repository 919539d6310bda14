/**
 * The centre of the workbench: the sigma canvas plus its overlays (stats, legend, tools,
 * layout/label settings, hover tooltip, empty/loading/error states). All text from the
 * capture is rendered as React text nodes or drawn on the canvas by sigma — never as HTML.
 */
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { NODE_KINDS, type NodeKind } from '../../../main/common/graph';
import { EDGE_LEGEND, NODE_COLORS, NODE_KIND_LABELS, NODE_SHAPES, EDGE_COLORS } from '../graph/style';
import { clearedFilters, kindCounts } from '../graph/view';
import type { GraphHost, LabelDensity } from './graphHost';
import { fmtCount, fmtTime, useHost } from './util';
import { Icon } from './icons';

export interface GraphAreaProps {
  host: GraphHost;
  state: { status: 'idle' | 'loading' | 'ready' | 'error'; message?: string };
  onNodeClick(key: string, additive: boolean): void;
  onEdgeClick(key: string): void;
  onStageClick(): void;
  onRetry(): void;
  banner?: ReactNode;
  layoutOpen: boolean;
  setLayoutOpen(v: boolean): void;
}

export function GraphArea(props: GraphAreaProps) {
  const { host } = props;
  const box = useRef<HTMLDivElement>(null);
  const [tip, setTip] = useState<{ key: string; x: number; y: number; edge?: boolean } | null>(null);
  const handlers = useRef(props);
  handlers.current = props;
  useHost(host);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    host.mount(el);
    const s = host.sigma!;
    s.setSetting('enableEdgeEvents', true);
    s.on('clickNode', ({ node, event }) => {
      const orig = event.original as MouseEvent;
      handlers.current.onNodeClick(node, orig.shiftKey || orig.metaKey || orig.ctrlKey);
    });
    s.on('doubleClickNode', ({ node, preventSigmaDefault }) => {
      preventSigmaDefault();
      host.focusNeighbourhood(node, 1);
    });
    s.on('clickEdge', ({ edge }) => handlers.current.onEdgeClick(edge));
    s.on('clickStage', () => handlers.current.onStageClick());
    s.on('enterNode', ({ node, event }) => {
      host.hover(node);
      setTip({ key: node, x: event.x, y: event.y });
      el.style.cursor = 'pointer';
    });
    s.on('leaveNode', () => {
      host.hover(null);
      setTip(null);
      el.style.cursor = '';
    });
    s.on('enterEdge', ({ edge, event }) => {
      setTip({ key: edge, x: event.x, y: event.y, edge: true });
      el.style.cursor = 'pointer';
    });
    s.on('leaveEdge', () => {
      setTip(null);
      el.style.cursor = '';
    });
    return () => host.unmount();
  }, [host]);

  const empty = props.state.status === 'ready' && host.graph.order === 0;
  // Everything there is hidden: by the replay cursor (nothing had happened yet) or by filters.
  const allHidden = props.state.status === 'ready' && host.graph.order > 0 && host.view.hidden.size >= host.graph.order;
  return (
    <section className="centre" aria-label="Behaviour graph" data-testid="graph">
      <div className="sigma-box" ref={box} data-testid="sigma" />
      <Stats host={host} />
      <Legend host={host} />
      <Tools host={host} layoutOpen={props.layoutOpen} setLayoutOpen={props.setLayoutOpen} />
      {props.layoutOpen && <LayoutSettings host={host} />}
      {props.banner}
      {tip && <Tooltip host={host} tip={tip} />}
      {props.state.status === 'loading' && (
        <div className="centre-state" data-testid="graph-loading">
          <div className="overlay">
            <div className="spinner" />
            <b>{props.state.message ?? 'Loading the graph…'}</b>
          </div>
        </div>
      )}
      {props.state.status === 'error' && (
        <div className="centre-state">
          <div className="overlay" role="alert">
            <b>The graph could not be loaded.</b>
            <p className="wrap">{props.state.message}</p>
            <button type="button" onClick={props.onRetry}>
              Try again
            </button>
          </div>
        </div>
      )}
      {allHidden && (
        <div className="centre-state" data-testid="graph-all-hidden">
          <div className="overlay">
            {host.filters.cursor !== null ? (
              <>
                <b>Nothing had happened yet at {fmtTime(host.filters.cursor)}.</b>
                <p className="muted">Move the timeline cursor to the right, or press play.</p>
              </>
            ) : (
              <>
                <b>The filters hide every node.</b>
                <p className="muted">{fmtCount(host.graph.order)} nodes are in the graph.</p>
                <button type="button" onClick={() => host.setFilters(clearedFilters())}>
                  Clear the filters
                </button>
              </>
            )}
          </div>
        </div>
      )}
      {empty && (
        <div className="centre-state" data-testid="graph-empty">
          <div className="overlay">
            <b>Nothing to show yet.</b>
            <p className="muted">
              The capture has no behaviour at this point. Move the timeline cursor, or wait for events from a live
              capture.
            </p>
          </div>
        </div>
      )}
    </section>
  );
}

function Stats({ host }: { host: GraphHost }) {
  const hidden = host.view.hidden.size;
  // Edges between visible nodes (what is on screen), recounted when the structure or filters change.
  const edges = useMemo(() => {
    const h = host.view.hidden;
    if (!h.size) return host.graph.size;
    let n = 0;
    host.graph.forEachEdge((_e, _a, s, t) => {
      if (!h.has(s) && !h.has(t)) n++;
    });
    return n;
  }, [host, host.structureVersion, host.view.hidden]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div className="overlay stats" data-testid="graph-stats">
      <span>
        <b data-testid="node-count">{fmtCount(host.graph.order - hidden)}</b> <span className="muted">nodes</span>
      </span>
      <span>
        <b data-testid="edge-count">{fmtCount(edges)}</b> <span className="muted">edges</span>
      </span>
      {hidden > 0 && <span className="muted">{fmtCount(hidden)} hidden by filters</span>}
      {host.isLayoutRunning() && (
        <span className="muted" data-testid="layout-running">
          ● laying out{host.view.edgesHiddenForLayout ? ' (edges shown when it stops)' : ''}
        </span>
      )}
      {!host.isLayoutRunning() && host.isAttachingEdges() && (
        <span className="muted" data-testid="edges-coming">
          ● drawing edges…
        </span>
      )}
    </div>
  );
}

function Legend({ host }: { host: GraphHost }) {
  const [open, setOpen] = useState(true);
  const [edges, setEdges] = useState(false);
  const counts = useMemo(() => kindCounts(host.graph, host.view.hidden), [host, host.structureVersion]); // eslint-disable-line react-hooks/exhaustive-deps
  const all = useMemo(() => kindCounts(host.graph, new Set()), [host, host.structureVersion]); // eslint-disable-line react-hooks/exhaustive-deps
  const toggle = (k: NodeKind) => {
    const next = new Set(host.filters.hiddenKinds);
    if (next.has(k)) next.delete(k);
    else next.add(k);
    host.setFilters({ hiddenKinds: next });
  };
  return (
    <div className="overlay legend" data-testid="legend">
      <h3 style={{ display: 'flex', cursor: 'pointer' }} onClick={() => setOpen(!open)}>
        Legend <span style={{ marginLeft: 'auto' }}>{open ? '▾' : '▸'}</span>
      </h3>
      {open && (
        <>
          {NODE_KINDS.filter((k) => all.has(k)).map((k) => (
            <div
              key={k}
              className={`row${host.filters.hiddenKinds.has(k) ? ' off' : ''}`}
              onClick={() => toggle(k)}
              title="Click to hide or show this kind"
              data-testid={`legend-${k}`}
            >
              <span
                className={`dot${NODE_SHAPES[k] === 'square' ? ' sq' : ''}`}
                style={{ background: NODE_COLORS[k] }}
              />
              {NODE_KIND_LABELS[k]}
              <span className="n">{fmtCount(counts.get(k) ?? 0)}</span>
            </div>
          ))}
          <div
            className="row"
            style={{ cursor: 'default' }}
            title="A ring means the node has a finding; its colour is the severity"
          >
            <span className="dot" style={{ boxShadow: '0 0 0 2px var(--sev-high)', background: 'transparent' }} />
            ring = has a finding
          </div>
          <h3
            style={{ display: 'flex', cursor: 'pointer' }}
            onClick={() => setEdges(!edges)}
            data-testid="legend-edges-toggle"
          >
            Edges <span style={{ marginLeft: 'auto' }}>{edges ? '▾' : '▸'}</span>
          </h3>
          {edges &&
            EDGE_LEGEND.map((g) => (
              <div key={g.label} className="row" style={{ cursor: 'default' }}>
                <span className="line" style={{ background: EDGE_COLORS[g.kinds[0]!] }} />
                {g.label}
              </div>
            ))}
        </>
      )}
    </div>
  );
}

function Tools({
  host,
  layoutOpen,
  setLayoutOpen,
}: {
  host: GraphHost;
  layoutOpen: boolean;
  setLayoutOpen(v: boolean): void;
}) {
  const running = host.isLayoutRunning();
  return (
    <div className="overlay tools" role="toolbar" aria-label="Graph tools">
      <button type="button" title="Zoom in (+)" aria-label="Zoom in" onClick={() => host.zoom(1.5)}>
        <Icon name="plus" />
      </button>
      <button type="button" title="Zoom out (-)" aria-label="Zoom out" onClick={() => host.zoom(1 / 1.5)}>
        <Icon name="minus" />
      </button>
      <button
        type="button"
        title="Zoom to fit (F)"
        aria-label="Zoom to fit"
        data-testid="zoom-fit"
        onClick={() => host.zoomToFit()}
      >
        <Icon name="fit" />
      </button>
      <hr />
      <button
        type="button"
        className={running ? 'on' : ''}
        title={running ? 'Stop the layout (L)' : 'Run the layout (L)'}
        aria-label={running ? 'Stop layout' : 'Run layout'}
        data-testid="layout-toggle"
        onClick={() => (running ? host.stopLayout() : host.startLayout())}
      >
        <Icon name={running ? 'pause' : 'play'} />
      </button>
      <button
        type="button"
        className={layoutOpen ? 'on' : ''}
        title="Layout and label settings"
        aria-label="Layout and label settings"
        onClick={() => setLayoutOpen(!layoutOpen)}
      >
        <Icon name="sliders" />
      </button>
      <hr />
      <button
        type="button"
        className={host.filters.hideHubs ? 'on' : ''}
        title="Hide high-degree hubs (H)"
        aria-label="Hide hubs"
        data-testid="toggle-hubs"
        onClick={() => host.setFilters({ hideHubs: !host.filters.hideHubs })}
      >
        <Icon name="hub" />
      </button>
      <button
        type="button"
        className={host.filters.hideInternet ? 'on' : ''}
        title="Hide the internet: external endpoints and domains (I)"
        aria-label="Hide the internet"
        data-testid="toggle-internet"
        onClick={() => host.setFilters({ hideInternet: !host.filters.hideInternet })}
      >
        <Icon name="globe" />
      </button>
    </div>
  );
}

function LayoutSettings({ host }: { host: GraphHost }) {
  const s = host.layoutSettings;
  return (
    <div className="overlay settings" data-testid="layout-settings">
      <h3>Labels</h3>
      <label>
        Density
        <span className="seg">
          {(['sparse', 'normal', 'dense'] as LabelDensity[]).map((d) => (
            <button
              key={d}
              type="button"
              className={host.labelDensity === d ? 'on' : ''}
              onClick={() => host.setLabelDensity(d)}
            >
              {d}
            </button>
          ))}
        </span>
      </label>
      <h3>ForceAtlas2</h3>
      <label>
        Gravity{' '}
        <input
          type="range"
          min={0.05}
          max={10}
          step={0.05}
          value={s.gravity ?? 1}
          onChange={(e) => host.setLayoutSettings({ gravity: +e.target.value })}
        />
      </label>
      <label>
        Scaling{' '}
        <input
          type="range"
          min={0.5}
          max={50}
          step={0.5}
          value={s.scalingRatio ?? 2}
          onChange={(e) => host.setLayoutSettings({ scalingRatio: +e.target.value })}
        />
      </label>
      <label>
        Slow down{' '}
        <input
          type="range"
          min={1}
          max={20}
          step={1}
          value={s.slowDown ?? 1}
          onChange={(e) => host.setLayoutSettings({ slowDown: +e.target.value })}
        />
      </label>
      <label>
        LinLog mode{' '}
        <input
          type="checkbox"
          checked={!!s.linLogMode}
          onChange={(e) => host.setLayoutSettings({ linLogMode: e.target.checked })}
        />
      </label>
      <label>
        Strong gravity{' '}
        <input
          type="checkbox"
          checked={!!s.strongGravityMode}
          onChange={(e) => host.setLayoutSettings({ strongGravityMode: e.target.checked })}
        />
      </label>
      <label>
        Dissuade hubs{' '}
        <input
          type="checkbox"
          checked={!!s.outboundAttractionDistribution}
          onChange={(e) => host.setLayoutSettings({ outboundAttractionDistribution: e.target.checked })}
        />
      </label>
      <label>
        Stop after (s)
        <input
          type="number"
          min={0}
          max={600}
          value={s.autoStopSec}
          style={{ width: 64 }}
          onChange={(e) => host.setLayoutSettings({ autoStopSec: Math.max(0, +e.target.value || 0) })}
        />
      </label>
      <label>
        Hide edges while laying out above
        <input
          type="number"
          min={0}
          max={10000000}
          value={s.hideEdgesAbove}
          style={{ width: 80 }}
          onChange={(e) => host.setLayoutSettings({ hideEdgesAbove: Math.max(0, +e.target.value || 0) })}
        />
      </label>
      <h3>Hubs</h3>
      <label>
        Hub = more than
        <input
          type="number"
          min={2}
          max={100000}
          value={host.filters.hubDegree}
          style={{ width: 72 }}
          onChange={(e) => host.setFilters({ hubDegree: Math.max(2, +e.target.value || 2) })}
        />
      </label>
    </div>
  );
}

function Tooltip({ host, tip }: { host: GraphHost; tip: { key: string; x: number; y: number; edge?: boolean } }) {
  if (tip.edge) {
    if (!host.graph.hasEdge(tip.key)) return null;
    const a = host.graph.getEdgeAttributes(tip.key);
    const src = host.graph.getNodeAttribute(host.graph.source(tip.key), 'label');
    const dst = host.graph.getNodeAttribute(host.graph.target(tip.key), 'label');
    return (
      <div className="overlay tooltip" style={{ left: tip.x, top: tip.y }} data-testid="tooltip">
        <div className="k">{a.kind}</div>
        <div className="wrap">
          {String(src)} → {String(dst)}
        </div>
        <div className="k">
          {fmtCount(a.count)} events · {fmtTime(a.firstSeen)} – {fmtTime(a.lastSeen)}
        </div>
      </div>
    );
  }
  if (!host.graph.hasNode(tip.key)) return null;
  const a = host.graph.getNodeAttributes(tip.key);
  return (
    <div className="overlay tooltip" style={{ left: tip.x, top: tip.y }} data-testid="tooltip">
      <div className="k">{NODE_KIND_LABELS[a.kind] ?? a.kind}</div>
      <div className="wrap" style={{ fontWeight: 600 }}>
        {String(a.label)}
      </div>
      {typeof a.detail === 'string' && a.detail !== a.label && <div className="wrap mono">{a.detail}</div>}
      <div className="k">
        {fmtCount(a.count)} events · {host.graph.degree(tip.key)} links
        {a.namespace ? ` · ns ${a.namespace}` : ''}
      </div>
    </div>
  );
}
