/**
 * One live connection to one context: typed API clients, the server version, and a `call`
 * wrapper that turns every failure into words naming the context, the server, and what we
 * were trying to do.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  VersionApi,
} from '@kubernetes/client-node';
import type { ContextInfo } from '../common/contract';
import { ClusterError, describeClusterError, whereWords, type ErrorWhere } from './errors';
import { kubeConfigFor, loadKubeconfig, type KubeconfigSearch, type LoadedKubeconfig } from './kubeconfig';

/** EndpointSlice v1 (1.21) is the oldest API we need; PSA labels are read if present. */
export const MIN_SERVER_MINOR = 21;

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

export interface ClusterConnection {
  kc: KubeConfig;
  context: ContextInfo;
  server: string;
  version: ServerVersion;
  /** Namespace the context names (or "default"). */
  defaultNamespace: string;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  discovery: DiscoveryV1Api;
  rbac: RbacAuthorizationV1Api;
  authz: AuthorizationV1Api;
  authn: AuthenticationV1Api;
  where(extra?: Omit<ErrorWhere, 'context' | 'server'>): ErrorWhere;
  /** Run one API call; failures become ClusterErrors naming context, server, verb and resource. */
  call<T>(what: Omit<ErrorWhere, 'context' | 'server'>, fn: () => Promise<T>): Promise<T>;
}

export interface ConnectOptions extends KubeconfigSearch {
  context?: string;
  /** Already-loaded kubeconfig (the app caches it); otherwise discovered from `path`/env. */
  loaded?: LoadedKubeconfig;
  /** How long to wait for the API server's first answer. */
  timeoutMs?: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), ms);
      timer.unref?.();
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Refuse early, in words, when the kubeconfig's own client certificate is out of date. */
function checkClientCertificate(kc: KubeConfig, where: ErrorWhere): void {
  const user = kc.getCurrentUser();
  if (!user) return;
  let pem: Buffer | undefined;
  try {
    if (user.certData) pem = Buffer.from(user.certData, 'base64');
    else if (user.certFile) pem = readFileSync(user.certFile);
  } catch (err) {
    throw new ClusterError(
      'kubeconfig',
      `${whereWords(where)}: cannot read the client certificate of user "${user.name}": ${(err as Error).message}`,
      where,
    );
  }
  if (!pem) return;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new ClusterError(
      'kubeconfig',
      `${whereWords(where)}: the client certificate of user "${user.name}" is not a valid PEM certificate.`,
      where,
    );
  }
  const now = Date.now();
  if (Date.parse(cert.validTo) < now) {
    throw new ClusterError(
      'cert-expired',
      `${whereWords(where)}: the client certificate of user "${user.name}" expired on ${new Date(cert.validTo).toISOString()}. Get a fresh kubeconfig for this context.`,
      where,
    );
  }
  if (Date.parse(cert.validFrom) > now) {
    throw new ClusterError(
      'cert-expired',
      `${whereWords(where)}: the client certificate of user "${user.name}" is not valid before ${new Date(cert.validFrom).toISOString()} (check this machine's clock).`,
      where,
    );
  }
}

/** Run the credential machinery once (exec plugins, token files) so its own error surfaces first. */
async function checkCredentials(kc: KubeConfig, where: ErrorWhere): Promise<void> {
  const user = kc.getCurrentUser();
  try {
    await kc.applyToHTTPSOptions({});
  } catch (err) {
    const exec = (user?.exec ?? user?.authProvider?.config?.exec) as { command?: string } | undefined;
    const said = ((err as Error)?.message ?? String(err)).trim().slice(0, 2000);
    if (exec) {
      throw new ClusterError(
        'credential-plugin',
        `${whereWords(where)}: the credential plugin "${exec.command ?? '?'}" of user "${user?.name}" failed: ${said || '(it printed nothing)'}`,
        where,
      );
    }
    throw new ClusterError(
      'kubeconfig',
      `${whereWords(where)}: cannot prepare the credentials of user "${user?.name}": ${said}`,
      where,
    );
  }
}

export function parseVersion(v: { major?: string; minor?: string; gitVersion?: string }): ServerVersion {
  const gitVersion = v.gitVersion ?? '';
  let major = parseInt(String(v.major ?? '').replace(/\D+$/, ''), 10);
  let minor = parseInt(String(v.minor ?? '').replace(/\D+$/, ''), 10);
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  if ((!Number.isFinite(major) || !Number.isFinite(minor)) && m) {
    major = Number(m[1]);
    minor = Number(m[2]);
  }
  return { major: Number.isFinite(major) ? major : 0, minor: Number.isFinite(minor) ? minor : 0, gitVersion };
}

export function checkVersion(v: ServerVersion, where: ErrorWhere): void {
  if (v.major < 1 || (v.major === 1 && v.minor < MIN_SERVER_MINOR)) {
    throw new ClusterError(
      'too-old',
      `${whereWords(where)} runs Kubernetes ${v.gitVersion || `${v.major}.${v.minor}`}, which is too old: Lantern needs 1.${MIN_SERVER_MINOR} or newer (discovery.k8s.io/v1 EndpointSlices, authorization.k8s.io/v1).`,
      where,
    );
  }
}

/** Connect to a context: load kubeconfig, check credentials, ask /version, check it is new enough. */
export async function connect(opts: ConnectOptions = {}): Promise<ClusterConnection> {
  const loaded = opts.loaded ?? loadKubeconfig(opts);
  const { kc, context } = kubeConfigFor(loaded, opts.context);
  const server = context.server;
  const base: ErrorWhere = { context: context.name, server };
  checkClientCertificate(kc, base);
  await checkCredentials(kc, base);
  const conn = makeConnection(kc, context);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const versionInfo = await conn.call({ verb: 'get', resource: 'the server version (/version)' }, () =>
    withTimeout(
      kc.makeApiClient(VersionApi).getCode(),
      timeoutMs,
      () =>
        new ClusterError(
          'unreachable',
          `${whereWords(base)} is unreachable: no answer within ${Math.round(timeoutMs / 1000)} s.`,
          base,
        ),
    ),
  );
  const version = parseVersion(versionInfo);
  checkVersion(version, base);
  conn.version = version;
  return conn;
}

/** Connection object without the network round trip (used by connect and by tests). */
export function makeConnection(kc: KubeConfig, context: ContextInfo): ClusterConnection {
  const base: ErrorWhere = { context: context.name, server: context.server };
  const conn: ClusterConnection = {
    kc,
    context,
    server: context.server,
    version: { major: 0, minor: 0, gitVersion: '' },
    defaultNamespace: context.namespace ?? 'default',
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    authz: kc.makeApiClient(AuthorizationV1Api),
    authn: kc.makeApiClient(AuthenticationV1Api),
    where: (extra = {}) => ({ ...base, ...extra }),
    async call(what, fn) {
      try {
        return await fn();
      } catch (err) {
        throw describeClusterError(err, { ...base, ...what });
      }
    },
  };
  return conn;
}
