/**
 * Connect → preflight → capture → ledger, in one sheet. Contexts with their servers, connection
 * errors in words, the preflight table with the YAML that would grant what is missing (copyable),
 * targets/duration/probes, per-node live state and counters, stop, the cleanup ledger, and
 * leftovers from earlier sessions with a remove button.
 */
import { useEffect, useRef, useState } from 'react';
import type { LanternApi } from '../api';
import { errorMessage } from '../api';
import type {
  CaptureProgress,
  ClusterSummary,
  ContextInfo,
  Ledger,
  Leftover,
  PreflightResult,
  SessionInfo,
} from '../../../main/common/contract';
import { copyText, fmtCount } from './util';
import { captureClock } from '../../../main/common/capture';
import { Icon } from './icons';
import { CaptureBaselineFields, type CaptureBaselineOptions } from './BaselineMenu';

/** The agent's probe groups (native/agent/probes: exec, net, file, priv). */
export const PROBES: { id: string; label: string }[] = [
  { id: 'exec', label: 'Processes (exec, exit)' },
  { id: 'net', label: 'Network (connect, accept, listen, DNS)' },
  { id: 'file', label: 'Files (sensitive opens, writes)' },
  { id: 'priv', label: 'Privilege (setuid, capset, ptrace, mounts, namespaces, modules, bpf)' },
];

type Step = 'connect' | 'targets' | 'capture' | 'done';

