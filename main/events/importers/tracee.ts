/**
 * Tracee JSON (`--output json`) → Lantern events. Three generations:
 *   legacy (≤ v0.24): eventName, hostProcessId, args[{name,type,value}], container{...} or
 *     containerId/podName/... flat (≤ v0.1x);
 *   older capitalised keys (v0.14 benchmark docs): processID, hostProcessID, eventID,
 *     args[{argMeta:{name}, value}], timestamp in seconds (since boot);
 *   v1beta1 (protobuf JSON): name, workload.process.{pid,host_pid,executable,...},
 *     workload.container/k8s, data[] typed values or a data object, threat{...}.
 *
 *   sched_process_exec, execve, execveat          → exec (argv, pathname/cmdpath)
 *   sched_process_exit                            → exit
 *   security_file_open, open, openat, openat2     → open (flags text → write)
 *   vfs_read/vfs_write with a path                → open (read/write)
 *   security_socket_connect                       → connect; security_socket_accept → accept;
 *   security_socket_listen / bind                 → listen
 *   net_packet_tcp with SYN and no ACK            → connect (the packet opening a connection)
 *   net_packet_http_request                       → connect
 *   net_packet_dns (query) / net_packet_dns_request → dns; responses skipped
 *   ptrace                                        → ptrace
 *   setuid/setgid family, commit_creds            → setuid
 *   init_module/finit_module/delete_module        → module; mount → mount; bpf → bpf
 *   signatures / detector output (metadata.Properties.signatureName, threat{}) → alert, plus exec
 *     when the signature fired on an execve (e.g. fileless_execution)
 *   other events (clone, close, read, raw packets) → skipped with the reason
 * pid is the host pid (hostProcessId), the process identity on the node; start is the thread
 * start time when the event came from the main thread.
 */
import type { LanternEvent } from '../../common/events';
import {
  anyTimeNs,
  commOf,
  compact,
  containerId,
  finite,
  flagsWrite,
  isObj,
  num,
  obj,
  orderTime,
  parseRfc3339Ns,
  podRef,
  str,
  toEpochNs,
  type ConvertContext,
  type Converted,
  type Converter,
  type Obj,
} from './common';

const PTRACE_REQUESTS: Record<string, number> = {
  PTRACE_TRACEME: 0,
  PTRACE_PEEKTEXT: 1,
  PTRACE_PEEKDATA: 2,
  PTRACE_PEEKUSER: 3,
  PTRACE_POKETEXT: 4,
  PTRACE_POKEDATA: 5,
  PTRACE_POKEUSER: 6,
  PTRACE_CONT: 7,
  PTRACE_KILL: 8,
  PTRACE_SINGLESTEP: 9,
  PTRACE_GETREGS: 12,
  PTRACE_SETREGS: 13,
  PTRACE_ATTACH: 16,
  PTRACE_DETACH: 17,
  PTRACE_SYSCALL: 24,
  PTRACE_SETOPTIONS: 0x4200,
  PTRACE_SEIZE: 0x4206,
};

/** A normalised view of one Tracee record, whatever its generation. */
interface View {
  name: string;
  time: number;
  node: string;
  pid: number;
  tid?: number;
  ppid?: number;
  start?: number;
  uid?: number;
  comm: string;
  exe?: string;
  ret?: number;
  syscall?: string;
  container?: string;
  pod?: LanternEvent['pod'];
  podUid?: string;
  args: Map<string, unknown>;
  signature?: { rule: string; severity?: string; description?: string; tags?: string[] };
}

function argsMap(list: unknown): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (!Array.isArray(list)) return m;
  for (const a of list) {
    if (!isObj(a)) continue;
    const name = str(a.name) ?? str(obj(a.argMeta)?.name);
    if (name) m.set(name, a.value);
  }
  return m;
}

/** v1beta1 data[]: {name, <typed value>} → value. */
function dataMap(list: unknown): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (Array.isArray(list)) {
    for (const d of list) {
      if (!isObj(d)) continue;
      const name = str(d.name);
      if (!name) continue;
      for (const [k, v] of Object.entries(d)) {
        if (k === 'name') continue;
        m.set(name, isObj(v) && Array.isArray(v.value) ? v.value : v);
        break;
      }
    }
  } else if (isObj(list)) {
    for (const [k, v] of Object.entries(list)) m.set(k, v);
  }
  return m;
}

function severityWord(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number')
    return ['info', 'low', 'medium', 'high', 'critical'][Math.max(0, Math.min(4, Math.round(v)))];
  return undefined;
}

