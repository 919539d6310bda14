/**
 * The fields a rule condition (and an explanation template) can name. Each field is a getter
 * over one reusable evaluation context, so that evaluating a rule allocates nothing per event
 * beyond what the getters cache on first use.
 */
import type { LanternEvent } from '../common/events';
import { basename, entropy, fileClass, type FileClass } from './classes';
import type { ContainerState, Proc } from './proctable';
import type { DestinationInfo } from './types';

export class EvalCtx {
  ev!: LanternEvent;
  proc: Proc | undefined;
  ctr: ContainerState | undefined;
  // Lazily computed per event: reset() clears the flags.
  private destDone = false;
  private destVal: DestinationInfo | undefined;
  private fclsDone = false;
  private fclsVal: FileClass | undefined;
  private argsDone = false;
  private argsVal: string | undefined;
  private ancBase: string[] = [];
  private ancExe: string[] = [];
  private ancDone = false;
  /** "ns/name" of service accounts that some RoleBinding/ClusterRoleBinding names (from the inventory). */
  boundSAs: Set<string> | undefined;

  constructor(private readonly classifyFn: (ip: string, port: number) => DestinationInfo) {}

  reset(ev: LanternEvent, proc: Proc | undefined, ctr: ContainerState | undefined): void {
    this.ev = ev;
    this.proc = proc;
    this.ctr = ctr;
    this.destDone = false;
    this.fclsDone = false;
    this.argsDone = false;
    this.ancDone = false;
  }

  dest(): DestinationInfo | undefined {
    if (!this.destDone) {
      this.destDone = true;
      const n = this.ev.net;
      // accept: d* is the remote peer; listen: s* is the local address.
      this.destVal = n
        ? this.ev.kind === 'listen'
          ? this.classifyFn(n.saddr, n.sport)
          : this.classifyFn(n.daddr, n.dport)
        : undefined;
    }
    return this.destVal;
  }

  fileClass(): FileClass | undefined {
    if (!this.fclsDone) {
      this.fclsDone = true;
      const f = this.ev.file;
      this.fclsVal = f ? fileClass(f.path) : undefined;
    }
    return this.fclsVal;
  }

  args(): string | undefined {
    if (!this.argsDone) {
      this.argsDone = true;
      const a = this.ev.proc?.args ?? this.proc?.argv;
      this.argsVal = a ? a.join(' ') : undefined;
    }
    return this.argsVal;
  }

  private ancestors(): void {
    if (this.ancDone) return;
    this.ancDone = true;
    this.ancBase.length = 0;
    this.ancExe.length = 0;
    let p = this.proc?.parent;
    for (let i = 0; p && i < 16; i++, p = p.parent) {
      this.ancBase.push(p.base);
      this.ancExe.push(p.exe);
    }
  }
  ancestorBases(): string[] {
    this.ancestors();
    return this.ancBase;
  }
  ancestorExes(): string[] {
    this.ancestors();
    return this.ancExe;
  }
}

export type Getter = (c: EvalCtx) => unknown;

const exe = (c: EvalCtx): string | undefined => c.ev.proc?.exe ?? c.proc?.exe ?? c.ev.proc?.comm;

function isMemfdExe(path: string | undefined): boolean {
  return (
    path !== undefined &&
    (/^\/(?:proc\/(?:self|\d+)|dev)\/fd\/\d+$/.test(path) ||
      path.startsWith('/memfd:') ||
      (path.includes('(deleted)') && path.includes('memfd:')))
  );
}

function sinceSec(map: Map<string, number> | undefined, tag: string, now: number): number {
  const t = map?.get(tag);
  return t === undefined ? Infinity : (now - t) / 1e9;
}

