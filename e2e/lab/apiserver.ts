/**
 * The lab's Kubernetes API server: HTTPS on 127.0.0.1 (and on a unix socket that the pod network
 * reaches through the `kubernetes` Service), bearer-token users, RBAC, discovery, CRUD with
 * resourceVersion and watch, pods/log and pods/exec (WebSocket, v5/v4.channel.k8s.io).
 *
 * Shapes, status codes and messages follow the real kube-apiserver closely enough for kubectl
 * 1.35 and @kubernetes/client-node; everything here is a stand-in, not a reimplementation.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, Store, notFound, type StoreEvent } from './store';
import {
  GROUP_VERSIONS,
  RESOURCES,
  SelectorError,
  apiVersionOf,
  clone,
  findResource,
  matchFields,
  matchLabels,
  nowIso,
  parseFieldSelector,
  parseLabelSelector,
  type K8sObject,
  type ResourceDef,
} from './resources';
import {
  authorize,
  forbiddenMessage,
  rulesFor,
  type NonResourceAttrs,
  type ResourceAttrs,
  type UserInfo,
} from './rbac';
import {
  addTokenVolume,
  defaultPodSpec,
  defaultService,
  defaultWorkload,
  invalid,
  prepareMeta,
  qosClass,
  validateMeta,
  validatePodSpec,
  validateService,
  validateTemplateOwner,
} from './admission';
import type { ContainerLog } from './logs';
import { decodeReview } from './proto';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export const LAB_K8S_VERSION = { major: '1', minor: '35', gitVersion: 'v1.35.0-lantern-lab' };

export interface RuntimeHooks {
  containerLog(pod: K8sObject, container: string): ContainerLog | undefined;
  /** Starts argv in the container; throws ApiError when it cannot. */
  exec(pod: K8sObject, container: string, argv: string[], tty: boolean): ChildProcess;
  allocateClusterIP(): string;
}

export interface Faults {
  failNext: number;
  failStatus: 500 | 429;
  failDelayMs: number;
  delayNext: number;
  delayMs: number;
  rejectPodCreation: boolean;
}

const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): Any {
  const s: Any = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
};

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    'X-Kubernetes-Pf-Flowschema-Uid': 'lab',
  });
  res.end(text);
}
function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof ApiError) sendJson(res, e.code, statusBody(e.code, e.reason, e.message, e.details));
  else sendJson(res, 500, statusBody(500, 'InternalError', `Internal error occurred: ${(e as Error)?.message ?? e}`));
}

const MAX_BODY = 3 * 1024 * 1024; // the real API's request size limit

