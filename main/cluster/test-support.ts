/**
 * Test support (not a test): a throwaway PKI made with the real openssl, a minimal real HTTPS
 * server that answers like an API server for the failure cases (wrong CA, 401, old version), and
 * kubeconfig writers. Used by *.test.ts here; everything lives under a fresh os.tmpdir() folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface Pki {
  dir: string;
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  expiredClientCert: string;
  expiredClientKey: string;
  cleanup(): void;
}

const CA_CONF = `[ ca ]
default_ca = l
[ l ]
dir = .
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = p
unique_subject = no
copy_extensions = copy
[ p ]
commonName = supplied
`;

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'lantern-pki-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=lantern-test-ca', '-days', '2']);
  run(['req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-subj', '/CN=other-ca', '-days', '2']);
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db/index.txt'), '');
  writeFileSync(join(dir, 'db/serial'), '01\n');
  writeFileSync(join(dir, 'ca.cnf'), CA_CONF);
  const sign = (name: string, cn: string, extra: string[], dates: string[]) => {
    run(['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`, ...extra]);
    run([
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      'ca.pem',
      '-keyfile',
      'ca.key',
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.pem`,
      ...dates,
    ]);
  };
  sign('server', '127.0.0.1', ['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], ['-days', '2']);
  sign('client', 'analyst', [], ['-days', '2']);
  sign('expired', 'old-analyst', [], ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  const r = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    ca: r('ca.pem'),
    otherCa: r('other.pem'),
    serverCert: r('server.pem'),
    serverKey: r('server.key'),
    clientCert: r('client.pem'),
    clientKey: r('client.key'),
    expiredClientCert: r('expired.pem'),
    expiredClientKey: r('expired.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TinyApi {
  url: string;
  close(): Promise<void>;
}

/** A real HTTPS server answering /version (as `version`) and 401 for any other token than `token`. */
export async function startTinyApi(pki: Pki, opts: { token: string; gitVersion?: string }): Promise<TinyApi> {
  const server: Server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      res.statusCode = 401;
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        }),
      );
      return;
    }
    if (req.url?.startsWith('/version')) {
      const gv = opts.gitVersion ?? 'v1.35.0';
      const m = /^v(\d+)\.(\d+)/.exec(gv)!;
      res.end(JSON.stringify({ major: m[1], minor: m[2], gitVersion: gv }));
      return;
    }
    res.statusCode = 404;
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'not here',
        reason: 'NotFound',
        code: 404,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface KubeconfigEntry {
  context: string;
  cluster?: string;
  user?: string;
  server: string;
  ca?: string;
  token?: string;
  clientCert?: string;
  clientKey?: string;
  exec?: { command: string; args?: string[] };
  namespace?: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function kubeconfigYaml(entries: KubeconfigEntry[], current?: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': current ?? entries[0]?.context,
    clusters: entries.map((e) => ({
      name: e.cluster ?? e.context,
      cluster: { server: e.server, ...(e.ca ? { 'certificate-authority-data': b64(e.ca) } : {}) },
    })),
    users: entries.map((e) => ({
      name: e.user ?? e.context,
      user: {
        ...(e.token ? { token: e.token } : {}),
        ...(e.clientCert
          ? { 'client-certificate-data': b64(e.clientCert), 'client-key-data': b64(e.clientKey ?? '') }
          : {}),
        ...(e.exec
          ? {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1',
                command: e.exec.command,
                args: e.exec.args ?? [],
                interactiveMode: 'Never',
              },
            }
          : {}),
      },
    })),
    contexts: entries.map((e) => ({
      name: e.context,
      context: {
        cluster: e.cluster ?? e.context,
        user: e.user ?? e.context,
        ...(e.namespace ? { namespace: e.namespace } : {}),
      },
    })),
  });
}

export function tempDir(prefix = 'lantern-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
