/**
 * The lab: a Kubernetes cluster stand-in on this machine (see "The lab" in DESIGN.md).
 *
 *   const lab = await startLab({ nodes: 2, workloads: true, network: true });
 *   // lab.kubeconfigPath, lab.contexts.admin / .restricted, lab.nodes, lab.faults, lab.runScenario(...)
 *   await lab.stop();
 *
 * Every name a lab makes (cgroup root, temp dir, sockets, network namespaces held by its own
 * processes) is unique per instance, so several labs can run at once. stop() removes everything,
 * also after a failed start; a process-exit hook does it best-effort when a test crashes, and
 * `npm run lab -- --clean-stale` removes what a killed lab left.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as yamlStringify } from 'yaml';
import { ApiServer } from './apiserver';
import { Store } from './store';
import { findResource, type K8sObject } from './resources';
import { Kubelet } from './kubelet';
import { Controllers } from './controllers';
import { LabNetwork, EXTERNAL_IP, METADATA_IP } from './network';
import { makePki } from './pki';
import { CGROUP2_MOUNT, destroyTree, destroyTreeSync, mkdirp } from './cgroups';
import { execInPod, type ExecResult } from './exec-client';
import { nowNs } from './logs';
import { standingWorkload } from './workloads';
import type { UserInfo } from './rbac';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '..', '..');
export const SCENARIOS_DIR = join(REPO_ROOT, 'e2e', 'scenarios');
/** Prefix of every lab's cgroup root and temp dir: lantern-lab-<pid>-<random>. */
export const LAB_PREFIX = 'lantern-lab-';

export interface LabOptions {
  /** Simulated nodes (default 2). */
  nodes?: number;
  /** Start the standing benign workload (default true). */
  workloads?: boolean;
  /** Pods get their own network namespaces on a lab bridge (default true). Needed by workloads. */
  network?: boolean;
  /** Diagnostic lines (default: silent). */
  log?: (msg: string) => void;
  /** Tests only: throw right after this start step, to check that a failed start cleans up. */
  failAfter?: 'network' | 'api' | 'workloads';
}

export interface ScenarioLabel {
  /** "ns/pod", or "ns/<kind>/<name>" for any running pod of a workload (deployment, statefulset, daemonset). */
  pod: string;
  container?: string;
  /** MITRE ATT&CK technique id */
  technique: string;
  description: string;
  /** Behaviours a capture should show (event kinds and what they carry). */
  expected: string[];
}