async function readBody(req: IncomingMessage): Promise<Any> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(c as Buffer);
  }
  const buf = Buffer.concat(chunks);
  const ct = req.headers['content-type'] ?? '';
  if (ct.startsWith('application/vnd.kubernetes.protobuf')) {
    try {
      return decodeReview(buf);
    } catch (e) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the lab API reads JSON bodies (protobuf only for reviews): ${(e as Error).message}`,
      );
    }
  }
  const text = buf.toString('utf8');
  if (!text.trim()) return undefined;
  try {
    const v = JSON.parse(text, (k, val) => (k === '__proto__' ? undefined : val));
    return v;
  } catch (e) {
    if (/yaml/.test(ct)) throw new ApiError(415, 'UnsupportedMediaType', 'the lab API accepts JSON bodies only');
    throw new ApiError(400, 'BadRequest', `the request body is not valid JSON: ${(e as Error).message}`);
  }
}

interface Route {
  def?: ResourceDef;
  namespace?: string;
  name?: string;
  sub?: string;
  nonResource?: string;
}

/** Maps a URL path to a resource route (or a non-resource path). */
function route(path: string): Route | ApiError {
  const seg = path
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  let group = '';
  let version = '';
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 2) {
    version = seg[1]!;
    rest = seg.slice(2);
  } else if (seg[0] === 'apis' && seg.length >= 3) {
    group = seg[1]!;
    version = seg[2]!;
    rest = seg.slice(3);
  } else return { nonResource: path };
  if (rest.length === 0) return { nonResource: path };
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const def = findResource(group, version, rest[0]!);
  if (!def) {
    if (!group && rest[0] === 'namespaces' && namespace) {
      // unreachable: /namespaces/x/<unknown>
    }
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  const name = rest[1];
  const sub = rest[2];
  if (rest.length > 3) return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (def.resource === 'namespaces' && namespace === undefined && name) return { def, name, sub };
  if (namespace !== undefined && !def.namespaced)
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (sub && !def.subresources?.[sub])
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  return { def, namespace, name, sub };
}

function rfc3339ToNs(s: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  return BigInt(ms) * 1_000_000n + frac;
}

export interface ApiServerOptions {
  store: Store;
  users: Map<string, UserInfo>;
  hooks: RuntimeHooks;
  certPem: string;
  keyPem: string;
  log?: (msg: string) => void;
}

export class ApiServer {
  readonly faults: Faults = {
    failNext: 0,
    failStatus: 500,
    failDelayMs: 0,
    delayNext: 0,
    delayMs: 0,
    rejectPodCreation: false,
  };
  private servers: https.Server[] = [];
  private openStreams = new Set<ServerResponse>();
  private sockets = new Set<Duplex>();
  private wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => {
      for (const p of EXEC_PROTOCOLS) if (protocols.has(p)) return p;
      return false;
    },
  });
  private execs = new Set<ChildProcess>();
  /** Counts of requests seen, by verb, for tests and benchmarks. */
  readonly requestCount = { total: 0 };
  private closed = false;

  constructor(private o: ApiServerOptions) {}

  /** Listens on 127.0.0.1 (port 0 = random). `external` requests are the ones faults apply to. */
  async listenTcp(port = 0): Promise<number> {
    const srv = this.makeServer(true);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve());
    });
    return (srv.address() as { port: number }).port;
  }
  /** The pod network's path to the API (through the `kubernetes` Service): a unix socket. */
  async listenUnix(path: string): Promise<void> {
    const srv = this.makeServer(false);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(path, () => resolve());
    });
  }

  private makeServer(external: boolean): https.Server {
    const srv = https.createServer({ cert: this.o.certPem, key: this.o.keyPem, minVersion: 'TLSv1.2' }, (req, res) => {
      this.handle(req, res, external).catch((e) => sendError(res, e));
    });
    srv.keepAliveTimeout = 60_000;
    srv.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    srv.on('secureConnection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    srv.on('upgrade', (req, socket, head) => {
      this.upgrade(req as IncomingMessage, socket, head, external).catch(() => socket.destroy());
    });
    srv.on('clientError', (_e, s) => s.destroy());
    this.servers.push(srv);
    return srv;
  }

  /** Fault: every open log stream (and watch) is cut now, like a dropped connection. */
  dropLogStreams(): number {
    let n = 0;
    for (const r of this.openStreams) {
      if ((r as Any).__labKind === 'log') {
        r.socket?.destroy();
        r.destroy();
        n++;
      }
    }
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.execs) c.kill('SIGKILL');
    for (const r of this.openStreams) r.destroy();
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  private authenticate(req: IncomingMessage): UserInfo | undefined {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return undefined;
    return this.o.users.get(m[1]!);
  }

  /** Impersonation (kubectl --as/--as-group): the real API's headers and "impersonate" checks. */
  private impersonate(req: IncomingMessage, user: UserInfo): UserInfo {
    const as = req.headers['impersonate-user'];
    const groupsHdr = req.headers['impersonate-group'];
    if (typeof as !== 'string' || !as) {
      if (groupsHdr)
        throw new ApiError(
          500,
          'InternalError',
          'Internal error occurred: requested impersonation of groups without impersonating a user',
        );
      return user;
    }
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(as);
    const attrs: ResourceAttrs = sa
      ? { verb: 'impersonate', group: '', resource: 'serviceaccounts', namespace: sa[1], name: sa[2] }
      : { verb: 'impersonate', group: '', resource: 'users', name: as };
    if (!authorize(this.o.store, user, attrs))
      throw new ApiError(
        403,
        'Forbidden',
        `${sa ? 'serviceaccounts' : 'users'} "${sa ? sa[2] : as}" is forbidden: User "${user.username}" cannot impersonate resource "${sa ? 'serviceaccounts' : 'users'}" in API group "" ${sa ? `in the namespace "${sa[1]}"` : 'at the cluster scope'}`,
      );
    const groups = (Array.isArray(groupsHdr) ? groupsHdr : groupsHdr ? [groupsHdr] : [])
      .flatMap((g) => g.split(','))
      .map((g) => g.trim())
      .filter(Boolean);
    for (const g of groups)
      if (!authorize(this.o.store, user, { verb: 'impersonate', group: '', resource: 'groups', name: g }))
        throw new ApiError(
          403,
          'Forbidden',
          `groups "${g}" is forbidden: User "${user.username}" cannot impersonate resource "groups" in API group "" at the cluster scope`,
        );
    const base = sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`] : [];
    return { username: as, groups: [...new Set([...base, ...groups, 'system:authenticated'])] };
  }

  private async applyFaults(res: ServerResponse, external: boolean): Promise<boolean> {
    if (!external) return false;
    const f = this.faults;
    if (f.failNext > 0) {
      f.failNext--;
      if (f.failDelayMs) await new Promise((r) => setTimeout(r, f.failDelayMs));
      if (f.failStatus === 429) {
        res.setHeader('Retry-After', '1');
        sendJson(
          res,
          429,
          statusBody(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 }),
        );
      } else sendJson(res, 500, statusBody(500, 'InternalError', 'Internal error occurred: injected fault (lab)'));
      return true;
    }
    if (f.delayNext > 0) {
      f.delayNext--;
      await new Promise((r) => setTimeout(r, f.delayMs));
    }
    return false;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, external: boolean): Promise<void> {
    this.requestCount.total++;
    const url = new URL(req.url ?? '/', 'https://lab');
    if (process.env.LANTERN_LAB_DEBUG) this.o.log?.(`${req.method} ${req.url}`);
    const authn = this.authenticate(req);
    if (!authn) {
      sendJson(res, 401, statusBody(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const user = this.impersonate(req, authn);
    if (await this.applyFaults(res, external)) return;
    const method = (req.method ?? 'GET').toUpperCase();
    const r = route(url.pathname);
    if (r instanceof ApiError) {
      // Authorization happens before "not found" in the real API, but for unknown paths a 404 is right.
      throw r;
    }
    if (r.nonResource !== undefined) {
      const attrs: NonResourceAttrs = {
        verb: method.toLowerCase() === 'head' ? 'get' : method.toLowerCase(),
        path: url.pathname,
      };
      if (!authorize(this.o.store, user, attrs)) {
        sendJson(res, 403, statusBody(403, 'Forbidden', forbiddenMessage(user, attrs), {}));
        return;
      }
      return this.nonResource(url.pathname, res);
    }
    const def = r.def!;
    const q = url.searchParams;
    const isWatch = q.get('watch') === 'true' || q.get('watch') === '1';
    let verb: string;
    if (method === 'GET' || method === 'HEAD') verb = isWatch ? 'watch' : r.name ? 'get' : 'list';
    else if (method === 'POST') verb = 'create';
    else if (method === 'PUT') verb = 'update';
    else if (method === 'PATCH') verb = 'patch';
    else if (method === 'DELETE') verb = r.name ? 'delete' : 'deletecollection';
    else throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    if (r.sub === 'exec' || r.sub === 'attach' || r.sub === 'portforward') verb = 'create';
    if (r.sub === 'log') verb = 'get';
    // POST to a collection with a name in the path is not a thing; POST on name only for subresources.
    if (verb === 'create' && r.name && !r.sub && def.resource !== 'namespaces')
      throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const attrs: ResourceAttrs = {
      verb,
      group: def.group,
      resource: def.resource,
      subresource: r.sub,
      namespace: r.namespace,
      name: r.name,
    };
    if (def.resource === 'namespaces' && r.name) attrs.namespace = r.name;
    if (!def.verbs.includes(verb) && !r.sub)
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    if (!authorize(this.o.store, user, attrs)) {
      sendJson(
        res,
        403,
        statusBody(403, 'Forbidden', forbiddenMessage(user, attrs), {
          name: r.name,
          group: def.group,
          kind: def.resource,
        }),
      );
      return;
    }
    const body =
      method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE'
        ? await readBody(req)
        : undefined;

    // reviews are virtual
    if (def.group === 'authorization.k8s.io' || def.group === 'authentication.k8s.io') {
      return sendJson(res, 201, this.review(def, body, user));
    }
    if (r.sub === 'log') return this.podLog(r, q, res);
    if (r.sub === 'exec' || r.sub === 'attach' || r.sub === 'portforward')
      throw new ApiError(400, 'BadRequest', 'Upgrade request required');

    if (r.sub === 'scale') return sendJson(res, 200, this.scale(def, r, verb, body, req.headers['content-type'] ?? ''));
    switch (verb) {
      case 'get': {
        const o = this.o.store.get(def, r.namespace, r.name!);
        if (!o) throw notFound(def, r.name!);
        return this.sendObject(req, res, 200, def, o);
      }
      case 'list':
        return this.list(req, def, r.namespace, q, res);
      case 'watch':
        return this.watch(def, r.namespace, r.name, q, res, req);
      case 'create':
        return sendJson(res, 201, this.create(def, r.namespace, body));
      case 'update':
        return sendJson(res, 200, this.update(def, r, body));
      case 'patch':
        return sendJson(res, 200, this.patch(def, r, body, req.headers['content-type'] ?? ''));
      case 'delete':
        return this.delete(def, r.namespace, r.name!, body, q, res);
      case 'deletecollection': {
        const items = this.filtered(def, r.namespace, q);
        for (const it of items) this.deleteOne(def, it.metadata.namespace, it.metadata.name!, body, q);
        return sendJson(res, 200, {
          kind: `${def.kind}List`,
          apiVersion: apiVersionOf(def),
          metadata: { resourceVersion: String(this.o.store.currentRv()) },
          items: [],
        });
      }
    }
  }

  /** The scale subresource (autoscaling/v1 Scale) of deployments, replicasets, statefulsets. */
  private scale(def: ResourceDef, r: Route, verb: string, body: Any, contentType: string): Any {
    const cur = this.o.store.get(def, r.namespace, r.name!) as Any;
    if (!cur) throw notFound(def, r.name!);
    const toScale = (o: Any) => ({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: o.spec.replicas },
      status: {
        replicas: o.status?.replicas ?? 0,
        selector: Object.entries(o.spec.selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
    });
    if (verb === 'get') return toScale(cur);
    let replicas: unknown;
    if (verb === 'update') replicas = body?.spec?.replicas;
    else if (contentType.startsWith('application/json-patch+json'))
      replicas = applyJsonPatch(toScale(cur), body).spec?.replicas;
    else replicas = mergePatch(toScale(cur), body ?? {}).spec?.replicas;
    if (!Number.isInteger(replicas) || (replicas as number) < 0)
      throw invalid({ ...def, kind: 'Scale' }, r.name!, [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
          field: 'spec.replicas',
        },
      ]);
    const next = this.o.store.mutate(def, r.namespace, r.name!, (o: Any) => (o.spec.replicas = replicas), true);
    return toScale(next);
  }

  private nonResource(path: string, res: ServerResponse): void {
    const p = path.replace(/\/+$/, '') || '/';
    if (p === '/version')
      return sendJson(res, 200, {
        ...LAB_K8S_VERSION,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.25.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    if (p === '/healthz' || p === '/livez' || p === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (p === '/api')
      return sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:443' }],
      });
    if (p === '/apis') {
      const groups = [...new Set(GROUP_VERSIONS.map((g) => g.group))].map((g) => {
        const versions = GROUP_VERSIONS.filter((x) => x.group === g).map((x) => ({
          groupVersion: `${g}/${x.version}`,
          version: x.version,
        }));
        return { name: g, versions, preferredVersion: versions[0] };
      });
      return sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    if (p === '/openapi/v3') {
      // No schemas: just enough for kubectl to see that the server validates fields itself
      // (fieldValidation on PATCH), so `kubectl create/apply -f` work without --validate=false.
      const paths: Record<string, { serverRelativeURL: string }> = {
        'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=lab' },
      };
      for (const g of GROUP_VERSIONS)
        paths[`apis/${g.group}/${g.version}`] = {
          serverRelativeURL: `/openapi/v3/apis/${g.group}/${g.version}?hash=lab`,
        };
      return sendJson(res, 200, { paths });
    }
    const mo = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(p);
    if (mo) {
      const group = mo[1] ? '' : mo[2]!;
      const version = mo[1] ?? mo[3]!;
      const defs = RESOURCES.filter((r) => r.group === group && r.version === version && r.verbs.includes('patch'));
      if (!defs.length)
        return sendJson(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      const docPaths: Any = {};
      for (const d of defs) {
        const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
        const path = d.namespaced
          ? `${base}/namespaces/{namespace}/${d.resource}/{name}`
          : `${base}/${d.resource}/{name}`;
        docPaths[path] = {
          patch: {
            operationId: `patch${d.kind}`,
            'x-kubernetes-action': 'patch',
            'x-kubernetes-group-version-kind': { group, version, kind: d.kind },
            parameters: ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
              name,
              in: 'query',
              schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
            })),
            responses: { '200': { description: 'OK' } },
          },
        };
      }
      res.setHeader('Content-Type', 'application/json');
      return sendJson(res, 200, {
        openapi: '3.0.0',
        info: { title: 'Kubernetes (lantern lab)', version: LAB_K8S_VERSION.gitVersion },
        paths: docPaths,
        components: { schemas: {} },
      });
    }
    const mg = /^\/apis\/([^/]+)$/.exec(p);
    if (mg) {
      const versions = GROUP_VERSIONS.filter((x) => x.group === mg[1]).map((x) => ({
        groupVersion: `${x.group}/${x.version}`,
        version: x.version,
      }));
      if (!versions.length)
        return sendJson(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      return sendJson(res, 200, {
        kind: 'APIGroup',
        apiVersion: 'v1',
        name: mg[1],
        versions,
        preferredVersion: versions[0],
      });
    }
    const mv = /^\/api\/(v1)$|^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
    if (mv) {
      const group = mv[1] ? '' : mv[2]!;
      const version = mv[1] ?? mv[3]!;
      const defs = RESOURCES.filter((r) => r.group === group && r.version === version);
      if (!defs.length)
        return sendJson(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      const resources: Any[] = [];
      for (const d of defs) {
        const e: Any = {
          name: d.resource,
          singularName: d.singular,
          namespaced: d.namespaced,
          kind: d.kind,
          verbs: d.verbs,
        };
        if (d.shortNames) e.shortNames = d.shortNames;
        if (d.categories) e.categories = d.categories;
        resources.push(e);
        for (const [s, sd] of Object.entries(d.subresources ?? {}))
          resources.push({
            name: `${d.resource}/${s}`,
            singularName: '',
            namespaced: d.namespaced,
            kind: sd.kind,
            verbs: sd.verbs,
          });
      }
      return sendJson(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group ? `${group}/${version}` : version,
        resources,
      });
    }
    sendJson(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
  }

  private review(def: ResourceDef, body: Any, user: UserInfo): Any {
    const out: Any = {
      kind: def.kind,
      apiVersion: apiVersionOf(def),
      metadata: { creationTimestamp: null },
      spec: body?.spec ?? {},
    };
    if (def.kind === 'SelfSubjectReview') {
      out.status = {
        userInfo: { username: user.username, groups: user.groups, ...(user.uid ? { uid: user.uid } : {}) },
      };
      return out;
    }
    if (def.kind === 'SelfSubjectRulesReview') {
      const ns = body?.spec?.namespace;
      const rules = rulesFor(this.o.store, user, ns);
      const admin = user.groups.includes('system:masters');
      out.status = {
        resourceRules: admin
          ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]
          : rules
              .filter((x) => !x.nonResourceURLs)
              .map((x) => ({
                verbs: x.verbs ?? [],
                apiGroups: x.apiGroups ?? [],
                resources: x.resources ?? [],
                ...(x.resourceNames ? { resourceNames: x.resourceNames } : {}),
              })),
        nonResourceRules: admin
          ? [{ verbs: ['*'], nonResourceURLs: ['*'] }]
          : rules
              .filter((x) => x.nonResourceURLs)
              .map((x) => ({ verbs: x.verbs ?? [], nonResourceURLs: x.nonResourceURLs })),
        incomplete: false,
      };
      return out;
    }
    const ra = body?.spec?.resourceAttributes;
    const nra = body?.spec?.nonResourceAttributes;
    if (!ra && !nra)
      throw invalid(def, '', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
          field: 'spec.resourceAttributes',
        },
      ]);
    const attrs: ResourceAttrs | NonResourceAttrs = ra
      ? {
          verb: String(ra.verb ?? ''),
          group: String(ra.group ?? ''),
          resource: String(ra.resource ?? ''),
          subresource: ra.subresource || undefined,
          namespace: ra.namespace || undefined,
          name: ra.name || undefined,
        }
      : { verb: String(nra.verb ?? ''), path: String(nra.path ?? '') };
    const allowed = authorize(this.o.store, user, attrs);
    out.status = allowed
      ? { allowed: true, reason: user.groups.includes('system:masters') ? '' : 'RBAC: allowed by lab RBAC' }
      : { allowed: false };
    return out;
  }

  private filtered(def: ResourceDef, ns: string | undefined, q: URLSearchParams): K8sObject[] {
    let labels, fields;
    try {
      labels = parseLabelSelector(q.get('labelSelector') ?? '');
      fields = parseFieldSelector(q.get('fieldSelector') ?? '', def);
    } catch (e) {
      if (e instanceof SelectorError) throw new ApiError(400, 'BadRequest', e.message);
      throw e;
    }
    return this.o.store
      .list(def, ns)
      .filter((o) => matchLabels(labels, o.metadata.labels) && matchFields(fields, def, o));
  }

  private wantsTable(req: IncomingMessage): boolean {
    return /as=Table/.test(req.headers.accept ?? '');
  }

  private sendObject(req: IncomingMessage, res: ServerResponse, code: number, def: ResourceDef, o: K8sObject): void {
    if (this.wantsTable(req)) return sendJson(res, code, toTable(def, [o], String(this.o.store.currentRv())));
    sendJson(res, code, o);
  }

  private list(
    req: IncomingMessage,
    def: ResourceDef,
    ns: string | undefined,
    q: URLSearchParams,
    res: ServerResponse,
  ): void {
    const rv = String(this.o.store.currentRv());
    let items = this.filtered(def, ns, q);
    const limit = Number(q.get('limit') ?? 0);
    let offset = 0;
    const cont = q.get('continue');
    if (cont) {
      try {
        offset = JSON.parse(Buffer.from(cont, 'base64').toString('utf8')).o;
      } catch {
        throw new ApiError(400, 'BadRequest', 'continue key is not valid');
      }
    }
    let next: string | undefined;
    let remaining: number | undefined;
    if (limit > 0 || offset > 0) {
      const end = limit > 0 ? offset + limit : items.length;
      if (end < items.length) {
        next = Buffer.from(JSON.stringify({ o: end, rv })).toString('base64');
        remaining = items.length - end;
      }
      items = items.slice(offset, end);
    }
    if (this.wantsTable(req)) {
      const t = toTable(def, items, rv);
      if (next) t.metadata.continue = next;
      return sendJson(res, 200, t);
    }
    const meta: Any = { resourceVersion: rv };
    if (next) {
      meta.continue = next;
      meta.remainingItemCount = remaining;
    }
    sendJson(res, 200, {
      kind: `${def.kind}List`,
      apiVersion: apiVersionOf(def),
      metadata: meta,
      items: items.map((o) => {
        const c = clone(o);
        delete c.apiVersion;
        delete c.kind;
        return c;
      }),
    });
  }

  private watch(
    def: ResourceDef,
    ns: string | undefined,
    name: string | undefined,
    q: URLSearchParams,
    res: ServerResponse,
    req: IncomingMessage,
  ): void {
    let labels, fields;
    try {
      labels = parseLabelSelector(q.get('labelSelector') ?? '');
      fields = parseFieldSelector(q.get('fieldSelector') ?? '', def);
    } catch (e) {
      if (e instanceof SelectorError) throw new ApiError(400, 'BadRequest', e.message);
      throw e;
    }
    if (name) fields.push({ field: 'metadata.name', value: name, neq: false });
    const matches = (o: K8sObject | undefined) =>
      !!o &&
      (ns === undefined || o.metadata.namespace === ns) &&
      matchLabels(labels, o.metadata.labels) &&
      matchFields(fields, def, o);
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const rvParam = q.get('resourceVersion') ?? '';
    const table = this.wantsTable(req);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders(); // clients wait for the headers before the first event
    (res as Any).__labKind = 'watch';
    this.openStreams.add(res);
    const write = (type: string, o: K8sObject | Any) => {
      if (res.destroyed) return;
      const obj =
        table && type !== 'ERROR' && type !== 'BOOKMARK'
          ? toTable(def, [o], o.metadata?.resourceVersion ?? '', true)
          : o;
      res.write(JSON.stringify({ type, object: obj }) + '\n');
    };
    const send = (e: StoreEvent) => {
      if (Store.key(e.def) !== Store.key(def)) return;
      const now = matches(e.obj);
      const before = e.type === 'MODIFIED' ? matches(e.old) : now;
      if (e.type === 'ADDED' && now) write('ADDED', e.obj);
      else if (e.type === 'DELETED' && now) write('DELETED', e.obj);
      else if (e.type === 'MODIFIED') {
        if (now && before) write('MODIFIED', e.obj);
        else if (now) write('ADDED', e.obj);
        else if (before) write('DELETED', e.obj);
      }
    };
    let replay: StoreEvent[] | undefined = [];
    const initialEvents = q.get('sendInitialEvents') === 'true';
    if (initialEvents) {
      // Streaming list (WatchList, on by default in kubectl/client-go 1.35): the current state as
      // ADDED events, then a bookmark that marks the end of the initial events.
      for (const o of this.o.store.list(def, ns)) if (matches(o)) write('ADDED', o);
      write('BOOKMARK', {
        kind: def.kind,
        apiVersion: apiVersionOf(def),
        metadata: {
          resourceVersion: String(this.o.store.currentRv()),
          annotations: { 'k8s.io/initial-events-end': 'true' },
        },
      });
    } else if (rvParam === '' || rvParam === '0') {
      for (const o of this.o.store.list(def, ns)) if (matches(o)) write('ADDED', o);
    } else {
      const rvn = Number(rvParam);
      if (!Number.isFinite(rvn)) {
        write('ERROR', statusBody(400, 'BadRequest', `invalid resource version: ${rvParam}`));
        res.end();
        this.openStreams.delete(res);
        return;
      }
      replay = this.o.store.since(def, rvn);
      if (!replay) {
        write('ERROR', statusBody(410, 'Expired', `too old resource version: ${rvParam} (${this.o.store.oldestRv()})`));
        res.end();
        this.openStreams.delete(res);
        return;
      }
      for (const e of replay) send(e);
    }
    const unsub = this.o.store.subscribe(send);
    const bm = bookmarks
      ? setInterval(
          () =>
            write('BOOKMARK', {
              kind: def.kind,
              apiVersion: apiVersionOf(def),
              metadata: { resourceVersion: String(this.o.store.currentRv()) },
            }),
          5000,
        )
      : undefined;
    const timeoutSec = Number(q.get('timeoutSeconds') ?? 0);
    // The real API ends watches after a random 30-60 min; ours after timeoutSeconds or 30 min.
    const to = setTimeout(() => res.end(), (timeoutSec > 0 ? timeoutSec : 1800) * 1000);
    const done = () => {
      unsub();
      if (bm) clearInterval(bm);
      clearTimeout(to);
      this.openStreams.delete(res);
    };
    res.on('close', done);
    req.on('close', done);
  }

  // ------------------------------------------------------------------ writes

  /** Create through the same admission the HTTP API uses (the lab's controllers call this too). */
  create(def: ResourceDef, ns: string | undefined, body: Any): K8sObject {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new ApiError(400, 'BadRequest', 'the request body must be a JSON object');
    if (body.kind && body.kind !== def.kind)
      throw new ApiError(
        400,
        'BadRequest',
        `the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(def)})`,
      );
    const o = clone(body) as K8sObject;
    if (def.namespaced) {
      const bns = o.metadata?.namespace;
      if (ns && bns && bns !== ns)
        throw new ApiError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      ns = ns ?? bns;
      if (!ns) throw new ApiError(400, 'BadRequest', 'a namespace is required');
      if (!this.o.store.peek(findResource('', 'v1', 'namespaces')!, undefined, ns))
        throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
      const nso = this.o.store.peek(findResource('', 'v1', 'namespaces')!, undefined, ns)!;
      if (nso.metadata.deletionTimestamp)
        throw new ApiError(
          403,
          'Forbidden',
          `${def.resource} "${o.metadata?.name ?? ''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        );
    }
    prepareMeta(o, def.namespaced ? ns : undefined);
    const causes = validateMeta(def, o);
    const a = o as Any;
    switch (def.kind) {
      case 'Pod':
        causes.push(...validatePodSpec(a.spec, 'spec'));
        if (!causes.length) {
          if (this.faults.rejectPodCreation)
            throw new ApiError(
              403,
              'Forbidden',
              `pods "${o.metadata.name}" is forbidden: admission webhook "lab-fault.lantern.dev" denied the request: pod creation rejected (lab fault injection)`,
            );
          defaultPodSpec(a.spec);
          const sa = findResource('', 'v1', 'serviceaccounts')!;
          if (!this.o.store.peek(sa, ns, a.spec.serviceAccountName))
            throw new ApiError(
              403,
              'Forbidden',
              `pods "${o.metadata.name}" is forbidden: error looking up service account ${ns}/${a.spec.serviceAccountName}: serviceaccount "${a.spec.serviceAccountName}" not found`,
            );
          const saObj = this.o.store.peek(sa, ns, a.spec.serviceAccountName) as Any;
          if (a.spec.automountServiceAccountToken === undefined && saObj?.automountServiceAccountToken === false)
            a.spec.automountServiceAccountToken = false;
          addTokenVolume(a.spec);
          a.status = { phase: 'Pending', qosClass: qosClass(a.spec) };
        }
        break;
      case 'Service':
        causes.push(...validateService(a));
        if (!causes.length) defaultService(a, () => this.o.hooks.allocateClusterIP());
        break;
      case 'Deployment':
      case 'ReplicaSet':
      case 'DaemonSet':
      case 'StatefulSet':
      case 'Job':
      case 'CronJob':
        causes.push(...validateTemplateOwner(def, a));
        if (!causes.length) {
          if (def.kind === 'Job' && !a.spec.selector) {
            // controller-uid labels are filled by the lab's job controller once the uid exists
          }
          defaultWorkload(def, a);
        }
        break;
      case 'Namespace':
        a.spec ??= { finalizers: ['kubernetes'] };
        a.status = { phase: 'Active' };
        o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name! };
        break;
      case 'Role':
      case 'ClusterRole':
        if (!Array.isArray(a.rules) && def.kind === 'Role') a.rules = [];
        break;
      case 'RoleBinding':
      case 'ClusterRoleBinding':
        if (!a.roleRef?.name || !a.roleRef?.kind)
          causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'roleRef.name' });
        break;
    }
    if (causes.length) throw invalid(def, o.metadata.name ?? '', causes);
    return this.o.store.create(def, o);
  }

  private update(def: ResourceDef, r: Route, body: Any): K8sObject {
    if (!body || typeof body !== 'object')
      throw new ApiError(400, 'BadRequest', 'the request body must be a JSON object');
    const cur = this.o.store.get(def, r.namespace, r.name!);
    if (!cur) throw notFound(def, r.name!);
    if (body.metadata?.name && body.metadata.name !== r.name)
      throw new ApiError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
    const next = clone(body) as Any;
    next.metadata = { ...next.metadata, name: r.name, namespace: cur.metadata.namespace };
    if (r.sub === 'status') next.spec = (cur as Any).spec;
    else if (def.kind !== 'Namespace' && 'status' in cur) next.status = (cur as Any).status;
    if (def.kind === 'Pod' && r.sub !== 'status')
      next.spec = { ...(cur as Any).spec, ...pickMutablePodSpec(next.spec) };
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify((cur as Any).spec);
    return this.o.store.update(
      def,
      next,
      body.metadata?.resourceVersion || undefined,
      specChanged && r.sub !== 'status',
    );
  }

  private patch(def: ResourceDef, r: Route, body: Any, contentType: string): K8sObject {
    const cur = this.o.store.get(def, r.namespace, r.name!);
    if (!cur) throw notFound(def, r.name!);
    let next: Any;
    if (contentType.startsWith('application/json-patch+json')) {
      if (!Array.isArray(body)) throw new ApiError(400, 'BadRequest', 'json patch must be an array');
      next = applyJsonPatch(clone(cur), body);
    } else if (
      contentType.startsWith('application/merge-patch+json') ||
      contentType.startsWith('application/strategic-merge-patch+json')
    ) {
      next = mergePatch(clone(cur), body);
    } else if (contentType.startsWith('application/apply-patch')) {
      throw new ApiError(415, 'UnsupportedMediaType', 'server-side apply is not supported by the lab API');
    } else
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
      );
    next.metadata.name = cur.metadata.name;
    next.metadata.namespace = cur.metadata.namespace;
    if (r.sub === 'status') next.spec = (cur as Any).spec;
    else if (def.kind !== 'Namespace' && 'status' in cur) next.status = (cur as Any).status;
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify((cur as Any).spec);
    return this.o.store.update(def, next, undefined, specChanged && r.sub !== 'status');
  }

  private delete(
    def: ResourceDef,
    ns: string | undefined,
    name: string,
    body: Any,
    q: URLSearchParams,
    res: ServerResponse,
  ): void {
    const out = this.deleteOne(def, ns, name, body, q);
    if (def.kind === 'Pod' || def.kind === 'Namespace' || out.metadata.deletionTimestamp)
      return sendJson(res, 200, out);
    sendJson(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: def.group, kind: def.resource, uid: out.metadata.uid },
    });
  }

  /** Deletion semantics: pods on a node get a grace period (the kubelet finishes them); namespaces terminate. */
  deleteOne(def: ResourceDef, ns: string | undefined, name: string, body: Any, q?: URLSearchParams): K8sObject {
    const cur = this.o.store.get(def, ns, name);
    if (!cur) throw notFound(def, name);
    const pre = body?.preconditions;
    if (pre?.uid && pre.uid !== cur.metadata.uid)
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`,
      );
    let grace: number | undefined =
      body?.gracePeriodSeconds ??
      (q?.get('gracePeriodSeconds') != null ? Number(q.get('gracePeriodSeconds')) : undefined);
    if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) grace = undefined;
    const propagation = body?.propagationPolicy ?? q?.get('propagationPolicy') ?? 'Background';
    if (def.kind === 'Pod') {
      const c = cur as Any;
      const phase = c.status?.phase;
      const g = grace ?? c.spec.terminationGracePeriodSeconds ?? 30;
      if (!c.spec.nodeName || g === 0 || phase === 'Succeeded' || phase === 'Failed') {
        return this.o.store.remove(def, ns, name);
      }
      if (cur.metadata.deletionTimestamp) {
        // A second delete may only shorten the grace period.
        if (g < (cur.metadata.deletionGracePeriodSeconds ?? 30))
          return this.o.store.mutate(def, ns, name, (o) => {
            o.metadata.deletionGracePeriodSeconds = g;
            o.metadata.deletionTimestamp = new Date(Date.now() + g * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
          })!;
        return cur;
      }
      return this.o.store.mutate(def, ns, name, (o) => {
        o.metadata.deletionTimestamp = new Date(Date.now() + g * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        o.metadata.deletionGracePeriodSeconds = g;
      })!;
    }
    if (def.kind === 'Namespace') {
      if (['default', 'kube-system', 'kube-public', 'kube-node-lease'].includes(name))
        throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`);
      if (cur.metadata.deletionTimestamp) return cur;
      return this.o.store.mutate(def, ns, name, (o) => {
        o.metadata.deletionTimestamp = nowIso();
        o.metadata.deletionGracePeriodSeconds = 0;
        (o as Any).status = { phase: 'Terminating' };
      })!;
    }
    if (propagation === 'Foreground' || propagation === 'Orphan') {
      // Orphan: strip owner references from dependants before deleting.
      if (propagation === 'Orphan') this.orphanDependants(cur.metadata.uid!);
    }
    return this.o.store.remove(def, ns, name);
  }

  /** Hook for the garbage collector to know about orphaning (set by the controllers). */
  orphanDependants: (uid: string) => void = () => {};

  // ------------------------------------------------------------------ logs

  private resolveContainer(pod: Any, q: URLSearchParams, forExec = false): string {
    const names: string[] = (pod.spec?.containers ?? []).map((c: Any) => c.name);
    const init: string[] = (pod.spec?.initContainers ?? []).map((c: Any) => c.name);
    const want = q.get('container');
    if (want) {
      if (!names.includes(want) && !init.includes(want))
        throw new ApiError(400, 'BadRequest', `container ${want} is not valid for pod ${pod.metadata.name}`);
      return want;
    }
    if (names.length === 1 || forExec) return names[0]!;
    const def = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
    if (def && names.includes(def)) return def;
    throw new ApiError(
      400,
      'BadRequest',
      `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`,
    );
  }

  private podLog(r: Route, q: URLSearchParams, res: ServerResponse): void {
    const podDef = r.def!;
    const pod = this.o.store.get(podDef, r.namespace, r.name!) as Any;
    if (!pod) throw notFound(podDef, r.name!);
    const container = this.resolveContainer(pod, q);
    if (q.get('previous') === 'true')
      throw new ApiError(
        400,
        'BadRequest',
        `previous terminated container "${container}" in pod "${pod.metadata.name}" not found`,
      );
    const log = this.o.hooks.containerLog(pod, container);
    if (!log) {
      const reason =
        pod.status?.containerStatuses?.find((c: Any) => c.name === container)?.state?.waiting?.reason ??
        'ContainerCreating';
      throw new ApiError(
        400,
        'BadRequest',
        `container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${reason}`,
      );
    }
    const follow = q.get('follow') === 'true' || q.get('follow') === '1';
    const timestamps = q.get('timestamps') === 'true' || q.get('timestamps') === '1';
    let sinceNs: bigint | undefined;
    const sinceTime = q.get('sinceTime');
    const sinceSeconds = q.get('sinceSeconds');
    if (sinceTime && sinceSeconds)
      throw new ApiError(422, 'Invalid', 'at most one of `sinceTime` or `sinceSeconds` may be specified');
    if (sinceTime) {
      sinceNs = rfc3339ToNs(sinceTime);
      if (sinceNs === undefined)
        throw new ApiError(
          400,
          'BadRequest',
          `parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse`,
        );
    } else if (sinceSeconds) {
      const s = Number(sinceSeconds);
      if (!Number.isInteger(s) || s < 1)
        throw new ApiError(422, 'Invalid', 'sinceSeconds: Invalid value: must be greater than 0');
      sinceNs = BigInt(Date.now() - s * 1000) * 1_000_000n;
    }
    const tailLines = q.get('tailLines') != null ? Number(q.get('tailLines')) : undefined;
    const limitBytes = q.get('limitBytes') != null ? Number(q.get('limitBytes')) : undefined;
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    (res as Any).__labKind = 'log';
    this.openStreams.add(res);
    let sent = 0;
    const sub: { off?: () => void } = {};
    const finish = () => {
      sub.off?.();
      this.openStreams.delete(res);
      if (!res.destroyed && !res.writableEnded) res.end();
    };
    const writeEntry = (e: { ns: bigint; ts: string; data: Buffer }): boolean => {
      if (sinceNs !== undefined && e.ns < sinceNs) return true;
      let chunk = timestamps ? Buffer.concat([Buffer.from(e.ts + ' '), e.data]) : e.data;
      if (limitBytes !== undefined && limitBytes > 0) {
        if (sent + chunk.length > limitBytes) {
          chunk = chunk.subarray(0, limitBytes - sent);
          res.write(chunk);
          sent += chunk.length;
          return false;
        }
      }
      sent += chunk.length;
      res.write(chunk);
      return true;
    };
    let entries = log.snapshot();
    if (sinceNs !== undefined) entries = entries.filter((e) => e.ns >= sinceNs!);
    if (tailLines !== undefined && tailLines >= 0) entries = entries.slice(Math.max(0, entries.length - tailLines));
    for (const e of entries) if (!writeEntry(e)) return finish();
    if (!follow || log.ended) return finish();
    sub.off = log.subscribe(
      (e) => {
        if (!writeEntry(e)) finish();
      },
      () => finish(),
    );
    res.on('close', finish);
  }

  // ------------------------------------------------------------------ exec

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, external: boolean): Promise<void> {
    const fail = (code: number, body: Any) => {
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${code} ${REASONS[code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    };
    this.requestCount.total++;
    const authn = this.authenticate(req);
    if (!authn) return fail(401, statusBody(401, 'Unauthorized', 'Unauthorized'));
    let user: UserInfo;
    try {
      user = this.impersonate(req, authn);
    } catch (e) {
      const ae = e as ApiError;
      return fail(ae.code, statusBody(ae.code, ae.reason, ae.message));
    }
    if (external && this.faults.failNext > 0) {
      this.faults.failNext--;
      return fail(
        this.faults.failStatus,
        statusBody(this.faults.failStatus, REASONS[this.faults.failStatus]!, 'injected fault (lab)'),
      );
    }
    const url = new URL(req.url ?? '/', 'https://lab');
    const r = route(url.pathname);
    if (r instanceof ApiError) return fail(r.code, statusBody(r.code, r.reason, r.message));
    if (!r.def || r.def.kind !== 'Pod' || r.sub !== 'exec' || !r.name)
      return fail(400, statusBody(400, 'BadRequest', 'the lab API upgrades only pods/exec requests'));
    const attrs: ResourceAttrs = {
      verb: 'create',
      group: '',
      resource: 'pods',
      subresource: 'exec',
      namespace: r.namespace,
      name: r.name,
    };
    if (!authorize(this.o.store, user, attrs))
      return fail(403, statusBody(403, 'Forbidden', forbiddenMessage(user, attrs), { name: r.name, kind: 'pods' }));
    const pod = this.o.store.get(r.def, r.namespace, r.name) as Any;
    if (!pod)
      return fail(404, statusBody(404, 'NotFound', `pods "${r.name}" not found`, { name: r.name, kind: 'pods' }));
    let container: string;
    try {
      container = this.resolveContainer(pod, url.searchParams, true);
    } catch (e) {
      const ae = e as ApiError;
      return fail(ae.code, statusBody(ae.code, ae.reason, ae.message));
    }
    const argv = url.searchParams.getAll('command');
    if (!argv.length) return fail(400, statusBody(400, 'BadRequest', 'you must specify at least 1 command'));
    const wantStdin = url.searchParams.get('stdin') === 'true' || url.searchParams.get('stdin') === '1';
    const tty = url.searchParams.get('tty') === 'true' || url.searchParams.get('tty') === '1';
    if (pod.status?.phase !== 'Running')
      return fail(
        400,
        statusBody(
          400,
          'BadRequest',
          `unable to upgrade connection: pod does not exist or is not running (phase ${pod.status?.phase})`,
        ),
      );
    const protos = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim());
    if (!protos.some((p) => EXEC_PROTOCOLS.includes(p)))
      return fail(
        400,
        statusBody(
          400,
          'BadRequest',
          `unable to upgrade connection: the lab speaks ${EXEC_PROTOCOLS.join(', ')} over WebSocket only (no SPDY)`,
        ),
      );
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      let child: ChildProcess;
      try {
        child = this.o.hooks.exec(pod, container, argv, tty);
      } catch (e) {
        // As the real API: the stream is up, the failure arrives as a Status on the error channel.
        const ae = e instanceof ApiError ? e : new ApiError(500, 'InternalError', String((e as Error).message));
        ws.send(
          Buffer.concat([
            Buffer.from([3]),
            Buffer.from(
              JSON.stringify({
                metadata: {},
                status: 'Failure',
                message: ae.message,
                reason: ae.reason,
                code: ae.code,
              }),
            ),
          ]),
        );
        ws.close(1000);
        return;
      }
      this.execs.add(child);
      this.runExec(ws, child, argv, wantStdin);
    });
  }

  private runExec(ws: WebSocket, child: ChildProcess, argv: string[], wantStdin: boolean): void {
    const v5 = ws.protocol === 'v5.channel.k8s.io';
    const send = (ch: number, data: Buffer | string) => {
      if (ws.readyState !== ws.OPEN) return;
      const b = typeof data === 'string' ? Buffer.from(data) : data;
      ws.send(Buffer.concat([Buffer.from([ch]), b]));
    };
    child.stdout?.on('data', (d: Buffer) => send(1, d));
    child.stderr?.on('data', (d: Buffer) => send(2, d));
    child.stdin?.on('error', () => {});
    if (!wantStdin) child.stdin?.end();
    ws.on('message', (data: Buffer, isBinary) => {
      const b = Buffer.isBuffer(data) ? data : Buffer.from(data as unknown as ArrayBuffer);
      if (!isBinary && !b.length) return;
      const ch = b[0];
      if (ch === 0 && wantStdin) child.stdin?.write(b.subarray(1));
      else if (ch === 255 && v5 && b[1] === 0) child.stdin?.end();
      // channel 4 (resize) is meaningless without a tty here
    });
    ws.on('close', () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let outDone = !child.stdout;
    let errDone = !child.stderr;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const maybeFinish = () => {
      if (!exit || !outDone || !errDone) return;
      this.execs.delete(child);
      const code = exit.code ?? (exit.signal ? 128 + (signalNumber(exit.signal) ?? 9) : 1);
      const st =
        code === 0
          ? { metadata: {}, status: 'Success' }
          : {
              metadata: {},
              status: 'Failure',
              message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`,
              reason: 'NonZeroExitCode',
              details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
            };
      send(3, JSON.stringify(st));
      ws.close(1000);
    };
    child.stdout?.on('end', () => {
      outDone = true;
      maybeFinish();
    });
    child.stderr?.on('end', () => {
      errDone = true;
      maybeFinish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Grandchildren may hold the pipes open; do not wait on them forever.
      setTimeout(() => {
        outDone = errDone = true;
        maybeFinish();
      }, 2000).unref();
      maybeFinish();
    });
  }
}

function signalNumber(s: NodeJS.Signals): number | undefined {
  const map: Record<string, number> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGPIPE: 13,
    SIGTERM: 15,
  };
  return map[s];
}

