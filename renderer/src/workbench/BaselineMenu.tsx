/**
 * Baselines in the workbench (issue 7 without the CLI): in the findings panel, the baseline this
 * session is hunted against (choosing one re-runs detection: behaviour outside it becomes "never
 * seen in baseline X"), learning a baseline from this capture, importing a portable file, and
 * exporting or deleting catalog entries; in the capture sheet, learning mode ("learn the first N
 * minutes, then hunt") and a baseline to hunt a live capture against. Names, sources and workload
 * keys come from files and clusters: shown as text only.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { LanternApi } from '../api';
import { errorMessage } from '../api';
import type { BaselineFile, BaselineInfo, SessionInfo } from '../../../main/common/contract';
import { downloadBlob, fmtTime } from './util';
import './BaselineMenu.css';

/** The largest baseline file the import reads (the API refuses more anyway). */
const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

function fmtDate(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : iso;
}

/** A default name for a baseline learned from a session: its capture's name and today's date. */
export function defaultBaselineName(sessionName: string, now = new Date()): string {
  const stem = sessionName
    .replace(/\.lantern(\.gz)?$/i, '')
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, 80);
  return `${stem || 'baseline'} ${now.toISOString().slice(0, 10)}`;
}

/** Hand a baseline file to the analyst: the main side saved it (Electron) or sent it to download. */
function deliver(file: BaselineFile | undefined): string | null {
  if (file?.download) {
    downloadBlob(new Blob([file.download.data], { type: file.download.mime }), file.download.fileName);
    return `downloaded as ${file.download.fileName}`;
  }
  if (file?.savedTo) return `saved to ${file.savedTo}`;
  return null;
}

type Panel = null | 'menu' | 'learn';

