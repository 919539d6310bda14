/**
 * The cluster inventory: list + watch of the objects that give events their meaning (which pod,
 * which workload, which service account, which service an address belongs to). Kept current
 * while connected; every watch stops on `stop()`.
 *
 * Objects the user may not list (403) or that the server lacks (404) leave that part empty and
 * say so in `warnings` — a capture still works, attribution is just poorer.
 */
import { makeInformer, type KubernetesObject } from '@kubernetes/client-node';
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1EndpointSlice,
  V1Job,
  V1Namespace,
  V1Node,
  V1Pod,
  V1ReplicaSet,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type {
  InvNamespace,
  InvNode,
  InvPod,
  InvRbacBinding,
  InvRbacObject,
  InvService,
  InvServiceAccount,
  Inventory,
} from '../common/capture';
import type { ClusterConnection } from './connection';
import { describeClusterError } from './errors';

/** Label every Lantern capture pod carries (mirrors the agent pod spec). */
export const LANTERN_MANAGED_LABEL = 'app.kubernetes.io/managed-by';
export const LANTERN_MANAGED_VALUE = 'lantern';

function cleanLabels(l: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!l) return undefined;
  // Labels are attacker-chosen keys: copy into a prototype-less-safe plain object.
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(l)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

export function nodeToInv(n: V1Node): InvNode {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  const out: InvNode = { name: n.metadata?.name ?? '' };
  if (n.metadata?.uid) out.uid = n.metadata.uid;
  const labels = cleanLabels(n.metadata?.labels);
  if (labels) out.labels = labels;
  const info = n.status?.nodeInfo;
  if (info?.kernelVersion) out.kernel = info.kernelVersion;
  if (info?.containerRuntimeVersion) out.runtime = info.containerRuntimeVersion;
  if (info?.osImage) out.osImage = info.osImage;
  const addrs = (n.status?.addresses ?? []).map((a) => a.address).filter((a): a is string => !!a);
  if (addrs.length) out.addresses = addrs;
  if (ready) out.ready = ready.status === 'True';
  return out;
}

export function namespaceToInv(ns: V1Namespace): InvNamespace {
  const labels = cleanLabels(ns.metadata?.labels);
  const out: InvNamespace = { name: ns.metadata?.name ?? '' };
  if (ns.metadata?.uid) out.uid = ns.metadata.uid;
  if (labels) {
    out.labels = labels;
    const ps: InvNamespace['podSecurity'] = {};
    for (const mode of ['enforce', 'audit', 'warn'] as const) {
      const v = labels[`pod-security.kubernetes.io/${mode}`];
      if (v) ps[mode] = v;
    }
    if (Object.keys(ps).length) out.podSecurity = ps;
  }
  return out;
}

type OwnerRef = { kind: string; name: string };
export interface OwnerLookup {
  replicaSet(namespace: string, name: string): V1ReplicaSet | undefined;
  job(namespace: string, name: string): V1Job | undefined;
}

function controllerOf(
  meta: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] } | undefined,
): OwnerRef | undefined {
  const refs = meta?.ownerReferences ?? [];
  const r = refs.find((o) => o.controller) ?? refs[0];
  return r ? { kind: r.kind, name: r.name } : undefined;
}

/**
 * Owner chain from the pod up to its top workload. ReplicaSet → Deployment and Job → CronJob are
 * followed through the cached objects; when those are not visible (no permission), the names
 * Kubernetes generates are used (rs "web-5d9f8" of Deployment "web" carries the pod-template-hash).
 */