function pickMutablePodSpec(spec: Any): Any {
  // Pod spec is immutable except for a few fields (the real API rejects others; we ignore them).
  const out: Any = {};
  if (spec?.activeDeadlineSeconds !== undefined) out.activeDeadlineSeconds = spec.activeDeadlineSeconds;
  if (spec?.tolerations !== undefined) out.tolerations = spec.tolerations;
  return out;
}

function mergePatch(target: Any, patch: Any): Any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '__proto__' || k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function applyJsonPatch(doc: Any, ops: Any[]): Any {
  for (const op of ops) {
    const parts = String(op.path ?? '')
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (parts.some((p) => p === '__proto__')) throw new ApiError(422, 'Invalid', 'invalid json patch path');
    const last = parts.pop();
    let parent = doc;
    for (const p of parts) {
      if (parent == null) throw new ApiError(422, 'Invalid', `json patch path not found: ${op.path}`);
      parent = parent[p];
    }
    if (parent == null || last === undefined)
      throw new ApiError(422, 'Invalid', `json patch path not found: ${op.path}`);
    if (op.op === 'add' || op.op === 'replace') {
      if (Array.isArray(parent) && op.op === 'add')
        parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
      else parent[last] = op.value;
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value))
        throw new ApiError(422, 'Invalid', `json patch test failed: ${op.path}`);
    } else throw new ApiError(422, 'Invalid', `unsupported json patch op: ${op.op}`);
  }
  return doc;
}

