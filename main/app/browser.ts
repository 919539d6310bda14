/**
 * Browser mode: the same main-side engine as the Electron app, served on 127.0.0.1 to the same
 * renderer build, API over a token-protected WebSocket (main/api/wsServer.ts). Runs under Node
 * with tsx. Run directly (`tsx main/app/browser.ts [--port N] [--user-data-dir DIR]`) or through
 * `npm start`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type Host } from '../api/host';
import { startBrowserServer, type BrowserServer } from '../api/wsServer';
import { parseAppArgs } from './args';
import { appPaths, findAppRoot, resolveUserDataDir } from './paths';

export interface BrowserMode {
  server: BrowserServer;
  host: Host;
  userDataDir: string;
  /** Runs every shutdown callback, then closes the server. Idempotent. */
  stop(): Promise<void>;
}

export async function startBrowserMode(opts: {
  root: string;
  userDataDir: string;
  port?: number;
  /** Default: dist/renderer under root. */
  staticDir?: string;
  demoWhenNoCluster?: boolean;
}): Promise<BrowserMode> {
  const paths = appPaths(opts.root);
  const staticDir = opts.staticDir ?? paths.rendererDist;
  if (!existsSync(path.join(staticDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${staticDir}/index.html is missing). Run \`npm run build\` first.`);
  }
  const host = createHost({
    mode: 'browser',
    userDataDir: opts.userDataDir,
    assetsDir: paths.assetsDir,
    ...(opts.demoWhenNoCluster ? { demoWhenNoCluster: true } : {}),
  });
  const server = await startBrowserServer({ host, staticDir, port: opts.port });
  let stopping: Promise<void> | null = null;
  return {
    server,
    host,
    userDataDir: opts.userDataDir,
    stop() {
      stopping ??= (async () => {
        await host.shutdown();
        await server.close();
      })();
      return stopping;
    },
  };
}

/** Stops cleanly on SIGINT/SIGTERM (a second signal forces the exit). */
export function stopOnSignals(stop: () => Promise<void>): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(130);
    signalled = true;
    console.log(`Lantern: ${signal} received, stopping…`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('Lantern: error while stopping:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export async function runBrowserMode(argv: string[], why?: string): Promise<BrowserMode> {
  const args = parseAppArgs(argv);
  const root = findAppRoot(path.dirname(fileURLToPath(import.meta.url)));
  const userDataDir = resolveUserDataDir(args.userDataDir);
  const mode = await startBrowserMode({
    root,
    userDataDir,
    port: args.port,
    demoWhenNoCluster: args.demoWhenNoCluster,
  });
  stopOnSignals(mode.stop);
  // one write, so that whoever reads our output gets all of it at once
  console.log(
    [
      `Lantern is running in browser mode: ${mode.server.url}`,
      ...(why ? [`Not opening a window because ${why}.`] : []),
      "Open that URL (it carries this run's access token) in a browser on this machine. Ctrl+C stops Lantern.",
      `User data: ${userDataDir}`,
    ].join('\n'),
  );
  return mode;
}

const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  runBrowserMode(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`Lantern could not start in browser mode: ${(err as Error).message}`);
    process.exit(1);
  });
}
