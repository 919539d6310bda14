/**
 * The lab's controller manager and scheduler, reduced to what makes the standing workload look
 * like a real cluster: namespaces (default SA, kube-root-ca.crt), scheduling, Deployment →
 * ReplicaSet → Pods, DaemonSet, StatefulSet, Job, CronJob, Service → EndpointSlice/Endpoints
 * (and the lab network's proxies and DNS), and owner-reference garbage collection.
 * Each pass reconciles everything (the lab is small); passes are coalesced.
 */
import { createHash } from 'node:crypto';
import type { ApiServer } from './apiserver';
import type { Store } from './store';
import {
  findResource,
  randomSuffix,
  selectorObjectMatches,
  nowIso,
  type K8sObject,
  type ResourceDef,
} from './resources';
import type { Kubelet } from './kubelet';
import type { LabNetwork, ServiceProxy } from './network';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const R = (g: string, r: string) => findResource(g, 'v1', r)!;
const NS = R('', 'namespaces');
const POD = R('', 'pods');
const NODE = R('', 'nodes');
const SA = R('', 'serviceaccounts');
const CM = R('', 'configmaps');
const SVC = R('', 'services');
const EP = R('', 'endpoints');
const SLICE = R('discovery.k8s.io', 'endpointslices');
const DEPLOY = R('apps', 'deployments');
const RS = R('apps', 'replicasets');
const DS = R('apps', 'daemonsets');
const STS = R('apps', 'statefulsets');
const JOB = R('batch', 'jobs');
const CJ = R('batch', 'cronjobs');

function hashOf(v: unknown): string {
  const h = createHash('sha256').update(JSON.stringify(v)).digest();
  const a = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 10; i++) s += a[h[i]! % a.length];
  return s;
}