export const FIELDS: Record<string, Getter> = {
  kind: (c) => c.ev.kind,
  node: (c) => c.ev.node,
  source: (c) => c.ev.source,
  pid: (c) => c.ev.proc?.pid,
  exe,
  'exe.base': (c) => {
    // The process table keeps the basename of its current image: no substring per rule.
    const p = c.proc;
    const ee = c.ev.proc?.exe;
    if (p && (ee === undefined || ee === p.exe)) return p.base;
    const e = exe(c);
    return e === undefined ? undefined : basename(e);
  },
  'exe.dir': (c) => {
    const e = exe(c);
    if (e === undefined) return undefined;
    const i = e.lastIndexOf('/');
    return i <= 0 ? '/' : e.slice(0, i);
  },
  'exe.class': (c) => {
    const e = exe(c);
    return e === undefined ? undefined : fileClass(e);
  },
  'exe.memfd': (c) => isMemfdExe(exe(c)),
  /** The executable was written during the capture in the same container (drift). */
  'exe.written': (c) => {
    const e = exe(c);
    return e !== undefined && c.ctr?.written?.has(e) === true;
  },
  'exe.prev': (c) => c.proc?.prevExe,
  comm: (c) => c.ev.proc?.comm,
  args: (c) => c.args(),
  argc: (c) => (c.ev.proc?.args ?? c.proc?.argv)?.length,
  uid: (c) => c.ev.proc?.uid ?? (c.proc && c.proc.uid >= 0 ? c.proc.uid : undefined),
  container: (c) => !!(c.ev.container?.id || c.ev.container?.podUid || c.ev.pod),
  pod: (c) => (c.ev.pod ? `${c.ev.pod.namespace}/${c.ev.pod.name}` : undefined),
  'pod.name': (c) => c.ev.pod?.name,
  namespace: (c) => c.ev.pod?.namespace,
  workload: (c) => c.ev.pod?.workload?.name,
  'workload.kind': (c) => c.ev.pod?.workload?.kind,
  image: (c) => c.ev.pod?.image,
  serviceAccount: (c) => c.ev.pod?.serviceAccount,
  /** "the pod web-1 (workload web)" or "host node-a": for explanations. */
  where: (c) => {
    const p = c.ev.pod;
    if (!p) return `host ${c.ev.node}`;
    return `pod ${p.namespace}/${p.name}${p.workload ? ` (${p.workload.kind} ${p.workload.name})` : ''}`;
  },
  'parent.exe': (c) => c.proc?.parent?.exe,
  'parent.base': (c) => c.proc?.parent?.base,
  'parent.comm': (c) => c.proc?.parent?.comm,
  'parent.args': (c) => c.proc?.parent?.argv?.join(' '),
  'ancestors.base': (c) => c.ancestorBases(),
  'ancestors.exe': (c) => c.ancestorExes(),
  /** "nginx → sh → curl": the in-memory ancestry for explanations. */
  chain: (c) => {
    const parts: string[] = [];
    let p = c.proc?.parent;
    for (let i = 0; p && i < 6; i++, p = p.parent) parts.unshift(p.base);
    const e = exe(c);
    parts.push(e ? basename(e) : '?');
    return parts.join(' → ');
  },
  entry: (c) => c.proc?.entry === true && c.proc.containerStart === false,
  /** This process or an ancestor in its container was started from outside it (kubectl exec). */
  'session.exec': (c) => {
    let p = c.proc;
    for (let i = 0; p && i < 32; i++) {
      if (p.entry && !p.containerStart) return true;
      const up: typeof p | undefined = p.parent;
      if (!up || up.ctr !== p.ctr) break;
      p = up;
    }
    return false;
  },
  /** The pod's service account is named by some RBAC binding (undefined without inventory RBAC). */
  'serviceAccount.bound': (c) => {
    const p = c.ev.pod;
    if (!p?.serviceAccount || !c.boundSAs) return undefined;
    return c.boundSAs.has(`${p.namespace}/${p.serviceAccount}`);
  },
  containerStart: (c) => c.proc?.containerStart === true,
  depth: (c) => c.proc?.depth,
  /** Seconds since the container's first process, when it started during the capture (runtime set-up happens in the first moments); never otherwise. */
  'container.age': (c) => (c.ctr?.started !== undefined ? (c.ev.time - c.ctr.started) / 1e9 : Infinity),
  'proc.age': (c) => (c.proc ? (c.ev.time - c.proc.firstTime) / 1e9 : undefined),
  'file.path': (c) => c.ev.file?.path,
  'file.base': (c) => (c.ev.file ? basename(c.ev.file.path) : undefined),
  'file.class': (c) => c.fileClass(),
  'file.write': (c) => c.ev.file?.write === true,
  'file.aggregated': (c) => c.ev.file?.aggregated === true,
  'net.daddr': (c) => c.ev.net?.daddr,
  'net.dport': (c) => c.ev.net?.dport,
  'net.saddr': (c) => c.ev.net?.saddr,
  'net.sport': (c) => c.ev.net?.sport,
  'net.proto': (c) => c.ev.net?.proto,
  'net.dest': (c) => (c.ev.net ? `${c.ev.net.daddr}:${c.ev.net.dport}` : undefined),
  'dest.class': (c) => c.dest()?.class,
  'dest.label': (c) => c.dest()?.label ?? (c.ev.net ? c.ev.net.daddr : undefined),
  'dns.query': (c) => c.ev.dns?.query,
  'dns.len': (c) => c.ev.dns?.query?.length,
  /** Entropy (bits/char) of the longest label: generated names (DGA, tunnelling) score high. */
  'dns.entropy': (c) => {
    const q = c.ev.dns?.query;
    if (!q) return undefined;
    let longest = '';
    for (const l of q.split('.')) if (l.length > longest.length) longest = l;
    return longest.length < 8 ? 0 : entropy(longest);
  },
  'dns.labels': (c) => c.ev.dns?.query?.split('.').length,
  'dns.longestLabel': (c) => {
    const q = c.ev.dns?.query;
    if (!q) return undefined;
    let n = 0;
    for (const l of q.split('.')) n = Math.max(n, l.length);
    return n;
  },
  'priv.op': (c) => c.ev.priv?.op,
  'priv.uid': (c) => c.ev.priv?.uid,
  'priv.caps': (c) => c.ev.priv?.caps,
  /** uid before the change (the process's uid as last seen). */
  'priv.fromUid': (c) => (c.proc && c.proc.uid >= 0 ? c.proc.uid : c.ev.proc?.uid),
  'ptrace.request': (c) => c.ev.ptrace?.request,
  'ptrace.targetPid': (c) => c.ev.ptrace?.targetPid,
  'mount.op': (c) => c.ev.mount?.op,
  'mount.source': (c) => c.ev.mount?.source,
  'mount.target': (c) => c.ev.mount?.target,
  'mount.fstype': (c) => c.ev.mount?.fstype,
  'ns.op': (c) => c.ev.ns?.op,
  'ns.flags': (c) => c.ev.ns?.flags,
  'module.op': (c) => c.ev.module?.op,
  'module.name': (c) => c.ev.module?.name,
  'bpf.cmd': (c) => c.ev.bpf?.cmd,
  'memfd.name': (c) => c.ev.memfd?.name,
  'alert.tool': (c) => c.ev.alert?.tool,
  'alert.rule': (c) => c.ev.alert?.rule,
  'alert.priority': (c) => c.ev.alert?.priority,
  'alert.output': (c) => c.ev.alert?.output,
  'alert.tags': (c) => c.ev.alert?.tags,
  ret: (c) => c.ev.ret,
  /** The syscall's outcome in words ("failed with ENOSYS (...)"), for explanations of attempts. */
  result: (c) => resultWords(c.ev.ret),
};