export function BaselineControl(props: {
  api: LanternApi;
  session: SessionInfo;
  /** How many of the findings shown come from the baseline (new behaviours). */
  baselineFindings: number;
  notify(message: string, level?: 'info' | 'warning' | 'error'): void;
  onActiveChange?(name: string | null): void;
}) {
  const { api, session, notify, onActiveChange } = props;
  const [list, setList] = useState<BaselineInfo[] | null>(null);
  const [listErr, setListErr] = useState<string | null>(null);
  const [active, setActive] = useState<string | null>(session.baseline ?? null);
  const [busy, setBusy] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [name, setName] = useState(() => defaultBaselineName(session.name));
  const [exportFile, setExportFile] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const sid = session.sessionId;

  const refresh = useCallback(async () => {
    try {
      setList(await api.call('baseline.list', {}));
      setListErr(null);
    } catch (e) {
      setListErr(errorMessage(e));
    }
  }, [api]);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  // A new session (or a live session's refreshed info) says what it is hunted against.
  useEffect(() => {
    setActive(session.baseline ?? null);
    setErr(null);
    setName(defaultBaselineName(session.name));
  }, [sid, session.baseline, session.name]);

  useEffect(() => onActiveChange?.(active), [active, onActiveChange]);

  const run = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    setErr(null);
    try {
      await fn();
    } catch (e) {
      setErr(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  const choose = (next: string | null) =>
    run(
      next ? `Hunting against baseline "${next}": detection re-runs…` : 'Re-running detection without a baseline…',
      async () => {
        const r = await api.call('session.setBaseline', { sessionId: sid, name: next });
        setActive(r.info.baseline ?? null);
        const n = r.findings.filter((f) => f.method === 'baseline').length;
        notify(
          next
            ? n
              ? `Baseline "${next}": ${n} finding${n === 1 ? '' : 's'} for behaviour never seen in it.`
              : `Baseline "${next}": nothing here is new to it.`
            : 'No baseline: findings come from rules, peers and rarity only.',
        );
      },
    );

  const learn = () =>
    run(`Learning baseline "${name.trim()}"…`, async () => {
      const r = await api.call('baseline.learn', { sessionId: sid, name: name.trim(), exportFile });
      const delivered = deliver(r.file);
      notify(
        `Baseline "${r.baseline.name}" learned from ${r.baseline.workloads} workload${r.baseline.workloads === 1 ? '' : 's'}` +
          `${r.replaced ? ' (it replaced the one with that name)' : ''}${delivered ? `; ${delivered}` : ''}.`,
      );
      setPanel(null);
      await refresh();
    });

  const importFile = (file: File) =>
    run(`Importing ${file.name}…`, async () => {
      if (file.size > MAX_IMPORT_BYTES)
        throw new Error(`${file.name} is ${Math.round(file.size / 1048576)} MiB: a baseline file is at most 64 MiB.`);
      const text = await file.text();
      const r = await api.call('baseline.import', { fileName: file.name.slice(0, 255) || 'baseline.json', text });
      notify(
        `Imported baseline "${r.baseline.name}" (${r.baseline.workloads} workload${r.baseline.workloads === 1 ? '' : 's'})${r.replaced ? ', replacing the one with that name' : ''}.`,
      );
      setPanel(null);
      await refresh();
    });

  const exportOne = (b: string) =>
    run(`Exporting "${b}"…`, async () => {
      const delivered = deliver(await api.call('baseline.export', { name: b }));
      if (delivered) notify(`Baseline "${b}" ${delivered}.`);
    });

  const remove = (b: string) =>
    run(`Deleting "${b}"…`, async () => {
      await api.call('baseline.delete', { name: b });
      setConfirmDelete(null);
      notify(
        b === active
          ? `Deleted baseline "${b}". This session still hunts against the copy it loaded; choose None to stop.`
          : `Deleted baseline "${b}".`,
      );
      await refresh();
    });

  const entry = list?.find((b) => b.name === active);
  const exists = list?.some((b) => b.name === name.trim());
  const learning = session.learning;

  return (
    <div className="bl" data-testid="baseline-control">
      <div className="bl-row">
        <label htmlFor={`bl-${sid}`} className="bl-label">
          Baseline
        </label>
        <select
          id={`bl-${sid}`}
          value={active ?? ''}
          disabled={!!busy || list === null}
          onChange={(e) => void choose(e.target.value || null)}
          data-testid="baseline-select"
          title="Hunt this capture against a baseline: behaviour never seen in it becomes a finding"
        >
          <option value="">None</option>
          {active && !entry && list && <option value={active}>{active} (not in the catalog)</option>}
          {(list ?? []).map((b) => (
            <option key={b.name} value={b.name}>
              {b.name}
            </option>
          ))}
        </select>
        <button
          type="button"
          className={panel === 'menu' ? 'on' : ''}
          onClick={() => setPanel(panel === 'menu' ? null : 'menu')}
          aria-haspopup="menu"
          aria-expanded={panel === 'menu'}
          disabled={!!busy}
          data-testid="baseline-menu-button"
          title="Learn, import, export or delete baselines"
        >
          Baselines…
        </button>
        {panel === 'menu' && (
          <div className="popover bl-menu" role="menu" data-testid="baseline-menu">
            <button
              type="button"
              role="menuitem"
              className="menu-item"
              onClick={() => setPanel('learn')}
              data-testid="baseline-learn-open"
            >
              <b>Learn baseline from this capture…</b>
            </button>
            <button
              type="button"
              role="menuitem"
              className="menu-item"
              onClick={() => fileInput.current?.click()}
              data-testid="baseline-import"
            >
              <b>Import baseline file…</b>
              <span className="sub">.baseline.json</span>
            </button>
            <div className="bl-menu-head">In the catalog</div>
            {listErr && <div className="bl-err">{listErr}</div>}
            {list && list.length === 0 && (
              <div className="bl-none" data-testid="baseline-empty">
                None yet: learn one from a capture of known-good behaviour, or import a file.
              </div>
            )}
            {(list ?? []).map((b) => (
              <div key={b.name} className="bl-item" data-testid="baseline-item">
                <div className="bl-item-text" title={b.workloadKeys.join('\n')}>
                  <b>{b.name}</b>
                  <span className="muted">
                    {b.workloads} workload{b.workloads === 1 ? '' : 's'} · {fmtDate(b.created)}
                    {b.source ? ` · from ${b.source}` : ''}
                  </span>
                </div>
                {confirmDelete === b.name ? (
                  <span className="bl-actions">
                    <button
                      type="button"
                      className="danger"
                      onClick={() => void remove(b.name)}
                      data-testid="baseline-delete-confirm"
                    >
                      Delete
                    </button>
                    <button type="button" onClick={() => setConfirmDelete(null)}>
                      Keep
                    </button>
                  </span>
                ) : (
                  <span className="bl-actions">
                    <button type="button" onClick={() => void exportOne(b.name)} data-testid="baseline-export">
                      Export
                    </button>
                    <button
                      type="button"
                      onClick={() => setConfirmDelete(b.name)}
                      data-testid="baseline-delete"
                      aria-label={`Delete baseline ${b.name}`}
                    >
                      Delete…
                    </button>
                  </span>
                )}
              </div>
            ))}
          </div>
        )}
      </div>

      {panel === 'learn' && (
        <form
          className="bl-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) void learn();
          }}
          data-testid="baseline-learn-form"
        >
          <div className="muted">
            {learning
              ? `Learn what the first ${learning.minutes} min of this live capture showed as normal, per workload.`
              : 'Learn what every workload in this capture did (executables, spawns, connections, files, privileges) as normal.'}
          </div>
          <input
            type="text"
            value={name}
            maxLength={256}
            onChange={(e) => setName(e.target.value)}
            aria-label="Baseline name"
            data-testid="baseline-name"
            autoFocus
          />
          {exists && <div className="bl-warn">A baseline with this name exists: learning replaces it.</div>}
          <label className="bl-check">
            <input type="checkbox" checked={exportFile} onChange={(e) => setExportFile(e.target.checked)} />
            {api.mode === 'electron' ? 'Also save a copy of the file…' : 'Also download the file'}
          </label>
          <div className="bl-buttons">
            <button type="submit" className="primary" disabled={!name.trim() || !!busy} data-testid="baseline-learn">
              Learn and save
            </button>
            <button type="button" onClick={() => setPanel(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}

      <div className="bl-status" data-testid="baseline-status" aria-live="polite">
        {busy ? (
          <>
            <span className="spinner bl-spin" /> {busy}
          </>
        ) : active ? (
          <>
            Hunting against <b>{active}</b>
            {entry ? ` (${entry.workloads} workload${entry.workloads === 1 ? '' : 's'})` : ''}:{' '}
            {props.baselineFindings
              ? `${props.baselineFindings} new behaviour${props.baselineFindings === 1 ? '' : 's'}`
              : 'nothing new'}
          </>
        ) : learning ? (
          learning.done ? (
            `Learned the first ${learning.minutes} min as normal; hunting against them since ${fmtTime(learning.until)}.`
          ) : learning.until ? (
            `Learning mode: what happens until ${fmtTime(learning.until)} is learned as normal, then hunted against.`
          ) : (
            `Learning mode: the first ${learning.minutes} min from the first events are learned as normal (waiting for events).`
          )
        ) : list && list.length === 0 ? (
          'No baseline yet. Learn one from a known-good capture.'
        ) : (
          'Not hunted against a baseline.'
        )}
      </div>
      {err && (
        <div className="bl-err" role="alert" data-testid="baseline-error">
          {err}
        </div>
      )}
      <input
        ref={fileInput}
        type="file"
        accept=".json,application/json"
        hidden
        data-testid="baseline-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void importFile(f);
        }}
      />
    </div>
  );
}

/** What the capture sheet passes to capture.start for baselines. */
export interface CaptureBaselineOptions {
  learnMinutes?: number;
  baseline?: string;
}

/** Capture sheet rows: learning mode for the first N minutes, and a baseline to hunt against. */
export function CaptureBaselineFields(props: {
  api: LanternApi;
  durationSec: number;
  value: CaptureBaselineOptions;
  onChange(v: CaptureBaselineOptions): void;
}) {
  const { api, value, onChange } = props;
  const [list, setList] = useState<BaselineInfo[] | null>(null);
  const [minutes, setMinutes] = useState(value.learnMinutes ?? 1);
  useEffect(() => {
    api.call('baseline.list', {}).then(setList, () => setList([]));
  }, [api]);
  const learnOn = value.learnMinutes !== undefined;
  const set = (patch: Partial<CaptureBaselineOptions>) => {
    const next = { ...value, ...patch };
    if (next.learnMinutes === undefined) delete next.learnMinutes;
    if (!next.baseline) delete next.baseline;
    onChange(next);
  };
  const wholeCapture = learnOn && value.learnMinutes! * 60 >= props.durationSec;
  return (
    <>
      <label htmlFor="learn-min">Learning mode</label>
      <div>
        <label className="bl-check">
          <input
            type="checkbox"
            checked={learnOn}
            onChange={(e) => set({ learnMinutes: e.target.checked ? minutes : undefined })}
            data-testid="learn-enabled"
          />
          Learn the first
          <input
            id="learn-min"
            type="number"
            min={1}
            max={1440}
            value={minutes}
            onChange={(e) => {
              const m = Math.max(1, Math.min(1440, Math.round(+e.target.value) || 1));
              setMinutes(m);
              if (learnOn) set({ learnMinutes: m });
            }}
            style={{ width: 64 }}
            data-testid="learn-minutes"
          />
          minutes as normal, then hunt
        </label>
        <div className="muted">
          {wholeCapture
            ? 'The capture is not longer than that: all of it would be learned and nothing hunted.'
            : 'Behaviour after that, never seen while learning, becomes a finding. Save what was learned as a baseline from the findings panel.'}
        </div>
      </div>
      <label htmlFor="hunt-baseline">Hunt against</label>
      <div>
        <select
          id="hunt-baseline"
          value={value.baseline ?? ''}
          onChange={(e) => set({ baseline: e.target.value || undefined })}
          data-testid="capture-baseline"
        >
          <option value="">No baseline</option>
          {(list ?? []).map((b) => (
            <option key={b.name} value={b.name}>
              {b.name} ({b.workloads} workloads)
            </option>
          ))}
        </select>{' '}
        {list && list.length === 0 && <span className="muted">No baselines in the catalog yet.</span>}
      </div>
    </>
  );
}
