/**
 * Falco alert JSON (`json_output: true`, falcosidekick payloads) → Lantern events.
 *
 * Every alert becomes an 'alert' event (rule, priority, output text, tags) so the analyst sees
 * what Falco said. When the alert's output fields describe the behaviour behind it, that
 * behaviour is imported as well, just before the alert:
 *   evt.type execve/execveat, or (no evt.type, no fd.name) a rule whose name is about starting
 *     a program (shell, spawn, exec, launch, run, ...) and that is not tagged `filesystem` → exec
 *   fd.name "cip:cport->sip:sport" (or fd.cip/fd.sip...)                       → connect
 *     (accept when evt.type is accept*)
 *   fd.name an absolute path with evt.type open*, creat, or no evt.type        → open
 * Falco prints only the fields in the rule's template: no pid in most rules, so a synthetic
 * negative pid stands in (stable per node+container+program, see syntheticPid). `container.id`
 * is Falco's 12-hex short id; the enricher and the graph join it as a prefix.
 * k8s_audit alerts have no process: they are imported as alerts on the node.
 */
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
  podRef,
  str,
  syntheticPid,
  type Converted,
  type Converter,
  type Obj,
} from './common';

const CONN = /^\[?([0-9a-fA-F.:]+?)\]?:(\d+)->\[?([0-9a-fA-F.:]+?)\]?:(\d+)$/;
const SPAWN_RULE = /shell|spawn|exec|launch|run|start|interpreter|binary|program|process/i;

function field(f: Obj, k: string): unknown {
  return Object.hasOwn(f, k) ? f[k] : undefined;
}

export const falco: Converter = {
  tool: 'falco',
  detect(o) {
    if (!isObj(o)) return 0;
    const hasRule = typeof o.rule === 'string';
    const hasOut = typeof o.output === 'string';
    if (hasRule && hasOut && (isObj(o.output_fields) || typeof o.priority === 'string')) return 1;
    return hasRule && hasOut ? 0.6 : 0;
  },
  convert(o, ctx): Converted {
    const rule = str(o.rule);
    if (!rule) return { skip: 'Falco alert without a rule' };
    const f = obj(o.output_fields) ?? {};
    // The top-level time is RFC 3339; evt.time is epoch ns (µs in some sidekick test payloads).
    const time =
      anyTimeNs(o.time, ctx) ??
      anyTimeNs(field(f, 'evt.time'), ctx) ??
      anyTimeNs(field(f, 'evt.time.iso8601'), ctx) ??
      orderTime(ctx);
    const node = str(o.hostname) ?? ctx.defaultNode;
    const tags = Array.isArray(o.tags) ? o.tags.filter((t): t is string => typeof t === 'string') : undefined;
    const alert: LanternEvent = {
      kind: 'alert',
      time,
      node,
      source: 'falco',
      alert: compact({ tool: 'falco' as const, rule, priority: str(o.priority), output: str(o.output), tags }),
    };

    const cmdline = str(field(f, 'proc.cmdline'));
    const name = str(field(f, 'proc.name')) ?? (cmdline ? commOf(cmdline.split(' ')[0]!) : undefined);
    const exe = str(field(f, 'proc.exepath'));
    const cidRaw = str(field(f, 'container.id'));
    const cid = cidRaw && cidRaw !== 'host' ? containerId(cidRaw) : undefined;
    if (cid) alert.container = { id: cid };
    const repo = str(field(f, 'container.image.repository'));
    const tag = str(field(f, 'container.image.tag'));
    const pod = podRef(field(f, 'k8s.pod.name'), field(f, 'k8s.ns.name'), {
      container: str(field(f, 'container.name')),
      image: repo ? (tag ? `${repo}:${tag}` : repo) : undefined,
    });
    if (pod) alert.pod = pod;

    if (name || exe || num(field(f, 'proc.pid')) !== undefined) {
      const pid = num(field(f, 'proc.pid')) ?? syntheticPid(node, cid, exe ?? name);
      alert.proc = compact({
        pid,
        start: 0,
        ppid: num(field(f, 'proc.ppid')),
        uid: num(field(f, 'user.uid')),
        comm: (name ?? commOf(exe ?? '')).slice(0, 15),
        exe,
        args: cmdline ? cmdline.split(' ').filter((a) => a !== '') : undefined,
      });
    }
    if (!alert.proc) return [alert];

    const etype = str(field(f, 'evt.type'));
    const fd = str(field(f, 'fd.name'));
    const behaviour: LanternEvent = { ...alert, proc: { ...alert.proc } };
    delete behaviour.alert;
    const conn = fd ? CONN.exec(fd) : null;
    const cip = str(field(f, 'fd.cip')) ?? conn?.[1];
    const sip = str(field(f, 'fd.sip')) ?? str(field(f, 'fd.rip')) ?? conn?.[3];
    if (cip && sip) {
      const daddr = sip;
      behaviour.kind = etype?.startsWith('accept') ? 'accept' : 'connect';
      const cport = num(field(f, 'fd.cport')) ?? Number(conn?.[2] ?? 0);
      const sport = num(field(f, 'fd.sport')) ?? num(field(f, 'fd.rport')) ?? Number(conn?.[4] ?? 0);
      const proto = /udp/i.test(String(field(f, 'fd.l4proto') ?? '')) ? 'udp' : 'tcp';
      const family = daddr.includes(':') ? 6 : 4;
      behaviour.net =
        behaviour.kind === 'accept'
          ? { proto, family, saddr: sip, sport, daddr: cip, dport: cport }
          : { proto, family, saddr: cip, sport: cport, daddr, dport: sport };
      return [behaviour, alert];
    }
    if (fd && fd.startsWith('/') && (!etype || /^(open|openat|openat2|creat)$/.test(etype))) {
      behaviour.kind = 'open';
      behaviour.file = compact({ path: fd, write: etype === 'creat' ? true : undefined });
      return [behaviour, alert];
    }
    const spawned = etype
      ? /^execve(at)?$/.test(etype)
      : !fd && SPAWN_RULE.test(rule) && (tags === undefined || !tags.includes('filesystem'));
    if (spawned) {
      behaviour.kind = 'exec';
      return [behaviour, alert];
    }
    return [alert];
  },
};
