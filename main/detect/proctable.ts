/**
 * The detector's own compact process table: node + pid + start → process, with its parent, its
 * container and what it did recently. Built from exec and snapshot.proc events (and lazily from
 * any event of a process that was already running). The graph builder keeps its own: detection
 * needs ancestry *at the time of the event*, cheaply, without asking the graph.
 */
import type { LanternEvent } from '../common/events';
import { basename } from './classes';
import { scopeKey } from './evidence';

export interface Proc {
  node: string;
  pid: number;
  start: number;
  exe: string;
  base: string;
  /** The executable as the graph names it (exe, else "[comm]") and the graph scope it lives in. */
  gexe: string;
  scope: string;
  comm: string;
  argv: readonly string[] | undefined;
  uid: number;
  /** Container identity: container id, else pod uid, else "pod:ns/name", else "" (host). */
  ctr: string;
  parent: Proc | undefined;
  /** Started from outside its container's own process tree (kubectl exec, probe, runtime). */
  entry: boolean;
  /** The first process of a container that was not running when we started looking. */
  containerStart: boolean;
  /** Kubelet probe exec (or a child of one): never produces findings. */
  probe: boolean;
  /** Lantern's own capture pod: never produces findings. */
  own: boolean;
  firstTime: number;
  /** Tag → last time (ns): "file:sa-token", "dest:cluster-api", ... */
  recent: Map<string, number> | undefined;
  /** Previous executable when this pid exec'd again (exec chain). */
  prevExe: string | undefined;
  depth: number;
  /** Threshold windows of rules counted per process, by rule index. */
  win: unknown[] | undefined;
  /** Last connect/accept feature, to skip rebuilding the same string for repeats. */
  lastAddr: string | undefined;
  lastPort: number;
  lastKind: string | undefined;
  lastFeat: string | undefined;
}

export interface ContainerState {
  key: string;
  /** Known processes ever seen in it (snapshot or exec). */
  procs: number;
  /** Paths written in it during the capture (drift). */
  written: Set<string> | undefined;
  recent: Map<string, number> | undefined;
  /** Lantern's own capture pod: decided once per container. */
  own: boolean | undefined;
  /** The detector's per-pod profile (features seen), attached on first use. */
  profile: unknown;
  /** Threshold windows of rules counted per pod, by rule index. */
  win: unknown[] | undefined;
  /** When its first process started, if the container started during the capture. */
  started: number | undefined;
}

/**
 * Same process start time? Agents round task start times (bpftrace: to 10 ms) and one process's
 * events can straddle a rounding step; a pid reused within 20 ms is not a thing that happens.
 */
export function sameStart(a: number, b: number): boolean {
  return !a || !b || Math.abs(a - b) <= 20e6;
}

export class ProcTable {
  private readonly byNode = new Map<string, Map<number, Proc>>();
  readonly containers = new Map<string, ContainerState>();
  /** Nodes for which a start-of-capture process snapshot was seen. */
  readonly snapshotNodes = new Set<string>();
  size = 0;

  private nodeMap(node: string): Map<number, Proc> {
    let m = this.byNode.get(node);
    if (!m) {
      m = new Map();
      this.byNode.set(node, m);
    }
    return m;
  }

  container(key: string): ContainerState {
    let c = this.containers.get(key);
    if (!c) {
      c = {
        key,
        procs: 0,
        written: undefined,
        recent: undefined,
        own: undefined,
        profile: undefined,
        win: undefined,
        started: undefined,
      };
      this.containers.set(key, c);
    }
    return c;
  }

  get(node: string, pid: number, start?: number): Proc | undefined {
    const p = this.byNode.get(node)?.get(pid);
    if (!p) return undefined;
    if (start && !sameStart(start, p.start)) return undefined; // pid reused
    return p;
  }

  /** The process an event belongs to; created from the event when it was running before we looked. */
  lookup(ev: LanternEvent, ctr: string): Proc | undefined {
    const pi = ev.proc;
    if (!pi) return undefined;
    const m = this.nodeMap(ev.node);
    const p = m.get(pi.pid);
    if (p && sameStart(pi.start, p.start)) return p;
    return this.add(ev, ctr, false);
  }

  /** exec or snapshot.proc: a (new image of a) process. */
  onExec(ev: LanternEvent, ctr: string, isSnapshot: boolean): Proc | undefined {
    const pi = ev.proc;
    if (!pi) return undefined;
    if (isSnapshot) this.snapshotNodes.add(ev.node);
    const m = this.nodeMap(ev.node);
    const old = m.get(pi.pid);
    if (old && sameStart(pi.start, old.start) && !isSnapshot) {
      // Same process exec'ing a new image: keep its place in the tree.
      old.prevExe = old.gexe;
      old.exe = pi.exe || pi.comm;
      old.gexe = pi.exe || (pi.comm ? `[${pi.comm}]` : '[unknown]');
      old.base = basename(old.exe);
      old.comm = pi.comm;
      old.argv = pi.args;
      if (pi.uid !== undefined) old.uid = pi.uid;
      return old;
    }
    return this.add(ev, ctr, !isSnapshot);
  }

  private add(ev: LanternEvent, ctr: string, isExec: boolean): Proc {
    const pi = ev.proc!;
    const m = this.nodeMap(ev.node);
    const parent = pi.ppid !== undefined ? this.get(ev.node, pi.ppid, pi.pstart) : undefined;
    const c = this.container(ctr);
    const inTree = parent !== undefined && parent.ctr === ctr;
    const exe = pi.exe || pi.comm;
    const p: Proc = {
      node: ev.node,
      pid: pi.pid,
      start: pi.start,
      exe,
      base: basename(exe),
      gexe: pi.exe || (pi.comm ? `[${pi.comm}]` : '[unknown]'),
      scope: scopeKey(ev),
      comm: pi.comm,
      argv: pi.args,
      uid: pi.uid ?? -1,
      ctr,
      parent,
      // Only an exec tells us who started it; a process found running is the container's own.
      entry: isExec && ctr !== '' && !inTree,
      // Only when we know what ran before (a snapshot of this node) is "first process" meaningful.
      containerStart: ctr !== '' && !inTree && isExec && c.procs === 0 && this.snapshotNodes.has(ev.node),
      probe: parent?.probe === true && inTree,
      own: false,
      firstTime: ev.time,
      recent: undefined,
      prevExe: undefined,
      depth: inTree ? parent.depth + 1 : 0,
      win: undefined,
      lastAddr: undefined,
      lastPort: -1,
      lastKind: undefined,
      lastFeat: undefined,
    };
    if (p.containerStart && c.started === undefined) c.started = ev.time;
    if (!m.has(pi.pid)) this.size++;
    m.set(pi.pid, p);
    c.procs++;
    return p;
  }

  onExit(ev: LanternEvent): void {
    const pi = ev.proc;
    if (!pi) return;
    const m = this.byNode.get(ev.node);
    const p = m?.get(pi.pid);
    if (p && sameStart(pi.start, p.start)) {
      // Children keep a reference to it; the table only forgets the pid.
      m!.delete(pi.pid);
      this.size--;
    }
  }
}

export function touch(map: Map<string, number> | undefined, tag: string, time: number): Map<string, number> {
  const m = map ?? new Map<string, number>();
  m.set(tag, time);
  return m;
}
