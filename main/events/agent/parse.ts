/**
 * Lantern agent stdout → normalised LanternEvent[].
 * Lines are at most 8 KiB (agent 0.2): a large aggregate map comes as several "map" lines
 * with a subset of the entries each; "oversize" names a line the agent had to drop.
 *
 * One parser per node stream; keep it across log-stream resumes (it holds the cgroup
 * id → path table, the boot-time offset, pending exec arguments and the last seq).
 * Line format (native/agent/lantern-agent): {"seq":N,"type":T,"data":D}
 *   T = bpftrace -f json types ("value" = print() of a tuple, "map", "printf",
 *       "lost_events", "attached_probes") or the agent's ("status", "cg", "proc",
 *       "sock", "stderr", "text").
 * Everything in a line is attacker-influenced text: never trusted for structure beyond
 * JSON.parse of a length-limited line; unknown shapes become an error string, not a throw.
 */
import { parseCgroupPath, type LanternEvent, type ProcessInfo, type ContainerInfo } from '../../common/events';

export const MAX_LINE = 16 * 1024 * 1024;

type Tuple = unknown[];

/** bpftrace 0.17 writes each byte >= 0x80 of a string as \uffffffXX; restore the bytes, then decode UTF-8. */
export function restoreBytes(s: string): string {
  if (!s.includes('\uffff')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0xffff && /^ff[0-9a-f]{2}/.test(s.slice(i + 1, i + 5))) {
      bytes.push(parseInt(s.slice(i + 3, i + 5), 16));
      i += 4;
    } else {
      const enc = new TextEncoder().encode(s[i]!);
      for (const b of enc) bytes.push(b);
    }
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(bytes));
}

function str(v: unknown): string {
  return typeof v === 'string' ? restoreBytes(v) : '';
}
function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** An address as the agent prints it (c4/a4/l4: one u32, c6/a6/l6: four u32, in the kernel's byte order) → text. */
export function decodeRawAddr(words: unknown[], v: 4 | 6): string {
  const hex = words.map((w) => (num(w) >>> 0).toString(16).padStart(8, '0')).join('');
  return decodeProcNetAddr(`${hex}:0`, v)[0];
}

/** /proc/net/tcp hex address ("0100007F:1F90") → [ip, port]. */
export function decodeProcNetAddr(hex: string, v: 4 | 6): [string, number] {
  const [a = '', p = '0'] = hex.split(':');
  const port = parseInt(p, 16) || 0;
  if (v === 4) {
    const n = parseInt(a, 16) >>> 0;
    return [[n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.'), port];
  }
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = a.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16) || 0);
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    return [`::ffff:${bytes.slice(12).join('.')}`, port];
  }
  // compress the longest run of zero groups
  let best = -1,
    bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return [groups.join(':'), port];
  return [`${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`, port];
}

/** DNS wire-format name (length-prefixed labels, as the agent prints it) → dotted name. */
export function decodeDnsName(raw: string): string {
  const labels: string[] = [];
  let i = 0;
  while (i < raw.length) {
    const len = raw.charCodeAt(i);
    if (len === 0 || len > 63) break;
    labels.push(raw.slice(i + 1, i + 1 + len));
    i += 1 + len;
  }
  return labels.join('.');
}

/** "/a/./b/../c" → "/a/c" (lexically: the kernel resolved the real thing). */
export function normalisePath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** The start status's words on coverage: missing tracepoints and how module loads are watched. */
function startMessage(d: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  if (d.modules === 'raw_syscalls')
    parts.push(
      d.moduleSyscalls === 'absent'
        ? 'kernel module loads watched through raw_syscalls (this kernel has no module support: every load fails with ENOSYS, but attempts are reported)'
        : 'kernel module loads watched through raw_syscalls (this kernel has no per-syscall module tracepoints)',
    );
  else if (d.modules === 'none' && d.phase === 'start')
    parts.push(
      d.moduleSyscalls === 'absent'
        ? 'this kernel has no module support, so no module can be loaded; load attempts are not watched (capture option "module attempts" watches them, at a cost on every syscall)'
        : 'kernel module loads are not watched on this node',
    );
  if (Array.isArray(d.missing) && d.missing.length)
    parts.push(`tracepoints missing on this kernel: ${d.missing.map(str).join(', ')}`);
  return parts.length ? parts.join('; ') : undefined;
}

interface PendingArgs {
  t: number;
  args: string[];
}