export interface ScenarioResult {
  name: string;
  technique: string;
  description: string;
  expected: string[];
  /** "ns/name" of the pod it ran in */
  pod: string;
  podUid: string;
  node: string;
  container: string;
  /** Runtime id (64 hex), as in containerStatuses[].containerID without "containerd://" */
  containerId: string;
  /** Wall-clock window of the exec: ISO strings and ns since the epoch (LanternEvent.time scale). */
  window: { start: string; end: string; startNs: number; endNs: number };
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface LabFaults {
  /** Cuts every open pods/log stream now (like a dropped connection). Returns how many. */
  dropLogStreams(): number;
  /** The next n API requests on 127.0.0.1 (not the pods' in-cluster path) fail with `status`, after delayMs. */
  failNextApiCalls(n: number, status: 500 | 429, delayMs?: number): void;
  /** The next n API requests on 127.0.0.1 are answered after delayMs (successfully). */
  delayNextApiCalls(n: number, delayMs: number): void;
  /** While on, pod creation is refused with 403 (as an admission webhook would). */
  rejectPodCreation(on: boolean): void;
  /** Node Ready condition True/Unknown; a NotReady node starts no new pods. */
  setNodeReady(node: string, ready: boolean): void;
}

export interface PodInfo {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  /** cgroup path relative to the cgroup2 mount, per container (what bpftrace's cgroup_path shows) */
  containers: { name: string; id: string; pid?: number; cgroup: string }[];
}

export interface Lab {
  id: string;
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  caPath: string;
  caPem: string;
  contexts: { admin: string; restricted: string };
  tokens: { admin: string; restricted: string };
  nodes: string[];
  /** The lab's cgroup root relative to the cgroup2 mount, e.g. /lantern-lab-123-ab12cd */
  cgroupRoot: string;
  /** A node's cgroup subtree relative to the mount (= LANTERN_CGROUP_ROOT of its capture pods). */
  nodeCgroupRoot(node: string): string;
  tmpDir: string;
  /** Network facts (undefined with network:false). */
  network?: {
    podCidr: string;
    serviceCidr: string;
    gateway: string;
    apiClusterIP: string;
    externalIP: string;
    metadataIP: string;
  };
  faults: LabFaults;
  /** Runs argv in a pod through the API's pods/exec WebSocket (the kubectl exec path), as admin. */
  exec(
    pod: string,
    argv: string[],
    opts?: { container?: string; stdin?: string; timeoutMs?: number },
  ): Promise<ExecResult>;
  /** Names of the scenarios under e2e/scenarios. */
  scenarios(): string[];
  runScenario(name: string, opts?: { timeoutMs?: number }): Promise<ScenarioResult>;
  /** Resolves "ns/name" or "ns/<kind>/<name>" to a running pod with its runtime details. */
  pod(ref: string): PodInfo;
  /** Waits until every pod of the standing workload (or all pods) is Running and Ready. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Count of API requests served (benchmarks). */
  requestCount(): number;
  /**
   * Problems of the lab network daemon (Services, DNS, fake hosts) so far: empty while it is
   * healthy. A dead daemon is listed here (and logged) the moment it exits.
   */
  networkErrors(): string[];
  stop(): Promise<void>;
}

export class LabUnavailableError extends Error {}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'the lab needs Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'the lab needs root (cgroups, network namespaces, mounts)';
  if (!existsSync(join(CGROUP2_MOUNT, 'cgroup.procs'))) return `the lab needs cgroup2 mounted at ${CGROUP2_MOUNT}`;
  return undefined;
}

// ---------------------------------------------------------------- crash safety

const live = new Map<string, { cgroupAbs: string; tmpDir: string; kill: () => void }>();
let hookInstalled = false;
function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', () => {
    for (const l of live.values()) {
      try {
        l.kill();
        destroyTreeSync(l.cgroupAbs);
        rmSync(l.tmpDir, { recursive: true, force: true });
      } catch {
        /* best effort at exit */
      }
    }
  });
}

