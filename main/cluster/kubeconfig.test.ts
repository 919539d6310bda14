import { chmodSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from './connection';
import { ClusterError } from './errors';
import { kubeConfigFor, kubeconfigPaths, loadKubeconfig } from './kubeconfig';
import { kubeconfigYaml, makePki, startTinyApi, tempDir, type Pki, type TinyApi } from './test-support';

async function errorOf(p: Promise<unknown>): Promise<ClusterError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ClusterError);
    return e as ClusterError;
  }
  throw new Error('expected a failure, got success');
}

describe('kubeconfig discovery and merge (as kubectl)', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('merges $KUBECONFIG paths: first file to define a name wins, first current-context wins, missing files ignored', () => {
    const a = join(t.dir, 'a.yaml');
    const b = join(t.dir, 'b.yaml');
    writeFileSync(a, kubeconfigYaml([{ context: 'prod', server: 'https://prod.example:6443', token: 't1' }], 'prod'));
    writeFileSync(
      b,
      kubeconfigYaml(
        [
          { context: 'prod', server: 'https://other.example:6443', token: 't2' },
          { context: 'dev', server: 'https://dev.example:6443', token: 't3', namespace: 'team' },
        ],
        'dev',
      ),
    );
    const loaded = loadKubeconfig({ env: { KUBECONFIG: [a, join(t.dir, 'missing.yaml'), b].join(':') } });
    expect(loaded.sources).toEqual([a, b]);
    expect(loaded.current).toBe('prod');
    expect(loaded.contexts.map((c) => c.name)).toEqual(['prod', 'dev']);
    expect(loaded.contexts[0]!.server).toBe('https://prod.example:6443');
    expect(loaded.contexts[1]!.namespace).toBe('team');
    const { kc, context } = kubeConfigFor(loaded, 'dev');
    expect(kc.getCurrentContext()).toBe('dev');
    expect(context.server).toBe('https://dev.example:6443');
  });

  it('uses ~/.kube/config when $KUBECONFIG is unset, an explicit path first of all', () => {
    expect(kubeconfigPaths({ env: {}, home: '/home/x' }).paths).toEqual(['/home/x/.kube/config']);
    expect(kubeconfigPaths({ env: { KUBECONFIG: '/a:/b:/a' } }).paths).toEqual(['/a', '/b']);
    expect(kubeconfigPaths({ path: '/p', env: { KUBECONFIG: '/a' } })).toEqual({ paths: ['/p'], mustExist: true });
  });

  it('resolves relative certificate paths against the kubeconfig file directory', () => {
    const f = join(t.dir, 'rel.yaml');
    writeFileSync(
      f,
      [
        'apiVersion: v1',
        'clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority: certs/ca.pem}}]',
        'users: [{name: u, user: {token: x}}]',
        'contexts: [{name: k, context: {cluster: c, user: u}}]',
        'current-context: k',
      ].join('\n'),
    );
    const loaded = loadKubeconfig({ path: f });
    expect(loaded.kc.getCluster('c')?.caFile).toBe(join(t.dir, 'certs/ca.pem'));
  });

  it('garbage: says which file and which line does not parse', () => {
    const f = join(t.dir, 'garbage.yaml');
    writeFileSync(f, 'apiVersion: v1\nclusters:\n  - name: a\n    cluster: {server: "https://x\n  : : :\n\t\tbad: [\n');
    const e = (() => {
      try {
        loadKubeconfig({ path: f });
      } catch (err) {
        return err as ClusterError;
      }
      throw new Error('expected failure');
    })();
    expect(e.kind).toBe('kubeconfig');
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/does not parse: line \d+, column \d+/);
  });

  it('refuses __proto__ keys, non-mapping documents, and a missing explicit file', () => {
    const f = join(t.dir, 'proto.yaml');
    writeFileSync(f, 'clusters: []\nusers: []\ncontexts: []\n__proto__: {polluted: true}\n');
    expect(() => loadKubeconfig({ path: f })).toThrow(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const g = join(t.dir, 'list.yaml');
    writeFileSync(g, '- a\n- b\n');
    expect(() => loadKubeconfig({ path: g })).toThrow(/not a kubeconfig/);
    expect(() => loadKubeconfig({ path: join(t.dir, 'nope.yaml') })).toThrow(/does not exist/);
    expect(() => loadKubeconfig({ env: { KUBECONFIG: join(t.dir, 'nope.yaml') } })).toThrow(/No kubeconfig found/);
  });

  it('names the known contexts when the asked-for one is absent', () => {
    const f = join(t.dir, 'one.yaml');
    writeFileSync(f, kubeconfigYaml([{ context: 'only', server: 'https://h:1', token: 'x' }]));
    expect(() => kubeConfigFor(loadKubeconfig({ path: f }), 'other')).toThrow(
      /no context "other".*known contexts: only/,
    );
  });
});

