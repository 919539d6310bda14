/**
 * Renderer bootstrap: picks the API transport (renderer/src/api), shows the first screen, and
 * hands an opened session or connected cluster to the workbench.
 *
 * The workbench (renderer/src/workbench) receives the
 * same `opened` value and a `close` callback that returns to the start screen.
 */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, type ConnectionState } from './api';
import { StartScreen } from './start/StartScreen';
import { Workbench, type Opened } from './workbench/Workbench';

function ConnectionBanner() {
  const [state, setState] = useState<ConnectionState>(() => api.state());
  useEffect(() => api.onStateChange(setState), []);
  useEffect(() => {
    // for tests and for anyone debugging: <html data-lantern-connection="open">
    document.documentElement.dataset.lanternConnection = state;
  }, [state]);
  if (state === 'no-token') {
    return (
      <p className="app-alert" role="alert" data-testid="banner-no-token">
        This page was opened without its access token, so it cannot reach Lantern. Open the full URL that Lantern
        printed when it started (it ends with #token=…).
      </p>
    );
  }
  if (state === 'closed') {
    return (
      <p className="app-alert" role="alert" data-testid="banner-disconnected">
        Lost the connection to Lantern; retrying. If Lantern was stopped, start it again and open the new URL.
      </p>
    );
  }
  return null;
}

export function App() {
  const [opened, setOpened] = useState<Opened | null>(null);
  useEffect(() => {
    // first render committed: <html data-lantern-ready="true"> (the e2e fixture waits for it)
    document.documentElement.dataset.lanternReady = 'true';
  }, []);
  return (
    <>
      <ConnectionBanner />
      {opened ? (
        <Workbench api={api} opened={opened} close={() => setOpened(null)} />
      ) : (
        <StartScreen
          onSession={(session, note) => setOpened({ kind: 'session', session, ...(note ? { note } : {}) })}
          onCluster={(cluster) => setOpened({ kind: 'cluster', cluster })}
        />
      )}
    </>
  );
}

const rootElement = document.getElementById('root');
if (rootElement) {
  createRoot(rootElement).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
