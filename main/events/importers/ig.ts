/**
 * Inspektor Gadget JSON (`-o json` / `-o jsonpretty`, kubectl-gadget and ig, image-based
 * gadgets v0.31+ and the older built-in gadgets) → Lantern events. The gadget is recognised from
 * the record's fields since IG does not print its name:
 *
 *   trace_exec  (args/exepath/ppid/pcomm)          → exec
 *   trace_tcp   (src+dst with ports, type)          → connect | accept (close is skipped)
 *   trace_open  (fname/path)                        → open
 *   trace_dns   (qr/qtype/name)                     → dns for queries; responses are skipped
 *   trace_network, built-in (pktType/port/dst.kind) → connect (OUTGOING) | accept (HOST)
 *   `logs` operator envelopes {type, gadget, data}  → the data record, by the rules above
 *
 * Field-name generations: image-based nests process data under `proc` (`proc.pid`,
 * `proc.parent.pid`, `proc.creds.uid`) and uses `k8s.podName`/`k8s.containerName`; built-in
 * gadgets keep `pid`/`comm`/`uid` flat (`task` in trace_dns) and older ones use `k8s.pod`/
 * `k8s.container`. Timestamps: `timestamp_raw` (epoch ns), an RFC 3339 `timestamp`, or a numeric
 * `timestamp` that older gadgets report since boot. IG gives no process start time: start = 0.
 *
 * The `kubectl gadget trace exec` column table (the only upstream exec sample) is parsed too:
 * see parseColumns. Truncated ARGS (ending in "…") set argsTruncated.
 */
import type { LanternEvent } from '../../common/events';
import {
  anyTimeNs,
  compact,
  containerId,
  flagsWrite,
  isObj,
  num,
  obj,
  orderTime,
  podRef,
  str,
  type ConvertContext,
  type Converted,
  type Converter,
  type Obj,
} from './common';

type Gadget = 'exec' | 'tcp' | 'open' | 'dns' | 'network';

function unwrap(o: Obj): Obj {
  // logs operator envelope: {type:"gadget-data", gadget, datasource, data:{...}}
  if (typeof o.gadget === 'string' && isObj(o.data) && typeof o.type === 'string') return o.data;
  return o;
}

function gadgetOf(o: Obj): Gadget | undefined {
  if (typeof o.pktType === 'string' && isObj(o.dst)) return 'network';
  if (
    isObj(o.src) &&
    isObj(o.dst) &&
    (o.type === 'connect' || o.type === 'accept' || o.type === 'close' || num(obj(o.dst)?.port) !== undefined)
  )
    return 'tcp';
  if ('qr' in o && ('qtype' in o || 'name' in o)) return 'dns';
  if (typeof o.fname === 'string' || (typeof o.path === 'string' && ('flags' in o || 'err' in o || 'fd' in o)))
    return 'open';
  if ('args' in o && ('exepath' in o || 'ppid' in o || 'pcomm' in o || 'args_count' in o || isObj(o.proc)))
    return 'exec';
  return undefined;
}

function looksLikeIg(o: Obj): boolean {
  return (
    isObj(o.k8s) || isObj(o.runtime) || isObj(o.proc) || 'mntns_id' in o || 'mountnsid' in o || 'timestamp_raw' in o
  );
}

function baseEvent(o: Obj, ctx: ConvertContext): LanternEvent | { skip: string } {
  const proc = obj(o.proc);
  const k8s = obj(o.k8s) ?? {};
  const rt = obj(o.runtime) ?? {};
  const pid = num(proc?.pid) ?? num(o.pid);
  if (pid === undefined) return { skip: 'no pid in the record' };
  const parent = obj(proc?.parent);
  const creds = obj(proc?.creds);
  const comm = str(proc?.comm) ?? str(o.comm) ?? str(o.task) ?? '';
  const exe = str(o.exepath);
  const time =
    num(o.timestamp_raw) !== undefined
      ? anyTimeNs(o.timestamp_raw, ctx)!
      : (anyTimeNs(o.timestamp, ctx) ?? orderTime(ctx));
  const ev: LanternEvent = {
    kind: 'exec',
    time,
    node: str(k8s.node) ?? ctx.defaultNode,
    source: 'ig',
    proc: compact({
      pid,
      start: 0,
      ppid: num(parent?.pid) ?? num(o.ppid),
      uid: num(creds?.uid) ?? num(o.uid),
      gid: num(creds?.gid) ?? num(o.gid),
      comm: comm.slice(0, 15),
      exe,
      cwd: str(o.cwd),
    }),
  };
  const cid = containerId(rt.containerId);
  if (cid) ev.container = { id: cid };
  const owner = obj(k8s.owner);
  const ownerKind = str(owner?.kind);
  const ownerName = str(owner?.name);
  const pod = podRef(k8s.podName ?? k8s.pod, k8s.namespace, {
    container: str(k8s.containerName) ?? str(k8s.container) ?? str(rt.containerName),
    image: str(rt.containerImageName),
    // IG's owner is the direct owner (a ReplicaSet for a Deployment's pod): the inventory
    // collector infers the Deployment from the name when the owner is a ReplicaSet.
    workload: ownerKind && ownerName && ownerKind !== 'ReplicaSet' ? { kind: ownerKind, name: ownerName } : undefined,
  });
  if (pod) ev.pod = pod;
  return ev;
}