export class AgentStreamParser {
  private readonly node: string;
  private seq: number | undefined;
  private bootNs = 0;
  private readonly cgroups = new Map<number, string>();
  private readonly args = new Map<number, PendingArgs>();
  private readonly exe = new Map<number, string>();
  /** Events waiting for their syscall's result ("sret"), by thread id, with the tick they were seen at. */
  private readonly awaiting = new Map<number, { e: LanternEvent; tick: number }>();
  private readonly sret = new Map<number, number>();
  private readonly renameFrom = new Map<number, string>();
  private readonly cwdParts = new Map<number, string[]>();
  private readonly cwd = new Map<number, { cwd: string; truncated: boolean }>();
  /** Each process's working directory as last known (exec, snapshot, chdir), to resolve relative opens. */
  private readonly procCwd = new Map<number, string>();
  private ticks = 0;
  private readonly mountExtra = new Map<number, { source?: string; fstype?: string }>();
  private readonly dnsPending = new Map<number, LanternEvent>();
  private readonly procs = new Map<number, { comm: string; start: number; exe?: string }>();
  private strlen = 127;
  /** Aggregated open keys carry the write bit (agent 0.2 and later). */
  private aggWriteBit = true;
  /** Last CLOCK_MONOTONIC ns seen in the stream, and the agent's start (epoch ns). */
  private lastNs = 0;
  private startedNs = 0;

  constructor(opts: { node: string }) {
    this.node = opts.node;
  }

  get lastSeq(): number | undefined {
    return this.seq;
  }