export function resolveOwners(pod: V1Pod, lookup: OwnerLookup): OwnerRef[] {
  const ns = pod.metadata?.namespace ?? '';
  const chain: OwnerRef[] = [];
  let cur = controllerOf(pod.metadata);
  for (let depth = 0; cur && depth < 5; depth++) {
    chain.push(cur);
    let next: OwnerRef | undefined;
    if (cur.kind === 'ReplicaSet') {
      const rs = lookup.replicaSet(ns, cur.name);
      if (rs) next = controllerOf(rs.metadata);
      else {
        const hash = pod.metadata?.labels?.['pod-template-hash'];
        if (hash && cur.name.endsWith(`-${hash}`))
          next = { kind: 'Deployment', name: cur.name.slice(0, -hash.length - 1) };
      }
    } else if (cur.kind === 'Job') {
      const job = lookup.job(ns, cur.name);
      if (job) next = controllerOf(job.metadata);
      else {
        const m = /^(.+)-\d{8,}$/.exec(cur.name);
        if (m?.[1]) next = { kind: 'CronJob', name: m[1] };
      }
    }
    cur = next;
  }
  return chain;
}

function stripRuntime(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const i = id.indexOf('://');
  return i >= 0 ? id.slice(i + 3) : id;
}

export function podToInv(pod: V1Pod, lookup: OwnerLookup): InvPod {
  const meta = pod.metadata ?? {};
  const statuses = new Map(
    [
      ...(pod.status?.containerStatuses ?? []),
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.ephemeralContainerStatuses ?? []),
    ].map((s) => [s.name, s]),
  );
  const specContainers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const containers = specContainers.map((c) => {
    const st = statuses.get(c.name);
    const out: InvPod['containers'][number] = { name: c.name };
    const id = stripRuntime(st?.containerID);
    if (id) out.id = id;
    const image = st?.image ?? c.image;
    if (image) out.image = image;
    if (st?.imageID) out.imageId = st.imageID;
    // Exec probe argv (H6): lets detection tell the kubelet's probe execs from kubectl exec.
    const probes = [c.livenessProbe, c.readinessProbe, c.startupProbe]
      .map((p) => p?.exec?.command)
      .filter(
        (cmd): cmd is string[] => Array.isArray(cmd) && cmd.length > 0 && cmd.every((a) => typeof a === 'string'),
      );
    if (probes.length) out.execProbes = probes;
    return out;
  });
  const owners = resolveOwners(pod, lookup);
  const labels = cleanLabels(meta.labels);
  const out: InvPod = {
    uid: meta.uid ?? '',
    name: meta.name ?? '',
    namespace: meta.namespace ?? '',
    containers,
    workload: owners.length ? owners[owners.length - 1]! : { kind: 'Pod', name: meta.name ?? '' },
  };
  if (owners.length) out.owners = owners;
  if (pod.spec?.nodeName) out.node = pod.spec.nodeName;
  if (labels) out.labels = labels;
  const sa = pod.spec?.serviceAccountName ?? (pod.spec as { serviceAccount?: string } | undefined)?.serviceAccount;
  if (sa) out.serviceAccount = sa;
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((x): x is string => !!x);
  if (!ips.length && pod.status?.podIP) ips.push(pod.status.podIP);
  if (ips.length) out.ips = ips;
  if (pod.spec?.hostNetwork) out.hostNetwork = true;
  if (pod.status?.phase) out.phase = pod.status.phase;
  if (labels?.[LANTERN_MANAGED_LABEL] === LANTERN_MANAGED_VALUE) out.lanternCapture = true;
  return out;
}

export function serviceToInv(svc: V1Service, slices: V1EndpointSlice[]): InvService {
  const meta = svc.metadata ?? {};
  const out: InvService = { name: meta.name ?? '', namespace: meta.namespace ?? '' };
  if (meta.uid) out.uid = meta.uid;
  if (svc.spec?.type) out.type = svc.spec.type;
  const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
  const cleanIps = ips.filter((ip) => ip && ip !== 'None');
  if (cleanIps.length) out.clusterIPs = cleanIps;
  if (svc.spec?.ports?.length) {
    out.ports = svc.spec.ports.map((p) => {
      const port: NonNullable<InvService['ports']>[number] = { port: p.port };
      if (p.name) port.name = p.name;
      if (p.targetPort !== undefined) port.targetPort = p.targetPort as number | string;
      if (p.protocol) port.protocol = p.protocol;
      return port;
    });
  }
  const sel = cleanLabels(svc.spec?.selector);
  if (sel) out.selector = sel;
  const endpoints: NonNullable<InvService['endpoints']> = [];
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      for (const ip of ep.addresses ?? []) {
        const e: (typeof endpoints)[number] = { ip };
        if (ep.targetRef?.kind === 'Pod' && ep.targetRef.uid) e.podUid = ep.targetRef.uid;
        if (ep.nodeName) e.node = ep.nodeName;
        endpoints.push(e);
      }
    }
  }
  if (endpoints.length) out.endpoints = endpoints;
  return out;
}