function legacyView(o: Obj, ctx: ConvertContext): View | string {
  const name = str(o.eventName);
  if (!name) return 'no eventName';
  const pid = num(o.hostProcessId) ?? num(o.hostProcessID) ?? num(o.processId) ?? num(o.processID);
  if (pid === undefined) return 'no process id';
  const tid = num(o.hostThreadId) ?? num(o.hostThreadID);
  const ts = num(o.timestamp);
  // ≥ v0.15 print epoch ns; the capitalised generation printed seconds (float) since boot.
  const time =
    (ts === undefined
      ? undefined
      : 'processID' in o || !Number.isInteger(ts)
        ? toEpochNs(ts, ctx, 's')
        : toEpochNs(ts, ctx)) ?? orderTime(ctx);
  const c = obj(o.container) ?? {};
  const k = obj(o.kubernetes) ?? {};
  const cid = containerId(c.id) ?? containerId(o.containerId);
  const podUid = str(k.podUID) ?? str(o.podUID);
  const image = str(c.image) ?? str(o.containerImage);
  const cname = str(c.name) ?? str(o.containerName);
  const pod = podRef(k.podName ?? o.podName, k.podNamespace ?? o.podNamespace, {
    uid: podUid,
    container: cname,
    image,
  });
  const tst = num(o.threadStartTime);
  const meta = obj(o.metadata);
  const props = obj(meta?.Properties);
  const v: View = {
    name,
    time,
    node: str(o.hostName) ?? ctx.defaultNode,
    pid,
    tid,
    ppid: num(o.hostParentProcessId) ?? num(o.hostParentProcessID),
    start: tst !== undefined && (tid === undefined || tid === pid) ? tst : undefined,
    uid: num(o.userId) ?? num(o.userID),
    comm: str(o.processName) ?? '',
    exe: str(obj(o.executable)?.path),
    ret: num(o.returnValue),
    syscall: str(o.syscall),
    container: cid,
    pod,
    podUid,
    args: argsMap(o.args),
  };
  // Signatures: metadata from the rule engine, or (older output) just an event id in the
  // signature range (Tracee numbers signature events from 6000).
  const eventId = num(o.eventId) ?? num(o.eventID);
  if (props || (meta && str(meta.Description)) || (eventId !== undefined && eventId >= 6000 && eventId < 7000)) {
    v.signature = compact({
      rule: str(props?.signatureName) ?? name,
      severity: severityWord(props?.Severity),
      description: str(meta?.Description),
      tags: [str(props?.signatureID), str(props?.external_id), str(props?.Category), str(props?.Technique)].filter(
        (t): t is string => !!t,
      ),
    });
  }
  return v;
}

function v1View(o: Obj, ctx: ConvertContext): View | string {
  const name = str(o.name);
  if (!name) return 'no event name';
  const w = obj(o.workload) ?? {};
  const p = obj(w.process) ?? {};
  const thread = obj(p.thread);
  const pid = num(p.host_pid) ?? num(p.pid) ?? num(thread?.host_tid);
  if (pid === undefined) return 'no process id';
  const ts = o.timestamp;
  let time: number | undefined;
  if (isObj(ts)) {
    const s = num(ts.seconds);
    if (s !== undefined) time = finite(s * 1e9 + (num(ts.nanos) ?? 0));
  } else if (typeof ts === 'string') time = parseRfc3339Ns(ts);
  else time = anyTimeNs(ts, ctx);
  const anc = Array.isArray(p.ancestors) ? obj(p.ancestors[0]) : undefined;
  const c = obj(w.container) ?? {};
  const k8s = obj(w.k8s) ?? {};
  const kpod = obj(k8s.pod) ?? {};
  const podUid = str(kpod.uid);
  const pod = podRef(kpod.name, obj(k8s.namespace)?.name, {
    uid: podUid,
    container: str(c.name),
    image: str(obj(c.image)?.name),
  });
  const threat = obj(o.threat);
  const exe = str(obj(p.executable)?.path);
  const startSec = num(obj(thread?.start_time)?.seconds);
  const v: View = {
    name,
    time: time ?? orderTime(ctx),
    node: str(obj(o.node)?.name) ?? ctx.defaultNode,
    pid,
    ppid: num(anc?.host_pid) ?? num(anc?.pid),
    start: startSec !== undefined ? finite(startSec * 1e9) : undefined,
    uid: num(obj(p.real_user)?.id),
    comm: str(thread?.name) ?? (exe ? commOf(exe) : ''),
    exe,
    syscall: str(thread?.syscall),
    container: containerId(c.id),
    pod,
    podUid,
    args: dataMap(o.data),
  };
  if (threat) {
    const mitre = obj(threat.mitre);
    v.signature = compact({
      rule: str(threat.name) ?? name,
      severity: severityWord(threat.severity),
      description: str(threat.description),
      tags: [
        str(obj(mitre?.technique)?.external_id),
        str(obj(mitre?.technique)?.name),
        str(obj(mitre?.tactic)?.name),
      ].filter((t): t is string => !!t),
    });
    const from = obj(o.detected_from);
    if (from && str(from.event_name)) v.syscall ??= str(from.event_name);
  }
  return v;
}