  parseLine(line: string, lineNo?: number): { events: LanternEvent[]; error?: string } {
    const where = lineNo !== undefined ? `line ${lineNo}` : 'line';
    if (line.length > MAX_LINE) return { events: [], error: `${where}: longer than ${MAX_LINE} characters, skipped` };
    const trimmed = line.trim();
    if (trimmed === '') return { events: [] };
    let o: unknown;
    try {
      o = JSON.parse(trimmed);
    } catch {
      return { events: [], error: `${where}: not a JSON object (${JSON.stringify(trimmed.slice(0, 60))}…)` };
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o))
      return { events: [], error: `${where}: not a JSON object` };
    const rec = o as Record<string, unknown>;
    const seq = rec.seq;
    const out: LanternEvent[] = [];
    if (typeof seq !== 'number' || !Number.isInteger(seq)) return { events: [], error: `${where}: no sequence number` };
    if (this.seq !== undefined && seq <= this.seq) return { events: [] }; // duplicate after a resume
    if (this.seq !== undefined && seq > this.seq + 1) {
      out.push(
        this.agentEvent(
          'agent.lost',
          {
            lost: seq - this.seq - 1,
            message: `gap in the agent's output: ${seq - this.seq - 1} line(s) missing after seq ${this.seq}`,
          },
          seq,
        ),
      );
    }
    this.seq = seq;
    try {
      const err = this.dispatch(rec, seq, out);
      return err ? { events: out, error: `${where}: ${err}` } : { events: out };
    } catch (e) {
      return { events: out, error: `${where}: unreadable record (${(e as Error).message})` };
    }
  }

  private time(ns: number): number {
    return this.bootNs + ns;
  }

  /** Time for records that carry none (snapshot, aggregated opens): the stream's latest. */
  private now(): number {
    if (this.lastNs > 0 && this.bootNs > 0) return this.time(this.lastNs);
    return this.startedNs || Date.now() * 1e6;
  }

  private agentEvent(
    kind: 'agent.status' | 'agent.lost',
    agent: LanternEvent['agent'],
    seq: number,
    ns?: number,
  ): LanternEvent {
    return {
      kind,
      time: ns !== undefined ? this.time(ns) : this.now(),
      node: this.node,
      seq,
      source: 'lantern',
      agent,
    };
  }

  private container(cgid: number): ContainerInfo {
    const path = this.cgroups.get(cgid);
    return path !== undefined ? parseCgroupPath(path) : { cgroup: `cgroup-id:${cgid}` };
  }

  /** Common prefix: [tag, t, pid, tid, ppid, uid, gid, start, pstart, cgid, comm, ...] */
  private base(kind: LanternEvent['kind'], d: Tuple, seq: number): LanternEvent {
    const pid = num(d[2]);
    const proc: ProcessInfo = {
      pid,
      start: num(d[7]),
      ppid: num(d[4]),
      pstart: num(d[8]),
      uid: num(d[5]),
      gid: num(d[6]),
      comm: str(d[10]),
    };
    if (num(d[1]) > this.lastNs) this.lastNs = num(d[1]);
    const known = this.procs.get(pid);
    if (known && known.start === proc.start && known.exe) proc.exe = known.exe;
    return {
      kind,
      time: this.time(num(d[1])),
      node: this.node,
      seq,
      source: 'lantern',
      proc,
      container: this.container(num(d[9])),
    };
  }

  private dispatch(rec: Record<string, unknown>, seq: number, out: LanternEvent[]): string | undefined {
    const type = rec.type;
    const data = rec.data;
    switch (type) {
      case 'status': {
        const d = (data ?? {}) as Record<string, unknown>;
        if (typeof d.bootTimeNs === 'number') this.bootNs = d.bootTimeNs;
        if (typeof d.startedNs === 'number') this.startedNs = d.startedNs;
        // agents before 0.2 keyed aggregated opens without the write bit (images mirrored
        // into air-gapped registries lag behind the laptop)
        if (typeof d.agentVersion === 'string') this.aggWriteBit = !/^0\.[01]\./.test(d.agentVersion);
        const phase = d.phase === 'start' || d.phase === 'stop' || d.phase === 'tick' ? d.phase : undefined;
        out.push(
          this.agentEvent(
            'agent.status',
            {
              phase,
              kernel: str(d.kernel) || undefined,
              bpftrace: str(d.bpftrace) || undefined,
              agentVersion: str(d.agentVersion) || undefined,
              probes: Array.isArray(d.probes) ? d.probes.map(str) : undefined,
              bootTimeNs: typeof d.bootTimeNs === 'number' ? d.bootTimeNs : undefined,
              modules:
                d.modules === 'tracepoints' || d.modules === 'raw_syscalls' || d.modules === 'none'
                  ? d.modules
                  : undefined,
              message: d.phase === 'error' ? `agent error: ${str(d.message)}` : startMessage(d),
            },
            seq,
          ),
        );
        return;
      }
      case 'cg': {
        const d = (data ?? {}) as Record<string, unknown>;
        this.cgroups.set(num(d.id), str(d.path));
        return;
      }
      case 'printf': {
        const m = /^cg (\d+) (?:unified:)?(.*)$/s.exec(str(data));
        if (m) this.cgroups.set(Number(m[1]), m[2]!);
        return;
      }
      case 'proc': {
        const d = (data ?? {}) as Record<string, unknown>;
        const proc: ProcessInfo = {
          pid: num(d.pid),
          start: num(d.start),
          ppid: num(d.ppid),
          uid: num(d.uid),
          gid: num(d.gid),
          comm: str(d.comm),
          exe: str(d.exe) || undefined,
          args: Array.isArray(d.args) ? d.args.map(str) : undefined,
          ...(d.argsTruncated === true ? { argsTruncated: true } : {}),
          ...(typeof d.cwd === 'string' && d.cwd.startsWith('/') ? { cwd: str(d.cwd) } : {}),
        };
        this.setCwd(proc.pid, proc.cwd);
        this.procs.set(proc.pid, { comm: proc.comm, start: proc.start, exe: proc.exe });
        out.push({
          kind: 'snapshot.proc',
          time: this.now(),
          node: this.node,
          seq,
          source: 'lantern',
          proc,
          container: parseCgroupPath(str(d.cgroup)),
        });
        return;
      }
      case 'sock': {
        const d = (data ?? {}) as Record<string, unknown>;
        const v = d.v === 6 ? 6 : 4;
        const [saddr, sport] = decodeProcNetAddr(str(d.local), v);
        const [daddr, dport] = decodeProcNetAddr(str(d.remote), v);
        const pid = num(d.pid);
        const p = this.procs.get(pid);
        out.push({
          kind: 'snapshot.sock',
          time: this.now(),
          node: this.node,
          seq,
          source: 'lantern',
          proc: { pid, start: num(d.start), comm: p?.comm ?? '', exe: p?.exe },
          net: { proto: 'tcp', family: v, saddr, sport, daddr, dport },
        });
        return;
      }
      case 'oversize': {
        // the agent's writer keeps every line short; what it could not shorten it names here
        const d = (data ?? {}) as Record<string, unknown>;
        out.push(
          this.agentEvent(
            'agent.lost',
            {
              lost: 1,
              message: `the agent dropped a ${num(d.bytes)}-byte ${JSON.stringify(str(d.type).slice(0, 40))} line (over its line-length bound)`,
            },
            seq,
          ),
        );
        return;
      }
      case 'stderr':
        out.push(this.agentEvent('agent.status', { message: `bpftrace: ${str(data)}` }, seq));
        return;
      case 'lost_events': {
        const d = (data ?? {}) as Record<string, unknown>;
        out.push(
          this.agentEvent(
            'agent.lost',
            { lost: num(d.events), message: 'events dropped by the kernel (perf buffer full)' },
            seq,
          ),
        );
        return;
      }
      case 'attached_probes':
        out.push(
          this.agentEvent(
            'agent.status',
            { message: `probes attached: ${num((data as Record<string, unknown>)?.probes)}` },
            seq,
          ),
        );
        return;
      case 'map':
        return this.map((data ?? {}) as Record<string, unknown>, seq, out);
      case 'value':
        if (Array.isArray(data)) return this.tuple(data, seq, out);
        return 'value record without a tuple';
      case 'text':
        out.push(this.agentEvent('agent.status', { message: `agent: ${str(data)}` }, seq));
        return;
      default:
        return `unknown record type ${JSON.stringify(String(type)).slice(0, 40)}`;
    }
  }

  private lastOpenTotal = new Map<string, number>();
  private lastOpenSum = new Map<string, number>();

  // ---- net: folded repeats of connect/accept (agent net.bt, @ccN/@acN) ----
  /** The last full connect/accept printed per fold key, to stand for the key's repeats. */
  private readonly netFirst = new Map<string, LanternEvent>();

  /** Fold key as the agent writes it: cgroup,pid,family*256+proto,[ret,]port,addr words (4). */
  private rememberNet(d: Tuple, isConn: boolean, v: 4 | 6, w: number, o: number, e: LanternEvent): void {
    const words = d.slice(o + 3 + w, o + 3 + 2 * w).map((x) => num(x));
    while (words.length < 4) words.push(0);
    const fp = (v === 6 ? 10 : 2) * 256 + num(d[o]);
    const key = isConn
      ? `c:${num(d[9])},${num(d[2])},${fp},${num(d[11])},${num(d[o + 2])},${words.join(',')}`
      : `a:${num(d[9])},${num(d[2])},${fp},${num(d[o + 1])},${words.join(',')}`;
    this.netFirst.delete(key); // re-insert: trimmed oldest first
    this.netFirst.set(key, e);
    if (this.netFirst.size > 65536) this.netFirst.delete(this.netFirst.keys().next().value!);
  }

  /** A count map of folded connects (@ccN) or accepts (@acN) → one event per key with net.repeats. */
  private netRepeats(isConn: boolean, v: Record<string, unknown>, seq: number, out: LanternEvent[]): void {
    const re = isConn
      ? /^(\d+),(\d+),(\d+),(-?\d+),(\d+),(\d+),(\d+),(\d+),(\d+)$/
      : /^(\d+),(\d+),(\d+)(),(\d+),(\d+),(\d+),(\d+),(\d+)$/;
    for (const key of Object.keys(v)) {
      const m = re.exec(key);
      // the entry counts c folded connections; its event stands for one of them plus
      // `repeats` more (NetPayload.repeats: 1 + repeats connections per event)
      const c = num(v[key]);
      if (!m || c < 1 || !Number.isInteger(c)) continue;
      const repeats = c - 1;
      const first = this.netFirst.get((isConn ? 'c:' : 'a:') + key);
      if (first?.net) {
        out.push({
          ...first,
          seq,
          time: this.now(),
          proc: first.proc ? { ...first.proc } : undefined,
          container: first.container ? { ...first.container } : undefined,
          net: repeats > 0 ? { ...first.net, repeats } : { ...first.net },
        });
        continue;
      }
      // the full event is not known (parser started after it, or forgotten): what the key says
      const cg = Number(m[1]);
      const pid = Number(m[2]);
      const fp = Number(m[3]);
      const fam = fp >> 8 === 10 ? 6 : 4;
      const addr = decodeRawAddr(fam === 6 ? [m[6], m[7], m[8], m[9]].map(Number) : [Number(m[6])], fam);
      const port = Number(m[5]);
      const p = this.procs.get(pid);
      const e: LanternEvent = {
        kind: isConn ? 'connect' : 'accept',
        time: this.now(),
        node: this.node,
        seq,
        source: 'lantern',
        proc: { pid, start: p?.start ?? 0, comm: p?.comm ?? '', exe: p?.exe },
        container: this.container(cg),
        net: {
          proto: (fp & 255) === 17 ? 'udp' : 'tcp',
          family: fam,
          saddr: '',
          sport: isConn ? 0 : port,
          daddr: addr,
          dport: isConn ? port : 0,
          ...(repeats > 0 ? { repeats } : {}),
        },
      };
      if (isConn) e.ret = Number(m[4]);
      out.push(e);
    }
  }
  // ---- end net ----

  private map(d: Record<string, unknown>, seq: number, out: LanternEvent[]): string | undefined {
    for (const name of Object.keys(d)) {
      const v = d[name];
      if ((name === '@cc0' || name === '@cc1' || name === '@ac0' || name === '@ac1') && v && typeof v === 'object') {
        this.netRepeats(name[1] === 'c', v as Record<string, unknown>, seq, out);
      } else if (name === '@n' && v && typeof v === 'object') {
        const counters: Record<string, number> = Object.create(null);
        for (const k of Object.keys(v)) counters[k] = num((v as Record<string, unknown>)[k]);
        out.push(this.agentEvent('agent.status', { phase: 'tick', counters }, seq));
      } else if ((name === '@o0' || name === '@o1') && v && typeof v === 'object') {
        // keys "cgroup,pid,write,path" (path last: it may contain commas); fold per
        // directory, writes apart from reads. The agent may split one map into several
        // lines (bounded line length): the sums add up until the total (@otN) comes.
        const agg = new Map<string, { cg: number; pid: number; dir: string; write: boolean; count: number }>();
        let sum = 0;
        for (const key of Object.keys(v)) {
          const m = this.aggWriteBit ? /^(\d+),(\d+),([01]),(.*)$/s.exec(key) : /^(\d+),(\d+),()(.*)$/s.exec(key);
          if (!m) continue;
          const count = num((v as Record<string, unknown>)[key]);
          sum += count;
          let path = restoreBytes(m[4]!);
          // a relative path is resolved against the process's working directory when known
          // (as of this flush: a chdir since the open would mislead, rare for one process)
          if (!path.startsWith('/')) {
            const cwd = this.procCwd.get(Number(m[2]));
            if (cwd) path = normalisePath(`${cwd}/${path}`);
          }
          const cut = path.lastIndexOf('/');
          const dir = cut > 0 ? path.slice(0, cut) : cut === 0 ? '/' : '.';
          const id = `${m[1]},${m[2]},${m[3]},${dir}`;
          const a = agg.get(id);
          if (a) a.count += count;
          else agg.set(id, { cg: Number(m[1]), pid: Number(m[2]), dir, write: m[3] === '1', count });
        }
        const which = name.slice(2);
        this.lastOpenSum.set(which, (this.lastOpenSum.get(which) ?? 0) + sum);
        for (const a of agg.values()) {
          const p = this.procs.get(a.pid);
          out.push({
            kind: 'open',
            time: this.now(),
            node: this.node,
            seq,
            source: 'lantern',
            proc: { pid: a.pid, start: p?.start ?? 0, comm: p?.comm ?? '', exe: p?.exe },
            container: this.container(a.cg),
            file: { path: a.dir, aggregated: true, count: a.count, ...(a.write ? { write: true } : {}) },
          });
        }
      } else if ((name === '@ot0' || name === '@ot1') && typeof v === 'number') {
        const which = name.slice(3);
        const sum = this.lastOpenSum.get(which) ?? 0;
        if (v > sum)
          out.push(
            this.agentEvent(
              'agent.lost',
              { lost: v - sum, message: 'open aggregation map full: opens counted but not attributed' },
              seq,
            ),
          );
        this.lastOpenSum.set(which, 0);
        this.lastOpenTotal.set(which, v);
      }
    }
    return;
  }

  private setCwd(pid: number, cwd: string | undefined): void {
    if (cwd === undefined) {
      this.procCwd.delete(pid);
      return;
    }
    this.procCwd.delete(pid); // re-insert: the map is trimmed oldest first
    this.procCwd.set(pid, cwd);
    if (this.procCwd.size > 65536) this.procCwd.delete(this.procCwd.keys().next().value!);
  }

  /** Hold an event until its syscall's result arrives (or was already seen). */
  private await(tid: number, e: LanternEvent, out: LanternEvent[]): void {
    const prev = this.awaiting.get(tid);
    if (prev) out.push(prev.e); // its result never came: report it without one
    const r = this.sret.get(tid);
    if (r !== undefined) {
      this.sret.delete(tid);
      e.ret = r;
      out.push(e);
      return;
    }
    this.awaiting.set(tid, { e, tick: this.ticks });
  }

  /** On every tick, report events whose result has not come for a whole tick (never hold one forever). */
  private flushAwaiting(all: boolean, out: LanternEvent[]): void {
    this.ticks++;
    for (const [tid, a] of this.awaiting) {
      if (all || a.tick < this.ticks - 1) {
        this.awaiting.delete(tid);
        out.push(a.e);
      }
    }
  }

  private tuple(d: Tuple, seq: number, out: LanternEvent[]): string | undefined {
    const tag = d[0];
    switch (tag) {
      case 'begin':
      case 'end':
      case 'tick':
        if (num(d[1]) > this.lastNs) this.lastNs = num(d[1]);
        this.flushAwaiting(tag === 'end', out);
        return;
      case 'arg': {
        const tid = num(d[1]);
        const t = num(d[2]);
        let p = this.args.get(tid);
        if (!p || p.t !== t) {
          p = { t, args: [] };
          this.args.set(tid, p);
        }
        p.args[num(d[3])] = str(d[4]);
        if (this.args.size > 4096) this.args.delete(this.args.keys().next().value!);
        return;
      }
      case 'execfail':
        this.args.delete(num(d[1]));
        return;
      case 'exe':
        this.exe.set(num(d[1]), str(d[2]));
        return;
      case 'cwd': {
        // components leaf first, for the exec of this pid that follows
        const pid = num(d[1]);
        const i = num(d[2]);
        let c = this.cwdParts.get(pid);
        if (!c || i === 0) {
          c = [];
          this.cwdParts.set(pid, c);
          if (this.cwdParts.size > 4096) this.cwdParts.delete(this.cwdParts.keys().next().value!);
        }
        if (i < 64) c[i] = str(d[3]);
        return;
      }
      case 'chdir': {
        const pid = num(d[1]);
        const to = str(d[2]);
        const from = this.procCwd.get(pid);
        this.setCwd(pid, to.startsWith('/') ? normalisePath(to) : from ? normalisePath(`${from}/${to}`) : undefined);
        return;
      }
      case 'cwdend': {
        const pid = num(d[1]);
        const n = num(d[2]);
        const parts = (this.cwdParts.get(pid) ?? []).slice(0, n);
        this.cwdParts.delete(pid);
        // a component at the string limit may have been cut by the probe
        const cut =
          num(d[3]) !== 0 || parts.length < n || parts.some((p) => p === undefined || p.length >= this.strlen);
        const path = parts.reverse().join('/');
        this.cwd.set(pid, { cwd: cut ? `…/${path}` : `/${path}`, truncated: cut });
        if (this.cwd.size > 4096) this.cwd.delete(this.cwd.keys().next().value!);
        return;
      }
      case 'exec': {
        const e = this.base('exec', d, seq);
        const oldTid = num(d[11]);
        const t = num(d[12]);
        const packed = num(d[13]);
        const argc = packed & 0xffff;
        const more = (packed >> 16) & 1;
        const filename = str(d[14]);
        const p = this.args.get(oldTid);
        this.args.delete(oldTid);
        const args = p && p.t === t ? p.args.slice(0, argc) : [];
        const exeName = this.exe.get(e.proc!.pid);
        this.exe.delete(e.proc!.pid);
        e.proc!.exe = filename;
        const cwd = this.cwd.get(e.proc!.pid);
        this.cwd.delete(e.proc!.pid);
        if (cwd) {
          e.proc!.cwd = cwd.cwd;
          if (cwd.truncated) e.proc!.cwdTruncated = true;
        }
        this.setCwd(e.proc!.pid, cwd && !cwd.truncated ? cwd.cwd : undefined);
        e.proc!.args = args.map((a) => a ?? '');
        if (more || args.length < argc || args.some((a) => a === undefined || a.length >= this.strlen))
          e.proc!.argsTruncated = true;
        this.procs.set(e.proc!.pid, { comm: e.proc!.comm, start: e.proc!.start, exe: filename });
        out.push(e);
        if (exeName?.startsWith('memfd:')) {
          out.push({ ...this.base('memfd', d, seq), memfd: { name: exeName.slice(6) }, file: { path: filename } });
        }
        return;
      }
      case 'exit': {
        const e = this.base('exit', d, seq);
        const raw = num(d[11]);
        e.exit = { code: (raw >> 8) & 0xff, signal: raw & 0x7f || undefined };
        out.push(e);
        return;
      }
      case 'memfd': {
        const e = this.base('memfd', d, seq);
        e.memfd = { name: str(d[12]), flags: num(d[11]) };
        out.push(e);
        return;
      }
      case 'conn4':
      case 'conn6':
      case 'acc4':
      case 'acc6': {
        const isConn = tag === 'conn4' || tag === 'conn6';
        const e = this.base(isConn ? 'connect' : 'accept', d, seq);
        const o = isConn ? 12 : 11;
        if (isConn) e.ret = num(d[11]);
        const proto = num(d[o]) === 17 ? 'udp' : 'tcp';
        const sport = num(d[o + 1]);
        const dport = num(d[o + 2]);
        e.net = { proto, family: tag.endsWith('6') ? 6 : 4, saddr: str(d[o + 3]), sport, daddr: str(d[o + 4]), dport };
        // a UDP connect to port 53 stays a connect: the query itself comes as a dns event
        out.push(e);
        return;
      }
      case 'c4':
      case 'c6':
      case 'a4':
      case 'a6': {
        // same as conn4/acc4 below, with addresses as numbers (formatted here, not in the agent)
        const isConn = tag[0] === 'c';
        const v = tag[1] === '6' ? 6 : 4;
        const e = this.base(isConn ? 'connect' : 'accept', d, seq);
        const o = isConn ? 12 : 11;
        if (isConn) e.ret = num(d[11]);
        const w = v === 6 ? 4 : 1;
        e.net = {
          proto: num(d[o]) === 17 ? 'udp' : 'tcp',
          family: v,
          saddr: decodeRawAddr(d.slice(o + 3, o + 3 + w), v),
          sport: num(d[o + 1]),
          daddr: decodeRawAddr(d.slice(o + 3 + w, o + 3 + 2 * w), v),
          dport: num(d[o + 2]),
        };
        this.rememberNet(d, isConn, v, w, o, e);
        out.push(e);
        return;
      }
      case 'l4':
      case 'l6': {
        const v = tag === 'l6' ? 6 : 4;
        const e = this.base('listen', d, seq);
        e.ret = num(d[11]);
        e.net = {
          proto: num(d[12]) === 17 ? 'udp' : 'tcp',
          family: v,
          saddr: decodeRawAddr(d.slice(14, v === 6 ? 18 : 15), v),
          sport: num(d[13]),
          daddr: '',
          dport: 0,
        };
        out.push(e);
        return;
      }
      case 'lis4':
      case 'lis6': {
        const e = this.base('listen', d, seq);
        e.ret = num(d[11]);
        e.net = {
          proto: num(d[12]) === 17 ? 'udp' : 'tcp',
          family: tag === 'lis6' ? 6 : 4,
          saddr: str(d[14]),
          sport: num(d[13]),
          daddr: '',
          dport: 0,
        };
        out.push(e);
        return;
      }
      case 'dnsa4':
      case 'dnsa6': {
        const e = this.base('dns', d, seq);
        e.dns = { server: str(d[11]), serverPort: 53 };
        e.net = { proto: 'udp', family: tag === 'dnsa6' ? 6 : 4, saddr: '', sport: 0, daddr: str(d[11]), dport: 53 };
        this.dnsPending.set(num(d[3]), e);
        return;
      }
      case 'dnsc4':
      case 'dnsc6': {
        const e = this.base('dns', d, seq);
        e.dns = { server: str(d[12]), serverPort: 53 };
        e.net = {
          proto: 'udp',
          family: tag === 'dnsc6' ? 6 : 4,
          saddr: '',
          sport: num(d[11]),
          daddr: str(d[12]),
          dport: 53,
        };
        this.dnsPending.set(num(d[3]), e);
        return;
      }
      case 'dnsq': {
        const e = this.dnsPending.get(num(d[1]));
        if (!e) return;
        this.dnsPending.delete(num(d[1]));
        e.dns = { ...e.dns!, query: decodeDnsName(str(d[2])) || undefined };
        out.push(e);
        return;
      }
      case 'sopen': {
        const e = this.base('open', d, seq);
        const flags = num(d[11]);
        e.file = { path: str(d[12]), flags, write: (flags & 3) !== 0 || (flags & 0x40) !== 0 || (flags & 0x200) !== 0 };
        this.await(num(d[3]), e, out);
        return;
      }
      case 'rsrc':
        this.renameFrom.set(num(d[1]), str(d[2]));
        if (this.renameFrom.size > 4096) this.renameFrom.delete(this.renameFrom.keys().next().value!);
        return;
      case 'ren': {
        // a rename/link/symlink landing below a system directory: a write of its target
        const e = this.base('open', d, seq);
        const op = num(d[11]);
        const tid = num(d[3]);
        const from = this.renameFrom.get(tid);
        this.renameFrom.delete(tid);
        e.file = {
          path: str(d[12]),
          write: true,
          op: op <= 3 ? 'rename' : op <= 5 ? 'link' : 'symlink',
          ...(from !== undefined ? { from } : {}),
        };
        this.await(tid, e, out);
        return;
      }
      case 'sret': {
        const tid = num(d[1]);
        const a = this.awaiting.get(tid);
        if (a) {
          this.awaiting.delete(tid);
          a.e.ret = num(d[2]);
          out.push(a.e);
        } else {
          // the result came first (the thread moved to another CPU between entry and exit)
          this.sret.set(tid, num(d[2]));
          if (this.sret.size > 4096) this.sret.delete(this.sret.keys().next().value!);
        }
        return;
      }
      case 'priv': {
        const e = this.base('setuid', d, seq);
        const op = str(d[11]);
        const ids = [num(d[12]), num(d[13]), num(d[14])];
        const eff = op === 'setreuid' || op === 'setregid' || op.startsWith('setres') ? ids[1]! : ids[0]!;
        e.priv = op.includes('gid') ? { op, gid: eff === -1 ? ids[0] : eff } : { op, uid: eff === -1 ? ids[0] : eff };
        out.push(e);
        return;
      }
      case 'cap': {
        const e = this.base('capset', d, seq);
        const eff = (BigInt(num(d[12]) >>> 0) << 32n) | BigInt(num(d[11]) >>> 0);
        e.priv = { op: 'capset', caps: `0x${eff.toString(16)}` };
        out.push(e);
        return;
      }
      case 'ptrace': {
        const e = this.base('ptrace', d, seq);
        e.ptrace = { request: num(d[11]), targetPid: num(d[12]) };
        out.push(e);
        return;
      }
      case 'msrc':
      case 'mtype': {
        const tid = num(d[1]);
        const m = this.mountExtra.get(tid) ?? {};
        if (tag === 'msrc') m.source = str(d[2]);
        else m.fstype = str(d[2]);
        this.mountExtra.set(tid, m);
        return;
      }
      case 'mount': {
        const e = this.base('mount', d, seq);
        const m = this.mountExtra.get(num(d[3])) ?? {};
        this.mountExtra.delete(num(d[3]));
        e.mount = { op: 'mount', source: m.source, fstype: m.fstype, flags: num(d[11]), target: str(d[12]) };
        out.push(e);
        return;
      }
      case 'umount': {
        const e = this.base('mount', d, seq);
        e.mount = { op: 'umount', flags: num(d[11]), target: str(d[12]) };
        out.push(e);
        return;
      }
      case 'unshare':
      case 'setns': {
        const e = this.base('ns', d, seq);
        e.ns = { op: tag, flags: num(d[11]) };
        out.push(e);
        return;
      }
      case 'initmod':
      case 'finitmod':
      case 'delmod': {
        const e = this.base('module', d, seq);
        e.module = {
          op: tag === 'initmod' ? 'init_module' : tag === 'finitmod' ? 'finit_module' : 'delete_module',
          name: str(d[12]) || undefined,
        };
        // the result (ENOSYS on kernels without module support) follows as "sret"
        this.await(num(d[3]), e, out);
        return;
      }
      case 'bpf': {
        const e = this.base('bpf', d, seq);
        e.bpf = { cmd: num(d[11]) };
        out.push(e);
        return;
      }
      default:
        return `unknown tuple tag ${JSON.stringify(String(tag)).slice(0, 40)}`;
    }
  }
}