export function serviceAccountToInv(sa: V1ServiceAccount): InvServiceAccount {
  const out: InvServiceAccount = { name: sa.metadata?.name ?? '', namespace: sa.metadata?.namespace ?? '' };
  if (sa.metadata?.uid) out.uid = sa.metadata.uid;
  return out;
}

export function roleToInv(r: V1Role | V1ClusterRole, kind: 'Role' | 'ClusterRole'): InvRbacObject {
  const out: InvRbacObject = {
    kind,
    name: r.metadata?.name ?? '',
    rules: (r.rules ?? []).map((rule) => {
      const o: InvRbacObject['rules'][number] = { verbs: [...(rule.verbs ?? [])] };
      if (rule.resources) o.resources = [...rule.resources];
      if (rule.apiGroups) o.apiGroups = [...rule.apiGroups];
      return o;
    }),
  };
  if (kind === 'Role' && r.metadata?.namespace) out.namespace = r.metadata.namespace;
  return out;
}

export function bindingToInv(
  b: V1RoleBinding | V1ClusterRoleBinding,
  kind: 'RoleBinding' | 'ClusterRoleBinding',
): InvRbacBinding {
  const out: InvRbacBinding = {
    kind,
    name: b.metadata?.name ?? '',
    roleRef: { kind: b.roleRef?.kind ?? '', name: b.roleRef?.name ?? '' },
    subjects: (b.subjects ?? []).map((s) => ({
      kind: s.kind,
      name: s.name,
      ...(s.namespace ? { namespace: s.namespace } : {}),
    })),
  };
  if (kind === 'RoleBinding' && b.metadata?.namespace) out.namespace = b.metadata.namespace;
  return out;
}

export interface InventoryObjects {
  nodes: readonly V1Node[];
  namespaces: readonly V1Namespace[];
  pods: readonly V1Pod[];
  replicaSets: readonly V1ReplicaSet[];
  jobs: readonly V1Job[];
  services: readonly V1Service[];
  endpointSlices: readonly V1EndpointSlice[];
  serviceAccounts: readonly V1ServiceAccount[];
  roles: readonly V1Role[];
  clusterRoles: readonly V1ClusterRole[];
  roleBindings: readonly V1RoleBinding[];
  clusterRoleBindings: readonly V1ClusterRoleBinding[];
}

const key = (ns: string | undefined, name: string | undefined) => `${ns ?? ''}/${name ?? ''}`;