function baseEvent(v: View): LanternEvent {
  const ev: LanternEvent = {
    kind: 'exec',
    time: v.time,
    node: v.node,
    source: 'tracee',
    proc: compact({ pid: v.pid, start: v.start ?? 0, ppid: v.ppid, uid: v.uid, comm: v.comm.slice(0, 15), exe: v.exe }),
  };
  if (v.container || v.podUid) ev.container = compact({ id: v.container, podUid: v.podUid });
  if (v.pod) ev.pod = v.pod;
  return ev;
}

function sockAddr(v: unknown): { ip: string; port: number } | undefined {
  if (!isObj(v)) return undefined;
  const ip = str(v.sin_addr) ?? str(v.sin6_addr);
  const port = num(v.sin_port) ?? num(v.sin6_port);
  return ip ? { ip, port: port ?? 0 } : undefined;
}

function strArray(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((a): a is string => typeof a === 'string') : undefined;
}

function behaviour(v: View, ev: LanternEvent): LanternEvent | string {
  const a = v.args;
  const name = v.name;
  const path = str(a.get('pathname')) ?? str(a.get('syscall_pathname')) ?? str(a.get('file_path'));
  if (
    name === 'sched_process_exec' ||
    name === 'execve' ||
    name === 'execveat' ||
    (v.signature && /^execve/.test(v.syscall ?? '') && (a.has('argv') || a.has('pathname')))
  ) {
    ev.kind = 'exec';
    const exe = str(a.get('cmdpath')) ?? path ?? v.exe;
    if (exe) ev.proc!.exe = exe;
    const argv = strArray(a.get('argv'));
    if (argv && argv.some((x) => x !== '')) ev.proc!.args = argv;
    if (name === 'execve' && v.ret !== undefined && v.ret < 0) ev.ret = v.ret;
    return ev;
  }
  if (name === 'sched_process_exit') {
    ev.kind = 'exit';
    ev.exit = { code: num(a.get('exit_code')) ?? 0 };
    return ev;
  }
  if (
    /^(security_file_open|open|openat|openat2|creat|vfs_read|vfs_write|vfs_readv|vfs_writev)$/.test(name) ||
    (v.signature && path && /open/.test(v.syscall ?? ''))
  ) {
    if (!path) return `${name} without a path`;
    ev.kind = 'open';
    const write =
      name.startsWith('vfs_write') || name === 'creat'
        ? true
        : name.startsWith('vfs_read')
          ? false
          : flagsWrite(a.get('flags'));
    ev.file = compact({
      path,
      write,
      flags: typeof a.get('flags') === 'number' ? (a.get('flags') as number) : undefined,
    });
    if (v.ret !== undefined && v.ret < 0) ev.ret = v.ret;
    return ev;
  }
  if (
    name === 'security_socket_connect' ||
    name === 'security_socket_accept' ||
    name === 'security_socket_bind' ||
    name === 'security_socket_listen'
  ) {
    const remote = sockAddr(a.get('remote_addr')) ?? sockAddr(a.get('local_addr'));
    if (!remote) return `${name} without an address`;
    const family = remote.ip.includes(':') ? 6 : 4;
    if (name === 'security_socket_connect') {
      ev.kind = 'connect';
      ev.net = { proto: 'tcp', family, saddr: '', sport: 0, daddr: remote.ip, dport: remote.port };
    } else if (name === 'security_socket_accept') {
      const local = sockAddr(a.get('local_addr'));
      ev.kind = 'accept';
      ev.net = { proto: 'tcp', family, saddr: local?.ip ?? '', sport: local?.port ?? 0, daddr: remote.ip, dport: 0 };
    } else {
      ev.kind = 'listen';
      ev.net = { proto: 'tcp', family, saddr: remote.ip, sport: remote.port, daddr: '', dport: 0 };
    }
    return ev;
  }
  if (name.startsWith('net_packet_')) {
    const meta = obj(a.get('metadata'));
    if (name === 'net_packet_dns_response') return 'DNS response (the query is imported)';
    if (name === 'net_packet_http_response') return 'HTTP response (the request is imported)';
    const src = str(a.get('src')) ?? str(meta?.src) ?? str(meta?.src_ip);
    const dst = str(a.get('dst')) ?? str(meta?.dst) ?? str(meta?.dst_ip);
    const sport = num(a.get('src_port')) ?? num(meta?.srcPort) ?? num(meta?.src_port) ?? 0;
    const dport = num(a.get('dst_port')) ?? num(meta?.dstPort) ?? num(meta?.dst_port) ?? 0;
    if (!src || !dst) return `${name} without addresses`;
    const family = dst.includes(':') ? 6 : 4;
    if (name === 'net_packet_tcp') {
      const t = obj(a.get('proto_tcp'));
      if (num(t?.SYN) === 1 && num(t?.ACK) === 0) {
        ev.kind = 'connect';
        ev.net = { proto: 'tcp', family, saddr: src, sport, daddr: dst, dport };
        return ev;
      }
      return 'TCP packet that does not open a connection (only SYN packets are imported)';
    }
    if (name === 'net_packet_http_request') {
      ev.kind = 'connect';
      ev.net = { proto: 'tcp', family, saddr: src, sport, daddr: dst, dport };
      return ev;
    }
    if (name === 'net_packet_dns' || name === 'net_packet_dns_request') {
      const dns = obj(a.get('proto_dns')) ?? obj(a.get('dns_questions')) ?? undefined;
      const qr = num(dns?.QR);
      const questions = Array.isArray(dns?.questions)
        ? dns.questions
        : Array.isArray(a.get('dns_questions'))
          ? (a.get('dns_questions') as unknown[])
          : [];
      if (qr === 1) return 'DNS response (the query is imported)';
      const q = obj(questions[0]);
      ev.kind = 'dns';
      ev.dns = compact({ query: str(q?.name) ?? str(q?.query), server: dst, serverPort: dport });
      ev.net = { proto: 'udp', family, saddr: src, sport, daddr: dst, dport };
      return ev;
    }
    return `${name}: a packet, not a connection`;
  }
  if (name === 'ptrace') {
    const req = a.get('request');
    ev.kind = 'ptrace';
    ev.ptrace = {
      request:
        typeof req === 'string' ? (Object.hasOwn(PTRACE_REQUESTS, req) ? PTRACE_REQUESTS[req]! : -1) : (num(req) ?? -1),
      targetPid: num(a.get('pid')) ?? 0,
    };
    return ev;
  }
  if (/^(setuid|setgid|setreuid|setregid|setresuid|setresgid|setfsuid|setfsgid|commit_creds)$/.test(name)) {
    ev.kind = 'setuid';
    const id = num(a.get('uid')) ?? num(a.get('ruid')) ?? num(a.get('euid')) ?? num(obj(a.get('new_cred'))?.Uid);
    ev.priv = compact({
      op: name,
      uid: name.includes('gid') ? undefined : id,
      gid: name.includes('gid') ? (num(a.get('gid')) ?? id) : undefined,
    });
    return ev;
  }
  if (name === 'init_module' || name === 'finit_module' || name === 'delete_module') {
    ev.kind = 'module';
    ev.module = compact({
      op: name as 'init_module' | 'finit_module' | 'delete_module',
      name: str(a.get('name')) ?? str(a.get('param_values')),
    });
    return ev;
  }
  if (name === 'mount' || name === 'umount' || name === 'umount2' || name === 'security_sb_mount') {
    ev.kind = 'mount';
    ev.mount = compact({
      op: (name.startsWith('umount') ? 'umount' : 'mount') as 'mount' | 'umount',
      source: str(a.get('source')) ?? str(a.get('dev_name')),
      target: str(a.get('target')) ?? str(a.get('path')),
      fstype: str(a.get('filesystemtype')) ?? str(a.get('type')),
    });
    return ev;
  }
  if (name === 'bpf' || name === 'security_bpf') {
    ev.kind = 'bpf';
    ev.bpf = { cmd: num(a.get('cmd')) ?? 0 };
    return ev;
  }
  return `${name} has no Lantern equivalent`;
}

