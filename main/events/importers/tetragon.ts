/**
 * Cilium Tetragon JSON export (export file, `kubectl logs ds/tetragon -c export-stdout`,
 * `tetra getevents -o json`) → Lantern events.
 *
 *   process_exec                         → exec
 *   process_exit                         → exit
 *   process_kprobe / _tracepoint / _lsm / _uprobe, by function:
 *     file hooks (security_file_permission, security_file_open, fd_install, ...) → open
 *       (mask/permission 2 or MAY_WRITE = write; old versions' paths lacking the leading `/` fixed)
 *     tcp_connect / tcp_sendmsg / udp_sendmsg (sock_arg)                      → connect
 *     commit_creds, sys_setuid/setgid/setreuid/setresuid/...                  → setuid
 *     sys_setns / sys_unshare                                                  → ns
 *     do_init_module, find_module_sections, security_kernel_read_file (module) → module init
 *     free_module / sys_delete_module                                          → module delete
 *     sys_ptrace → ptrace; sys_mount → mount; bpf_check / sys_bpf → bpf
 *     anything else → 'alert' (the policy matched: kept as evidence, with the function and args)
 *   rate_limit_info → agent.lost; process_loader / process_throttle → skipped with a reason
 *
 * Identity: Tetragon's exec_id is base64("<node>:<start ktime ns>:<pid>"); the start ktime is
 * exactly Lantern's `proc.start` (ns since boot), and parent_exec_id gives `pstart`. Pods come
 * from process.pod (name, namespace, container id/name/image, workload, labels).
 */
import { Buffer } from 'node:buffer';
import type { LanternEvent } from '../../common/events';
import {
  anyTimeNs,
  commOf,
  compact,
  containerId,
  isObj,
  num,
  obj,
  orderTime,
  signalNumber,
  str,
  type ConvertContext,
  type Converted,
  type Converter,
  type Obj,
} from './common';

const EVENT_KEYS = [
  'process_exec',
  'process_exit',
  'process_kprobe',
  'process_tracepoint',
  'process_uprobe',
  'process_lsm',
  'process_loader',
  'process_throttle',
  'rate_limit_info',
] as const;

/** exec_id → [node, start ktime, pid]; undefined when it is not Tetragon's format. */
export function decodeExecId(id: unknown): { node: string; start: number; pid: number } | undefined {
  const s = str(id);
  if (!s || s.length > 512) return undefined;
  const text = Buffer.from(s, 'base64').toString('utf8');
  const m = /^(.*):(\d+):(\d+)$/.exec(text);
  if (!m) return undefined;
  return { node: m[1]!, start: Number(m[2]), pid: Number(m[3]) };
}

function eventKey(o: Obj): (typeof EVENT_KEYS)[number] | undefined {
  for (const k of EVENT_KEYS) if (isObj(o[k])) return k;
  return undefined;
}

function baseEvent(o: Obj, E: Obj, ctx: ConvertContext): LanternEvent | { skip: string } {
  const p = obj(E.process);
  if (!p) return { skip: 'no process in the event' };
  const id = decodeExecId(p.exec_id);
  const pid = num(p.pid) ?? id?.pid;
  if (pid === undefined) return { skip: 'process has no pid' };
  const parent = obj(E.parent);
  const pid2 = decodeExecId(p.parent_exec_id ?? parent?.exec_id);
  const node = str(o.node_name) ?? (id?.node || undefined) ?? ctx.defaultNode;
  const time = anyTimeNs(o.time, ctx) ?? anyTimeNs(E.time, ctx) ?? anyTimeNs(p.start_time, ctx) ?? orderTime(ctx);
  const binary = str(p.binary);
  const args = str(p.arguments);
  const ev: LanternEvent = {
    kind: 'exec',
    time,
    node,
    source: 'tetragon',
    proc: compact({
      pid,
      start: id?.start ?? 0,
      ppid: num(parent?.pid),
      pstart: pid2?.start,
      uid: num(p.uid),
      comm: commOf(binary ?? ''),
      exe: binary,
      // Tetragon joins argv[1:] with spaces: the original quoting is lost, so this split is approximate.
      args: binary ? [binary, ...(args ? args.split(' ').filter((a) => a !== '') : [])] : undefined,
      cwd: str(p.cwd),
    }),
  };
  const pod = obj(p.pod);
  if (pod) {
    const ctr = obj(pod.container);
    const cid = containerId(ctr?.id);
    if (cid) ev.container = { id: cid };
    const name = str(pod.name);
    const ns = str(pod.namespace);
    if (name && ns) {
      ev.pod = compact({
        name,
        namespace: ns,
        container: str(ctr?.name),
        image: str(obj(ctr?.image)?.name),
        workload: str(pod.workload)
          ? { kind: str(pod.workload_kind) ?? 'Workload', name: str(pod.workload)! }
          : undefined,
      });
    }
  } else {
    const docker = containerId(p.docker);
    if (docker) ev.container = { id: docker };
  }
  return ev;
}

