/**
 * Shared pieces of the importers: the converter interface, time parsing, the inventory the
 * importers synthesise from the pod/namespace/container fields the tools print, and small
 * helpers. Everything read here is attacker-controlled JSON: fields are type-checked before use,
 * nothing is evaluated, and records keyed by file text are Maps.
 */
import type { Inventory, InvPod } from '../../common/capture';
import type { LanternEvent, PodRef } from '../../common/events';

export type ImportTool = 'tetragon' | 'ig' | 'falco' | 'tracee';
export const IMPORT_TOOLS: readonly ImportTool[] = ['tetragon', 'ig', 'falco', 'tracee'];

/** One source record → zero or more Lantern events, or the reason it was skipped. */
export type Converted = LanternEvent[] | { skip: string };

export interface ConvertContext {
  /** Node name used when the record names none. */
  defaultNode: string;
  /** Wall-clock ns used to place boot-relative timestamps (see toEpochNs). */
  baseTimeNs: number;
  /** The first boot-relative timestamp seen; later ones keep their distance from it. */
  bootOrigin?: number;
  /** Index of the record in the input, for sources without any timestamp. */
  recordIndex: number;
}

export interface Converter {
  tool: ImportTool;
  /** How sure this converter is that `o` is one of its records: 0 (no) .. 1 (certain). */
  detect(o: unknown): number;
  convert(o: Record<string, unknown>, ctx: ConvertContext): Converted;
}

// ------------------------------------------------------------------ typed field access

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
/** Non-empty string, or undefined ("<NA>" and "" are Falco's and IG's "absent"). */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v !== '<NA>' ? v : undefined;
}
/** Finite number, or undefined. */
export function finite(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** Finite number (numeric strings accepted: protobuf JSON prints 64-bit ints as strings). */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  // protobuf wrappers: {"value": N}
  if (isObj(v) && 'value' in v) return num(v.value);
  return undefined;
}

// ------------------------------------------------------------------ time

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\d*(Z|[+-]\d{2}:?\d{2})?/i;

/** RFC 3339 with up to ns precision → ns since epoch. Trailing junk after the zone is ignored. */
export function parseRfc3339Ns(s: string): number | undefined {
  const m = RFC3339.exec(s.trim());
  if (!m) return undefined;
  let zone = m[3] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}${zone.toUpperCase()}`);
  if (!Number.isFinite(ms)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return ms * 1e6 + Number(frac);
}

/** Anything below this is not an epoch-ns time (2001-09-09): it is since boot, or in other units. */
const EPOCH_NS_MIN = 1e18;

/**
 * A numeric timestamp → epoch ns. Tools print epoch ns, epoch µs (rarely), or ns/seconds since
 * the node booted. Boot-relative times are placed at `ctx.baseTimeNs` for the first one seen and
 * keep their spacing after that, so order and durations survive even though the wall clock is
 * unknown.
 */
export function toEpochNs(v: number, ctx: ConvertContext, unit: 'ns' | 's' = 'ns'): number | undefined {
  const t = toEpochNsRaw(v, ctx, unit);
  // Absurd inputs (1e300 seconds) overflow: no time is better than Infinity.
  return Number.isFinite(t) && t >= 0 ? t : undefined;
}

function toEpochNsRaw(v: number, ctx: ConvertContext, unit: 'ns' | 's'): number {
  if (unit === 's') {
    if (v > 1e9) return v * 1e9; // epoch seconds
    return bootRelative(v * 1e9, ctx);
  }
  if (v >= EPOCH_NS_MIN) return v;
  if (v >= 1e15 && v < 1e17) return v * 1000; // epoch µs (2001..2286)
  return bootRelative(v, ctx);
}

function bootRelative(ns: number, ctx: ConvertContext): number {
  if (ctx.bootOrigin === undefined) ctx.bootOrigin = ns;
  return ctx.baseTimeNs + (ns - ctx.bootOrigin);
}

/** Either form → epoch ns. */
export function anyTimeNs(v: unknown, ctx: ConvertContext): number | undefined {
  if (typeof v === 'string') {
    const t = parseRfc3339Ns(v);
    if (t !== undefined && t >= 0) return t;
  }
  const n = num(v);
  return n === undefined ? undefined : toEpochNs(n, ctx);
}

/**
 * Last resort for records without any time: keep their order, 1 µs apart (epoch-ns numbers are
 * only exact to ~256 ns, so 1 ns steps would collapse).
 */
export function orderTime(ctx: ConvertContext): number {
  return ctx.baseTimeNs + ctx.recordIndex * 1000;
}

// ------------------------------------------------------------------ processes

/** The kernel's comm: the basename, at most 15 bytes. */
export function commOf(pathOrName: string): string {
  const base = pathOrName.slice(pathOrName.lastIndexOf('/') + 1) || pathOrName;
  return base.slice(0, 15);
}

/**
 * A stand-in pid for a process the tool did not give one for (Falco alerts rarely print
 * proc.pid). Negative so it can never collide with a real pid, and stable per
 * (node, container, executable) so that events of the same program join in the graph.
 */
export function syntheticPid(...parts: (string | undefined)[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const s = p ?? '';
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f;
    h = Math.imul(h, 0x01000193);
  }
  return -((h >>> 1) + 1);
}

/** `containerd://abc` → `abc`, lowercase; undefined for empty. */
export function containerId(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const i = s.indexOf('://');
  const id = (i >= 0 ? s.slice(i + 3) : s).toLowerCase();
  return /^[0-9a-f]{6,128}$/.test(id) ? id : undefined;
}

