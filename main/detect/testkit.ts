/**
 * Builders for detection tests and the evaluation: a small script of process behaviour turned
 * into normalised events, already enriched (as the session engine hands them to the detector).
 */
import type { Inventory } from '../common/capture';
import type { LanternEvent, PodRef } from '../common/events';

export const T0 = 1_764_300_000_000_000_000;

export interface PodSpec {
  name: string;
  namespace?: string;
  workload?: string;
  kind?: string;
  image?: string;
  sa?: string;
  ip?: string;
  node?: string;
}

let uidCounter = 0;
let scriptCounter = 0;
function fakeUid(): string {
  const n = (++uidCounter).toString(16).padStart(12, '0');
  return `0000aaaa-bbbb-cccc-dddd-${n}`;
}

/** One pod (or the host when `pod` is undefined) and the processes it runs. */
export class Script {
  readonly events: LanternEvent[] = [];
  readonly podRef: PodRef | undefined;
  readonly ctrId: string | undefined;
  readonly node: string;
  private starts = new Map<number, number>();
  /** Pids of different scripts must not collide (one host pid space per node), 1 stays "outside". */
  private readonly pidOff: number;
  t: number;

  constructor(pod?: PodSpec, t0 = T0) {
    this.t = t0;
    this.pidOff = ++scriptCounter * 100_000;
    this.node = pod?.node ?? 'node-a';
    if (pod) {
      const ns = pod.namespace ?? 'shop';
      this.podRef = {
        uid: fakeUid(),
        name: pod.name,
        namespace: ns,
        container: 'main',
        image: pod.image ?? 'registry.local/app:1',
        workload: { kind: pod.kind ?? 'Deployment', name: pod.workload ?? pod.name.replace(/-[^-]+$/, '') },
        serviceAccount: pod.sa ?? 'default',
      };
      this.ctrId = (uidCounter.toString(16) + 'c'.repeat(64)).slice(0, 64);
    }
  }

  /** Advance the clock by `s` seconds. */
  wait(s: number): this {
    this.t += s * 1e9;
    return this;
  }

  private P(pid: number): number {
    return pid === 1 ? 1 : pid + this.pidOff;
  }

  private base(kind: LanternEvent['kind'], pid0: number): LanternEvent {
    this.t += 1e6;
    const pid = this.P(pid0);
    const ev: LanternEvent = {
      kind,
      time: this.t,
      node: this.node,
      source: 'lantern',
      proc: { pid, start: this.starts.get(pid) ?? pid * 1000, comm: '' },
    };
    if (this.podRef) {
      ev.pod = this.podRef;
      ev.container = { id: this.ctrId!, podUid: this.podRef.uid! };
    }
    return ev;
  }

  private push(ev: LanternEvent): this {
    this.events.push(ev);
    return this;
  }

  /** A process that was already running when the capture started (the container's app). */
  running(pid0: number, exe: string, args: string[] = [exe], uid = 0): this {
    const ev = this.base('snapshot.proc', pid0);
    const pid = this.P(pid0);
    ev.proc = { pid, start: pid * 1000, ppid: 1, comm: exe.split('/').pop()!.slice(0, 15), exe, args, uid };
    this.starts.set(pid, pid * 1000);
    return this.push(ev);
  }

  /** exec: `ppid` 1 (or any unknown pid) means "from outside the container" (kubectl exec, probe). */
  exec(pid0: number, exe: string, args: string[] = [exe], ppid0 = 1, uid = 0): this {
    const ev = this.base('exec', pid0);
    const pid = this.P(pid0);
    const ppid = this.P(ppid0);
    const start = this.starts.get(pid) ?? pid * 1000;
    this.starts.set(pid, start);
    ev.proc = { pid, start, ppid, comm: exe.split('/').pop()!.slice(0, 15), exe, args, uid };
    const ps = this.starts.get(ppid);
    if (ps !== undefined) ev.proc.pstart = ps;
    return this.push(ev);
  }

