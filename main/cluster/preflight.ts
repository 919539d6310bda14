/**
 * Preflight: before anything is created, ask the API server (SelfSubjectAccessReview) whether
 * this user may do every verb a capture needs, and whether the capture namespace's Pod Security
 * level admits a privileged pod. The answer lists exactly what is missing and a Role/ClusterRole
 * manifest that grants it.
 */
import { stringify } from 'yaml';
import type { InvNamespace, Inventory } from '../common/capture';
import type { PreflightCheck, PreflightResult } from '../common/contract';
import type { ClusterConnection } from './connection';
import { ClusterError, describeClusterError } from './errors';

export interface Permission {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  /** Namespaced check in the capture namespace; absent = cluster-wide. */
  namespaced?: boolean;
  /** Without it the capture cannot run; optional ones only degrade attribution. */
  required: boolean;
  why: string;
}

/** Every permission a capture uses, and why. */
export const CAPTURE_PERMISSIONS: readonly Permission[] = [
  { verb: 'create', resource: 'pods', namespaced: true, required: true, why: 'start one capture pod per node' },
  { verb: 'get', resource: 'pods', namespaced: true, required: true, why: 'follow capture pod state' },
  { verb: 'list', resource: 'pods', namespaced: true, required: true, why: 'find capture pods and leftovers' },
  { verb: 'watch', resource: 'pods', namespaced: true, required: true, why: 'follow capture pod state' },
  { verb: 'delete', resource: 'pods', namespaced: true, required: true, why: 'remove capture pods when done' },
  {
    verb: 'get',
    resource: 'pods',
    subresource: 'log',
    namespaced: true,
    required: true,
    why: 'stream events from capture pods',
  },
  { verb: 'list', resource: 'nodes', required: true, why: 'choose target nodes' },
  { verb: 'get', resource: 'namespaces', required: true, why: "read the capture namespace's Pod Security level" },
  { verb: 'list', resource: 'pods', required: false, why: 'attribute events to pods in every namespace' },
  { verb: 'watch', resource: 'pods', required: false, why: 'keep pod attribution current' },
  { verb: 'watch', resource: 'nodes', required: false, why: 'keep node state current' },
  { verb: 'list', resource: 'namespaces', required: false, why: 'show namespaces and their Pod Security labels' },
  { verb: 'list', resource: 'replicasets', group: 'apps', required: false, why: 'resolve pods to their Deployment' },
  { verb: 'list', resource: 'jobs', group: 'batch', required: false, why: 'resolve pods to their CronJob' },
  { verb: 'list', resource: 'services', required: false, why: 'name service addresses' },
  {
    verb: 'list',
    resource: 'endpointslices',
    group: 'discovery.k8s.io',
    required: false,
    why: 'map service endpoints to pods',
  },
  { verb: 'list', resource: 'serviceaccounts', required: false, why: 'show service accounts' },
];

export function checkLabel(
  c: Pick<PreflightCheck, 'verb' | 'resource' | 'subresource' | 'group' | 'namespace'>,
): string {
  const res = `${c.resource}${c.subresource ? `/${c.subresource}` : ''}${c.group ? `.${c.group}` : ''}`;
  return `${c.verb} ${res}${c.namespace ? ` in namespace ${c.namespace}` : ' (cluster-wide)'}`;
}

const PSA_ORDER = ['privileged', 'baseline', 'restricted'];

/** A privileged capture pod is admitted only where `enforce` is privileged (or unset). */
export function podSecurityVerdict(
  ns: InvNamespace | undefined,
  namespace: string,
): NonNullable<PreflightResult['podSecurity']> {
  if (!ns) {
    return {
      namespace,
      level: 'unknown',
      ok: false,
      message: `Namespace "${namespace}" does not exist. Lantern does not create namespaces; pick an existing one (one whose Pod Security level is privileged, e.g. kube-system).`,
    };
  }
  const enforce = ns.podSecurity?.enforce;
  if (!enforce) {
    return {
      namespace,
      level: 'unset',
      ok: true,
      message: `Namespace "${namespace}" has no pod-security.kubernetes.io/enforce label: the cluster's default admission level applies (privileged unless the admin configured otherwise).`,
    };
  }
  const level = PSA_ORDER.includes(enforce) ? enforce : `${enforce} (unrecognised)`;
  if (enforce === 'privileged') {
    return {
      namespace,
      level,
      ok: true,
      message: `Namespace "${namespace}" enforces Pod Security level "privileged": capture pods are admitted.`,
    };
  }
  return {
    namespace,
    level,
    ok: false,
    message: `Namespace "${namespace}" enforces Pod Security level "${enforce}", but a capture pod is privileged (hostPID, host mounts) and needs "privileged". Use a namespace labelled pod-security.kubernetes.io/enforce=privileged, or ask an admin to label this one.`,
  };
}