/** open(2) flags text (`O_WRONLY|O_CREAT`) or number → opened for writing? */
export function flagsWrite(flags: unknown): boolean | undefined {
  if (typeof flags === 'number') return (flags & 0o3) !== 0 || (flags & 0o1000) !== 0 || (flags & 0o100) !== 0;
  if (typeof flags === 'string') return /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/.test(flags);
  if (Array.isArray(flags))
    return flags.some((f) => typeof f === 'string' && /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/.test(f));
  return undefined;
}

export const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGSYS: 31,
};
export function signalNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Object.hasOwn(SIGNALS, v) ? SIGNALS[v] : num(v);
  return undefined;
}

// ------------------------------------------------------------------ workloads

/** Characters Kubernetes uses for generated name suffixes (k8s.io/apimachinery rand.SafeEncodeString). */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const DEPLOYMENT_POD = new RegExp(`^(.+)-${SAFE}{6,10}-${SAFE}{5}$`);

/**
 * The workload of a pod when the tool did not say: `<deployment>-<rs hash>-<suffix>` is a
 * Deployment's pod (the ReplicaSet hash confirmed by a pod-template-hash label when there is
 * one). Anything else is left unknown rather than guessed.
 */
export function inferWorkload(
  podName: string,
  labels?: Record<string, string>,
): { kind: string; name: string } | undefined {
  const hash = labels?.['pod-template-hash'];
  if (hash && podName.includes(`-${hash}-`))
    return { kind: 'Deployment', name: podName.slice(0, podName.lastIndexOf(`-${hash}-`)) };
  const m = DEPLOYMENT_POD.exec(podName);
  return m ? { kind: 'Deployment', name: m[1]! } : undefined;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** `k=v,k2=v2` (IG) or an object → labels map (own, string values only). */
export function labelsOf(v: unknown): Record<string, string> | undefined {
  const out: Record<string, string> = Object.create(null);
  let n = 0;
  if (typeof v === 'string' && v) {
    for (const kv of v.split(',')) {
      const i = kv.indexOf('=');
      const k = kv.slice(0, i);
      if (i > 0 && !FORBIDDEN.has(k)) {
        out[k] = kv.slice(i + 1);
        n++;
      }
    }
  } else if (isObj(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (typeof val === 'string') {
        out[k] = val;
        n++;
      }
    }
  }
  if (n === 0) return undefined;
  // Copy into a normal object (the capture header is JSON); keys were checked by the parser.
  return { ...out };
}

// ------------------------------------------------------------------ inventory synthesis

interface PodAcc {
  pod: InvPod;
  containers: Map<string, { name: string; id?: string; image?: string }>;
}

/** Collects namespaces, pods and containers the events mention, so the graph can join them. */
export class InventoryCollector {
  private readonly nodes = new Set<string>();
  private readonly namespaces = new Set<string>();
  private readonly pods = new Map<string, PodAcc>();

  addNode(name: string): void {
    this.nodes.add(name);
  }

  /** Records the pod of an event (mutates ev.pod to carry the inferred workload). */
  addEvent(
    ev: LanternEvent,
    extra?: { labels?: Record<string, string>; uid?: string; ip?: string; hostIp?: string },
  ): void {
    this.nodes.add(ev.node);
    const p = ev.pod;
    if (!p) return;
    this.namespaces.add(p.namespace);
    const key = `${p.namespace}/${p.name}`;
    let acc = this.pods.get(key);
    if (!acc) {
      const workload = p.workload ?? inferWorkload(p.name, extra?.labels);
      const uid = p.uid ?? extra?.uid ?? `imported:${key}`;
      acc = {
        pod: { uid, name: p.name, namespace: p.namespace, node: ev.node, containers: [] },
        containers: new Map(),
      };
      if (workload) acc.pod.workload = workload;
      if (extra?.labels) acc.pod.labels = extra.labels;
      this.pods.set(key, acc);
    }
    if (!acc.pod.labels && extra?.labels) acc.pod.labels = extra.labels;
    if (extra?.ip) {
      acc.pod.ips ??= [];
      if (!acc.pod.ips.includes(extra.ip)) acc.pod.ips.push(extra.ip);
    }
    if (p.workload === undefined && acc.pod.workload) p.workload = acc.pod.workload;
    if (p.uid === undefined) p.uid = acc.pod.uid;
    const cname = p.container ?? (ev.container?.id ? ev.container.id.slice(0, 12) : undefined);
    if (cname) {
      const c = acc.containers.get(cname) ?? { name: cname };
      if (ev.container?.id && !c.id) c.id = ev.container.id;
      if (p.image && !c.image) c.image = p.image;
      acc.containers.set(cname, c);
    }
  }

  nodeNames(): string[] {
    return [...this.nodes].sort();
  }

  inventory(takenAt: string): Inventory {
    const pods = [...this.pods.values()].map((a) => ({ ...a.pod, containers: [...a.containers.values()] }));
    return {
      takenAt,
      nodes: this.nodeNames().map((name) => ({ name })),
      namespaces: [...this.namespaces].sort().map((name) => ({ name })),
      pods,
      services: [],
      serviceAccounts: [],
    };
  }
}

/** A PodRef from whatever the tool printed; undefined unless both name and namespace are known. */
export function podRef(name: unknown, namespace: unknown, more: Partial<PodRef> = {}): PodRef | undefined {
  const n = str(name);
  const ns = str(namespace);
  if (!n || !ns) return undefined;
  const ref: PodRef = { name: n, namespace: ns };
  if (more.uid) ref.uid = more.uid;
  if (more.container) ref.container = more.container;
  if (more.image) ref.image = more.image;
  if (more.workload) ref.workload = more.workload;
  return ref;
}

/** Strips undefined members so events serialise compactly and compare cleanly. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