function errno(o: Obj): number | undefined {
  const e = num(o.error_raw) ?? num(o.err) ?? (typeof o.error === 'number' ? o.error : undefined);
  return e ? -Math.abs(e) : undefined;
}

/** IG legacy `anaddr`: the first answer as 16 hex bytes (IPv4-mapped for A records). */
function hexAddr(h: unknown): string | undefined {
  const s = str(h);
  if (!s || !/^[0-9a-f]{32}$/i.test(s) || /^0+$/.test(s)) return undefined;
  if (/^0{20}ffff/i.test(s)) return [0, 1, 2, 3].map((i) => parseInt(s.slice(24 + i * 2, 26 + i * 2), 16)).join('.');
  return s
    .match(/.{4}/g)!
    .join(':')
    .replace(/\b0{1,3}/g, '');
}

export const ig: Converter = {
  tool: 'ig',
  detect(raw) {
    if (!isObj(raw)) return 0;
    const o = unwrap(raw);
    if (o !== raw && typeof raw.gadget === 'string') return 0.9;
    const g = gadgetOf(o);
    if (!g) return looksLikeIg(o) ? 0.3 : 0;
    return looksLikeIg(o) ? 1 : 0.5;
  },
  convert(raw, ctx): Converted {
    const o = unwrap(raw);
    const g = gadgetOf(o);
    if (!g)
      return {
        skip:
          raw !== o ? `IG ${String(raw.gadget)} records are not imported` : 'not a recognised Inspektor Gadget record',
      };
    const ev = baseEvent(o, ctx);
    if (!('kind' in ev)) return ev;
    const ret = errno(o);
    switch (g) {
      case 'exec': {
        const args =
          typeof o.args === 'string'
            ? o.args.split(' ').filter((a) => a !== '')
            : Array.isArray(o.args)
              ? o.args.filter((a): a is string => typeof a === 'string')
              : undefined;
        ev.kind = 'exec';
        if (args?.length) ev.proc!.args = args;
        if (!ev.proc!.exe && str(o.file)) ev.proc!.exe = str(o.file);
        if (ret !== undefined) ev.ret = ret;
        return [ev];
      }
      case 'open': {
        const path = str(o.fpath) ?? str(o.fname) ?? str(o.path);
        if (!path) return { skip: 'open record without a path' };
        ev.kind = 'open';
        ev.file = compact({
          path,
          flags: num(o.flags_raw) ?? (typeof o.flags === 'number' ? o.flags : undefined),
          write: flagsWrite(o.flags_raw ?? o.flags),
        });
        if (ret !== undefined) ev.ret = ret;
        else if (num(o.fd) !== undefined) ev.ret = num(o.fd);
        return [ev];
      }
      case 'tcp': {
        const src = o.src as Obj;
        const dst = o.dst as Obj;
        const type = str(o.type) ?? 'connect';
        if (type === 'close') return { skip: 'tcp close (the connection was imported at connect/accept)' };
        const saddr = str(src.addr);
        const daddr = str(dst.addr);
        if (!saddr || !daddr) return { skip: 'tcp record without addresses' };
        const family = num(dst.version) === 6 || daddr.includes(':') ? 6 : 4;
        ev.kind = type === 'accept' ? 'accept' : 'connect';
        // Lantern's accept: s* is the local (listening) side, d* the remote peer. IG's accept
        // record has src = the local socket, dst = the peer as well.
        ev.net = {
          proto: num(dst.proto) === 17 ? 'udp' : 'tcp',
          family,
          saddr,
          sport: num(src.port) ?? 0,
          daddr,
          dport: num(dst.port) ?? 0,
        };
        if (ret !== undefined) ev.ret = ret;
        return [ev];
      }
      case 'dns': {
        const qr = o.qr;
        const isResponse = qr === 1 || qr === 'R';
        if (isResponse) {
          const ans =
            hexAddr(o.anaddr) ??
            (Array.isArray(o.addresses) ? o.addresses.filter((a) => typeof a === 'string').join(',') : undefined);
          return { skip: `DNS response${ans ? ` (${str(o.name) ?? ''} → ${ans})` : ''}: the query is imported` };
        }
        const name = str(o.name);
        ev.kind = 'dns';
        const dst = obj(o.dst);
        ev.dns = compact({
          query: name ? name.replace(/\.$/, '') : undefined,
          server: str(o.nameserver) ?? str(dst?.addr) ?? '',
          serverPort: num(dst?.port) ?? 53,
        });
        return [ev];
      }
      case 'network': {
        const dst = o.dst as Obj;
        const peer = str(dst.addr);
        const podIp = str(o.podIP) ?? '';
        if (!peer) return { skip: 'network record without a peer address' };
        const pkt = str(o.pktType);
        const proto = /udp/i.test(String(o.proto)) ? 'udp' : 'tcp';
        const port = num(o.port) ?? 0;
        const family = peer.includes(':') ? 6 : 4;
        if (pkt === 'OUTGOING') {
          ev.kind = 'connect';
          ev.net = { proto, family, saddr: podIp, sport: 0, daddr: peer, dport: port };
        } else {
          ev.kind = 'accept';
          ev.net = { proto, family, saddr: podIp, sport: port, daddr: peer, dport: 0 };
        }
        return [ev];
      }
    }
  },
};

