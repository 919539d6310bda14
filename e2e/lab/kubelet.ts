/**
 * The kubelet stand-in: runs the pods bound to the lab's nodes as real local processes.
 *
 * Per pod: a cgroup slice under the node's own subtree
 *   <labRoot>/<node>/kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_>.slice/
 * a sandbox ("pause") process in its own scope holding the pod's mount namespace (and network
 * namespace with an address on the lab bridge, unless hostNetwork), and one
 * cri-containerd-<64 hex>.scope per container with the container's command in it.
 *
 * Service account token: written to a per-pod temp dir that the sandbox bind-mounts over
 * /run/secrets/kubernetes.io/serviceaccount (= /var/run/...) inside the pod's private mount
 * namespace; the host sees only an empty directory there.
 *
 * Capture pods (label app.kubernetes.io/name=lantern-agent or an image containing
 * "lantern-agent") run as root with host PID and network; /opt/lantern/agent/<x> in their
 * command maps to <repo>/native/agent/<x>, and LANTERN_CGROUP_ROOT is set to the node's cgroup
 * subtree (the lab's node-isolation shim: each node's capture sees only that node's pods).
 *
 * Probes: exec probes run as processes in the container's cgroup, spawned by the lab (their
 * parent is outside the container, as with a real runtime's shim) with the probe's argv from the
 * pod spec. HTTP probes go out from the lab router (the host cannot reach pod addresses).
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join, delimiter } from 'node:path';
import { hostname, release } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { ApiError, type Store, type StoreEvent } from './store';
import { findResource, nowIso, type K8sObject } from './resources';
import { CGROUP2_MOUNT, containerScope, destroyTree, mkdirp, podSliceRel, type Qos } from './cgroups';
import { ContainerLog } from './logs';
import { spawnIn, isAlive } from './proc';
import { waitPid, type LabNetwork } from './network';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const POD = findResource('', 'v1', 'pods')!;
const NODE = findResource('', 'v1', 'nodes')!;
const SVC = findResource('', 'v1', 'services')!;
const CM = findResource('', 'v1', 'configmaps')!;
const SECRET = findResource('', 'v1', 'secrets')!;

export const SA_MOUNT = '/run/secrets/kubernetes.io/serviceaccount';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface KubeletContext {
  store: Store;
  repoRoot: string;
  /** Absolute cgroup dir of the lab root, e.g. /sys/fs/cgroup/unified/lantern-lab-123-abcd */
  cgroupRootAbs: string;
  /** The same, relative to the cgroup2 mount (what bpftrace's cgroup_path prints) */
  cgroupRootRel: string;
  tmpDir: string;
  network?: LabNetwork;
  caCertPem: string;
  /** Issues a bearer token for a service account (the API server knows it from then on). */
  issueToken(ns: string, sa: string, podName: string, podUid: string): string;
  apiHostForPods(): { host: string; port: number };
  nodeIP(node: string): string;
  log: (msg: string) => void;
}

interface ContainerRt {
  name: string;
  id: string;
  proc?: ChildProcess;
  log: ContainerLog;
  restartCount: number;
  startedAt?: string;
  ready: boolean;
  state: Any;
  lastState: Any;
  probeTimer?: NodeJS.Timeout;
  restartTimer?: NodeJS.Timeout;
  scopeDir: string;
}

interface PodRt {
  uid: string;
  ns: string;
  name: string;
  node: string;
  capture: boolean;
  hostNetwork: boolean;
  sliceDir: string;
  sandbox?: ChildProcess;
  sandboxId: string;
  ip?: string;
  tokenDir?: string;
  containers: Map<string, ContainerRt>;
  terminating: boolean;
  finished: boolean;
  deadlineTimer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
  startTime?: string;
  phase: string;
  reason?: string;
  message?: string;
  stopped: Promise<void>;
  resolveStopped: () => void;
}

export function isCapturePod(pod: Any): boolean {
  if (pod.metadata?.labels?.['app.kubernetes.io/name'] === 'lantern-agent') return true;
  return (pod.spec?.containers ?? []).some((c: Any) => String(c.image ?? '').includes('lantern-agent'));
}

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

export class Kubelet {
  private pods = new Map<string, PodRt>();
  private ready = new Map<string, boolean>();
  private unsub?: () => void;
  private stopping = false;

  constructor(
    private ctx: KubeletContext,
    readonly nodes: string[],
  ) {
    for (const n of nodes) this.ready.set(n, true);
  }

  nodeCgroupRel(node: string): string {
    return `${this.ctx.cgroupRootRel}/${node}`;
  }
  nodeCgroupAbs(node: string): string {
    return join(this.ctx.cgroupRootAbs, node);
  }