  open(pid: number, path: string, write = false): this {
    const ev = this.base('open', pid);
    ev.file = { path, write };
    return this.push(ev);
  }

  connect(pid: number, daddr: string, dport: number, proto: 'tcp' | 'udp' = 'tcp'): this {
    const ev = this.base('connect', pid);
    ev.net = {
      proto,
      family: daddr.includes(':') ? 6 : 4,
      saddr: '10.244.0.10',
      sport: 40000 + (this.events.length % 20000),
      daddr,
      dport,
    };
    return this.push(ev);
  }

  listen(pid: number, port: number, addr = '0.0.0.0'): this {
    const ev = this.base('listen', pid);
    ev.net = { proto: 'tcp', family: 4, saddr: addr, sport: port, daddr: '0.0.0.0', dport: 0 };
    return this.push(ev);
  }

  dns(pid: number, query: string): this {
    const ev = this.base('dns', pid);
    ev.dns = { query, server: '10.96.0.10', serverPort: 53 };
    return this.push(ev);
  }

  setuid(pid: number, uid: number, op = 'setuid'): this {
    const ev = this.base('setuid', pid);
    ev.priv = { op, uid };
    return this.push(ev);
  }

  ptrace(pid: number, request: number, targetPid: number): this {
    const ev = this.base('ptrace', pid);
    ev.ptrace = { request, targetPid: targetPid ? this.P(targetPid) : 0 };
    return this.push(ev);
  }

  mount(pid: number, source: string, target: string, fstype = 'ext4'): this {
    const ev = this.base('mount', pid);
    ev.mount = { op: 'mount', source, target, fstype };
    return this.push(ev);
  }

  ns(pid: number, op: 'unshare' | 'setns', flags = 0x20000): this {
    const ev = this.base('ns', pid);
    ev.ns = { op, flags };
    return this.push(ev);
  }

  module(pid: number, name: string, op: 'init_module' | 'finit_module' | 'delete_module' = 'finit_module'): this {
    const ev = this.base('module', pid);
    ev.module = { op, name };
    return this.push(ev);
  }

  bpf(pid: number, cmd = 5): this {
    const ev = this.base('bpf', pid);
    ev.bpf = { cmd };
    return this.push(ev);
  }

  memfd(pid: number, name: string): this {
    const ev = this.base('memfd', pid);
    ev.memfd = { name };
    return this.push(ev);
  }

  exit(pid: number): this {
    const ev = this.base('exit', pid);
    ev.exit = { code: 0 };
    return this.push(ev);
  }
}

/** Events of several scripts merged in time order. */
export function merge(...scripts: Script[]): LanternEvent[] {
  return scripts.flatMap((s) => s.events).sort((a, b) => a.time - b.time);
}

export function inventoryFor(scripts: Script[], extra: Partial<Inventory> = {}): Inventory {
  const pods = scripts
    .filter((s) => s.podRef)
    .map((s) => ({
      uid: s.podRef!.uid!,
      name: s.podRef!.name,
      namespace: s.podRef!.namespace,
      node: s.node,
      serviceAccount: s.podRef!.serviceAccount,
      workload: s.podRef!.workload,
      containers: [{ name: 'main', id: s.ctrId, image: s.podRef!.image }],
      ips: [],
    }));
  return {
    takenAt: new Date(T0 / 1e6).toISOString(),
    nodes: [{ name: 'node-a', addresses: ['192.168.50.2'] }],
    namespaces: [{ name: 'shop' }],
    pods,
    services: [
      { name: 'kubernetes', namespace: 'default', clusterIPs: ['10.96.0.1'], ports: [{ port: 443, name: 'https' }] },
    ],
    serviceAccounts: [],
    apiServer: { addresses: ['10.96.0.1', '192.168.50.1'], port: 443 },
    ...extra,
  };
}
