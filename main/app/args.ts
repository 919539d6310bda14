/** Command-line flags shared by `npm start`, browser mode and the Electron main process. */
import { parseArgs } from 'node:util';

export interface AppArgs {
  browser: boolean;
  port: number | undefined;
  userDataDir: string | undefined;
  /** Skip the "build if needed" step of `npm start`. */
  noBuild: boolean;
  /** Open the bundled demo capture on its own when no kubeconfig context is found (`npm start` asks for it). */
  demoWhenNoCluster: boolean;
}

export function parseAppArgs(argv: string[]): AppArgs {
  // strict: false because Electron/Chromium add flags of their own
  const { values } = parseArgs({
    args: argv,
    strict: false,
    allowPositionals: true,
    options: {
      browser: { type: 'boolean' },
      port: { type: 'string' },
      'user-data-dir': { type: 'string' },
      'no-build': { type: 'boolean' },
      'demo-when-no-cluster': { type: 'boolean' },
    },
  });
  let port: number | undefined;
  if (typeof values.port === 'string') {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new Error(`--port must be a number from 0 to 65535, not ${JSON.stringify(values.port)}`);
    }
  }
  return {
    browser: values.browser === true,
    port,
    userDataDir: typeof values['user-data-dir'] === 'string' ? values['user-data-dir'] : undefined,
    noBuild: values['no-build'] === true,
    demoWhenNoCluster: values['demo-when-no-cluster'] === true,
  };
}
