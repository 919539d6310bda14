/**
 * The first screen, shown when no capture or cluster is open: connect to a cluster (kubeconfig
 * contexts), open a capture file (native dialog in Electron; file picker or drag-and-drop in the
 * browser), or open the bundled demo capture. Everything shown from kubeconfigs or files is text.
 */
import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import { api, errorMessage } from '../api';
import type { CallResponse, ClusterSummary, RecentItems, SessionInfo } from '../api/types';
import { useLongOp } from '../api/useLongOp';
import { OpProgress } from '../workbench/OpProgress';
import './start.css';

/** Largest capture the browser mode upload accepts (session.openUpload's limit). */
export const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

/** Set once the demo was opened by itself in this tab: going back to the start screen stays there. */
const AUTO_DEMO_KEY = 'lantern.autoDemoOpened';

export interface StartScreenProps {
  /** `note`: a line for the workbench to show once (why this capture was opened). */
  onSession(info: SessionInfo, note?: string): void;
  onCluster(summary: ClusterSummary): void;
}

type Contexts = CallResponse<'cluster.contexts'>;

export function StartScreen({ onSession, onCluster }: StartScreenProps) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelled, setCancelled] = useState(false);
  // Opening a capture is a long operation: its progress is shown, and it can be cancelled.
  const opening = useLongOp(api);
  const [contexts, setContexts] = useState<Contexts | null>(null);
  const [contextsError, setContextsError] = useState<string | null>(null);
  const [recents, setRecents] = useState<RecentItems | null>(null);
  const [dragging, setDragging] = useState(false);
  const [demoWhenNoCluster, setDemoWhenNoCluster] = useState(false);
  /** The kubeconfig in use: null = the default ($KUBECONFIG or ~/.kube/config). Remembered in settings. */
  const [kubeconfigPath, setKubeconfigPath] = useState<string | null>(null);
  const [kubeconfigDraft, setKubeconfigDraft] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const chosenByAnalyst = useRef(false);
  const isElectron = api.mode === 'electron';

  const loadContexts = useCallback(async (path: string | null) => {
    setContexts(null);
    setContextsError(null);
    try {
      setContexts(await api.call('cluster.contexts', path ? { kubeconfigPath: path } : {}));
    } catch (err) {
      setContextsError(errorMessage(err));
    }
  }, []);

  useEffect(() => {
    let live = true;
    api
      .call('settings.get', {})
      .catch(() => null)
      .then((settings) => {
        // Settings can answer late: what the analyst chose meanwhile wins.
        if (!live || chosenByAnalyst.current) return;
        const path = settings?.kubeconfigPath ?? null;
        setKubeconfigPath(path);
        setKubeconfigDraft((typed) => typed || (path ?? ''));
        void loadContexts(path);
      });
    api.call('recent.list', {}).then(
      (r) => live && setRecents(r),
      () => live && setRecents(null),
    );
    api.call('app.info', {}).then(
      (info) => live && setDemoWhenNoCluster(info.demoWhenNoCluster === true),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [loadContexts]);

  const applyKubeconfig = async (raw: string) => {
    chosenByAnalyst.current = true;
    const path = raw.trim() || null;
    setKubeconfigPath(path);
    try {
      await api.call('settings.update', { kubeconfigPath: path });
    } catch {
      // still usable for this session even if it could not be remembered
    }
    await loadContexts(path);
  };

  const run = useCallback(async (label: string, fn: () => Promise<void>) => {
    setBusy(label);
    setError(null);
    setCancelled(false);
    try {
      await fn();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  }, []);

  const connect = (context: string) =>
    run(`Connecting to ${context}…`, async () => {
      const summary = await api.call('cluster.connect', kubeconfigPath ? { context, kubeconfigPath } : { context });
      void api.call('settings.update', { lastContext: context }).catch(() => undefined);
      onCluster(summary);
    });

  /** Opens a session through `call` under a cancellable operation; says so when it was cancelled. */
  const runOp = opening.run;
  const openSession = useCallback(
    async (call: (opId: string) => Promise<SessionInfo>, note?: string) => {
      const info = await runOp(call);
      if (info) onSession(info, note);
      else setCancelled(true);
    },
    [runOp, onSession],
  );

  const openDemo = () =>
    run('Opening the demo capture…', () => openSession((opId) => api.call('session.openDemo', { opId })));

  // `npm start` without a cluster: land in the demo capture, once per tab (the start screen stays
  // reachable, and coming back to it does not reopen the demo).
  const noContexts = contextsError !== null || (contexts !== null && contexts.contexts.length === 0);
  useEffect(() => {
    if (!demoWhenNoCluster || !noContexts || busy !== null) return;
    if (sessionStorage.getItem(AUTO_DEMO_KEY)) return;
    sessionStorage.setItem(AUTO_DEMO_KEY, '1');
    void run('No cluster found: opening the demo capture…', () =>
      openSession(
        (opId) => api.call('session.openDemo', { opId }),
        'No kubeconfig context was found, so Lantern opened its demo capture. The start screen (Lantern, top left) connects to a cluster or opens a file.',
      ),
    );
  }, [demoWhenNoCluster, noContexts, busy, run, openSession]);

  const openPath = (path: string) =>
    run('Opening the capture…', () => openSession((opId) => api.call('session.openFile', { path, opId })));

  const openFileChoice = () => {
    if (isElectron) {
      void run('Choosing a capture…', async () => {
        const { path } = await api.call('dialog.openCapture', {});
        if (path) {
          setBusy('Opening the capture…');
          await openSession((opId) => api.call('session.openFile', { path, opId }));
        }
      });
    } else {
      fileInput.current?.click();
    }
  };

  const upload = (file: File) =>
    run(`Opening ${file.name}…`, async () => {
      if (file.size > MAX_UPLOAD_BYTES) {
        throw new Error(
          `${file.name} is ${(file.size / 1024 / 1024).toFixed(0)} MiB; the browser mode accepts up to 256 MiB. ` +
            'Open it with the desktop app or `lantern analyze` instead.',
        );
      }
      const dataBase64 = await readAsBase64(file);
      await openSession((opId) =>
        api.call('session.openUpload', { name: file.name.slice(0, 255) || 'capture', dataBase64, opId }),
      );
    });

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) void upload(file);
  };

  return (
    <main
      className={`start${dragging ? ' start--dragging' : ''}`}
      data-testid="start-screen"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <header className="start__header">
        <h1>Lantern</h1>
        <p>Turn the lights on in a dark Kubernetes cluster: capture what really runs, talks and reads, as a graph.</p>
      </header>

      <div className="start__choices">
        <section className="choice" data-testid="choice-cluster" aria-labelledby="choice-cluster-title">
          <h2 id="choice-cluster-title">Connect to a cluster</h2>
          <p>Use a context from your kubeconfig to see nodes and workloads and start a capture.</p>
          {contextsError && <p className="choice__note">{contextsError}</p>}
          {!contexts && !contextsError && <p className="choice__note">Reading kubeconfig contexts…</p>}
          {contexts && contexts.contexts.length === 0 && (
            <p className="choice__note">
              No kubeconfig contexts found{contexts.sources.length ? ` in ${contexts.sources.join(', ')}` : ''}.
            </p>
          )}
          <form
            className="choice__form"
            onSubmit={(e) => {
              e.preventDefault();
              void applyKubeconfig(kubeconfigDraft);
            }}
          >
            <label htmlFor="kubeconfig-path">Kubeconfig file</label>
            <div className="choice__row">
              <input
                id="kubeconfig-path"
                data-testid="kubeconfig-path"
                type="text"
                spellCheck={false}
                placeholder="default: $KUBECONFIG or ~/.kube/config"
                value={kubeconfigDraft}
                onChange={(e) => setKubeconfigDraft(e.target.value)}
              />
              <button type="submit" disabled={busy !== null}>
                Use
              </button>
            </div>
          </form>
          {contexts && contexts.contexts.length > 0 && (
            <ul className="choice__list" aria-label="Kubeconfig contexts">
              {contexts.contexts.map((c) => (
                <li key={c.name}>
                  <button type="button" disabled={busy !== null} onClick={() => void connect(c.name)}>
                    <span className="choice__name">{c.name}</span>
                    {c.name === contexts.current && <span className="choice__tag">current</span>}
                    <span className="choice__detail">{c.server}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className="choice" data-testid="choice-file" aria-labelledby="choice-file-title">
          <h2 id="choice-file-title">Open a capture file</h2>
          <p>Replay a .lantern capture offline{isElectron ? '' : ', or drop it anywhere on this page'}.</p>
          <button type="button" className="choice__primary" disabled={busy !== null} onClick={openFileChoice}>
            Choose a capture…
          </button>
          <input
            ref={fileInput}
            type="file"
            hidden
            accept=".lantern,.gz,.json,.ndjson,.jsonl"
            data-testid="capture-file-input"
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void upload(file);
            }}
          />
          {recents && recents.captures.length > 0 && (
            <ul className="choice__list" aria-label="Recent captures">
              {recents.captures.slice(0, 5).map((c) => (
                <li key={c.path}>
                  <button type="button" disabled={busy !== null} onClick={() => void openPath(c.path)} title={c.path}>
                    <span className="choice__name">{c.name}</span>
                    <span className="choice__detail">{new Date(c.openedAt).toLocaleString()}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className="choice" data-testid="choice-demo" aria-labelledby="choice-demo-title">
          <h2 id="choice-demo-title">Open the demo capture</h2>
          <p>A recorded capture from the lab cluster, with a few attacks in it, to explore without a cluster.</p>
          <button type="button" className="choice__primary" disabled={busy !== null} onClick={() => void openDemo()}>
            Open the demo
          </button>
        </section>
      </div>

      <div className="start__status" role="status" aria-live="polite">
        {busy && opening.running ? (
          <OpProgress label={busy} op={opening.running} onCancel={opening.cancel} />
        ) : (
          busy && <p data-testid="start-busy">{busy}</p>
        )}
        {cancelled && !busy && <p data-testid="start-cancelled">Cancelled: nothing was opened.</p>}
        {error && (
          <p className="start__error" role="alert" data-testid="start-error">
            {error}
          </p>
        )}
      </div>
    </main>
  );
}

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(new Error(`Could not read ${file.name}.`));
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.readAsDataURL(file);
  });
}
