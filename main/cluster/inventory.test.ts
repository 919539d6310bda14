import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { V1Job, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { buildInventory, namespaceToInv, podToInv, resolveOwners } from './inventory';
import { grantYaml, podSecurityVerdict } from './preflight';

const rs: V1ReplicaSet = {
  metadata: {
    name: 'web-5d9f8',
    namespace: 'shop',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }],
  },
};
const job: V1Job = {
  metadata: {
    name: 'report-29012345',
    namespace: 'shop',
    ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'report', uid: 'c1', controller: true }],
  },
};
const pod = (name: string, owner?: { kind: string; name: string }, labels: Record<string, string> = {}): V1Pod => ({
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    labels,
    ...(owner
      ? { ownerReferences: [{ apiVersion: 'v1', kind: owner.kind, name: owner.name, uid: 'x', controller: true }] }
      : {}),
  },
  spec: { nodeName: 'node-a', serviceAccountName: 'web-sa', containers: [{ name: 'app', image: 'nginx:1' }] },
  status: {
    phase: 'Running',
    podIPs: [{ ip: '10.1.0.5' }],
    containerStatuses: [
      {
        name: 'app',
        containerID: `containerd://${'a'.repeat(64)}`,
        image: 'docker.io/nginx:1',
        imageID: 'sha256:1',
        ready: true,
        restartCount: 0,
      },
    ],
  },
});
const lookup = {
  replicaSet: (ns: string, n: string) => (ns === 'shop' && n === 'web-5d9f8' ? rs : undefined),
  job: (ns: string, n: string) => (ns === 'shop' && n === 'report-29012345' ? job : undefined),
};
const none = { replicaSet: () => undefined, job: () => undefined };

describe('inventory', () => {
  it('resolves the owner chain to the top workload through ReplicaSets and Jobs', () => {
    expect(resolveOwners(pod('web-5d9f8-abcde', { kind: 'ReplicaSet', name: 'web-5d9f8' }), lookup)).toEqual([
      { kind: 'ReplicaSet', name: 'web-5d9f8' },
      { kind: 'Deployment', name: 'web' },
    ]);
    expect(resolveOwners(pod('report-29012345-x', { kind: 'Job', name: 'report-29012345' }), lookup).at(-1)).toEqual({
      kind: 'CronJob',
      name: 'report',
    });
    // Without permission to read ReplicaSets: the names Kubernetes generates still tell.
    expect(
      resolveOwners(
        pod('web-5d9f8-q', { kind: 'ReplicaSet', name: 'web-5d9f8' }, { 'pod-template-hash': '5d9f8' }),
        none,
      ).at(-1),
    ).toEqual({ kind: 'Deployment', name: 'web' });
  });

  it('pod → InvPod: workload, SA, containers with runtime ids stripped, IPs, node', () => {
    const p = podToInv(pod('web-5d9f8-abcde', { kind: 'ReplicaSet', name: 'web-5d9f8' }), lookup);
    expect(p.workload).toEqual({ kind: 'Deployment', name: 'web' });
    expect(p.serviceAccount).toBe('web-sa');
    expect(p.containers[0]).toEqual({
      name: 'app',
      id: 'a'.repeat(64),
      image: 'docker.io/nginx:1',
      imageId: 'sha256:1',
    });
    expect(p.ips).toEqual(['10.1.0.5']);
    expect(p.node).toBe('node-a');
    expect(podToInv(pod('bare'), none).workload).toEqual({ kind: 'Pod', name: 'bare' });
    expect(podToInv(pod('cap', undefined, { 'app.kubernetes.io/managed-by': 'lantern' }), none).lanternCapture).toBe(
      true,
    );
  });

  it('namespaces carry their Pod Security levels; __proto__ labels are dropped', () => {
    const labels = JSON.parse('{"pod-security.kubernetes.io/enforce":"baseline","__proto__":"x"}') as Record<
      string,
      string
    >;
    const ns = namespaceToInv({ metadata: { name: 'shop', labels } });
    expect(ns.podSecurity).toEqual({ enforce: 'baseline' });
    expect(Object.keys(ns.labels!)).toEqual(['pod-security.kubernetes.io/enforce']);
  });

  it('services get their EndpointSlice addresses; the kubernetes service gives the API addresses', () => {
    const inv = buildInventory({
      nodes: [],
      namespaces: [],
      pods: [],
      replicaSets: [],
      jobs: [],
      services: [
        {
          metadata: { name: 'kubernetes', namespace: 'default' },
          spec: { clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ port: 443 }] },
        },
      ],
      endpointSlices: [
        {
          metadata: {
            name: 'kubernetes',
            namespace: 'default',
            labels: { 'kubernetes.io/service-name': 'kubernetes' },
          },
          addressType: 'IPv4',
          endpoints: [{ addresses: ['192.168.1.10'] }],
        },
      ],
      serviceAccounts: [],
      roles: [],
      clusterRoles: [],
      roleBindings: [],
      clusterRoleBindings: [],
    });
    expect(inv.services[0]!.endpoints).toEqual([{ ip: '192.168.1.10' }]);
    expect(inv.apiServer).toEqual({ addresses: ['10.96.0.1', '192.168.1.10'], port: 443 });
  });
});

describe('preflight pieces', () => {
  it('Pod Security: privileged or unset admits a capture pod; baseline/restricted/missing namespace do not', () => {
    expect(podSecurityVerdict({ name: 'a', podSecurity: { enforce: 'privileged' } }, 'a').ok).toBe(true);
    expect(podSecurityVerdict({ name: 'a' }, 'a').ok).toBe(true);
    const b = podSecurityVerdict({ name: 'a', podSecurity: { enforce: 'baseline' } }, 'a');
    expect(b.ok).toBe(false);
    expect(b.message).toMatch(/enforces Pod Security level "baseline".*needs "privileged"/);
    expect(podSecurityVerdict(undefined, 'gone').message).toMatch(/does not exist. Lantern does not create namespaces/);
  });

  it('grant YAML: a Role for namespaced verbs, a ClusterRole for cluster-wide ones, bound to the user', () => {
    const y = grantYaml(
      [
        { verb: 'create', resource: 'pods', namespace: 'cap', allowed: false },
        { verb: 'delete', resource: 'pods', namespace: 'cap', allowed: false },
        { verb: 'get', resource: 'pods', subresource: 'log', namespace: 'cap', allowed: false },
        { verb: 'list', resource: 'nodes', allowed: false },
        { verb: 'list', resource: 'replicasets', group: 'apps', allowed: false },
      ],
      'cap',
      { kind: 'User', name: 'alice' },
    )!;
    const docs = y.split(/^---$/m).map(
      (d) =>
        parse(d) as {
          kind: string;
          metadata: { namespace?: string };
          rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
          subjects?: { name: string }[];
        },
    );
    expect(docs.map((d) => d.kind)).toEqual(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
    expect(docs[0]!.metadata.namespace).toBe('cap');
    expect(docs[0]!.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ]);
    expect(docs[2]!.rules).toContainEqual({ apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] });
    expect(docs[1]!.subjects![0]!.name).toBe('alice');
    expect(grantYaml([], 'cap')).toBeUndefined();
  });
});