/** Pod facts from a record for the inventory (labels, IP). */
export function igPodExtra(raw: Obj): { labels?: Record<string, string>; ip?: string } {
  const o = unwrap(raw);
  const k8s = obj(o.k8s);
  const out: { labels?: Record<string, string>; ip?: string } = {};
  const l = k8s?.podLabels ?? o.podLabels;
  if (typeof l === 'string' && l) {
    const m: Record<string, string> = {};
    for (const kv of l.split(',')) {
      const i = kv.indexOf('=');
      if (i > 0 && !['__proto__', 'constructor', 'prototype'].includes(kv.slice(0, i)))
        m[kv.slice(0, i)] = kv.slice(i + 1);
    }
    out.labels = m;
  } else if (isObj(l)) {
    const m: Record<string, string> = {};
    for (const [k, v] of Object.entries(l)) if (typeof v === 'string') m[k] = v;
    out.labels = m;
  }
  if (str(o.podIP)) out.ip = str(o.podIP);
  return out;
}

// ---------------------------------------------------------------- column table

/** Is this text `kubectl gadget trace exec` column output? */
export function isColumnTable(firstLine: string): boolean {
  return /^\s*(K8S\.NODE|NODE)\s+.*\bCOMM\b.*\bPID\b/.test(firstLine);
}

/**
 * `kubectl gadget trace exec` columns → records shaped like the JSON ones. ARGS is the only
 * column whose values contain spaces, so a row is split on whitespace: the columns before ARGS
 * from the left, the ones after it from the right (ERR is usually empty and then absent), and
 * ARGS is what is left in the middle.
 */
export function parseColumns(text: string): { records: Obj[]; skipped: { line: number; reason: string }[] } {
  const lines = text.split(/\r?\n/);
  const cols = (lines[0] ?? '')
    .trim()
    .split(/\s+/)
    .map((c) => c.replace(/…$/, ''));
  const argsAt = cols.indexOf('ARGS');
  const before = argsAt >= 0 ? cols.slice(0, argsAt) : cols;
  const after = argsAt >= 0 ? cols.slice(argsAt + 1).filter((c) => c !== 'ERR') : [];
  const records: Obj[] = [];
  const skipped: { line: number; reason: string }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const tok = line.trim().split(/\s+/);
    if (tok.length < before.length + after.length) {
      skipped.push({
        line: i + 1,
        reason: `column row with ${tok.length} fields, expected at least ${before.length + after.length}`,
      });
      continue;
    }
    const v = new Map<string, string>();
    before.forEach((c, j) => v.set(c, tok[j]!));
    after.forEach((c, j) => v.set(c, tok[tok.length - after.length + j]!));
    const get = (n: string) => v.get(n) ?? '';
    let args = tok.slice(before.length, tok.length - after.length).join(' ');
    const pid = Number(get('PID'));
    if (!Number.isInteger(pid) || pid <= 0) {
      skipped.push({ line: i + 1, reason: 'column row without a numeric PID' });
      continue;
    }
    const truncated = args.endsWith('…');
    if (truncated) args = args.slice(0, -1);
    const user = get('USER');
    records.push({
      k8s: {
        node: get('K8S.NODE') || get('NODE'),
        namespace: get('K8S.NAMESPACE') || get('NAMESPACE'),
        podName: get('K8S.PODNAME') || get('POD'),
        containerName: get('K8S.CONTAINERNAME') || get('CONTAINER'),
      },
      proc: {
        comm: get('COMM'),
        pid,
        tid: Number(get('TID')) || pid,
        parent: { comm: get('PCOMM'), pid: Number(get('PPID')) || undefined },
        creds: user === 'root' ? { uid: 0 } : /^uid:\d+$/.test(user) ? { uid: Number(user.slice(4)) } : {},
      },
      args,
      args_truncated: truncated,
      exepath: args.startsWith('/') ? args.split(' ')[0] : undefined,
    });
  }
  return { records, skipped };
}

/** Column records are exec records; argsTruncated is carried over. */
export function convertColumnRecord(r: Obj, ctx: ConvertContext): Converted {
  const out = ig.convert(r, ctx);
  if (Array.isArray(out)) for (const ev of out) if (r.args_truncated === true && ev.proc) ev.proc.argsTruncated = true;
  return out;
}