/** Labels Tetragon printed for the pod (for the inventory). */
export function tetragonLabels(o: Obj): Record<string, string> | undefined {
  const k = eventKey(o);
  const pod = obj(obj(obj(k ? o[k] : undefined)?.process)?.pod);
  const l = obj(pod?.pod_labels);
  if (!l) return undefined;
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(l)) if (typeof v === 'string') out[key] = v;
  return out;
}

const FILE_FUNCS =
  /^(security_file_permission|security_file_open|security_mmap_file|fd_install|security_path_truncate|security_inode_|vfs_|__x64_sys_open|__arm64_sys_open|sys_open|do_sys_open|filp_close|security_file_truncate)/;
const SYS_PREFIX = /^(__x64_sys_|__arm64_sys_|__ia32_sys_|sys_|ksys_)/;

function kprobeArgs(E: Obj): Obj[] {
  return Array.isArray(E.args) ? E.args.filter(isObj) : [];
}

function firstArg(args: Obj[], key: string): Obj | undefined {
  for (const a of args) if (isObj(a[key])) return a[key] as Obj;
  return undefined;
}

function ints(args: Obj[]): number[] {
  const out: number[] = [];
  for (const a of args) {
    const v = num(a.int_arg) ?? num(a.uint_arg) ?? num(a.size_arg) ?? num(a.long_arg);
    if (v !== undefined) out.push(v);
  }
  return out;
}

function fixPath(p: string): string {
  return p.startsWith('/') ? p : `/${p}`;
}

