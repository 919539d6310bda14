/**
 * Authorization from the lab's own RBAC objects (Role, ClusterRole, RoleBinding,
 * ClusterRoleBinding in the store), as the real RBAC authorizer decides it. `system:masters`
 * is allowed everything, as in a real cluster.
 */
import type { Store } from './store';
import { findResource, type K8sObject } from './resources';

export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
}
export interface ResourceAttrs {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}
export interface NonResourceAttrs {
  verb: string;
  path: string;
}
interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const R = (resource: string) => findResource('rbac.authorization.k8s.io', 'v1', resource)!;

function subjectMatches(
  subjects: { kind: string; name: string; namespace?: string }[] | undefined,
  user: UserInfo,
): boolean {
  for (const s of subjects ?? []) {
    if (s.kind === 'User' && s.name === user.username) return true;
    if (s.kind === 'Group' && user.groups.includes(s.name)) return true;
    if (s.kind === 'ServiceAccount' && user.username === `system:serviceaccount:${s.namespace}:${s.name}`) return true;
  }
  return false;
}

function ruleAllows(rule: PolicyRule, a: ResourceAttrs | NonResourceAttrs): boolean {
  const verbs = rule.verbs ?? [];
  if (!verbs.includes('*') && !verbs.includes(a.verb)) return false;
  if ('path' in a) {
    for (const u of rule.nonResourceURLs ?? []) {
      if (u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1)))) return true;
    }
    return false;
  }
  const groups = rule.apiGroups ?? [];
  if (!groups.includes('*') && !groups.includes(a.group)) return false;
  const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const res = rule.resources ?? [];
  const resOk = res.some(
    (r) =>
      r === '*' ||
      r === full ||
      (a.subresource && r === `*/${a.subresource}`) ||
      (!a.subresource && r === a.resource) ||
      (r === `${a.resource}/*` && !!a.subresource),
  );
  if (!resOk) return false;
  if (rule.resourceNames && rule.resourceNames.length) return !!a.name && rule.resourceNames.includes(a.name);
  return true;
}

function rulesOf(store: Store, ref: { kind: string; name: string }, ns?: string): PolicyRule[] {
  const role =
    ref.kind === 'ClusterRole'
      ? store.peek(R('clusterroles'), undefined, ref.name)
      : ns
        ? store.peek(R('roles'), ns, ref.name)
        : undefined;
  return ((role as { rules?: PolicyRule[] } | undefined)?.rules ?? []) as PolicyRule[];
}

/** Every rule that applies to `user` in `namespace` (cluster-wide ones included). */
export function rulesFor(store: Store, user: UserInfo, namespace?: string): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const b of store.list(R('clusterrolebindings'))) {
    const bb = b as K8sObject & { subjects?: never[]; roleRef: { kind: string; name: string } };
    if (subjectMatches(bb.subjects, user)) out.push(...rulesOf(store, bb.roleRef));
  }
  if (namespace) {
    for (const b of store.list(R('rolebindings'), namespace)) {
      const bb = b as K8sObject & { subjects?: never[]; roleRef: { kind: string; name: string } };
      if (subjectMatches(bb.subjects, user)) out.push(...rulesOf(store, bb.roleRef, namespace));
    }
  }
  return out;
}

export function authorize(store: Store, user: UserInfo, a: ResourceAttrs | NonResourceAttrs): boolean {
  if (user.groups.includes('system:masters')) return true;
  const ns = 'path' in a ? undefined : a.namespace;
  return rulesFor(store, user, ns).some((r) => ruleAllows(r, a));
}

/** The real API's 403 message. */
export function forbiddenMessage(user: UserInfo, a: ResourceAttrs | NonResourceAttrs): string {
  if ('path' in a) return `forbidden: User "${user.username}" cannot ${a.verb} path "${a.path}"`;
  const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const subject = a.name
    ? `${a.resource} "${a.name}" is forbidden`
    : `${a.resource}${a.group ? '.' + a.group : ''} is forbidden`;
  const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${subject}: User "${user.username}" cannot ${a.verb} resource "${full}" in API group "${a.group}" ${where}`;
}