export const tracee: Converter = {
  tool: 'tracee',
  detect(o) {
    if (!isObj(o)) return 0;
    if (
      typeof o.eventName === 'string' &&
      ('hostProcessId' in o || 'hostProcessID' in o || 'processId' in o || 'processID' in o)
    )
      return 1;
    if (typeof o.name === 'string' && isObj(o.workload) && ('data' in o || 'threat' in o || 'policies' in o)) return 1;
    return 0;
  },
  convert(o, ctx): Converted {
    const view = typeof o.eventName === 'string' ? legacyView(o, ctx) : v1View(o, ctx);
    if (typeof view === 'string') return { skip: view };
    const out: LanternEvent[] = [];
    const b = behaviour(view, baseEvent(view));
    if (typeof b !== 'string') out.push(b);
    if (view.signature) {
      const al = baseEvent(view);
      al.kind = 'alert';
      if (b !== undefined && typeof b !== 'string' && b.proc?.exe) al.proc!.exe = b.proc.exe;
      al.alert = compact({
        tool: 'tracee' as const,
        rule: view.signature.rule,
        priority: view.signature.severity,
        output: view.signature.description,
        tags: view.signature.tags?.length ? view.signature.tags : undefined,
      });
      out.push(al);
    }
    if (out.length === 0) return { skip: typeof b === 'string' ? b : 'nothing to import' };
    return out;
  },
};