function convertProbe(fn: string, E: Obj, ev: LanternEvent): LanternEvent {
  const args = kprobeArgs(E);
  const sys = fn.replace(SYS_PREFIX, '');
  const ret = num(obj(E.return)?.int_arg);
  if (ret !== undefined) ev.ret = ret;

  const fileArg = firstArg(args, 'file_arg') ?? firstArg(args, 'path_arg');
  if (fileArg && FILE_FUNCS.test(fn)) {
    const path = str(fileArg.path);
    if (path) {
      const mask = ints(args)[0];
      // security_file_permission mask: MAY_WRITE=2, MAY_READ=4, MAY_APPEND=8
      const write =
        fn === 'security_file_permission' || fn === 'security_mmap_file'
          ? mask !== undefined
            ? (mask & 0b1010) !== 0
            : undefined
          : undefined;
      ev.kind = 'open';
      ev.file = compact({ path: fixPath(path), write });
      return ev;
    }
  }
  const sock = firstArg(args, 'sock_arg') ?? firstArg(args, 'skb_arg');
  if (
    sock &&
    /^(tcp_connect|tcp_sendmsg|udp_sendmsg|tcp_v4_connect|tcp_v6_connect|ip4_datagram_connect|inet_csk_accept|security_socket_connect)/.test(
      fn,
    )
  ) {
    const saddr = str(sock.saddr);
    const daddr = str(sock.daddr);
    if (saddr && daddr) {
      const proto = /udp/i.test(String(sock.protocol ?? fn)) ? 'udp' : 'tcp';
      ev.kind = fn === 'inet_csk_accept' ? 'accept' : 'connect';
      ev.net = {
        proto,
        family: daddr.includes(':') ? 6 : 4,
        saddr,
        sport: num(sock.sport) ?? 0,
        daddr,
        dport: num(sock.dport) ?? 0,
      };
      return ev;
    }
  }
  if (fn === 'commit_creds') {
    const c = firstArg(args, 'process_credentials_arg');
    ev.kind = 'setuid';
    ev.priv = compact({ op: 'commit_creds', uid: num(c?.euid) ?? num(c?.uid), gid: num(c?.egid) ?? num(c?.gid) });
    return ev;
  }
  if (/^set(re|res|fs)?[ug]id$/.test(sys)) {
    const v = ints(args);
    ev.kind = 'setuid';
    const id = v[v.length - 1];
    ev.priv = compact({
      op: sys,
      uid: sys.includes('uid') ? id : undefined,
      gid: sys.includes('gid') ? id : undefined,
    });
    return ev;
  }
  if (sys === 'setns' || sys === 'unshare') {
    const v = ints(args);
    ev.kind = 'ns';
    ev.ns = { op: sys, flags: (sys === 'setns' ? v[1] : v[0]) ?? 0 };
    return ev;
  }
  const mod = firstArg(args, 'module_arg');
  if (fn === 'do_init_module' || fn === 'find_module_sections' || sys === 'init_module' || sys === 'finit_module') {
    ev.kind = 'module';
    ev.module = compact({
      op: (sys === 'finit_module' ? 'finit_module' : 'init_module') as 'finit_module' | 'init_module',
      name: str(mod?.name),
    });
    return ev;
  }
  if (fn === 'security_kernel_read_file' && fileArg) {
    // The kernel reading a module file for loading (id READING_MODULE).
    ev.kind = 'module';
    ev.module = compact({
      op: 'finit_module' as const,
      name: str(fileArg.path) ? fixPath(str(fileArg.path)!) : undefined,
    });
    return ev;
  }
  if (fn === 'free_module' || sys === 'delete_module') {
    ev.kind = 'module';
    ev.module = compact({ op: 'delete_module' as const, name: str(mod?.name) ?? str(firstArg(args, 'string_arg')) });
    return ev;
  }
  if (sys === 'ptrace') {
    const v = ints(args);
    ev.kind = 'ptrace';
    ev.ptrace = { request: v[0] ?? 0, targetPid: v[1] ?? 0 };
    return ev;
  }
  if (sys === 'mount' || sys === 'umount' || sys === 'umount2') {
    const strs = args.map((a) => str(a.string_arg)).filter((s): s is string => !!s);
    ev.kind = 'mount';
    ev.mount = compact({
      op: (sys === 'mount' ? 'mount' : 'umount') as 'mount' | 'umount',
      source: sys === 'mount' ? strs[0] : undefined,
      target: sys === 'mount' ? strs[1] : strs[0],
    });
    return ev;
  }
  if (sys === 'bpf' || fn === 'bpf_check' || fn === 'security_bpf') {
    ev.kind = 'bpf';
    ev.bpf = { cmd: ints(args)[0] ?? 0 };
    return ev;
  }
  // No Lantern kind for it: the policy hit is evidence in itself.
  ev.kind = 'alert';
  const policy = str(E.policy_name);
  const detail = args
    .map((a) => {
      const [k, v] = Object.entries(a)[0] ?? [];
      if (k === undefined) return '';
      const shown = isObj(v) ? (str(v.name) ?? str(v.path) ?? JSON.stringify(v).slice(0, 80)) : String(v);
      return `${k.replace(/_arg$/, '')}=${shown}`;
    })
    .filter(Boolean)
    .join(' ');
  ev.alert = compact({
    tool: 'tetragon' as const,
    rule: policy ? `${policy}: ${fn}` : fn,
    output: `${fn}(${detail})${str(E.message) ? ` ${str(E.message)}` : ''}`,
    tags: Array.isArray(E.tags) ? E.tags.filter((t): t is string => typeof t === 'string') : undefined,
  });
  return ev;
}

export const tetragon: Converter = {
  tool: 'tetragon',
  detect(o) {
    if (!isObj(o)) return 0;
    const k = eventKey(o);
    if (!k) return 0;
    return typeof o.node_name === 'string' || typeof o.time === 'string' || isObj(obj(o[k])?.process) ? 1 : 0.6;
  },
  convert(o, ctx): Converted {
    const k = eventKey(o);
    if (!k) return { skip: 'not a Tetragon event (no process_* key)' };
    const E = o[k] as Obj;
    if (k === 'rate_limit_info') {
      const lost = num(E.number_of_dropped_process_events) ?? 0;
      return [
        {
          kind: 'agent.lost',
          time: anyTimeNs(o.time, ctx) ?? orderTime(ctx),
          node: str(o.node_name) ?? ctx.defaultNode,
          source: 'tetragon',
          agent: { lost, message: 'Tetragon rate limit: process events dropped' },
        },
      ];
    }
    if (k === 'process_loader' || k === 'process_throttle') return { skip: `${k} has no Lantern equivalent` };
    const ev = baseEvent(o, E, ctx);
    if (!('kind' in ev)) return ev;
    if (k === 'process_exec') return [ev];
    if (k === 'process_exit') {
      ev.kind = 'exit';
      ev.exit = compact({ code: num(E.status) ?? 0, signal: signalNumber(E.signal) });
      return [ev];
    }
    const fn = str(E.function_name) ?? str(E.event) ?? str(E.subsys) ?? k;
    return [convertProbe(fn, E, ev)];
  },
};