/** errno names an analyst meets on the attempts the rules report (x86_64/arm64 numbering). */
const ERRNO: Record<number, string> = {
  1: 'EPERM (not permitted)',
  2: 'ENOENT (no such file)',
  8: 'ENOEXEC (not a valid module image)',
  13: 'EACCES (access denied)',
  14: 'EFAULT (bad address)',
  16: 'EBUSY (busy)',
  17: 'EEXIST (already exists)',
  22: 'EINVAL (invalid argument)',
  38: 'ENOSYS (not implemented by this kernel)',
  95: 'EOPNOTSUPP (not supported)',
};

function resultWords(ret: number | undefined): string {
  if (ret === undefined) return 'result not reported';
  if (ret >= 0) return 'succeeded';
  return `failed with ${ERRNO[-ret] ?? `error ${-ret}`}`;
}

/** `recent.proc.<tag>`, `recent.pod.<tag>`: seconds since the process / container last did <tag>. */
export function getter(name: string): Getter | undefined {
  const g = FIELDS[name];
  if (g) return g;
  const m = /^recent\.(proc|pod|tree)\.(.+)$/.exec(name);
  if (m) {
    const tag = m[2]!;
    if (m[1] === 'proc') return (c) => sinceSec(c.proc?.recent, tag, c.ev.time);
    if (m[1] === 'pod') return (c) => sinceSec(c.ctr?.recent, tag, c.ev.time);
    // tree: this process or any ancestor in the same container
    return (c) => {
      let best = Infinity;
      let p = c.proc;
      for (let i = 0; p && i < 16; i++, p = p.parent) best = Math.min(best, sinceSec(p.recent, tag, c.ev.time));
      return best;
    };
  }
  return undefined;
}

export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '?';
  if (Array.isArray(v)) return v.length ? v.map((x) => formatValue(x)).join(' ← ') : '(none)';
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : 'never';
  const s = String(v);
  // Attacker-controlled text: keep it short and printable; it is shown as text, never as HTML.
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '·');
  return clean.length > 160 ? clean.slice(0, 157) + '…' : clean;
}