/** Role + ClusterRole (and bindings for `subject`) granting the missing checks. */
export function grantYaml(
  missing: readonly PreflightCheck[],
  namespace: string,
  subject?: { kind: string; name: string; namespace?: string },
): string | undefined {
  if (!missing.length) return undefined;
  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
  const group = (checks: readonly PreflightCheck[]): Rule[] => {
    const byRes = new Map<string, Rule>();
    for (const c of checks) {
      const res = c.subresource ? `${c.resource}/${c.subresource}` : c.resource;
      const k = `${c.group ?? ''}|${res}`;
      const rule = byRes.get(k) ?? { apiGroups: [c.group ?? ''], resources: [res], verbs: [] };
      if (!rule.verbs.includes(c.verb)) rule.verbs.push(c.verb);
      byRes.set(k, rule);
    }
    return [...byRes.values()];
  };
  const nsChecks = missing.filter((c) => c.namespace);
  const clusterChecks = missing.filter((c) => !c.namespace);
  const subj = subject ?? { kind: 'User', name: 'REPLACE-WITH-YOUR-USER' };
  const subjects = [
    { ...(subj.kind === 'User' || subj.kind === 'Group' ? { apiGroup: 'rbac.authorization.k8s.io' } : {}), ...subj },
  ];
  const docs: unknown[] = [];
  if (nsChecks.length) {
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'lantern-capture', namespace },
      rules: group(nsChecks),
    });
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'lantern-capture', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'lantern-capture' },
      subjects,
    });
  }
  if (clusterChecks.length) {
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'lantern-capture' },
      rules: group(clusterChecks),
    });
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'lantern-capture' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'lantern-capture' },
      subjects,
    });
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

async function whoAmI(conn: ClusterConnection): Promise<{ kind: string; name: string } | undefined> {
  try {
    const r = await conn.authn.createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    const name = r.status?.userInfo?.username;
    if (!name) return undefined;
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
    if (sa) return { kind: 'ServiceAccount', name: sa[2]!, namespace: sa[1]! } as { kind: string; name: string };
    return { kind: 'User', name };
  } catch {
    return undefined; // older servers (<1.28) or not allowed: the YAML then says where to put the user
  }
}

export interface PreflightOptions {
  /** Namespace the capture pods go in. */
  namespace: string;
  /** Current inventory (for the namespace's PSA labels and target nodes), if connected. */
  inventory?: Inventory;
  targetNodes?: string[];
}

export async function runPreflight(conn: ClusterConnection, opts: PreflightOptions): Promise<PreflightResult> {
  const checks: (PreflightCheck & { required: boolean })[] = await Promise.all(
    CAPTURE_PERMISSIONS.map(async (p) => {
      const attrs = {
        verb: p.verb,
        resource: p.resource,
        ...(p.group ? { group: p.group } : {}),
        ...(p.subresource ? { subresource: p.subresource } : {}),
        ...(p.namespaced ? { namespace: opts.namespace } : {}),
      };
      const review = await conn.call(
        { verb: 'create', resource: 'selfsubjectaccessreviews.authorization.k8s.io' },
        () =>
          conn.authz.createSelfSubjectAccessReview({
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SelfSubjectAccessReview',
              spec: { resourceAttributes: attrs },
            },
          }),
      );
      const check: PreflightCheck & { required: boolean } = {
        verb: p.verb,
        resource: p.resource,
        allowed: review.status?.allowed === true && review.status?.denied !== true,
        required: p.required,
        reason: review.status?.allowed
          ? p.why
          : `needed to ${p.why}${review.status?.reason ? ` (server: ${review.status.reason})` : ''}`,
      };
      if (p.subresource) check.subresource = p.subresource;
      if (p.namespaced) check.namespace = opts.namespace;
      if (p.group) check.group = p.group;
      return check;
    }),
  );
  // Pod Security: from the inventory if we have it, else a direct get of the namespace.
  let nsInv = opts.inventory?.namespaces.find((n) => n.name === opts.namespace);
  if (!nsInv) {
    try {
      const ns = await conn.core.readNamespace({ name: opts.namespace });
      const labels = ns.metadata?.labels ?? {};
      const podSecurity: InvNamespace['podSecurity'] = {};
      for (const mode of ['enforce', 'audit', 'warn'] as const) {
        const v = labels[`pod-security.kubernetes.io/${mode}`];
        if (v) podSecurity[mode] = v;
      }
      nsInv = { name: opts.namespace, podSecurity };
    } catch (err) {
      const e = describeClusterError(
        err,
        conn.where({ verb: 'get', resource: 'namespaces', namespace: opts.namespace }),
      );
      if (e.kind !== 'not-found' && e.kind !== 'forbidden') throw e;
    }
  }
  const podSecurity = podSecurityVerdict(nsInv, opts.namespace);
  const missing = checks.filter((c) => !c.allowed && c.required);
  const plain = (c: PreflightCheck & { required: boolean }): PreflightCheck => {
    const { required, ...rest } = c;
    return required ? rest : { ...rest, optional: true };
  };
  const missingAll = checks.filter((c) => !c.allowed).map(plain);
  const subject = missingAll.length ? await whoAmI(conn) : undefined;
  const yaml = grantYaml(missingAll, opts.namespace, subject);
  return {
    context: conn.context.name,
    server: conn.server,
    ok: missing.length === 0 && podSecurity.ok,
    checks: checks.map(plain),
    missing: missing.map(plain),
    podSecurity,
    ...(yaml ? { grantYaml: yaml } : {}),
    targetNodes: opts.targetNodes ?? [],
  };
}

/** The refusal a capture gives when preflight says no, in words. */
export function preflightRefusal(r: PreflightResult): ClusterError {
  const lines = [`Capture refused by preflight on context "${r.context}" (${r.server}); nothing was created.`];
  if (r.missing.length) {
    lines.push(`Missing permissions (${r.missing.length}):`);
    for (const m of r.missing) lines.push(`  - ${checkLabel(m)}${m.reason ? `: ${m.reason}` : ''}`);
  }
  if (r.podSecurity && !r.podSecurity.ok) lines.push(`Pod Security: ${r.podSecurity.message}`);
  return new ClusterError('refused', lines.join('\n'), { context: r.context, server: r.server });
}
