/**
 * What the lab API serves: resource definitions (for routing and discovery), label and field
 * selectors, and the small helpers the API server and controllers share.
 */
export interface ResourceDef {
  group: string; // '' for core
  version: string;
  resource: string; // plural
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  verbs: string[];
  singular: string;
  /** Subresources this resource has (routing + discovery), e.g. log, exec, status. */
  subresources?: Record<string, { kind: string; verbs: string[] }>;
  categories?: string[];
  /** Field selector labels besides metadata.name / metadata.namespace. */
  fields?: Record<string, (o: K8sObject) => string>;
}

export type K8sObject = {
  apiVersion?: string;
  kind?: string;
  metadata: Metadata;
  [k: string]: unknown;
};
export interface Metadata {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [k: string]: unknown;
}
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const spec = (o: K8sObject): any => (o as any).spec ?? {};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const status = (o: K8sObject): any => (o as any).status ?? {};

export const RESOURCES: ResourceDef[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    fields: { 'status.phase': (o) => status(o).phase ?? '' },
    subresources: { status: { kind: 'Namespace', verbs: ['get', 'patch', 'update'] } },
  },
  {
    group: '',
    version: 'v1',
    resource: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    verbs: RW,
    fields: { 'spec.unschedulable': (o) => String(!!spec(o).unschedulable) },
    subresources: { status: { kind: 'Node', verbs: ['get', 'patch', 'update'] } },
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    verbs: RW,
    categories: ['all'],
    fields: {
      'spec.nodeName': (o) => spec(o).nodeName ?? '',
      'spec.serviceAccountName': (o) => spec(o).serviceAccountName ?? '',
      'spec.restartPolicy': (o) => spec(o).restartPolicy ?? '',
      'spec.schedulerName': (o) => spec(o).schedulerName ?? '',
      'spec.hostNetwork': (o) => String(!!spec(o).hostNetwork),
      'status.phase': (o) => status(o).phase ?? '',
      'status.podIP': (o) => status(o).podIP ?? '',
      'status.nominatedNodeName': (o) => status(o).nominatedNodeName ?? '',
    },
    subresources: {
      log: { kind: 'Pod', verbs: ['get'] },
      exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
      status: { kind: 'Pod', verbs: ['get', 'patch', 'update'] },
      attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    },
  },
  {
    group: '',
    version: 'v1',
    resource: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    verbs: RW,
    categories: ['all'],
    subresources: { status: { kind: 'Service', verbs: ['get', 'patch', 'update'] } },
  },
  {
    group: '',
    version: 'v1',
    resource: 'endpoints',
    singular: 'endpoints',
    kind: 'Endpoints',
    namespaced: true,
    shortNames: ['ep'],
    verbs: RW,
  },
  {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    singular: 'serviceaccount',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    verbs: RW,
  },
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    verbs: RW,
  },
  {
    group: '',
    version: 'v1',
    resource: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    namespaced: true,
    verbs: RW,
    fields: { type: (o) => String((o as { type?: string }).type ?? '') },
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    verbs: RW,
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    verbs: RW,
    categories: ['all'],
    subresources: {
      status: { kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
      scale: { kind: 'Scale', verbs: ['get', 'patch', 'update'] },
    },
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
    verbs: RW,
    categories: ['all'],
    subresources: { status: { kind: 'ReplicaSet', verbs: ['get', 'patch', 'update'] } },
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    singular: 'daemonset',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
    verbs: RW,
    categories: ['all'],
    subresources: { status: { kind: 'DaemonSet', verbs: ['get', 'patch', 'update'] } },
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'statefulsets',
    singular: 'statefulset',
    kind: 'StatefulSet',
    namespaced: true,
    shortNames: ['sts'],
    verbs: RW,
    categories: ['all'],
    subresources: { status: { kind: 'StatefulSet', verbs: ['get', 'patch', 'update'] } },
  },
  {
    group: 'batch',
    version: 'v1',
    resource: 'jobs',
    singular: 'job',
    kind: 'Job',
    namespaced: true,
    verbs: RW,
    categories: ['all'],
    fields: { 'status.successful': (o) => String(status(o).succeeded ?? 0) },
    subresources: { status: { kind: 'Job', verbs: ['get', 'patch', 'update'] } },
  },
  {
    group: 'batch',
    version: 'v1',
    resource: 'cronjobs',
    singular: 'cronjob',
    kind: 'CronJob',
    namespaced: true,
    shortNames: ['cj'],
    verbs: RW,
    categories: ['all'],
    subresources: { status: { kind: 'CronJob', verbs: ['get', 'patch', 'update'] } },
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    resource: 'endpointslices',
    singular: 'endpointslice',
    kind: 'EndpointSlice',
    namespaced: true,
    verbs: RW,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'roles',
    singular: 'role',
    kind: 'Role',
    namespaced: true,
    verbs: RW,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'rolebindings',
    singular: 'rolebinding',
    kind: 'RoleBinding',
    namespaced: true,
    verbs: RW,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterroles',
    singular: 'clusterrole',
    kind: 'ClusterRole',
    namespaced: false,
    verbs: RW,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterrolebindings',
    singular: 'clusterrolebinding',
    kind: 'ClusterRoleBinding',
    namespaced: false,
    verbs: RW,
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectaccessreviews',
    singular: 'selfsubjectaccessreview',
    kind: 'SelfSubjectAccessReview',
    namespaced: false,
    verbs: ['create'],
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectrulesreviews',
    singular: 'selfsubjectrulesreview',
    kind: 'SelfSubjectRulesReview',
    namespaced: false,
    verbs: ['create'],
  },
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    resource: 'selfsubjectreviews',
    singular: 'selfsubjectreview',
    kind: 'SelfSubjectReview',
    namespaced: false,
    verbs: ['create'],
  },
];