/** Removes what labs of dead processes left behind (cgroup roots, temp dirs). Returns what it removed. */
export async function cleanStale(): Promise<string[]> {
  const removed: string[] = [];
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const re = new RegExp(`^${LAB_PREFIX}(\\d+)-[0-9a-f]+`);
  for (const d of safeReaddir(CGROUP2_MOUNT)) {
    const m = re.exec(d);
    if (m && !alive(Number(m[1]))) {
      await destroyTree(join(CGROUP2_MOUNT, d));
      removed.push(join(CGROUP2_MOUNT, d));
    }
  }
  for (const d of safeReaddir(tmpdir())) {
    const m = re.exec(d);
    if (m && !alive(Number(m[1]))) {
      rmSync(join(tmpdir(), d), { recursive: true, force: true });
      removed.push(join(tmpdir(), d));
    }
  }
  return removed;
}
function safeReaddir(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- bootstrap objects

const R = (g: string, r: string) => findResource(g, 'v1', r)!;

function bootstrap(api: ApiServer, apiClusterIP: string | undefined): void {
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    api.create(R('', 'namespaces'), undefined, { metadata: { name: ns } });
  const CR = R('rbac.authorization.k8s.io', 'clusterroles');
  const CRB = R('rbac.authorization.k8s.io', 'clusterrolebindings');
  const boot = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
  api.create(CR, undefined, {
    metadata: { name: 'cluster-admin', labels: boot },
    rules: [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ],
  });
  api.create(CR, undefined, {
    metadata: { name: 'system:discovery', labels: boot },
    rules: [
      {
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/readyz',
          '/openapi',
          '/openapi/*',
          '/version',
          '/version/',
        ],
        verbs: ['get'],
      },
    ],
  });
  api.create(CR, undefined, {
    metadata: { name: 'system:basic-user', labels: boot },
    rules: [
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create'],
      },
      { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
    ],
  });
  api.create(CR, undefined, {
    metadata: { name: 'view', labels: boot },
    rules: [
      {
        apiGroups: [''],
        resources: [
          'pods',
          'pods/status',
          'services',
          'endpoints',
          'configmaps',
          'serviceaccounts',
          'namespaces',
          'events',
        ],
        verbs: ['get', 'list', 'watch'],
      },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'replicasets', 'daemonsets', 'statefulsets'],
        verbs: ['get', 'list', 'watch'],
      },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ],
  });
  // The restricted user: can see pods and nodes (and look around), cannot create pods, read logs or exec.
  api.create(CR, undefined, {
    metadata: { name: 'lab-viewer' },
    rules: [
      {
        apiGroups: [''],
        resources: ['pods', 'nodes', 'namespaces', 'services', 'serviceaccounts'],
        verbs: ['get', 'list', 'watch'],
      },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'replicasets', 'daemonsets', 'statefulsets'],
        verbs: ['get', 'list', 'watch'],
      },
    ],
  });
  for (const [name, role, subjects] of [
    [
      'cluster-admin',
      'cluster-admin',
      [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' }],
    ],
    [
      'system:discovery',
      'system:discovery',
      [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:authenticated' }],
    ],
    [
      'system:basic-user',
      'system:basic-user',
      [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:authenticated' }],
    ],
    ['lab-viewer', 'lab-viewer', [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'lab-viewer' }]],
  ] as const)
    api.create(CRB, undefined, {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects,
    });
  api.create(R('', 'services'), 'default', {
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      ...(apiClusterIP ? { clusterIP: apiClusterIP } : {}),
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
  });
}

function fakeJwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256', kid: 'lab' })}.${b64(claims)}.${randomBytes(64).toString('base64url')}`;
}