/** Build the capture-file Inventory from raw API objects. Pure: tested without a cluster. */
export function buildInventory(o: InventoryObjects, takenAt = new Date()): Inventory {
  const rs = new Map(o.replicaSets.map((r) => [key(r.metadata?.namespace, r.metadata?.name), r]));
  const jobs = new Map(o.jobs.map((j) => [key(j.metadata?.namespace, j.metadata?.name), j]));
  const lookup: OwnerLookup = {
    replicaSet: (ns, name) => rs.get(key(ns, name)),
    job: (ns, name) => jobs.get(key(ns, name)),
  };
  const slicesBySvc = new Map<string, V1EndpointSlice[]>();
  for (const s of o.endpointSlices) {
    const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const k = key(s.metadata?.namespace, svc);
    const list = slicesBySvc.get(k) ?? [];
    list.push(s);
    slicesBySvc.set(k, list);
  }
  const services = o.services.map((s) =>
    serviceToInv(s, slicesBySvc.get(key(s.metadata?.namespace, s.metadata?.name)) ?? []),
  );
  const inv: Inventory = {
    takenAt: takenAt.toISOString(),
    nodes: o.nodes.map(nodeToInv),
    namespaces: o.namespaces.map(namespaceToInv),
    pods: o.pods.map((p) => podToInv(p, lookup)),
    services,
    serviceAccounts: o.serviceAccounts.map(serviceAccountToInv),
    roles: [...o.roles.map((r) => roleToInv(r, 'Role')), ...o.clusterRoles.map((r) => roleToInv(r, 'ClusterRole'))],
    bindings: [
      ...o.roleBindings.map((b) => bindingToInv(b, 'RoleBinding')),
      ...o.clusterRoleBindings.map((b) => bindingToInv(b, 'ClusterRoleBinding')),
    ],
  };
  const apiSvc = services.find((s) => s.namespace === 'default' && s.name === 'kubernetes');
  const addresses = new Set<string>([...(apiSvc?.clusterIPs ?? []), ...(apiSvc?.endpoints ?? []).map((e) => e.ip)]);
  if (addresses.size) {
    const port = apiSvc?.ports?.[0]?.port;
    inv.apiServer = { addresses: [...addresses], ...(port ? { port } : {}) };
  }
  return inv;
}

type Kind = keyof InventoryObjects;
interface WatchSpec {
  kind: Kind;
  path: string;
  what: string;
  list: (c: ClusterConnection) => Promise<{ items: KubernetesObject[] }>;
}

const SPECS: WatchSpec[] = [
  { kind: 'nodes', path: '/api/v1/nodes', what: 'nodes', list: (c) => c.core.listNode() },
  { kind: 'namespaces', path: '/api/v1/namespaces', what: 'namespaces', list: (c) => c.core.listNamespace() },
  { kind: 'pods', path: '/api/v1/pods', what: 'pods', list: (c) => c.core.listPodForAllNamespaces() },
  {
    kind: 'replicaSets',
    path: '/apis/apps/v1/replicasets',
    what: 'replicasets',
    list: (c) => c.apps.listReplicaSetForAllNamespaces(),
  },
  { kind: 'jobs', path: '/apis/batch/v1/jobs', what: 'jobs', list: (c) => c.batch.listJobForAllNamespaces() },
  { kind: 'services', path: '/api/v1/services', what: 'services', list: (c) => c.core.listServiceForAllNamespaces() },
  {
    kind: 'endpointSlices',
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    what: 'endpointslices',
    list: (c) => c.discovery.listEndpointSliceForAllNamespaces(),
  },
  {
    kind: 'serviceAccounts',
    path: '/api/v1/serviceaccounts',
    what: 'serviceaccounts',
    list: (c) => c.core.listServiceAccountForAllNamespaces(),
  },
  {
    kind: 'roles',
    path: '/apis/rbac.authorization.k8s.io/v1/roles',
    what: 'roles',
    list: (c) => c.rbac.listRoleForAllNamespaces(),
  },
  {
    kind: 'clusterRoles',
    path: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    what: 'clusterroles',
    list: (c) => c.rbac.listClusterRole(),
  },
  {
    kind: 'roleBindings',
    path: '/apis/rbac.authorization.k8s.io/v1/rolebindings',
    what: 'rolebindings',
    list: (c) => c.rbac.listRoleBindingForAllNamespaces(),
  },
  {
    kind: 'clusterRoleBindings',
    path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    what: 'clusterrolebindings',
    list: (c) => c.rbac.listClusterRoleBinding(),
  },
];

export interface InventoryWatcherOptions {
  /** Restart a failed watch after this long. */
  retryMs?: number;
  /** Coalesce change notifications. */
  debounceMs?: number;
}

/**
 * List + watch of every inventory kind through @kubernetes/client-node informers. A watch that
 * errors is restarted (after `retryMs`) until `stop()`; a kind the user cannot list is left empty
 * with a warning.
 */