// ------------------------------------------------------------------ kubectl's table printing

function age(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function columnsFor(def: ResourceDef): { name: string; type: string; cell: (o: Any) => unknown; priority?: number }[] {
  const name = { name: 'Name', type: 'string', cell: (o: Any) => o.metadata.name };
  const ageCol = { name: 'Age', type: 'string', cell: (o: Any) => age(o.metadata.creationTimestamp) };
  switch (def.kind) {
    case 'Pod':
      return [
        name,
        {
          name: 'Ready',
          type: 'string',
          cell: (o) =>
            `${(o.status?.containerStatuses ?? []).filter((c: Any) => c.ready).length}/${o.spec.containers.length}`,
        },
        {
          name: 'Status',
          type: 'string',
          cell: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : podStatusReason(o)),
        },
        {
          name: 'Restarts',
          type: 'string',
          cell: (o) =>
            String((o.status?.containerStatuses ?? []).reduce((n: number, c: Any) => n + (c.restartCount ?? 0), 0)),
        },
        ageCol,
        { name: 'IP', type: 'string', cell: (o) => o.status?.podIP ?? '<none>', priority: 1 },
        { name: 'Node', type: 'string', cell: (o) => o.spec.nodeName ?? '<none>', priority: 1 },
      ];
    case 'Node':
      return [
        name,
        {
          name: 'Status',
          type: 'string',
          cell: (o) => {
            const r = o.status?.conditions?.find((c: Any) => c.type === 'Ready');
            return (r?.status === 'True' ? 'Ready' : 'NotReady') + (o.spec?.unschedulable ? ',SchedulingDisabled' : '');
          },
        },
        { name: 'Roles', type: 'string', cell: () => '<none>' },
        ageCol,
        { name: 'Version', type: 'string', cell: (o) => o.status?.nodeInfo?.kubeletVersion ?? '' },
      ];
    case 'Service':
      return [
        name,
        { name: 'Type', type: 'string', cell: (o) => o.spec.type },
        { name: 'Cluster-IP', type: 'string', cell: (o) => o.spec.clusterIP ?? '<none>' },
        { name: 'External-IP', type: 'string', cell: () => '<none>' },
        {
          name: 'Port(s)',
          type: 'string',
          cell: (o) => (o.spec.ports ?? []).map((p: Any) => `${p.port}/${p.protocol}`).join(','),
        },
        ageCol,
      ];
    case 'Deployment':
    case 'StatefulSet':
      return [
        name,
        { name: 'Ready', type: 'string', cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec.replicas}` },
        ageCol,
      ];
    case 'Namespace':
      return [name, { name: 'Status', type: 'string', cell: (o) => o.status?.phase ?? 'Active' }, ageCol];
    default:
      return [name, ageCol];
  }
}

function podStatusReason(o: Any): string {
  for (const c of o.status?.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason && o.status.phase !== 'Running') return c.state.terminated.reason;
  }
  return o.status?.reason ?? o.status?.phase ?? 'Unknown';
}

function toTable(def: ResourceDef, items: K8sObject[], rv: string, single = false): Any {
  const cols = columnsFor(def);
  const t: Any = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: rv },
    columnDefinitions: cols.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.name === 'Name' ? 'name' : '',
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: items.map((o) => ({
      cells: cols.map((c) => c.cell(o)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
  if (single) delete t.metadata.continue;
  return t;
}