function owned(o: K8sObject, owner: K8sObject): boolean {
  return (o.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.controller);
}
function ownerRef(def: ResourceDef, o: K8sObject) {
  return {
    apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
    kind: def.kind,
    name: o.metadata.name!,
    uid: o.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}
function podReady(p: Any): boolean {
  return (
    p.status?.phase === 'Running' &&
    (p.status?.conditions ?? []).some((c: Any) => c.type === 'Ready' && c.status === 'True')
  );
}
function podActive(p: Any): boolean {
  return !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

export interface ControllerContext {
  store: Store;
  api: ApiServer;
  kubelet: Kubelet;
  network?: LabNetwork;
  caCertPem: string;
  apiSocket: string;
  /** Address and port of the API as pods reach it (the `kubernetes` Service endpoint). */
  apiEndpoint: { ip: string; port: number };
  log: (m: string) => void;
}

export class Controllers {
  private timer?: NodeJS.Timeout;
  private cronTimer?: NodeJS.Timeout;
  private unsub?: () => void;
  private running = false;
  private again = false;
  private stopped = false;
  private lastProxies = '';
  private lastDns = '';

  constructor(private c: ControllerContext) {}

  start(): void {
    this.unsub = this.c.store.subscribe(() => this.kick());
    this.cronTimer = setInterval(() => this.kick(), 5000);
    this.cronTimer.unref();
    this.kick();
  }
  stop(): void {
    this.stopped = true;
    this.unsub?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.cronTimer) clearInterval(this.cronTimer);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pass();
    }, 20);
  }

  /** Runs one reconcile pass synchronously (tests and start-up use it). */
  pass(): void {
    if (this.stopped) return;
    this.running = true;
    try {
      for (const step of [
        this.namespaces,
        this.gc,
        this.schedule,
        this.deployments,
        this.replicasets,
        this.daemonsets,
        this.statefulsets,
        this.cronjobs,
        this.jobs,
        this.services,
      ]) {
        try {
          step.call(this);
        } catch (e) {
          this.c.log(`controller ${step.name}: ${(e as Error).message}`);
        }
      }
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      this.kick();
    }
  }

  private create(def: ResourceDef, ns: string | undefined, o: Any): void {
    try {
      this.c.api.create(def, ns, o);
    } catch (e) {
      this.c.log(
        `create ${def.kind} ${ns ?? ''}/${o.metadata?.name ?? o.metadata?.generateName}: ${(e as Error).message}`,
      );
    }
  }
  private del(def: ResourceDef, o: K8sObject, grace?: number): void {
    try {
      this.c.api.deleteOne(
        def,
        o.metadata.namespace,
        o.metadata.name!,
        grace !== undefined ? { gracePeriodSeconds: grace } : undefined,
      );
    } catch {
      /* gone already */
    }
  }
  private setStatus(def: ResourceDef, o: K8sObject, status: Any): void {
    if (JSON.stringify((o as Any).status) === JSON.stringify(status)) return;
    this.c.store.mutate(def, o.metadata.namespace, o.metadata.name!, (x: Any) => {
      x.status = status;
    });
  }

  private namespaces(): void {
    const s = this.c.store;
    for (const ns of s.list(NS) as Any[]) {
      const name = ns.metadata.name;
      if (ns.metadata.deletionTimestamp) {
        let remaining = 0;
        for (const def of [
          POD,
          DEPLOY,
          RS,
          DS,
          STS,
          JOB,
          CJ,
          SVC,
          EP,
          SLICE,
          SA,
          CM,
          R('', 'secrets'),
          R('rbac.authorization.k8s.io', 'roles'),
          R('rbac.authorization.k8s.io', 'rolebindings'),
          R('', 'events'),
        ]) {
          for (const o of s.list(def, name)) {
            remaining++;
            if (!o.metadata.deletionTimestamp) this.del(def, o);
          }
        }
        if (remaining === 0) {
          try {
            s.remove(NS, undefined, name);
          } catch {
            /* gone */
          }
        }
        continue;
      }
      if (!s.peek(SA, name, 'default')) this.create(SA, name, { metadata: { name: 'default' } });
      if (!s.peek(CM, name, 'kube-root-ca.crt'))
        this.create(CM, name, {
          metadata: {
            name: 'kube-root-ca.crt',
            annotations: {
              'kubernetes.io/description':
                'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
            },
          },
          data: { 'ca.crt': this.c.caCertPem },
        });
    }
  }

  private gc(): void {
    const s = this.c.store;
    const uids = new Set<string>();
    const defs = [DEPLOY, RS, DS, STS, JOB, CJ, SVC, POD, NODE];
    for (const d of defs) for (const o of s.list(d)) uids.add(o.metadata.uid!);
    for (const d of [RS, POD, JOB, SLICE]) {
      for (const o of s.list(d)) {
        const refs = o.metadata.ownerReferences ?? [];
        if (refs.length && refs.every((r) => !uids.has(r.uid)) && !o.metadata.deletionTimestamp) this.del(d, o);
      }
    }
  }

  private schedule(): void {
    const s = this.c.store;
    const nodes = (s.list(NODE) as Any[]).filter(
      (n) => this.c.kubelet.isNodeReady(n.metadata.name) && !n.spec?.unschedulable,
    );
    const load = new Map<string, number>();
    for (const p of s.list(POD) as Any[])
      if (p.spec.nodeName) load.set(p.spec.nodeName, (load.get(p.spec.nodeName) ?? 0) + 1);
    for (const p of s.list(POD) as Any[]) {
      if (p.spec.nodeName || p.metadata.deletionTimestamp) continue;
      const fit = nodes.filter((n) =>
        Object.entries(p.spec.nodeSelector ?? {}).every(([k, v]) => n.metadata.labels?.[k] === v),
      );
      if (!fit.length) {
        const cond = {
          type: 'PodScheduled',
          status: 'False',
          lastProbeTime: null,
          lastTransitionTime: p.status?.conditions?.[0]?.lastTransitionTime ?? nowIso(),
          reason: 'Unschedulable',
          message: `0/${nodes.length} nodes are available: no ready node matches the pod.`,
        };
        if (JSON.stringify(p.status?.conditions) !== JSON.stringify([cond]))
          s.mutate(POD, p.metadata.namespace, p.metadata.name, (x: Any) => {
            x.status = { ...(x.status ?? {}), phase: 'Pending', conditions: [cond] };
          });
        continue;
      }
      fit.sort(
        (a, b) =>
          (load.get(a.metadata.name) ?? 0) - (load.get(b.metadata.name) ?? 0) ||
          a.metadata.name.localeCompare(b.metadata.name),
      );
      const node = fit[0].metadata.name;
      load.set(node, (load.get(node) ?? 0) + 1);
      s.mutate(POD, p.metadata.namespace, p.metadata.name, (x: Any) => {
        x.spec.nodeName = node;
      });
    }
  }

  private podFromTemplate(
    tmpl: Any,
    owner: K8sObject,
    def: ResourceDef,
    name: { name?: string; generateName?: string },
    extraLabels: Record<string, string> = {},
    extraSpec: Any = {},
  ): Any {
    const t = JSON.parse(JSON.stringify(tmpl));
    return {
      metadata: {
        ...name,
        labels: { ...(t.metadata?.labels ?? {}), ...extraLabels },
        annotations: t.metadata?.annotations,
        ownerReferences: [ownerRef(def, owner)],
      },
      spec: { ...t.spec, ...extraSpec },
    };
  }

  private deployments(): void {
    const s = this.c.store;
    for (const d of s.list(DEPLOY) as Any[]) {
      const ns = d.metadata.namespace;
      const hash = hashOf(d.spec.template);
      const rsName = `${d.metadata.name}-${hash}`;
      const mine = (s.list(RS, ns) as Any[]).filter((r) => owned(r, d));
      let cur = mine.find((r) => r.metadata.name === rsName);
      if (!cur) {
        const tmpl = JSON.parse(JSON.stringify(d.spec.template));
        tmpl.metadata = {
          ...(tmpl.metadata ?? {}),
          labels: { ...(tmpl.metadata?.labels ?? {}), 'pod-template-hash': hash },
        };
        this.create(RS, ns, {
          metadata: {
            name: rsName,
            labels: tmpl.metadata.labels,
            annotations: {
              'deployment.kubernetes.io/desired-replicas': String(d.spec.replicas),
              'deployment.kubernetes.io/revision': String(mine.length + 1),
            },
            ownerReferences: [ownerRef(DEPLOY, d)],
          },
          spec: {
            replicas: d.spec.replicas,
            selector: { matchLabels: { ...(d.spec.selector.matchLabels ?? {}), 'pod-template-hash': hash } },
            template: tmpl,
          },
        });
        cur = s.peek(RS, ns, rsName);
      } else if (cur.spec.replicas !== d.spec.replicas) {
        s.mutate(RS, ns, rsName, (x: Any) => (x.spec.replicas = d.spec.replicas), true);
      }
      for (const old of mine)
        if (old.metadata.name !== rsName && old.spec.replicas !== 0)
          s.mutate(RS, ns, old.metadata.name, (x: Any) => (x.spec.replicas = 0), true);
      const rsAll = (s.list(RS, ns) as Any[]).filter((r) => owned(r, d));
      const sum = (k: string) => rsAll.reduce((n, r) => n + (r.status?.[k] ?? 0), 0);
      const ready = sum('readyReplicas');
      const t = d.status?.conditions?.[0]?.lastTransitionTime ?? nowIso();
      this.setStatus(DEPLOY, d, {
        observedGeneration: d.metadata.generation,
        replicas: sum('replicas'),
        updatedReplicas: cur?.status?.replicas ?? 0,
        readyReplicas: ready || undefined,
        availableReplicas: ready || undefined,
        ...(sum('replicas') - ready > 0 ? { unavailableReplicas: sum('replicas') - ready } : {}),
        conditions: [
          {
            type: 'Available',
            status: ready >= d.spec.replicas ? 'True' : 'False',
            lastUpdateTime: t,
            lastTransitionTime: t,
            reason: ready >= d.spec.replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
            message:
              ready >= d.spec.replicas
                ? 'Deployment has minimum availability.'
                : 'Deployment does not have minimum availability.',
          },
          {
            type: 'Progressing',
            status: 'True',
            lastUpdateTime: t,
            lastTransitionTime: t,
            reason: 'NewReplicaSetAvailable',
            message: `ReplicaSet "${rsName}" has successfully progressed.`,
          },
        ],
      });
    }
  }

  private replicasets(): void {
    const s = this.c.store;
    for (const rs of s.list(RS) as Any[]) {
      const ns = rs.metadata.namespace;
      const pods = (s.list(POD, ns) as Any[]).filter((p) => owned(p, rs));
      const active = pods.filter(podActive);
      for (const p of pods)
        if (!p.metadata.deletionTimestamp && (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded'))
          this.del(POD, p);
      for (let i = active.length; i < rs.spec.replicas; i++)
        this.create(POD, ns, this.podFromTemplate(rs.spec.template, rs, RS, { generateName: `${rs.metadata.name}-` }));
      if (active.length > rs.spec.replicas) for (const p of active.slice(rs.spec.replicas)) this.del(POD, p);
      const ready = active.filter(podReady).length;
      this.setStatus(RS, rs, {
        replicas: Math.min(active.length, rs.spec.replicas),
        fullyLabeledReplicas: Math.min(active.length, rs.spec.replicas),
        ...(ready ? { readyReplicas: ready, availableReplicas: ready } : {}),
        observedGeneration: rs.metadata.generation,
      });
    }
  }

  private daemonsets(): void {
    const s = this.c.store;
    const nodes = (s.list(NODE) as Any[]).filter((n) => this.c.kubelet.isNodeReady(n.metadata.name));
    for (const ds of s.list(DS) as Any[]) {
      const ns = ds.metadata.namespace;
      const pods = (s.list(POD, ns) as Any[]).filter((p) => owned(p, ds));
      const hash = hashOf(ds.spec.template);
      for (const n of nodes) {
        const on = pods.filter((p) => p.spec.nodeName === n.metadata.name && podActive(p));
        if (!on.length)
          this.create(
            POD,
            ns,
            this.podFromTemplate(
              ds.spec.template,
              ds,
              DS,
              { generateName: `${ds.metadata.name}-` },
              { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) },
              { nodeName: n.metadata.name },
            ),
          );
      }
      for (const p of pods) if (!p.metadata.deletionTimestamp && !podActive(p)) this.del(POD, p);
      const active = pods.filter(podActive);
      const ready = active.filter(podReady).length;
      this.setStatus(DS, ds, {
        currentNumberScheduled: active.length,
        desiredNumberScheduled: nodes.length,
        numberMisscheduled: 0,
        numberReady: ready,
        numberAvailable: ready || undefined,
        updatedNumberScheduled: active.length,
        observedGeneration: ds.metadata.generation,
      });
    }
  }

  private statefulsets(): void {
    const s = this.c.store;
    for (const st of s.list(STS) as Any[]) {
      const ns = st.metadata.namespace;
      const pods = (s.list(POD, ns) as Any[]).filter((p) => owned(p, st));
      for (let i = 0; i < st.spec.replicas; i++) {
        const name = `${st.metadata.name}-${i}`;
        const p = pods.find((x) => x.metadata.name === name);
        if (p) {
          if (!p.metadata.deletionTimestamp && !podActive(p)) this.del(POD, p);
          if (!podReady(p) && st.spec.podManagementPolicy !== 'Parallel') break;
          continue;
        }
        if (s.peek(POD, ns, name)) break; // an old one still terminating
        this.create(
          POD,
          ns,
          this.podFromTemplate(
            st.spec.template,
            st,
            STS,
            { name },
            {
              'statefulset.kubernetes.io/pod-name': name,
              'apps.kubernetes.io/pod-index': String(i),
              'controller-revision-hash': `${st.metadata.name}-${hashOf(st.spec.template)}`,
            },
            { hostname: name, subdomain: st.spec.serviceName },
          ),
        );
        if (st.spec.podManagementPolicy !== 'Parallel') break;
      }
      for (const p of pods) {
        const idx = Number(p.metadata.name.slice(st.metadata.name.length + 1));
        if (idx >= st.spec.replicas && !p.metadata.deletionTimestamp) this.del(POD, p);
      }
      const active = pods.filter(podActive);
      const ready = active.filter(podReady).length;
      const rev = `${st.metadata.name}-${hashOf(st.spec.template)}`;
      this.setStatus(STS, st, {
        observedGeneration: st.metadata.generation,
        replicas: active.length,
        ...(ready ? { readyReplicas: ready, availableReplicas: ready } : { availableReplicas: 0 }),
        currentReplicas: active.length,
        updatedReplicas: active.length,
        currentRevision: rev,
        updateRevision: rev,
        collisionCount: 0,
      });
    }
  }

  private jobs(): void {
    const s = this.c.store;
    for (const j of s.list(JOB) as Any[]) {
      const ns = j.metadata.namespace;
      const st = j.status ?? {};
      const done = (st.conditions ?? []).some(
        (c: Any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );
      const pods = (s.list(POD, ns) as Any[]).filter((p) => owned(p, j));
      const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
      const failed = pods.filter((p) => p.status?.phase === 'Failed').length;
      const active = pods.filter(podActive).length;
      if (done) continue;
      const t = nowIso();
      if (succeeded >= (j.spec.completions ?? 1)) {
        this.setStatus(JOB, j, {
          startTime: st.startTime ?? t,
          completionTime: t,
          succeeded,
          ...(failed ? { failed } : {}),
          ready: 0,
          terminating: 0,
          uncountedTerminatedPods: {},
          conditions: [
            {
              type: 'SuccessCriteriaMet',
              status: 'True',
              lastProbeTime: t,
              lastTransitionTime: t,
              reason: 'CompletionsReached',
              message: 'Reached expected number of succeeded pods',
            },
            {
              type: 'Complete',
              status: 'True',
              lastProbeTime: t,
              lastTransitionTime: t,
              reason: 'CompletionsReached',
              message: 'Reached expected number of succeeded pods',
            },
          ],
        });
        continue;
      }
      if (failed > (j.spec.backoffLimit ?? 6)) {
        this.setStatus(JOB, j, {
          startTime: st.startTime ?? t,
          failed,
          ready: 0,
          terminating: 0,
          uncountedTerminatedPods: {},
          conditions: [
            {
              type: 'FailureTarget',
              status: 'True',
              lastProbeTime: t,
              lastTransitionTime: t,
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            },
            {
              type: 'Failed',
              status: 'True',
              lastProbeTime: t,
              lastTransitionTime: t,
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            },
          ],
        });
        continue;
      }
      if (active === 0 && !j.spec.suspend) {
        const labels = {
          'batch.kubernetes.io/controller-uid': j.metadata.uid,
          'batch.kubernetes.io/job-name': j.metadata.name,
          'controller-uid': j.metadata.uid,
          'job-name': j.metadata.name,
        };
        this.create(
          POD,
          ns,
          this.podFromTemplate(j.spec.template, j, JOB, { generateName: `${j.metadata.name}-` }, labels),
        );
      }
      this.setStatus(JOB, j, {
        startTime: st.startTime ?? t,
        active: Math.max(active, 1),
        ready: pods.filter(podReady).length,
        terminating: 0,
        uncountedTerminatedPods: {},
        ...(failed ? { failed } : {}),
        ...(succeeded ? { succeeded } : {}),
      });
    }
  }

  private cronjobs(): void {
    const s = this.c.store;
    const now = Date.now();
    for (const cj of s.list(CJ) as Any[]) {
      if (cj.spec.suspend) continue;
      const ns = cj.metadata.namespace;
      const every = cronPeriodMinutes(cj.spec.schedule);
      if (!every) continue;
      const minute = Math.floor(now / 60_000);
      const last = cj.status?.lastScheduleTime
        ? Math.floor(Date.parse(cj.status.lastScheduleTime) / 60_000)
        : Math.floor(Date.parse(cj.metadata.creationTimestamp) / 60_000) - every;
      const jobs = (s.list(JOB, ns) as Any[]).filter((j) => owned(j, cj));
      if (minute % every === 0 && minute > last) {
        const jt = JSON.parse(JSON.stringify(cj.spec.jobTemplate));
        this.create(JOB, ns, {
          metadata: {
            name: `${cj.metadata.name}-${minute}`,
            labels: jt.metadata?.labels,
            ownerReferences: [ownerRef(CJ, cj)],
            annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': new Date(minute * 60_000).toISOString() },
          },
          spec: jt.spec,
        });
        s.mutate(CJ, ns, cj.metadata.name, (x: Any) => {
          x.status = {
            ...(x.status ?? {}),
            lastScheduleTime: new Date(minute * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          };
        });
      }
      const finished = jobs.filter((j) =>
        (j.status?.conditions ?? []).some((c: Any) => c.type === 'Complete' && c.status === 'True'),
      );
      finished.sort(
        (a, b) =>
          a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp) ||
          a.metadata.name.localeCompare(b.metadata.name),
      );
      for (const j of finished.slice(0, Math.max(0, finished.length - (cj.spec.successfulJobsHistoryLimit ?? 3))))
        this.del(JOB, j);
    }
  }

  private services(): void {
    const s = this.c.store;
    const proxies: ServiceProxy[] = [];
    const dns: Record<string, string> = {};
    for (const svc of s.list(SVC) as Any[]) {
      const ns = svc.metadata.namespace;
      const name = svc.metadata.name;
      if (svc.spec.clusterIP && svc.spec.clusterIP !== 'None') {
        dns[`${name}.${ns}.svc.cluster.local`] = svc.spec.clusterIP;
        dns[`${name}.${ns}.svc`] = svc.spec.clusterIP;
      }
      let eps: { ip: string; ready: boolean; pod?: Any }[];
      let ports: { name?: string; port: number; protocol: string }[];
      if (ns === 'default' && name === 'kubernetes') {
        eps = [{ ip: this.c.apiEndpoint.ip, ready: true }];
        ports = [{ name: 'https', port: this.c.apiEndpoint.port, protocol: 'TCP' }];
        proxies.push({ ip: svc.spec.clusterIP, port: 443, backends: [{ unix: this.c.apiSocket }] });
      } else if (svc.spec.selector && Object.keys(svc.spec.selector).length) {
        const pods = (s.list(POD, ns) as Any[]).filter(
          (p) =>
            p.status?.podIP &&
            podActive(p) &&
            selectorObjectMatches({ matchLabels: svc.spec.selector }, p.metadata.labels),
        );
        eps = pods.map((p) => ({ ip: p.status.podIP, ready: podReady(p), pod: p }));
        ports = svc.spec.ports.map((p: Any) => {
          let tp = p.targetPort;
          if (typeof tp === 'string') {
            for (const pod of pods)
              for (const ct of pod.spec.containers)
                for (const cp of ct.ports ?? []) if (cp.name === tp) tp = cp.containerPort;
          }
          return { name: p.name ?? '', port: typeof tp === 'number' ? tp : p.port, protocol: p.protocol ?? 'TCP' };
        });
        if (svc.spec.clusterIP && svc.spec.clusterIP !== 'None')
          svc.spec.ports.forEach((p: Any, i: number) => {
            if ((p.protocol ?? 'TCP') === 'TCP')
              proxies.push({
                ip: svc.spec.clusterIP,
                port: p.port,
                backends: eps.filter((e) => e.ready).map((e) => ({ ip: e.ip, port: ports[i]!.port })),
              });
          });
      } else continue;
      // EndpointSlice
      const sliceLabels = {
        'kubernetes.io/service-name': name,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      };
      const existing = (s.list(SLICE, ns) as Any[]).find(
        (x) => x.metadata.labels?.['kubernetes.io/service-name'] === name,
      );
      const body: Any = {
        addressType: 'IPv4',
        endpoints: eps.map((e) => ({
          addresses: [e.ip],
          conditions: { ready: e.ready, serving: e.ready, terminating: false },
          ...(e.pod
            ? {
                nodeName: e.pod.spec.nodeName,
                targetRef: { kind: 'Pod', namespace: ns, name: e.pod.metadata.name, uid: e.pod.metadata.uid },
              }
            : {}),
        })),
        ports,
      };
      if (!existing) {
        this.create(SLICE, ns, {
          metadata: {
            generateName: `${name}-`,
            labels: sliceLabels,
            ownerReferences: [
              {
                apiVersion: 'v1',
                kind: 'Service',
                name,
                uid: svc.metadata.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          ...body,
        });
      } else if (
        JSON.stringify({ a: existing.addressType, e: existing.endpoints, p: existing.ports }) !==
        JSON.stringify({ a: body.addressType, e: body.endpoints, p: body.ports })
      ) {
        s.mutate(SLICE, ns, existing.metadata.name, (x: Any) => Object.assign(x, body));
      }
      // Endpoints (v1), still read by older tools
      const epBody: Any = eps.length
        ? {
            subsets: [
              {
                addresses: eps
                  .filter((e) => e.ready)
                  .map((e) => ({
                    ip: e.ip,
                    ...(e.pod
                      ? {
                          nodeName: e.pod.spec.nodeName,
                          targetRef: { kind: 'Pod', namespace: ns, name: e.pod.metadata.name, uid: e.pod.metadata.uid },
                        }
                      : {}),
                  })),
                ports,
              },
            ],
          }
        : {};
      if (epBody.subsets && !epBody.subsets[0].addresses.length) delete epBody.subsets;
      const cur = s.peek(EP, ns, name) as Any;
      if (!cur) this.create(EP, ns, { metadata: { name, labels: svc.metadata.labels }, ...epBody });
      else if (JSON.stringify(cur.subsets ?? null) !== JSON.stringify(epBody.subsets ?? null))
        s.mutate(EP, ns, name, (x: Any) => {
          if (epBody.subsets) x.subsets = epBody.subsets;
          else delete x.subsets;
        });
    }
    // stale slices of deleted services go by GC (owner reference)
    if (this.c.network) {
      const pj = JSON.stringify(proxies);
      if (pj !== this.lastProxies) {
        this.lastProxies = pj;
        this.c.network.setServices(proxies);
      }
      const dj = JSON.stringify(dns);
      if (dj !== this.lastDns) {
        this.lastDns = dj;
        this.c.network.setDns(dns);
      }
    }
  }
}

/** Supports "* * * * *", "*\/N * * * *" and "M * * * *"-style schedules (minute field only), as the lab needs. */
export function cronPeriodMinutes(schedule: string): number | undefined {
  const f = String(schedule ?? '')
    .trim()
    .split(/\s+/);
  if (f.length !== 5 || f.slice(1).some((x) => x !== '*')) return f[0] === '@hourly' ? 60 : undefined;
  if (f[0] === '*') return 1;
  const m = /^\*\/(\d+)$/.exec(f[0]!);
  if (m) return Math.max(1, Number(m[1]));
  return /^\d+$/.test(f[0]!) ? 60 : undefined;
}

export { randomSuffix };