// ---------------------------------------------------------------- start

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const why = labUnavailableReason();
  if (why) throw new LabUnavailableError(why);
  const nodeCount = Math.max(1, Math.min(8, opts.nodes ?? 2));
  const withNetwork = opts.network ?? true;
  const withWorkloads = opts.workloads ?? true;
  if (withWorkloads && !withNetwork) throw new Error('the standing workload needs the lab network (network: true)');
  const log = opts.log ?? (() => {});

  const id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const cgroupRootRel = `/${LAB_PREFIX}${id}`;
  const cgroupRootAbs = join(CGROUP2_MOUNT, cgroupRootRel);
  const tmpDir = mkdtempSync(join(tmpdir(), `${LAB_PREFIX}${id}-`));
  const nodes = Array.from({ length: nodeCount }, (_, i) => `lab-node-${i + 1}`);

  let network: LabNetwork | undefined;
  let api: ApiServer | undefined;
  let kubelet: Kubelet | undefined;
  let controllers: Controllers | undefined;
  let stopped: Promise<void> | undefined;

  installExitHook();
  live.set(id, {
    cgroupAbs: cgroupRootAbs,
    tmpDir,
    kill: () => {
      // Sandbox and daemon processes are children of this process: cgroup.kill reaches them all.
    },
  });

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      controllers?.stop();
      await kubelet?.stop().catch(() => {});
      await api?.close().catch(() => {});
      await network?.stop().catch(() => {});
      await destroyTree(cgroupRootAbs, 8000);
      rmSync(tmpDir, { recursive: true, force: true });
      live.delete(id);
    })());

  try {
    mkdirp(cgroupRootAbs);
    const systemCg = join(cgroupRootAbs, 'lab-system.slice');
    mkdirp(systemCg);
    writeFileSync(join(tmpDir, 'lab.json'), JSON.stringify({ pid: process.pid, id, cgroupRoot: cgroupRootRel }));
    // Bind-mount target for service-account tokens inside pod mount namespaces (an empty dir on the host).
    mkdirSync('/run/secrets/kubernetes.io/serviceaccount', { recursive: true });
    const apiSocket = join(tmpDir, 'api.sock');
    if (withNetwork) {
      network = new LabNetwork(systemCg, apiSocket, log);
      await network.start(nodeCount);
    }
    if (opts.failAfter === 'network') throw new Error('lab start failed on purpose after the network step (failAfter)');
    const pkiDir = join(tmpDir, 'pki');
    mkdirSync(pkiDir);
    const pki = makePki(
      pkiDir,
      ['127.0.0.1', ...(network ? [network.apiClusterIP, network.gateway] : [])],
      [
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ],
    );
    const store = new Store();
    const adminToken = randomBytes(24).toString('hex');
    const restrictedToken = randomBytes(24).toString('hex');
    const users = new Map<string, UserInfo>([
      [adminToken, { username: 'lab-admin', groups: ['system:masters', 'system:authenticated'] }],
      [restrictedToken, { username: 'lab-viewer', groups: ['system:authenticated'] }],
    ]);
    const nodeIP = (n: string) => (network ? network.nodeIP(nodes.indexOf(n)) : '127.0.0.1');
    let port = 0;
    const hooks = {
      containerLog: (pod: K8sObject, c: string) => kubelet!.containerLog(pod, c),
      exec: (pod: K8sObject, c: string, argv: string[]) => kubelet!.exec(pod, c, argv),
      allocateClusterIP: () =>
        network ? network.allocateServiceIP() : `10.96.0.${10 + Math.floor(Math.random() * 240)}`,
    };
    api = new ApiServer({ store, users, hooks, certPem: pki.serverCertPem, keyPem: pki.serverKeyPem, log });
    port = await api.listenTcp(0);
    await api.listenUnix(apiSocket);
    const server = `https://127.0.0.1:${port}`;
    bootstrap(api, network?.apiClusterIP);
    if (opts.failAfter === 'api') throw new Error('lab start failed on purpose after the API step (failAfter)');
    kubelet = new Kubelet(
      {
        store,
        repoRoot: REPO_ROOT,
        cgroupRootAbs,
        cgroupRootRel,
        tmpDir,
        network,
        caCertPem: pki.caCertPem,
        issueToken: (ns, sa, podName, podUid) => {
          const now = Math.floor(Date.now() / 1000);
          const t = fakeJwt({
            aud: ['https://kubernetes.default.svc.cluster.local'],
            exp: now + 3607,
            iat: now,
            iss: 'https://kubernetes.default.svc.cluster.local',
            'kubernetes.io': { namespace: ns, pod: { name: podName, uid: podUid }, serviceaccount: { name: sa } },
            sub: `system:serviceaccount:${ns}:${sa}`,
          });
          users.set(t, {
            username: `system:serviceaccount:${ns}:${sa}`,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
          });
          return t;
        },
        apiHostForPods: () => (network ? { host: network.apiClusterIP, port: 443 } : { host: '127.0.0.1', port }),
        nodeIP,
        log,
      },
      nodes,
    );
    kubelet.start();
    controllers = new Controllers({
      store,
      api,
      kubelet,
      network,
      caCertPem: pki.caCertPem,
      apiSocket,
      apiEndpoint: network ? { ip: network.gateway, port: 6443 } : { ip: '127.0.0.1', port },
      log,
    });
    api.orphanDependants = (uid) => {
      for (const def of [R('apps', 'replicasets'), R('', 'pods'), R('batch', 'jobs')])
        for (const o of store.list(def))
          if ((o.metadata.ownerReferences ?? []).some((r) => r.uid === uid))
            store.mutate(def, o.metadata.namespace, o.metadata.name!, (x) => {
              x.metadata.ownerReferences = (x.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
              if (!x.metadata.ownerReferences.length) delete x.metadata.ownerReferences;
            });
    };
    controllers.start();
    controllers.pass();

    const kubeconfigPath = join(tmpDir, 'kubeconfig');
    const contexts = { admin: 'lantern-lab-admin', restricted: 'lantern-lab-restricted' };
    writeFileSync(
      kubeconfigPath,
      yamlStringify({
        apiVersion: 'v1',
        kind: 'Config',
        preferences: {},
        'current-context': contexts.admin,
        clusters: [
          {
            name: 'lantern-lab',
            cluster: { server, 'certificate-authority-data': Buffer.from(pki.caCertPem).toString('base64') },
          },
        ],
        users: [
          { name: 'lab-admin', user: { token: adminToken } },
          { name: 'lab-viewer', user: { token: restrictedToken } },
        ],
        contexts: [
          { name: contexts.admin, context: { cluster: 'lantern-lab', user: 'lab-admin', namespace: 'default' } },
          { name: contexts.restricted, context: { cluster: 'lantern-lab', user: 'lab-viewer', namespace: 'default' } },
        ],
      }),
      { mode: 0o600 },
    );

    if (withWorkloads) {
      for (const { def, ns, obj } of standingWorkload()) api.create(def, ns, obj);
      controllers.pass();
    }
    if (opts.failAfter === 'workloads') {
      // let the kubelet start some processes first, so there is something to clean up
      await new Promise((r) => setTimeout(r, 1500));
      throw new Error('lab start failed on purpose after the workload step (failAfter)');
    }

    const podRef = (ref: string): PodInfo => {
      const parts = ref.split('/');
      const POD = R('', 'pods');
      let pod: Any;
      if (parts.length === 2) pod = store.get(POD, parts[0], parts[1]!);
      else if (parts.length === 3) {
        const [ns, kind, name] = parts as [string, string, string];
        const k = kind.toLowerCase();
        const candidates = (store.list(POD, ns) as Any[]).filter(
          (p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp,
        );
        pod = candidates.find((p) => {
          const ref0 = p.metadata.ownerReferences?.[0];
          if (!ref0) return false;
          if (k === 'deployment')
            return (
              ref0.kind === 'ReplicaSet' &&
              ref0.name.startsWith(`${name}-`) &&
              ref0.name.slice(name.length + 1).length === 10
            );
          return ref0.kind.toLowerCase() === k && ref0.name === name;
        });
      } else throw new Error(`pod reference must be "ns/name" or "ns/kind/name": ${ref}`);
      if (!pod) throw new Error(`no running pod for ${ref}`);
      const d = kubelet!.describe(pod.metadata.uid);
      return {
        uid: pod.metadata.uid,
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        node: pod.spec.nodeName,
        containers: (d?.containers ?? []).map((c) => ({ name: c.name, id: c.id, pid: c.pid, cgroup: c.cgroupRel })),
      };
    };

    const exec: Lab['exec'] = (ref, argv, o = {}) => {
      const p = podRef(ref);
      return execInPod(
        { server, token: adminToken, ca: pki.caCertPem, namespace: p.namespace, pod: p.name, container: o.container },
        argv,
        { stdin: o.stdin, timeoutMs: o.timeoutMs },
      );
    };

    const scenarios = () =>
      safeReaddir(SCENARIOS_DIR)
        .filter((d) => existsSync(join(SCENARIOS_DIR, d, 'run.sh')) && existsSync(join(SCENARIOS_DIR, d, 'label.json')))
        .sort();

    const runScenario: Lab['runScenario'] = async (name, o = {}) => {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !scenarios().includes(name))
        throw new Error(`unknown scenario "${name}"; known: ${scenarios().join(', ')}`);
      const label = JSON.parse(readFileSync(join(SCENARIOS_DIR, name, 'label.json'), 'utf8')) as ScenarioLabel;
      const p = podRef(label.pod);
      const container = label.container ?? p.containers[0]!.name;
      const script = readFileSync(join(SCENARIOS_DIR, name, 'run.sh'), 'utf8');
      const preamble = [
        `LAB_EXTERNAL_IP=${EXTERNAL_IP}`,
        `LAB_METADATA_IP=${METADATA_IP}`,
        `LAB_POD_PREFIX=${network ? network.podCidr.split('.').slice(0, 3).join('.') : '127.0.0'}`,
        `LAB_GATEWAY=${network?.gateway ?? '127.0.0.1'}`,
        'export LAB_EXTERNAL_IP LAB_METADATA_IP LAB_POD_PREFIX LAB_GATEWAY',
        '',
      ].join('\n');
      const startNs = Number(nowNs());
      const start = new Date().toISOString();
      // The script arrives on stdin of an exec'd shell, like `kubectl exec -i POD -- sh`.
      const r = await exec(`${p.namespace}/${p.name}`, ['/bin/sh', '-s'], {
        container,
        stdin: preamble + script,
        timeoutMs: o.timeoutMs ?? 120_000,
      });
      const endNs = Number(nowNs());
      const ct = p.containers.find((c) => c.name === container)!;
      return {
        name,
        technique: label.technique,
        description: label.description,
        expected: label.expected,
        pod: `${p.namespace}/${p.name}`,
        podUid: p.uid,
        node: p.node,
        container,
        containerId: ct.id,
        window: { start, end: new Date().toISOString(), startNs, endNs },
        exitCode: r.code,
        stdout: r.stdout,
        stderr: r.stderr,
      };
    };

    const waitReady: Lab['waitReady'] = async (timeoutMs = 60_000) => {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const pods = store.list(R('', 'pods')) as Any[];
        const notReady = pods.filter((p) => {
          if (p.metadata.ownerReferences?.[0]?.kind === 'Job') return false; // jobs come and go
          return !(
            p.status?.phase === 'Running' &&
            (p.status.conditions ?? []).some((c: Any) => c.type === 'Ready' && c.status === 'True')
          );
        });
        if (!notReady.length) return;
        if (Date.now() > end)
          throw new Error(
            `lab pods not ready after ${timeoutMs} ms: ${notReady.map((p) => `${p.metadata.namespace}/${p.metadata.name} (${p.status?.phase})`).join(', ')}`,
          );
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    const k = kubelet;
    const a = api;
    return {
      id,
      kubeconfigPath,
      server,
      caPath: pki.caCertPath,
      caPem: pki.caCertPem,
      contexts,
      tokens: { admin: adminToken, restricted: restrictedToken },
      nodes,
      cgroupRoot: cgroupRootRel,
      nodeCgroupRoot: (n) => k.nodeCgroupRel(n),
      tmpDir,
      network: network
        ? {
            podCidr: network.podCidr,
            serviceCidr: network.serviceCidr,
            gateway: network.gateway,
            apiClusterIP: network.apiClusterIP,
            externalIP: EXTERNAL_IP,
            metadataIP: METADATA_IP,
          }
        : undefined,
      faults: {
        dropLogStreams: () => a.dropLogStreams(),
        failNextApiCalls: (n, status, delayMs = 0) => {
          a.faults.failNext = n;
          a.faults.failStatus = status;
          a.faults.failDelayMs = delayMs;
        },
        delayNextApiCalls: (n, delayMs) => {
          a.faults.delayNext = n;
          a.faults.delayMs = delayMs;
        },
        rejectPodCreation: (on) => {
          a.faults.rejectPodCreation = on;
        },
        setNodeReady: (n, ready) => k.setNodeReady(n, ready),
      },
      exec,
      scenarios,
      runScenario,
      pod: podRef,
      waitReady,
      requestCount: () => a.requestCount.total,
      networkErrors: () => [...(network?.errors ?? [])],
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
