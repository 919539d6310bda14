/**
 * The Electron main process (bundled by esbuild to dist/main/app/main.cjs; `npm start` runs it
 * when the Electron binary is present).
 *
 * Security: contextIsolation, sandbox, no nodeIntegration, strict CSP (meta tag + response header),
 * navigation and window.open denied (external links only to an allowlist, opened in the system
 * browser), permission requests denied, webviews refused, every IPC message's sender frame checked
 * before its payload is validated by the router.
 * Lifecycle: single-instance lock; on window close / quit / SIGINT / SIGTERM every shutdown
 * callback registered by handlers runs (with a deadline) before the process exits.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  session,
  shell,
  type IpcMainInvokeEvent,
  type WebContents,
} from 'electron';
import { IPC_CALL_CHANNEL, IPC_STREAM_CHANNEL } from '../common/callNames';
import { createHost, type Host } from '../api/host';
import { HEADER_ONLY_CSP, RENDERER_CSP } from '../api/csp';
import { parseAppArgs } from './args';
import { isTrustedSender } from './senderCheck';
import { appPaths, findAppRoot, resolveUserDataDir } from './paths';

/** Origins the renderer may open in the system browser (documentation only). */
const EXTERNAL_ALLOWLIST = new Set(['https://attack.mitre.org', 'https://kubernetes.io', 'https://github.com']);

const root = findAppRoot(__dirname);
const paths = appPaths(root);
// Bundled, modules cannot find their files next to their sources: tell them where they are
// (their own env overrides, documented in main/session/client.ts, main/detect/index.ts, handlers/session.ts).
process.env.LANTERN_ENGINE_WORKER ??= paths.engineWorkerBundle;
process.env.LANTERN_RULES_DIR ??= path.join(paths.assetsDir, 'rules');
process.env.LANTERN_DEMO_CAPTURE ??= path.join(paths.assetsDir, 'demo.lantern');
const args = parseAppArgs(process.argv.slice(1));

app.setName('Lantern');
// before anything touches the profile, and before the single-instance lock (which is per user-data folder)
app.setPath('userData', resolveUserDataDir(args.userDataDir));
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;
let host: Host | null = null;
let shutdownDone = false;
let shutdownStarted = false;

if (!app.requestSingleInstanceLock()) {
  console.log('Lantern is already running with this user-data folder; focusing that window.');
  app.exit(0);
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.whenReady().then(start, (err: unknown) => {
    console.error('Lantern could not start:', err);
    app.exit(1);
  });
}

const indexUrl = pathToFileURL(paths.rendererIndex).href;

/** The IPC sender must be the main frame of our window, showing our page. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  return isTrustedSender(event, mainWindow, indexUrl);
}

function hardenContents(contents: WebContents) {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    try {
      const u = new URL(url);
      if (u.protocol === 'https:' && EXTERNAL_ALLOWLIST.has(u.origin)) void shell.openExternal(u.href);
    } catch {
      // not a URL: ignore
    }
    return { action: 'deny' };
  });
}

async function start() {
  const userDataDir = app.getPath('userData');
  host = createHost({
    mode: 'electron',
    userDataDir,
    demoWhenNoCluster: args.demoWhenNoCluster,
    assetsDir: paths.assetsDir,
    showOpenDialog: async () => {
      const options: Electron.OpenDialogOptions = {
        title: 'Open a Lantern capture',
        properties: ['openFile'],
        filters: [
          { name: 'Lantern captures', extensions: ['lantern', 'gz'] },
          { name: 'Event exports (JSON)', extensions: ['json', 'ndjson', 'jsonl'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const result = mainWindow
        ? await dialog.showOpenDialog(mainWindow, options)
        : await dialog.showOpenDialog(options);
      return result.canceled || result.filePaths.length === 0 ? null : (result.filePaths[0] ?? null);
    },
    // Baselines handed to the analyst (baseline.learn with exportFile, baseline.export).
    showSaveDialog: async ({ title, defaultName }) => {
      const options: Electron.SaveDialogOptions = {
        title,
        defaultPath: path.join(app.getPath('documents'), defaultName),
        filters: [
          { name: 'Lantern baselines', extensions: ['json'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const result = mainWindow
        ? await dialog.showSaveDialog(mainWindow, options)
        : await dialog.showSaveDialog(options);
      return result.canceled || !result.filePath ? null : result.filePath;
    },
  });

  const ses = session.defaultSession;
  // nothing but writing to the clipboard ("copy node id", "copy finding as Markdown")
  const allowed = new Set(['clipboard-sanitized-write']);
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(allowed.has(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => allowed.has(permission));
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [`${RENDERER_CSP}; ${HEADER_ONLY_CSP}`],
      },
    });
  });
  // no remote content: only our own files (and devtools) may load
  ses.webRequest.onBeforeRequest((details, callback) => {
    const u = details.url;
    const ok = u.startsWith('file://') || u.startsWith('devtools://') || u.startsWith('data:') || u.startsWith('blob:');
    callback({ cancel: !ok });
  });

  app.on('web-contents-created', (_e, contents) => hardenContents(contents));

  ipcMain.handle(IPC_CALL_CHANNEL, async (event, name: unknown, payload: unknown) => {
    if (!trustedSender(event)) {
      return { ok: false, error: { code: 'forbidden', message: 'This frame may not call Lantern.' } };
    }
    return host!.router.dispatch(name, payload);
  });

  host.subscribe((name, payload) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_STREAM_CHANNEL, name, payload);
  });

  const webPreferences: Electron.WebPreferences = {
    preload: paths.preloadBundle,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
    devTools: !app.isPackaged,
  };
  // what the window was created with, for the Electron e2e test (read through app.evaluate)
  (globalThis as { lanternWebPreferences?: unknown }).lanternWebPreferences = { ...webPreferences };
  mainWindow = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'Lantern',
    show: false,
    backgroundColor: '#0f1217',
    webPreferences,
  });
  hardenContents(mainWindow.webContents);
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  await mainWindow.loadFile(paths.rendererIndex);
}

function quitCleanly() {
  if (shutdownStarted) return;
  shutdownStarted = true;
  const done = () => {
    shutdownDone = true;
    app.quit();
  };
  (host ? host.shutdown(10_000) : Promise.resolve()).then(done, (err: unknown) => {
    console.error('Lantern: shutdown failed:', err);
    done();
  });
}

app.on('window-all-closed', () => quitCleanly());
app.on('before-quit', (event) => {
  if (shutdownDone) return;
  event.preventDefault();
  quitCleanly();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => quitCleanly());
}

// exported for esbuild's sake (keeps the module a module); nothing imports this file
export const LANTERN_MAIN = path.basename(__filename);