  /** Registers the Node objects and starts following pods. */
  start(): void {
    for (const [i, n] of this.nodes.entries()) {
      mkdirp(join(this.nodeCgroupAbs(n), 'kubepods.slice', 'kubepods-besteffort.slice'));
      mkdirp(join(this.nodeCgroupAbs(n), 'kubepods.slice', 'kubepods-burstable.slice'));
      this.ctx.store.create(NODE, this.nodeObject(n, i));
    }
    this.unsub = this.ctx.store.subscribe((e) => this.onEvent(e));
    for (const p of this.ctx.store.list(POD)) this.reconcile(p);
    // Heartbeat: real kubelets renew node status; the Ready condition time moves.
    const hb = setInterval(() => {
      for (const n of this.nodes) this.setNodeCondition(n, this.ready.get(n)!);
    }, 40_000);
    hb.unref();
    const prev = this.unsub;
    this.unsub = () => {
      prev();
      clearInterval(hb);
    };
  }

  private nodeObject(n: string, i: number): K8sObject {
    let osImage = 'Debian GNU/Linux';
    try {
      const t = readFileSync('/etc/os-release', 'utf8');
      osImage = /PRETTY_NAME="?([^"\n]+)/.exec(t)?.[1] ?? osImage;
    } catch {
      /* keep default */
    }
    const t = nowIso();
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n,
        labels: {
          'kubernetes.io/hostname': n,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': 'lab',
          'topology.kubernetes.io/zone': `lab-zone-${(i % 2) + 1}`,
        },
        annotations: { 'lantern.dev/lab-cgroup-root': this.nodeCgroupRel(n), 'lantern.dev/lab-host': hostname() },
      },
      spec: {
        podCIDR: this.ctx.network?.podCidr ?? '10.244.0.0/24',
        podCIDRs: [this.ctx.network?.podCidr ?? '10.244.0.0/24'],
        providerID: `lab://${n}`,
      },
      status: {
        capacity: { cpu: '2', memory: '8Gi', pods: '110', 'ephemeral-storage': '20Gi' },
        allocatable: { cpu: '2', memory: '8Gi', pods: '110', 'ephemeral-storage': '20Gi' },
        conditions: [
          {
            type: 'MemoryPressure',
            status: 'False',
            lastHeartbeatTime: t,
            lastTransitionTime: t,
            reason: 'KubeletHasSufficientMemory',
            message: 'kubelet has sufficient memory available',
          },
          {
            type: 'DiskPressure',
            status: 'False',
            lastHeartbeatTime: t,
            lastTransitionTime: t,
            reason: 'KubeletHasNoDiskPressure',
            message: 'kubelet has no disk pressure',
          },
          {
            type: 'PIDPressure',
            status: 'False',
            lastHeartbeatTime: t,
            lastTransitionTime: t,
            reason: 'KubeletHasSufficientPID',
            message: 'kubelet has sufficient PID available',
          },
          {
            type: 'Ready',
            status: 'True',
            lastHeartbeatTime: t,
            lastTransitionTime: t,
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
          },
        ],
        addresses: [
          { type: 'InternalIP', address: this.ctx.nodeIP(n) },
          { type: 'Hostname', address: n },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          machineID: randomBytes(16).toString('hex'),
          systemUUID: randomBytes(16).toString('hex'),
          bootID: randomBytes(16).toString('hex'),
          kernelVersion: release(),
          osImage,
          containerRuntimeVersion: 'containerd://1.7.24-lab',
          kubeletVersion: 'v1.35.0',
          kubeProxyVersion: 'v1.35.0',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    };
  }

  isNodeReady(n: string): boolean {
    return this.ready.get(n) ?? false;
  }

  setNodeReady(node: string, ready: boolean): void {
    if (!this.ready.has(node)) throw new Error(`no such lab node: ${node}`);
    this.ready.set(node, ready);
    this.setNodeCondition(node, ready, true);
    if (ready) for (const p of this.ctx.store.list(POD)) this.reconcile(p);
  }

  private setNodeCondition(node: string, ready: boolean, transition = false): void {
    this.ctx.store.mutate(NODE, undefined, node, (o: Any) => {
      const t = nowIso();
      const c = o.status.conditions.find((x: Any) => x.type === 'Ready');
      const was = c.status === 'True';
      c.lastHeartbeatTime = t;
      if (was !== ready || transition) {
        if (was !== ready) c.lastTransitionTime = t;
        c.status = ready ? 'True' : 'Unknown';
        c.reason = ready ? 'KubeletReady' : 'NodeStatusUnknown';
        c.message = ready ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.';
        o.spec.taints = ready
          ? (o.spec.taints ?? []).filter((x: Any) => !x.key.startsWith('node.kubernetes.io/unreachable'))
          : [
              ...(o.spec.taints ?? []).filter((x: Any) => !x.key.startsWith('node.kubernetes.io/unreachable')),
              { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: t },
            ];
        if (!o.spec.taints.length) delete o.spec.taints;
      }
    });
  }

  private onEvent(e: StoreEvent): void {
    if (e.def !== POD && e.def.resource !== 'pods') return;
    if (e.type === 'DELETED') {
      const rt = this.pods.get(e.obj.metadata.uid!);
      if (rt && !rt.finished) void this.terminate(rt, 0);
      return;
    }
    this.reconcile(e.obj);
  }

  private reconcile(pod: Any): void {
    if (this.stopping) return;
    const node = pod.spec?.nodeName;
    if (!node || !this.ready.has(node)) return;
    const uid = pod.metadata.uid;
    const rt = this.pods.get(uid);
    if (pod.metadata.deletionTimestamp) {
      if (rt && !rt.terminating)
        void this.terminate(rt, pod.metadata.deletionGracePeriodSeconds ?? 30).then(() => this.finalizeDelete(pod));
      else if (!rt) this.finalizeDelete(pod);
      return;
    }
    if (rt) return;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    if (!this.ready.get(node)) return; // a NotReady node starts nothing
    void this.startPod(pod).catch((err) => {
      this.ctx.log(`pod ${pod.metadata.namespace}/${pod.metadata.name} failed to start: ${(err as Error).message}`);
      const r = this.pods.get(uid);
      if (r) {
        r.phase = 'Failed';
        r.reason = 'StartError';
        r.message = String((err as Error).message).slice(0, 500);
        void this.terminate(r, 0).then(() => this.pushStatus(r));
      }
    });
  }

  private finalizeDelete(pod: Any): void {
    try {
      const cur = this.ctx.store.peek(POD, pod.metadata.namespace, pod.metadata.name) as Any;
      if (cur && cur.metadata.uid === pod.metadata.uid)
        this.ctx.store.remove(POD, pod.metadata.namespace, pod.metadata.name);
    } catch {
      /* already gone */
    }
  }

  // ------------------------------------------------------------------ start

  private async startPod(pod: Any): Promise<void> {
    const uid = pod.metadata.uid as string;
    const qos = (pod.status?.qosClass ?? 'BestEffort') as Qos;
    const node = pod.spec.nodeName as string;
    const capture = isCapturePod(pod);
    const hostNetwork = !!pod.spec.hostNetwork || capture || !this.ctx.network;
    let resolveStopped!: () => void;
    const rt: PodRt = {
      uid,
      ns: pod.metadata.namespace,
      name: pod.metadata.name,
      node,
      capture,
      hostNetwork,
      sliceDir: join(this.nodeCgroupAbs(node), podSliceRel(qos, uid)),
      sandboxId: newContainerId(),
      containers: new Map(),
      terminating: false,
      finished: false,
      phase: 'Pending',
      stopped: new Promise<void>((r) => (resolveStopped = r)),
      resolveStopped: () => resolveStopped(),
    };
    this.pods.set(uid, rt);
    for (const c of pod.spec.containers)
      rt.containers.set(c.name, {
        name: c.name,
        id: newContainerId(),
        log: new ContainerLog(),
        restartCount: 0,
        ready: false,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        scopeDir: '',
      });
    this.pushStatus(rt);
    mkdirp(rt.sliceDir);

    // Service account token
    const mountsToken =
      pod.spec.automountServiceAccountToken !== false &&
      pod.spec.containers.some((c: Any) =>
        (c.volumeMounts ?? []).some((m: Any) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount'),
      );
    if (mountsToken) {
      rt.tokenDir = join(this.ctx.tmpDir, 'pods', uid, 'serviceaccount');
      mkdirSync(rt.tokenDir, { recursive: true, mode: 0o755 });
      const token = this.ctx.issueToken(rt.ns, pod.spec.serviceAccountName ?? 'default', rt.name, uid);
      writeFileSync(join(rt.tokenDir, 'token'), token, { mode: 0o644 });
      writeFileSync(join(rt.tokenDir, 'ca.crt'), this.ctx.caCertPem);
      writeFileSync(join(rt.tokenDir, 'namespace'), rt.ns);
    }
    let resolv: string | undefined;
    if (!hostNetwork && this.ctx.network) {
      resolv = join(this.ctx.tmpDir, 'pods', uid, 'resolv.conf');
      mkdirSync(join(this.ctx.tmpDir, 'pods', uid), { recursive: true });
      writeFileSync(
        resolv,
        // ndots:5 as the kubelet writes it. timeout:1 attempts:4 (glibc doubles the timeout on each
        // try: 1+2+4+8 s, the same 15 s as its default 5+10) so that a query lost while the machine
        // is saturated is asked again after 1 s instead of 5.
        `search ${rt.ns}.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${this.ctx.network.gateway}\noptions ndots:5 timeout:1 attempts:4\n`,
      );
    }

    // Sandbox: a pause process holding the pod's namespaces.
    const needSandbox = !hostNetwork || !!rt.tokenDir;
    if (needSandbox) {
      const sbDir = join(rt.sliceDir, containerScope(rt.sandboxId));
      mkdirp(sbDir);
      const unshare = ['unshare', '-m', '--propagation', 'private', ...(hostNetwork ? [] : ['-n', '-u']), '--'];
      const script = [
        'set -e',
        'if [ -n "$4" ]; then hostname "$4"; fi',
        'if [ -n "$1" ]; then mount --bind "$1" "$3"; mount -o remount,bind,ro "$3"; fi',
        'if [ -n "$2" ]; then mount --bind "$2" /etc/resolv.conf; fi',
        'echo ready',
        'exec cat',
      ].join('\n');
      rt.sandbox = spawnIn({
        argv: [
          ...unshare,
          '/bin/sh',
          '-c',
          script,
          'lab-pause',
          rt.tokenDir ?? '',
          resolv ?? '',
          SA_MOUNT,
          hostNetwork ? '' : (pod.spec.hostname ?? rt.name).slice(0, 63),
        ],
        cgroupDir: sbDir,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      rt.sandbox.stdin?.on('error', () => {});
      await waitPid(rt.sandbox);
      await new Promise<void>((resolve, reject) => {
        let err = '';
        rt.sandbox!.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        rt.sandbox!.stdout!.once('data', () => resolve());
        rt.sandbox!.once('exit', (c) => reject(new Error(`pod sandbox exited (${c}): ${err.trim()}`)));
        setTimeout(() => reject(new Error('pod sandbox did not start in 10 s')), 10_000).unref();
      });
      if (!hostNetwork) rt.ip = await this.ctx.network!.attach(rt.sandbox.pid!);
    }
    if (rt.terminating) return;
    rt.startTime = nowIso();
    const adl = pod.spec.activeDeadlineSeconds;
    if (adl) {
      rt.deadlineTimer = setTimeout(() => {
        if (rt.finished || rt.terminating) return;
        rt.phase = 'Failed';
        rt.reason = 'DeadlineExceeded';
        rt.message = `Pod was active on the node longer than the specified deadline`;
        void this.terminate(rt, pod.spec.terminationGracePeriodSeconds ?? 30).then(() => this.pushStatus(rt));
      }, adl * 1000);
      rt.deadlineTimer.unref();
    }
    for (const c of pod.spec.containers) this.startContainer(rt, pod, c);
    rt.phase = 'Running';
    this.pushStatus(rt);
  }

  private resolveArgv(pod: Any, c: Any, env: Record<string, string>, capture: boolean): string[] {
    let cmd: string[] = c.command ?? [];
    const args: string[] = c.args ?? [];
    if (!cmd.length) {
      // No image to read an entrypoint from: the lab knows its own images' entrypoints.
      if (capture || String(c.image).includes('lantern-agent')) cmd = ['/opt/lantern/agent/lantern-agent'];
      else if (!args.length) cmd = ['sleep', 'infinity'];
    }
    const expand = (s: string) => s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, k) => (k in env ? env[k]! : m));
    return [...cmd, ...args].map(expand).map((a) => this.mapPath(a));
  }

  /** Image paths the lab maps onto the repo. */
  mapPath(a: string): string {
    if (a.startsWith('/opt/lantern/agent/'))
      return join(this.ctx.repoRoot, 'native/agent', a.slice('/opt/lantern/agent/'.length));
    if (a.startsWith('/lab/')) return join(this.ctx.repoRoot, 'e2e/lab/workloads', a.slice('/lab/'.length));
    return a;
  }

  private containerEnv(rt: PodRt, pod: Any, c: Any): Record<string, string> {
    const env: Record<string, string> = Object.create(null);
    env.PATH = DEFAULT_PATH;
    env.HOSTNAME = rt.hostNetwork ? hostname() : rt.name;
    env.HOME = '/root';
    const api = this.ctx.apiHostForPods();
    env.KUBERNETES_SERVICE_HOST = api.host;
    env.KUBERNETES_SERVICE_PORT = String(api.port);
    env.KUBERNETES_SERVICE_PORT_HTTPS = String(api.port);
    env.KUBERNETES_PORT = `tcp://${api.host}:${api.port}`;
    if (pod.spec.enableServiceLinks !== false) {
      for (const s of this.ctx.store.list(SVC, rt.ns) as Any[]) {
        if (!s.spec.clusterIP || s.spec.clusterIP === 'None' || !s.spec.ports?.length) continue;
        const n = s.metadata.name.toUpperCase().replace(/-/g, '_');
        env[`${n}_SERVICE_HOST`] = s.spec.clusterIP;
        env[`${n}_SERVICE_PORT`] = String(s.spec.ports[0].port);
      }
    }
    for (const e of c.env ?? []) {
      if (!e?.name || e.name === '__proto__') continue;
      if (typeof e.value === 'string')
        env[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m: string, k: string) =>
          k in env ? env[k]! : m,
        );
      else if (e.valueFrom?.fieldRef) env[e.name] = this.fieldRef(rt, pod, e.valueFrom.fieldRef.fieldPath);
      else if (e.valueFrom?.configMapKeyRef) {
        const cm = this.ctx.store.peek(CM, rt.ns, e.valueFrom.configMapKeyRef.name) as Any;
        const v = cm?.data?.[e.valueFrom.configMapKeyRef.key];
        if (typeof v === 'string') env[e.name] = v;
      } else if (e.valueFrom?.secretKeyRef) {
        const s = this.ctx.store.peek(SECRET, rt.ns, e.valueFrom.secretKeyRef.name) as Any;
        const v = s?.data?.[e.valueFrom.secretKeyRef.key];
        if (typeof v === 'string') env[e.name] = Buffer.from(v, 'base64').toString('utf8');
      }
    }
    // The node-isolation shim: unless the pod spec already says, a capture pod only looks at its node's subtree.
    if (rt.capture && !env.LANTERN_CGROUP_ROOT) env.LANTERN_CGROUP_ROOT = this.nodeCgroupRel(rt.node);
    return env;
  }

  private fieldRef(rt: PodRt, pod: Any, path: string): string {
    switch (path) {
      case 'metadata.name':
        return rt.name;
      case 'metadata.namespace':
        return rt.ns;
      case 'metadata.uid':
        return rt.uid;
      case 'spec.nodeName':
        return rt.node;
      case 'spec.serviceAccountName':
        return pod.spec.serviceAccountName ?? 'default';
      case 'status.podIP':
        return rt.ip ?? this.ctx.nodeIP(rt.node);
      case 'status.hostIP':
        return this.ctx.nodeIP(rt.node);
    }
    const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
    if (m) return pod.metadata[m[1]!]?.[m[2]!] ?? '';
    return '';
  }

  private spawnInContainer(
    rt: PodRt,
    ct: ContainerRt,
    pod: Any,
    c: Any,
    argv: string[],
    env: Record<string, string>,
    scopeDir: string,
  ): ChildProcess {
    const sc = { ...(pod.spec.securityContext ?? {}), ...(c.securityContext ?? {}) };
    const runAsUser = rt.capture ? undefined : sc.runAsUser;
    return spawnIn({
      argv,
      cgroupDir: scopeDir,
      cwd: c.workingDir,
      env,
      nsPid: rt.sandbox?.pid,
      joinMount: !!rt.sandbox,
      joinNet: !!rt.sandbox && !rt.hostNetwork,
      runAsUser: typeof runAsUser === 'number' ? runAsUser : undefined,
      runAsGroup: typeof sc.runAsGroup === 'number' ? sc.runAsGroup : undefined,
    });
  }

  private startContainer(rt: PodRt, pod: Any, c: Any): void {
    const ct = rt.containers.get(c.name)!;
    if (rt.terminating || this.stopping) return;
    ct.scopeDir = join(rt.sliceDir, containerScope(ct.id));
    mkdirp(ct.scopeDir);
    const env = this.containerEnv(rt, pod, c);
    const argv = this.resolveArgv(pod, c, env, rt.capture);
    const exe = findExecutable(argv[0]!, env.PATH ?? DEFAULT_PATH);
    if (!exe) {
      ct.state = {
        waiting: {
          reason: 'RunContainerError',
          message: `failed to create containerd task: exec: "${argv[0]}": executable file not found in $PATH`,
        },
      };
      this.pushStatus(rt);
      this.scheduleRestart(rt, pod, c, ct, 128);
      return;
    }
    const proc = this.spawnInContainer(rt, ct, pod, c, argv, env, ct.scopeDir);
    ct.proc = proc;
    ct.startedAt = nowIso();
    ct.state = { running: { startedAt: ct.startedAt } };
    ct.ready = !c.readinessProbe;
    proc.stdout?.on('data', (d: Buffer) => ct.log.write('stdout', d));
    proc.stderr?.on('data', (d: Buffer) => ct.log.write('stderr', d));
    proc.stdin?.on('error', () => {});
    if (!c.stdin) proc.stdin?.end();
    proc.on('error', (e) => ct.log.write('stderr', Buffer.from(`lab kubelet: ${e.message}\n`)));
    proc.on('exit', (code, signal) => this.onContainerExit(rt, pod, c, ct, code, signal));
    if (c.readinessProbe) this.startProbe(rt, pod, c, ct);
    this.pushStatus(rt);
  }

  private startProbe(rt: PodRt, pod: Any, c: Any, ct: ContainerRt): void {
    const p = c.readinessProbe;
    const period = Math.max(1, p.periodSeconds ?? 10) * 1000;
    const initial = Math.max(0, p.initialDelaySeconds ?? 0) * 1000;
    let fails = 0;
    let oks = 0;
    const tick = async () => {
      if (rt.terminating || !ct.proc || ct.proc.exitCode !== null) return;
      let ok = false;
      try {
        if (p.exec?.command?.length) {
          ok = await this.execProbe(rt, pod, c, ct, p.exec.command, (p.timeoutSeconds ?? 1) * 1000);
        } else if (p.httpGet) {
          const port =
            typeof p.httpGet.port === 'number'
              ? p.httpGet.port
              : Number((c.ports ?? []).find((x: Any) => x.name === p.httpGet.port)?.containerPort);
          if (rt.hostNetwork || !this.ctx.network)
            ok = await httpProbeLocal(port, p.httpGet.path ?? '/', (p.timeoutSeconds ?? 1) * 1000);
          else
            ok = await this.ctx.network.httpProbe(rt.ip!, port, p.httpGet.path ?? '/', (p.timeoutSeconds ?? 1) * 1000);
        } else if (p.tcpSocket) ok = true;
      } catch {
        ok = false;
      }
      if (ok) {
        fails = 0;
        oks++;
        if (!ct.ready && oks >= (p.successThreshold ?? 1)) {
          ct.ready = true;
          this.pushStatus(rt);
        }
      } else {
        oks = 0;
        fails++;
        if (ct.ready && fails >= (p.failureThreshold ?? 3)) {
          ct.ready = false;
          this.pushStatus(rt);
        }
      }
    };
    // Until the first success the lab probes every second (a real kubelet waits a full period;
    // the lab would otherwise take 10 s to become ready), then at the pod's period.
    const loop = (delay: number) => {
      ct.probeTimer = setTimeout(async () => {
        await tick();
        if (!rt.terminating && ct.proc) loop(ct.ready ? period : Math.min(period, 1000));
      }, delay);
      ct.probeTimer.unref();
    };
    loop(initial + 200);
  }

  private execProbe(rt: PodRt, pod: Any, c: Any, ct: ContainerRt, argv: string[], timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const env = this.containerEnv(rt, pod, c);
      const p = this.spawnInContainer(
        rt,
        ct,
        pod,
        c,
        argv.map((a) => this.mapPath(a)),
        env,
        ct.scopeDir,
      );
      p.stdout?.resume();
      p.stderr?.resume();
      p.stdin?.on('error', () => {});
      p.stdin?.end();
      const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
      p.on('exit', (code) => {
        clearTimeout(t);
        resolve(code === 0);
      });
      p.on('error', () => resolve(false));
    });
  }

  private onContainerExit(
    rt: PodRt,
    pod: Any,
    c: Any,
    ct: ContainerRt,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    const exitCode = code ?? (signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : 128);
    if (ct.probeTimer) clearTimeout(ct.probeTimer);
    ct.proc = undefined;
    ct.ready = false;
    ct.state = {
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : exitCode === 137 && !rt.terminating ? 'OOMKilled' : 'Error',
        startedAt: ct.startedAt,
        finishedAt: nowIso(),
        containerID: `containerd://${ct.id}`,
      },
    };
    if (exitCode === 137 && !rt.terminating) ct.state.terminated.reason = 'Error';
    ct.log.end();
    // The container's scope goes with it (leftover children are killed, as runc does).
    const scope = ct.scopeDir;
    void destroyTree(scope);
    if (rt.terminating || this.stopping) {
      this.pushStatus(rt);
      this.checkAllStopped(rt);
      return;
    }
    const policy = pod.spec.restartPolicy ?? 'Always';
    if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
      this.scheduleRestart(rt, pod, c, ct, exitCode);
      return;
    }
    // Pod phase once every container is done and none restarts.
    const all = [...rt.containers.values()];
    if (all.every((x) => x.state.terminated)) {
      rt.phase = all.every((x) => x.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed';
      rt.finished = true;
      void this.teardown(rt);
    }
    this.pushStatus(rt);
  }

  private scheduleRestart(rt: PodRt, pod: Any, c: Any, ct: ContainerRt, exitCode: number): void {
    const delay = Math.min(10_000, 1000 * 2 ** Math.min(ct.restartCount, 4));
    ct.lastState = ct.state.terminated ? { terminated: ct.state.terminated } : {};
    ct.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${rt.name}_${rt.ns}(${rt.uid})`,
      },
    };
    if (exitCode === 128) ct.state.waiting.reason = 'RunContainerError';
    this.pushStatus(rt);
    ct.restartTimer = setTimeout(() => {
      if (rt.terminating || this.stopping) return;
      ct.restartCount++;
      ct.id = newContainerId();
      ct.log = new ContainerLog();
      this.startContainer(rt, pod, c);
    }, delay);
    ct.restartTimer.unref();
  }

  private checkAllStopped(rt: PodRt): void {
    if ([...rt.containers.values()].every((x) => !x.proc)) void this.teardown(rt);
  }

  /** SIGTERM every container, SIGKILL the pod's cgroup after `grace` seconds. */
  private async terminate(rt: PodRt, grace: number): Promise<void> {
    if (rt.terminating) return rt.stopped;
    rt.terminating = true;
    if (rt.deadlineTimer) clearTimeout(rt.deadlineTimer);
    for (const ct of rt.containers.values()) {
      if (ct.restartTimer) clearTimeout(ct.restartTimer);
      if (ct.probeTimer) clearTimeout(ct.probeTimer);
      if (ct.proc && ct.proc.exitCode === null) {
        if (grace > 0) ct.proc.kill('SIGTERM');
        else ct.proc.kill('SIGKILL');
      }
    }
    if ([...rt.containers.values()].every((x) => !x.proc)) void this.teardown(rt);
    else {
      rt.killTimer = setTimeout(() => {
        for (const ct of rt.containers.values()) if (ct.proc) ct.proc.kill('SIGKILL');
        void destroyTree(rt.sliceDir);
      }, grace * 1000);
      rt.killTimer.unref();
    }
    return rt.stopped;
  }

  private tearingDown = new Set<string>();
  private async teardown(rt: PodRt): Promise<void> {
    if (this.tearingDown.has(rt.uid)) return rt.stopped;
    this.tearingDown.add(rt.uid);
    if (rt.killTimer) clearTimeout(rt.killTimer);
    if (rt.deadlineTimer) clearTimeout(rt.deadlineTimer);
    for (const ct of rt.containers.values()) {
      if (ct.probeTimer) clearTimeout(ct.probeTimer);
      if (ct.restartTimer) clearTimeout(ct.restartTimer);
      ct.log.end();
    }
    if (rt.sandbox && rt.sandbox.exitCode === null) rt.sandbox.kill('SIGKILL');
    await destroyTree(rt.sliceDir);
    if (rt.ip) this.ctx.network?.release(rt.ip);
    rm(join(this.ctx.tmpDir, 'pods', rt.uid));
    rt.finished = true;
    if (rt.terminating && rt.phase === 'Running') rt.phase = 'Failed';
    rt.resolveStopped();
  }

  /** Writes the pod's status as the kubelet reports it. */
  private pushStatus(rt: PodRt): void {
    const t = nowIso();
    this.ctx.store.mutate(POD, rt.ns, rt.name, (o: Any) => {
      if (o.metadata.uid !== rt.uid) return;
      const prev = o.status ?? {};
      const conds = (type: string, status: boolean) => {
        const old = (prev.conditions ?? []).find((c: Any) => c.type === type);
        const s = status ? 'True' : 'False';
        return {
          type,
          status: s,
          lastProbeTime: null,
          lastTransitionTime: old && old.status === s ? old.lastTransitionTime : t,
        };
      };
      const cs = [...rt.containers.values()].map((ct) => {
        const spec = o.spec.containers.find((c: Any) => c.name === ct.name);
        const s: Any = {
          name: ct.name,
          state: ct.state,
          lastState: ct.lastState,
          ready: ct.ready,
          restartCount: ct.restartCount,
          image: spec?.image ?? '',
          imageID: `${String(spec?.image ?? '').replace(/:[^/:]+$/, '')}@sha256:${sha256Hex(String(spec?.image ?? ''))}`,
          started: !!ct.state.running,
        };
        if (!ct.state.waiting || ct.state.waiting.reason !== 'ContainerCreating')
          s.containerID = `containerd://${ct.id}`;
        return s;
      });
      const allReady = cs.length > 0 && cs.every((c) => c.ready);
      const running = rt.phase === 'Running';
      o.status = {
        phase: rt.phase,
        conditions: [
          conds('PodReadyToStartContainers', !!rt.startTime && !rt.finished),
          conds('Initialized', true),
          conds('Ready', running && allReady),
          conds('ContainersReady', running && allReady),
          conds('PodScheduled', true),
        ],
        hostIP: this.ctx.nodeIP(rt.node),
        hostIPs: [{ ip: this.ctx.nodeIP(rt.node) }],
        ...(rt.ip || rt.hostNetwork
          ? { podIP: rt.ip ?? this.ctx.nodeIP(rt.node), podIPs: [{ ip: rt.ip ?? this.ctx.nodeIP(rt.node) }] }
          : {}),
        ...(rt.startTime ? { startTime: rt.startTime } : {}),
        containerStatuses: cs,
        qosClass: prev.qosClass ?? 'BestEffort',
        ...(rt.reason ? { reason: rt.reason, message: rt.message } : {}),
      };
      if (rt.phase === 'Failed' || rt.phase === 'Succeeded') {
        for (const c of o.status.conditions)
          if (c.type === 'Ready' || c.type === 'ContainersReady') c.reason = 'PodCompleted';
      }
    });
  }

  // ------------------------------------------------------------------ API hooks

  containerLog(pod: Any, container: string): ContainerLog | undefined {
    const rt = this.pods.get(pod.metadata.uid);
    const ct = rt?.containers.get(container);
    if (!ct || (!ct.proc && !ct.state.terminated && !ct.log.snapshot().length)) return undefined;
    return ct.log;
  }

  exec(pod: Any, container: string, argv: string[]): ChildProcess {
    const rt = this.pods.get(pod.metadata.uid);
    const ct = rt?.containers.get(container);
    if (!rt || !ct || !ct.proc || rt.terminating)
      throw new ApiError(400, 'BadRequest', `container ${container} is not running in pod ${pod.metadata.name}`);
    const c = pod.spec.containers.find((x: Any) => x.name === container);
    const env = this.containerEnv(rt, pod, c);
    const mapped = argv.map((a) => this.mapPath(a));
    const exe = findExecutable(mapped[0]!, env.PATH ?? DEFAULT_PATH);
    if (!exe)
      throw new ApiError(
        500,
        'InternalError',
        `Internal error occurred: error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "${argv[0]}": executable file not found in $PATH: unknown`,
      );
    return this.spawnInContainer(rt, ct, pod, c, mapped, env, ct.scopeDir);
  }

  /** Container ids and cgroup paths for a pod (tests, scenario labels). */
  describe(uid: string):
    | {
        node: string;
        sliceRel: string;
        sandboxPid?: number;
        containers: { name: string; id: string; pid?: number; cgroupRel: string }[];
      }
    | undefined {
    const rt = this.pods.get(uid);
    if (!rt) return undefined;
    const rel = (abs: string) => abs.slice(CGROUP2_MOUNT.length);
    return {
      node: rt.node,
      sliceRel: rel(rt.sliceDir),
      sandboxPid: rt.sandbox?.pid,
      containers: [...rt.containers.values()].map((c) => ({
        name: c.name,
        id: c.id,
        pid: c.proc?.pid,
        cgroupRel: rel(c.scopeDir),
      })),
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unsub?.();
    await Promise.all([...this.pods.values()].map((rt) => this.terminate(rt, 0).then(() => rt.stopped)));
    await Promise.race([
      Promise.all([...this.pods.values()].map((rt) => rt.stopped)),
      new Promise((r) => setTimeout(r, 8000)),
    ]);
    for (const rt of this.pods.values()) if (rt.sandbox?.pid && isAlive(rt.sandbox.pid)) rt.sandbox.kill('SIGKILL');
  }
}

function rm(p: string): void {
  try {
    rmSync(p, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function findExecutable(cmd: string, path: string): string | undefined {
  const ok = (p: string) => {
    try {
      const s = statSync(p);
      return s.isFile() && (s.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return ok(cmd) ? cmd : undefined;
  for (const d of path.split(delimiter)) if (d && ok(join(d, cmd))) return join(d, cmd);
  return undefined;
}

function httpProbeLocal(port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res: Any) => {
      res.resume();
      resolve(res.statusCode >= 200 && res.statusCode < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