export function ClusterSheet(props: {
  api: LanternApi;
  initial?: ClusterSummary | null;
  onClose(): void;
  /** A capture started: the workbench should open its live session. */
  onLiveSession(session: SessionInfo, captureId: string): void;
  /** The capture that is running now, if any (the sheet can be reopened while it runs). */
  running: { captureId: string } | null;
  onCaptureEnded(): void;
}) {
  const { api } = props;
  const [step, setStep] = useState<Step>(props.running ? 'capture' : props.initial ? 'targets' : 'connect');
  const [contexts, setContexts] = useState<ContextInfo[] | null>(null);
  const [current, setCurrent] = useState<string | null>(null);
  const [ctxErr, setCtxErr] = useState<string | null>(null);
  const [summary, setSummary] = useState<ClusterSummary | null>(props.initial ?? null);
  const [busy, setBusy] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [nodes, setNodes] = useState<Set<string>>(new Set());
  const [namespaces, setNamespaces] = useState<Set<string>>(new Set());
  const [selector, setSelector] = useState('');
  const [duration, setDuration] = useState(30);
  const [baselineOpts, setBaselineOpts] = useState<CaptureBaselineOptions>({});
  const [probes, setProbes] = useState<Set<string>>(new Set(PROBES.map((p) => p.id)));
  const [moduleAttempts, setModuleAttempts] = useState(false);
  const [preflight, setPreflight] = useState<PreflightResult | null>(null);
  const [progress, setProgress] = useState<CaptureProgress | null>(null);
  const [ledger, setLedger] = useState<Ledger | null>(null);
  const [leftovers, setLeftovers] = useState<Leftover[] | null>(null);
  const [captureId, setCaptureId] = useState<string | null>(props.running?.captureId ?? null);
  const captureRef = useRef(captureId);
  captureRef.current = captureId;

  useEffect(() => {
    let live = true;
    api.call('cluster.contexts', {}).then(
      (c) => {
        if (!live) return;
        setContexts(c.contexts);
        setCurrent(c.current);
      },
      (e: unknown) => live && setCtxErr(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [api]);

  useEffect(
    () =>
      api.on('capture.progress', (p) => {
        if (p.captureId !== captureRef.current) return;
        setProgress(p);
        if (p.done) props.onCaptureEnded();
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api],
  );

  const context = summary?.context ?? null;
  useEffect(() => {
    if (!context) return;
    let live = true;
    api.call('capture.leftovers', { context }).then(
      (l) => live && setLeftovers(l),
      () => live && setLeftovers(null),
    );
    return () => {
      live = false;
    };
  }, [api, context]);

  const run = async (label: string, fn: () => Promise<void>) => {
    setBusy(label);
    setErr(null);
    try {
      await fn();
    } catch (e) {
      setErr(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  const targets = () => ({
    ...(nodes.size ? { nodes: [...nodes] } : {}),
    ...(namespaces.size ? { namespaces: [...namespaces] } : {}),
    ...(selector.trim() ? { selector: selector.trim() } : {}),
  });

  const connect = (name: string) =>
    run(`Connecting to ${name}…`, async () => {
      const s = await api.call('cluster.connect', { context: name });
      setSummary(s);
      setPreflight(null);
      setStep('targets');
    });

  const runPreflight = () =>
    run('Checking what this account may do…', async () => {
      setPreflight(await api.call('cluster.preflight', { context: context!, targets: targets() }));
    });

  const start = () =>
    run('Starting the capture pods…', async () => {
      const r = await api.call('capture.start', {
        context: context!,
        targets: targets(),
        durationSec: duration,
        probes: [...probes],
        ...(moduleAttempts && probes.has('priv') ? { moduleAttempts: true } : {}),
        ...baselineOpts,
      });
      setCaptureId(r.captureId);
      captureRef.current = r.captureId;
      setLedger(null);
      setProgress(null);
      setStep('capture');
      const info = await api.call('session.info', { sessionId: r.sessionId });
      props.onLiveSession(info, r.captureId);
    });

  const stop = () =>
    run('Stopping and removing the capture pods…', async () => {
      const l = await api.call('capture.stop', { captureId: captureId! });
      setLedger(l);
      setStep('done');
      props.onCaptureEnded();
      if (context) setLeftovers(await api.call('capture.leftovers', { context }).catch(() => null));
    });

  const clean = () =>
    run('Removing leftovers…', async () => {
      const l = await api.call('capture.cleanLeftovers', { context: context! });
      setLedger(l);
      setLeftovers(await api.call('capture.leftovers', { context: context! }).catch(() => []));
    });

  const toggle = (set: Set<string>, v: string, upd: (s: Set<string>) => void) => {
    const n = new Set(set);
    if (n.has(v)) n.delete(v);
    else n.add(v);
    upd(n);
  };

  return (
    <div className="scrim" role="dialog" aria-modal="true" aria-label="Cluster capture" data-testid="cluster-sheet">
      <div className="sheet">
        <div className="sheet-head">
          <Icon name="cluster" />
          <h2>{summary ? summary.context : 'Connect to a cluster'}</h2>
          <div className="steps">
            {(['connect', 'targets', 'capture', 'done'] as Step[]).map((s, i) => (
              <span key={s} className={step === s ? 'on' : ''}>
                {i + 1}. {s === 'done' ? 'ledger' : s === 'targets' ? 'targets & preflight' : s}
              </span>
            ))}
          </div>
          <button type="button" onClick={props.onClose} aria-label="Close">
            <Icon name="close" />
          </button>
        </div>
        <div className="sheet-body">
          {busy && (
            <div className="muted" data-testid="busy">
              <span
                className="spinner"
                style={{ display: 'inline-block', width: 12, height: 12, margin: '0 8px -2px 0', borderWidth: 2 }}
              />
              {busy}
            </div>
          )}
          {err && (
            <div className="error-box wrap" role="alert" data-testid="cluster-error">
              {err}
            </div>
          )}

          {step === 'connect' && (
            <section>
              <h3>Kube contexts</h3>
              {ctxErr && <div className="error-box wrap">{ctxErr}</div>}
              {!contexts && !ctxErr && <div className="muted">Reading your kubeconfig…</div>}
              {contexts && contexts.length === 0 && (
                <div className="empty">
                  <b>No contexts in your kubeconfig.</b>Set KUBECONFIG or choose a kubeconfig file in the settings.
                </div>
              )}
              {contexts && contexts.length > 0 && (
                <table className="table" data-testid="contexts">
                  <thead>
                    <tr>
                      <th>Context</th>
                      <th>Server</th>
                      <th>User</th>
                      <th>Namespace</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {contexts.map((c) => (
                      <tr key={c.name} className="pick" onClick={() => void connect(c.name)}>
                        <td>
                          <b>{c.name}</b> {c.name === current && <span className="status">current</span>}
                        </td>
                        <td className="mono">{c.server}</td>
                        <td>{c.user}</td>
                        <td>{c.namespace ?? 'default'}</td>
                        <td>
                          <button type="button" disabled={!!busy}>
                            Connect
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          )}

          {step === 'targets' && summary && (
            <>
              <div className="muted">
                <span className="mono">{summary.server}</span> · Kubernetes {summary.version} · {summary.nodes.length}{' '}
                nodes · {summary.namespaces.length} namespaces{' '}
                <button type="button" onClick={() => setStep('connect')} style={{ marginLeft: 8 }}>
                  Other context
                </button>
              </div>
              <div className="form-grid">
                <label>Nodes</label>
                <div>
                  <div className="checks" data-testid="node-checks">
                    {summary.nodes.map((n) => (
                      <label key={n.name}>
                        <input
                          type="checkbox"
                          checked={nodes.has(n.name)}
                          onChange={() => toggle(nodes, n.name, setNodes)}
                        />
                        {n.name}
                        <span className="muted">
                          {n.ready === false ? ' (not ready)' : ''} {n.pods} pods{n.kernel ? ` · ${n.kernel}` : ''}
                        </span>
                      </label>
                    ))}
                  </div>
                  <div className="muted" style={{ fontSize: 11.5 }}>
                    None ticked: all nodes (or the nodes running the namespaces/selector below).
                  </div>
                </div>
                <label>Namespaces</label>
                <div className="checks">
                  {summary.namespaces.map((n) => (
                    <label key={n}>
                      <input
                        type="checkbox"
                        checked={namespaces.has(n)}
                        onChange={() => toggle(namespaces, n, setNamespaces)}
                      />
                      {n}
                    </label>
                  ))}
                </div>
                <label htmlFor="sel">Label selector</label>
                <input
                  id="sel"
                  type="text"
                  placeholder="app=web,tier!=cache"
                  value={selector}
                  onChange={(e) => setSelector(e.target.value)}
                />
                <label htmlFor="dur">Duration</label>
                <div>
                  <input
                    id="dur"
                    type="number"
                    min={5}
                    max={86400}
                    value={duration}
                    onChange={(e) => setDuration(Math.max(5, Math.min(86400, +e.target.value || 5)))}
                    style={{ width: 90 }}
                    data-testid="duration"
                  />{' '}
                  seconds{' '}
                  <span className="muted">
                    (the pods also stop on their own after this, even if this laptop goes away)
                  </span>
                </div>
                <CaptureBaselineFields
                  api={api}
                  durationSec={duration}
                  value={baselineOpts}
                  onChange={setBaselineOpts}
                />
                <label>Probes</label>
                <div className="checks">
                  {PROBES.map((p) => (
                    <label key={p.id}>
                      <input
                        type="checkbox"
                        checked={probes.has(p.id)}
                        onChange={() => toggle(probes, p.id, setProbes)}
                      />
                      {p.label}
                    </label>
                  ))}
                  <label title="Kernels built without module support cannot load a module, so by default their (failing) attempts are not watched: watching them filters every syscall of the node.">
                    <input
                      type="checkbox"
                      checked={moduleAttempts && probes.has('priv')}
                      disabled={!probes.has('priv')}
                      onChange={() => setModuleAttempts((v) => !v)}
                      data-testid="module-attempts"
                    />
                    Also module-load attempts on kernels without module support (costs a little on every syscall)
                  </label>
                </div>
              </div>
              <div className="btn-row" style={{ padding: 0 }}>
                <button type="button" onClick={() => void runPreflight()} disabled={!!busy} data-testid="run-preflight">
                  Run preflight
                </button>
                <button
                  type="button"
                  className="primary"
                  onClick={() => void start()}
                  disabled={!!busy || !preflight?.ok || probes.size === 0}
                  data-testid="start-capture"
                  title={preflight?.ok ? '' : 'Run the preflight first'}
                >
                  Start capture ({duration} s)
                </button>
              </div>
              {preflight && <PreflightView p={preflight} />}
            </>
          )}

          {(step === 'capture' || step === 'done') && (
            <CaptureView
              progress={progress}
              ledger={ledger}
              onStop={() => void stop()}
              busy={!!busy}
              onNew={() => setStep('targets')}
            />
          )}

          {leftovers && leftovers.length > 0 && (
            <section data-testid="leftovers">
              <h3 className="bad">Leftovers from earlier sessions</h3>
              <table className="table">
                <thead>
                  <tr>
                    <th>Kind</th>
                    <th>Namespace</th>
                    <th>Name</th>
                    <th>Session</th>
                    <th>Created</th>
                    <th>Expires</th>
                  </tr>
                </thead>
                <tbody>
                  {leftovers.map((l) => (
                    <tr key={`${l.kind}/${l.namespace}/${l.name}`}>
                      <td>{l.kind}</td>
                      <td>{l.namespace}</td>
                      <td className="mono">{l.name}</td>
                      <td className="mono">{l.session ?? '—'}</td>
                      <td>{l.createdAt ?? '—'}</td>
                      <td>{l.expires ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="btn-row" style={{ padding: '8px 0' }}>
                <button
                  type="button"
                  className="danger"
                  onClick={() => void clean()}
                  disabled={!!busy}
                  data-testid="clean-leftovers"
                >
                  Remove {leftovers.length} leftover{leftovers.length > 1 ? 's' : ''}
                </button>
              </div>
            </section>
          )}
          {leftovers && leftovers.length === 0 && summary && (
            <div className="muted" data-testid="no-leftovers">
              No Lantern pods left in this cluster from earlier sessions.
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

function PreflightView({ p }: { p: PreflightResult }) {
  const [copied, setCopied] = useState(false);
  return (
    <section data-testid="preflight">
      <h3>
        Preflight:{' '}
        {p.ok ? (
          <span className="ok">everything needed is allowed</span>
        ) : (
          <span className="bad">{p.missing.filter((m) => !m.optional).length} permission(s) missing</span>
        )}
        <span className="muted" style={{ fontWeight: 400 }}>
          {' '}
          · target nodes: {p.targetNodes.join(', ') || 'none'}
        </span>
      </h3>
      {p.podSecurity && (
        <div className={p.podSecurity.ok ? 'muted' : 'warn-box'}>
          Pod security in {p.podSecurity.namespace}: {p.podSecurity.level}. {p.podSecurity.message}
        </div>
      )}
      <table className="table" data-testid="preflight-table">
        <thead>
          <tr>
            <th>Allowed</th>
            <th>Verb</th>
            <th>Resource</th>
            <th>Namespace</th>
            <th>Why it matters</th>
          </tr>
        </thead>
        <tbody>
          {p.checks.map((c, i) => (
            <tr key={i}>
              <td className={c.allowed ? 'ok' : c.optional ? 'muted' : 'bad'}>
                {c.allowed ? '✓ yes' : c.optional ? '– optional' : '✗ no'}
              </td>
              <td className="mono">{c.verb}</td>
              <td className="mono">
                {c.group ? `${c.group}/` : ''}
                {c.resource}
                {c.subresource ? `/${c.subresource}` : ''}
              </td>
              <td>{c.namespace ?? 'all'}</td>
              <td className="muted">{c.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.grantYaml && (
        <>
          <h3 style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
            YAML that would grant what is missing
            <button
              type="button"
              onClick={async () => {
                setCopied(await copyText(p.grantYaml!));
              }}
              data-testid="copy-yaml"
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
          </h3>
          <pre className="yaml" data-testid="grant-yaml">
            {p.grantYaml}
          </pre>
        </>
      )}
    </section>
  );
}

function CaptureView({
  progress,
  ledger,
  onStop,
  busy,
  onNew,
}: {
  progress: CaptureProgress | null;
  ledger: Ledger | null;
  onStop(): void;
  busy: boolean;
  onNew(): void;
}) {
  // A capture stopped early is finished all the same: its bar is full.
  const pct = !progress
    ? 0
    : progress.done
      ? 100
      : Math.min(100, (progress.elapsedSec / Math.max(1, progress.durationSec)) * 100);
  return (
    <section data-testid="capture-view">
      {progress && (
        <>
          <div style={{ display: 'flex', gap: 12, alignItems: 'center', marginBottom: 6 }}>
            <b>{progress.done ? 'Capture finished' : 'Capturing'}</b>
            <span className="muted">
              {captureClock(progress)} · {progress.done ? 'written to' : 'writing'}{' '}
              <span className="mono">{progress.out}</span>
            </span>
          </div>
          <div className="progress">
            <div style={{ width: `${pct}%` }} />
          </div>
          <table className="table" style={{ marginTop: 10 }} data-testid="node-progress">
            <thead>
              <tr>
                <th>Node</th>
                <th>Pod</th>
                <th>State</th>
                <th>Watching</th>
                <th>Events</th>
                <th>Events/s</th>
                <th>Lost</th>
                <th>Reconnects</th>
              </tr>
            </thead>
            <tbody>
              {progress.nodes.map((n) => (
                <tr key={n.node}>
                  <td>{n.node}</td>
                  <td className="mono">{n.pod ?? '—'}</td>
                  <td>
                    <span className={`state-pill state-${n.state}`}>{n.state}</span>{' '}
                    {n.reason && <span className="muted">{n.reason}</span>}
                  </td>
                  <td data-testid="node-probes">
                    {n.probesAttached ? n.probesAttached.join(', ') || 'nothing' : <span className="muted">—</span>}
                    {n.probesFailed?.map((f) => (
                      <div key={f.probe} className="bad" title={f.reason}>
                        not watched: {f.probe} ({f.reason})
                      </div>
                    ))}
                  </td>
                  <td>{fmtCount(n.events)}</td>
                  <td>{n.eventsPerSec.toFixed(0)}</td>
                  <td className={n.lost ? 'bad' : ''}>{fmtCount(n.lost)}</td>
                  <td>{n.reconnects}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {!progress && !ledger && <div className="muted">Waiting for the first report from the capture pods…</div>}
      {!ledger && (
        <div className="btn-row" style={{ padding: '10px 0 0' }}>
          <button type="button" className="danger" onClick={onStop} disabled={busy} data-testid="stop-capture">
            Stop and clean up
          </button>
        </div>
      )}
      {ledger && (
        <>
          <div className={`ledger${ledger.clean ? '' : ' dirty'}`} data-testid="ledger">
            {ledger.clean ? '✓ ' : '⚠ '}
            {ledger.summary}
          </div>
          <table className="table" style={{ marginTop: 10 }} data-testid="ledger-table">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Namespace</th>
                <th>Name</th>
                <th>Created</th>
                <th>Deleted</th>
                <th>Note</th>
              </tr>
            </thead>
            <tbody>
              {ledger.entries.map((e, i) => (
                <tr key={i}>
                  <td>{e.kind}</td>
                  <td>{e.namespace ?? '—'}</td>
                  <td className="mono">{e.name}</td>
                  <td>{e.created ? 'yes' : 'no'}</td>
                  <td className={e.deleted || !e.created ? 'ok' : 'bad'}>{e.deleted ? 'yes' : 'no'}</td>
                  <td className="muted">{e.note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="btn-row" style={{ padding: '10px 0 0' }}>
            <button type="button" onClick={onNew}>
              New capture
            </button>
          </div>
        </>
      )}
    </section>
  );
}