describe('connect: clear words for each failure, naming context and server', () => {
  let pki: Pki;
  let api: TinyApi;
  let oldApi: TinyApi;
  const t = tempDir();
  const write = (name: string, text: string) => {
    const f = join(t.dir, name);
    writeFileSync(f, text);
    return f;
  };
  beforeAll(async () => {
    pki = makePki();
    api = await startTinyApi(pki, { token: 'good' });
    oldApi = await startTinyApi(pki, { token: 'good', gitVersion: 'v1.18.20' });
  });
  afterAll(async () => {
    await api?.close();
    await oldApi?.close();
    pki?.cleanup();
    t.cleanup();
  });

  it('connects with a bearer token and reads the version', async () => {
    const f = write('ok.yaml', kubeconfigYaml([{ context: 'ok', server: api.url, ca: pki.ca, token: 'good' }]));
    const conn = await connect({ path: f });
    expect(conn.version.minor).toBe(35);
    expect(conn.context.name).toBe('ok');
  });

  it('wrong CA → TLS failure in words', async () => {
    const f = write(
      'wrongca.yaml',
      kubeconfigYaml([{ context: 'wrong-ca', server: api.url, ca: pki.otherCa, token: 'good' }]),
    );
    const e = await errorOf(connect({ path: f }));
    expect(e.kind).toBe('tls');
    expect(e.message).toContain('context "wrong-ca"');
    expect(e.message).toContain(api.url);
    expect(e.message).toMatch(/not signed by the certificate authority/);
  });

  it('unreachable server → unreachable in words', async () => {
    // A port that was free a moment ago: nothing listens there.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const server = `https://127.0.0.1:${port}`;
    const f = write('down.yaml', kubeconfigYaml([{ context: 'down', server, ca: pki.ca, token: 'good' }]));
    const e = await errorOf(connect({ path: f }));
    expect(e.kind).toBe('unreachable');
    expect(e.message).toContain(`context "down" (${server}) is unreachable: connection refused`);
  });

  it('401 → the credentials are not accepted', async () => {
    const f = write(
      'bad-token.yaml',
      kubeconfigYaml([{ context: 'badtok', server: api.url, ca: pki.ca, token: 'wrong' }]),
    );
    const e = await errorOf(connect({ path: f }));
    expect(e.kind).toBe('unauthorized');
    expect(e.message).toMatch(/context "badtok" .* refused our credentials \(401 Unauthorized\)/);
  });

  it('expired client certificate → says so with the date, before any request', async () => {
    const f = write(
      'expired.yaml',
      kubeconfigYaml([
        {
          context: 'old',
          server: api.url,
          ca: pki.ca,
          clientCert: pki.expiredClientCert,
          clientKey: pki.expiredClientKey,
        },
      ]),
    );
    const e = await errorOf(connect({ path: f }));
    expect(e.kind).toBe('cert-expired');
    expect(e.message).toMatch(/client certificate of user "old" expired on 2020-01-02/);
  });

  it("exec credential plugin failure → the plugin's own error is quoted", async () => {
    const plugin = write('plugin.sh', '#!/bin/sh\necho "error: SSO session expired, run aws sso login" >&2\nexit 1\n');
    execChmod(plugin);
    const f = write(
      'exec.yaml',
      kubeconfigYaml([{ context: 'eks', server: api.url, ca: pki.ca, exec: { command: plugin } }]),
    );
    const e = await errorOf(connect({ path: f }));
    expect(e.kind).toBe('credential-plugin');
    expect(e.message).toContain('SSO session expired, run aws sso login');
    expect(e.message).toContain('context "eks"');
  });

  it('exec credential plugin success → its token is used', async () => {
    const plugin = write(
      'plugin-ok.sh',
      '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"good"}}\'\n',
    );
    execChmod(plugin);
    const f = write(
      'exec-ok.yaml',
      kubeconfigYaml([{ context: 'eks-ok', server: api.url, ca: pki.ca, exec: { command: plugin } }]),
    );
    const conn = await connect({ path: f });
    expect(conn.version.gitVersion).toBe('v1.35.0');
  });

  it('API too old → names the version and the minimum', async () => {
    const f = write(
      'old-api.yaml',
      kubeconfigYaml([{ context: 'ancient', server: oldApi.url, ca: pki.ca, token: 'good' }]),
    );
    const e = await errorOf(connect({ path: f }));
    expect(e.kind).toBe('too-old');
    expect(e.message).toMatch(/runs Kubernetes v1\.18\.20, which is too old: Lantern needs 1\.21/);
  });
});

function execChmod(f: string): void {
  chmodSync(f, 0o755);
}