export const GROUP_VERSIONS: { group: string; version: string }[] = [
  ...new Map(
    RESOURCES.filter((r) => r.group).map((r) => [`${r.group}/${r.version}`, { group: r.group, version: r.version }]),
  ).values(),
];

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}
export function resourceByKind(kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.kind === kind);
}

// ---------------------------------------------------------------- selectors

type LabelReq =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export class SelectorError extends Error {}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Parses a label selector ("a=b,c!=d,e in (x,y),f notin (z),g,!h"). Throws SelectorError. */
export function parseLabelSelector(s: string): LabelReq[] {
  const out: LabelReq[] = [];
  let i = 0;
  const src = s.trim();
  if (!src) return out;
  if (src.length > 4096) throw new SelectorError('label selector too long');
  const skipWs = () => {
    while (src[i] === ' ') i++;
  };
  const readKey = () => {
    skipWs();
    const m = /^[A-Za-z0-9./_-]+/.exec(src.slice(i));
    if (!m) throw new SelectorError(`unable to parse requirement: expected a key at position ${i}`);
    i += m[0].length;
    if (!LABEL_KEY.test(m[0])) throw new SelectorError(`invalid label key "${m[0]}"`);
    return m[0];
  };
  const readValue = () => {
    skipWs();
    const m = /^[A-Za-z0-9._-]*/.exec(src.slice(i))!;
    i += m[0].length;
    if (!LABEL_VALUE.test(m[0]) || m[0].length > 63) throw new SelectorError(`invalid label value: "${m[0]}"`);
    return m[0];
  };
  for (;;) {
    skipWs();
    if (src[i] === '!') {
      i++;
      out.push({ op: 'notexists', key: readKey() });
    } else {
      const key = readKey();
      skipWs();
      if (src.startsWith('!=', i)) {
        i += 2;
        out.push({ op: 'neq', key, value: readValue() });
      } else if (src.startsWith('==', i)) {
        i += 2;
        out.push({ op: 'eq', key, value: readValue() });
      } else if (src[i] === '=') {
        i += 1;
        out.push({ op: 'eq', key, value: readValue() });
      } else if (/^(in|notin)\s*\(/.test(src.slice(i))) {
        const op = src.startsWith('notin', i) ? 'notin' : 'in';
        i = src.indexOf('(', i) + 1;
        const values: string[] = [];
        for (;;) {
          values.push(readValue());
          skipWs();
          if (src[i] === ',') i++;
          else if (src[i] === ')') {
            i++;
            break;
          } else throw new SelectorError('unable to parse requirement: expected , or )');
        }
        out.push({ op, key, values });
      } else out.push({ op: 'exists', key });
    }
    skipWs();
    if (i >= src.length) break;
    if (src[i] !== ',') throw new SelectorError(`unable to parse requirement: unexpected "${src[i]}" at position ${i}`);
    i++;
  }
  return out;
}

export function matchLabels(reqs: LabelReq[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  const has = (k: string) => Object.prototype.hasOwnProperty.call(l, k);
  for (const r of reqs) {
    const v = has(r.key) ? l[r.key] : undefined;
    switch (r.op) {
      case 'eq':
        if (v !== r.value) return false;
        break;
      case 'neq':
        if (v === r.value) return false;
        break;
      case 'in':
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (v === undefined) return false;
        break;
      case 'notexists':
        if (v !== undefined) return false;
        break;
    }
  }
  return true;
}

/** matchLabels / matchExpressions (LabelSelector object) → predicate. */
export function selectorObjectMatches(
  sel:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; operator: string; values?: string[] }[];
      }
    | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!sel) return false;
  const reqs: LabelReq[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ op: 'eq', key: k, value: v });
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator;
    if (op === 'In') reqs.push({ op: 'in', key: e.key, values: e.values ?? [] });
    else if (op === 'NotIn') reqs.push({ op: 'notin', key: e.key, values: e.values ?? [] });
    else if (op === 'Exists') reqs.push({ op: 'exists', key: e.key });
    else if (op === 'DoesNotExist') reqs.push({ op: 'notexists', key: e.key });
  }
  if (reqs.length === 0) return true;
  return matchLabels(reqs, labels);
}

export interface FieldReq {
  field: string;
  value: string;
  neq: boolean;
}
export function parseFieldSelector(s: string, def: ResourceDef): FieldReq[] {
  const out: FieldReq[] = [];
  if (!s.trim()) return out;
  if (s.length > 4096) throw new SelectorError('field selector too long');
  for (const part of s.split(',')) {
    const m = /^\s*([A-Za-z0-9._-]+)\s*(==|!=|=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    const field = m[1]!;
    if (field !== 'metadata.name' && field !== 'metadata.namespace' && !def.fields?.[field])
      throw new SelectorError(`field label not supported: ${field}`);
    out.push({ field, value: m[3]!, neq: m[2] === '!=' });
  }
  return out;
}
export function matchFields(reqs: FieldReq[], def: ResourceDef, o: K8sObject): boolean {
  for (const r of reqs) {
    const v =
      r.field === 'metadata.name'
        ? (o.metadata.name ?? '')
        : r.field === 'metadata.namespace'
          ? (o.metadata.namespace ?? '')
          : def.fields![r.field]!(o);
    if (r.neq ? v === r.value : v !== r.value) return false;
  }
  return true;
}

// ---------------------------------------------------------------- names

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_ALPHABET[Math.floor(Math.random() * NAME_ALPHABET.length)];
  return s;
}
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Deep clone of JSON data (objects in the store are never shared with callers). */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