export class InventoryWatcher {
  readonly warnings: string[] = [];
  private readonly informers = new Map<Kind, ReturnType<typeof makeInformer<KubernetesObject>>>();
  private readonly unavailable = new Set<Kind>();
  private readonly listeners = new Set<(inv: Inventory) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private debounce: NodeJS.Timeout | undefined;
  private stopped = false;
  private started = false;
  private cached: Inventory | undefined;

  constructor(
    private readonly conn: ClusterConnection,
    private readonly opts: InventoryWatcherOptions = {},
  ) {}

  /** Lists everything once (so the first snapshot is complete), then keeps watching. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all(SPECS.map((spec) => this.startOne(spec)));
  }

  private async startOne(spec: WatchSpec): Promise<void> {
    // The first list decides: a kind the user may not list (403) or the server lacks (404) is
    // left empty with a warning instead of an informer retrying forever. We wait for the first
    // list only — not for the watch connection, which some servers open lazily.
    let first = true;
    let listedOnce = false;
    let settle!: (err?: unknown) => void;
    const firstList = new Promise<unknown>((resolve) => (settle = resolve));
    const inf = makeInformer<KubernetesObject>(this.conn.kc, spec.path, async () => {
      try {
        const list = await spec.list(this.conn);
        // Resolve after the informer has stored the items (its continuation runs first).
        listedOnce = true;
        if (first) setImmediate(() => settle());
        return list as never;
      } catch (err) {
        if (first) settle(err ?? new Error('list failed'));
        throw err;
      } finally {
        first = false;
      }
    });
    const changed = () => this.changed();
    inf.on('add', changed);
    inf.on('update', changed);
    inf.on('delete', changed);
    inf.on('error', () => {
      // Before the first good list, the failure is reported by startOne, not retried.
      if (this.stopped || !listedOnce || this.unavailable.has(spec.kind)) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (!this.stopped) inf.start().catch(() => undefined);
      }, this.opts.retryMs ?? 2000);
      this.timers.add(t);
    });
    this.informers.set(spec.kind, inf);
    inf.start().catch(() => undefined);
    const err = await firstList;
    if (err) {
      const e = describeClusterError(err, this.conn.where({ verb: 'list', resource: spec.what }));
      this.unavailable.add(spec.kind);
      this.warnings.push(e.message);
      this.informers.delete(spec.kind);
      await inf.stop().catch(() => undefined);
    }
  }

  private changed(): void {
    this.cached = undefined;
    if (this.stopped || this.listeners.size === 0 || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      if (this.stopped) return;
      const inv = this.snapshot();
      for (const l of this.listeners) l(inv);
    }, this.opts.debounceMs ?? 250);
  }

  /** Called (debounced) whenever any watched object changes. Returns an unsubscribe. */
  onChange(fn: (inv: Inventory) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  objects(): InventoryObjects {
    const get = <T>(k: Kind) => (this.informers.get(k)?.list() ?? []) as readonly T[];
    return {
      nodes: get<V1Node>('nodes'),
      namespaces: get<V1Namespace>('namespaces'),
      pods: get<V1Pod>('pods'),
      replicaSets: get<V1ReplicaSet>('replicaSets'),
      jobs: get<V1Job>('jobs'),
      services: get<V1Service>('services'),
      endpointSlices: get<V1EndpointSlice>('endpointSlices'),
      serviceAccounts: get<V1ServiceAccount>('serviceAccounts'),
      roles: get<V1Role>('roles'),
      clusterRoles: get<V1ClusterRole>('clusterRoles'),
      roleBindings: get<V1RoleBinding>('roleBindings'),
      clusterRoleBindings: get<V1ClusterRoleBinding>('clusterRoleBindings'),
    };
  }

  snapshot(): Inventory {
    if (!this.cached) this.cached = buildInventory(this.objects());
    return this.cached;
  }

  isAvailable(kind: Kind): boolean {
    return !this.unavailable.has(kind);
  }

  get running(): boolean {
    return this.started && !this.stopped;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.debounce) clearTimeout(this.debounce);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
    await Promise.all([...this.informers.values()].map((i) => i.stop().catch(() => undefined)));
  }
}
