/**
 * The detector: one pass over enriched events feeding four methods that share one finding shape.
 *   1. rules (compiled rule pack) — per event, indexed by event kind;
 *   2. baselines — per-workload features checked against a loaded or learned profile;
 *   3. peer groups — per-pod features compared among replicas / same-image pods (finish());
 *   4. rarity and outliers — feature frequencies and fan-out statistics (finish()).
 * Own capture pods and kubelet probe execs are dropped before any method sees them.
 */
import type { LanternEvent } from '../common/events';
import type { EventRef, Finding, FindingMethod, TriageStatus } from '../common/findings';
import type { Severity } from '../common/graph';
import { compileAllow, compilePack, type AllowMatcher, type CompiledRule, type GuardField } from './compile';
import { EvalCtx, formatValue, getter, type Getter } from './fields';
import { evidenceIds } from './evidence';
import { ProcTable, touch, type ContainerState, type Proc } from './proctable';
import { basename, shortHash, type FileClass } from './classes';
import type {
  AllowEntry,
  Baseline,
  Detector,
  DetectorOptions,
  DestinationInfo,
  RulePack,
  WorkloadProfile,
} from './types';
import { createEnricher } from '../events/enrich';
import { featuresToProfile, profileToFeatures } from './baseline';

const SEV_BASE: Record<Severity, number> = { info: 5, low: 25, medium: 50, high: 72, critical: 88 };
const INCIDENT_GAP_NS = 300e9;
const LANTERN_LABEL = 'app.kubernetes.io/name';

/** Files whose mere reading says something; other reads are not features (too many, too volatile). */
const READ_FEATURE_CLASSES = new Set<FileClass>([
  'sa-token',
  'k8s-creds',
  'k8s-pki',
  'shadow',
  'sudoers',
  'ssh',
  'cloud-creds',
  'proc-mem',
  'proc-environ',
  'kcore',
  'runtime-socket',
  'release-agent',
  'core-pattern',
]);
const SENSITIVE_CLASSES = READ_FEATURE_CLASSES;
/** Tag strings made once, not per event. */
const FILE_TAGS = new Map<string, string>();
const DEST_TAGS = new Map<string, string>();
function tagOf(m: Map<string, string>, prefix: string, k: string): string {
  let t = m.get(k);
  if (t === undefined) m.set(k, (t = prefix + k));
  return t;
}
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'busybox']);

interface FeatStat {
  count: number;
  first: number;
  last: number;
  ref: EventRef;
  nodes: string[];
  edges: string[];
  /** Words for explanations: "ran /bin/sh", "connected to external 1.2.3.4:4444". */
  words: string;
}

interface PodProfile {
  /** "ns/name" or "host:<node>" */
  key: string;
  pod: LanternEvent['pod'];
  node: string;
  /** Profile key shared by a workload's pods (baseline, peers). */
  workloadKey: string;
  image: string | undefined;
  features: Map<string, FeatStat>;
  events: number;
  /** Distinct remote addresses (pod fan-out outlier). */
  peers: Set<string>;
}

interface Internal {
  f: Finding;
  nodes: Set<string>;
  edges: Set<string>;
  /** Process tree root ("node/pid@start") for incident grouping. */
  tree: string;
  podKey: string;
  /** Bits of surprise (rarity) of the behaviour, for the score. */
  rarityBits: number;
  /** Entry-exec key that caused it (probe recognition can retract it). */
  entryKey: string | undefined;
  /** Recomputed by finish(): peer/rarity/outlier findings are replaced every run. */
  derived: boolean;
  /** Context other methods add to this finding's explanation (peer comparison), by source. */
  notes?: Map<string, string>;
  baseExplanation?: string;
}

interface Win {
  times: number[];
  values: Map<string, number> | undefined;
  firedAt: number;
}

export interface EngineOptions extends DetectorOptions {
  defaultPack?: RulePack;
}

function profileKeyOf(ev: LanternEvent): string {
  const p = ev.pod;
  if (!p) return `host:${ev.node}`;
  if (p.workload) return `${p.namespace}/${p.workload.kind}/${p.workload.name}`;
  if (p.image) return `image:${p.image}`;
  return `pod:${p.namespace}/${p.name}`;
}

function describeProfileKey(k: string): string {
  if (k.startsWith('host:')) return `host ${k.slice(5)}`;
  if (k.startsWith('image:')) return `pods of image ${k.slice(6)}`;
  if (k.startsWith('pod:')) return `pod ${k.slice(4)}`;
  const [ns, kind, name] = k.split('/');
  return `${kind} ${ns}/${name}`;
}

export function createEngine(opts: EngineOptions): Detector {
  const inventory = opts.inventory;
  const packs =
    opts.rules === undefined
      ? opts.defaultPack
        ? [opts.defaultPack]
        : []
      : Array.isArray(opts.rules)
        ? opts.rules
        : [opts.rules];
  // Later packs replace rules of the same id (user rules override the bundled ones).
  const merged = new Map<string, CompiledRule>();
  for (const pack of packs) for (const r of compilePack(pack)) merged.set(r.id, r);
  const rules = [...merged.values()];
  rules.forEach((r, i) => (r.index = i));
  // Per event kind: rules that must always be evaluated, and rules indexed by a guard field's
  // value (file class, executable name, destination class), so that a benign open of an
  // ordinary file evaluates none of the twenty file rules.
  interface KindRules {
    always: CompiledRule[];
    guarded: { field: GuardField; get: Getter; byValue: Map<string | number, CompiledRule[]> }[];
  }
  const rulesByKind = new Map<string, KindRules>();
  for (const r of rules)
    for (const k of r.kinds) {
      let kr = rulesByKind.get(k);
      if (!kr) {
        kr = { always: [], guarded: [] };
        rulesByKind.set(k, kr);
      }
      if (!r.guard) {
        kr.always.push(r);
        continue;
      }
      let g = kr.guarded.find((x) => x.field === r.guard!.field);
      if (!g) {
        g = { field: r.guard.field, get: getter(r.guard.field)!, byValue: new Map() };
        kr.guarded.push(g);
      }
      for (const v of r.guard.values) {
        const list = g.byValue.get(v) ?? [];
        list.push(r);
        g.byValue.set(v, list);
      }
    }
  const methods = { rules: true, baseline: true, peers: true, rarity: true, ...opts.methods };
  const maxEvidence = opts.maxEvidence ?? 25;
  let globalAllow: AllowMatcher[] = (opts.allow ?? []).map((a) => compileAllow(a));
  // The enricher's address classes, so that findings and graph endpoints agree.
  const classify =
    opts.classify ??
    createEnricher(inventory ?? { takenAt: '', nodes: [], namespaces: [], pods: [], services: [], serviceAccounts: [] })
      .classify;
  const ctx = new EvalCtx(classify);

  // Inventory indexes: own capture pods, probe commands, RBAC-bound service accounts, pod IPs.
  const ownUids = new Set<string>();
  const ownNames = new Set<string>();
  const ownCtrs = new Set<string>();
  const probesByCtr = new Map<string, string[]>();
  // Containers whose pod came from the API server (it has a phase): their spec lists every exec
  // probe, so the schedule heuristic below must not guess there. Guessing would let an attacker
  // hide by exec'ing the same command at a steady period (and the lab's scenarios, exec'd a
  // second apart, were being retracted as probes).
  const specKnownCtrs = new Set<string>();
  for (const p of inventory?.pods ?? []) {
    const own =
      p.lanternCapture === true ||
      p.labels?.[LANTERN_LABEL] === 'lantern-agent' ||
      p.labels?.['app.kubernetes.io/part-of'] === 'lantern';
    if (own) {
      ownUids.add(p.uid);
      ownNames.add(`${p.namespace}/${p.name}`);
    }
    for (const c of p.containers) {
      if (own && c.id) ownCtrs.add(c.id);
      if (p.phase && c.id) specKnownCtrs.add(c.id);
      const probes = c.execProbes;
      if (c.id && probes?.length)
        probesByCtr.set(
          c.id,
          probes.map((cmd) => cmd.join('\u0000')),
        );
    }
  }
  if (inventory?.bindings) {
    const bound = new Set<string>();
    for (const b of inventory.bindings)
      for (const s of b.subjects) if (s.kind === 'ServiceAccount' && s.namespace) bound.add(`${s.namespace}/${s.name}`);
    ctx.boundSAs = bound;
  }

  const table = new ProcTable();
  const findings = new Map<string, Internal>();
  const changed = new Set<string>();
  const otherWindows = new Map<string, unknown[]>();
  const statuses = new Map<string, TriageStatus>();
  const pods = new Map<string, PodProfile>();
  /** Entry-exec command lines per container: repeated ones are kubelet probes. */
  const entryRuns = new Map<string, { times: number[]; findings: Set<string> }>();
  const probeKeys = new Set<string>();
  let events = 0;
  let suppressedOwn = 0;
  let suppressedProbes = 0;
  let firstTime = Infinity;
  let lastTime = -Infinity;
  let incidentsDirty = true;

  // Baseline: loaded profile features per workload, plus learning mode.
  const baselineName = opts.baseline?.name;
  const baseFeatures = new Map<string, Set<string>>();
  if (opts.baseline)
    for (const [k, prof] of Object.entries(opts.baseline.workloads)) baseFeatures.set(k, profileToFeatures(prof));
  let learnUntil = opts.learnUntil;
  const learnFor = learnUntil === undefined ? opts.learnFor : undefined;
  const learned = new Map<string, { features: Set<string>; pods: Set<string>; events: number }>();
  const huntOn =
    methods.baseline && (opts.baseline !== undefined || learnUntil !== undefined || learnFor !== undefined);

  function containerKey(ev: LanternEvent): string {
    const c = ev.container;
    if (c?.id) return c.id;
    if (c?.podUid) return c.podUid;
    if (ev.pod) return ev.pod.uid ?? `pod:${ev.pod.namespace}/${ev.pod.name}`;
    return '';
  }

  function isOwn(ev: LanternEvent, ctr: ContainerState): boolean {
    if (ctr.own === undefined) {
      ctr.own =
        (ev.container?.id !== undefined && ownCtrs.has(ev.container.id)) ||
        (ev.container?.podUid !== undefined && ownUids.has(ev.container.podUid)) ||
        (ev.pod?.uid !== undefined && ownUids.has(ev.pod.uid)) ||
        (ev.pod !== undefined && ownNames.has(`${ev.pod.namespace}/${ev.pod.name}`));
    }
    return ctr.own;
  }

  function podProfile(ev: LanternEvent, ctr: ContainerState): PodProfile {
    let pp = ctr.profile as PodProfile | undefined;
    if (pp) return pp;
    const key = ev.pod ? `${ev.pod.namespace}/${ev.pod.name}` : `host:${ev.node}`;
    pp = pods.get(key);
    if (!pp) {
      pp = {
        key,
        pod: ev.pod,
        node: ev.node,
        workloadKey: profileKeyOf(ev),
        image: ev.pod?.image,
        features: new Map(),
        events: 0,
        peers: new Set(),
      };
      pods.set(key, pp);
    }
    ctr.profile = pp;
    return pp;
  }

  function ref(ev: LanternEvent, index: number): EventRef {
    const r: EventRef = { index, time: ev.time, node: ev.node };
    if (ev.seq !== undefined) r.seq = ev.seq;
    return r;
  }

  function treeRoot(p: Proc | undefined): string {
    let q = p;
    for (let i = 0; q && q.parent && q.parent.ctr === q.ctr && i < 64; i++) q = q.parent;
    return q ? `${q.ctr}|${q.node}/${q.pid}@${q.start}` : '';
  }

  function entryKeyOf(p: Proc | undefined): string | undefined {
    let q = p;
    for (let i = 0; q && i < 64; i++) {
      if (q.entry && !q.containerStart) return `${q.ctr}\u0001${(q.argv ?? [q.exe]).join('\u0000')}`;
      if (!q.parent || q.parent.ctr !== q.ctr) break;
      q = q.parent;
    }
    return undefined;
  }

  function allowed(
    rule: string,
    allowList: AllowMatcher[],
    ev: LanternEvent,
    exe: string | undefined,
  ): AllowEntry | undefined {
    const p = ev.pod;
    for (const a of allowList) {
      if (a.rule !== '*' && a.rule !== rule) continue;
      if (a.test(p?.namespace, p?.workload?.name, p?.name, p?.image, exe)) return a.entry;
    }
    return undefined;
  }

  /** Create or update a finding from one event. */
  function record(args: {
    id: string;
    method: FindingMethod;
    ruleId: string;
    severity: Severity;
    title: string;
    explanation: string;
    technique: string;
    ev: LanternEvent;
    index: number;
    proc: Proc | undefined;
    rarityBits?: number;
    derived?: boolean;
    extraNodes?: string[];
    extraEdges?: string[];
  }): Internal {
    const { ev } = args;
    let it = findings.get(args.id);
    if (!it) {
      const f: Finding = {
        id: args.id,
        method: args.method,
        ruleId: args.ruleId,
        severity: args.severity,
        score: SEV_BASE[args.severity],
        title: args.title,
        explanation: args.explanation,
        technique: args.technique,
        evidence: { events: [], nodes: [], edges: [] },
        firstSeen: ev.time,
        lastSeen: ev.time,
        status: statuses.get(args.id) ?? opts.triage?.get(args.id) ?? 'new',
        occurrences: 0,
        node: ev.node,
      };
      if (ev.pod)
        f.pod = {
          namespace: ev.pod.namespace,
          name: ev.pod.name,
          ...(ev.pod.workload ? { workload: ev.pod.workload.name } : {}),
        };
      it = {
        f,
        nodes: new Set(),
        edges: new Set(),
        tree: treeRoot(args.proc),
        podKey: ev.pod ? `${ev.pod.namespace}/${ev.pod.name}` : `host:${ev.node}`,
        rarityBits: args.rarityBits ?? 0,
        entryKey: entryKeyOf(args.proc),
        derived: args.derived === true,
      };
      findings.set(args.id, it);
      const ek = it.entryKey;
      if (ek) entryRuns.get(ek)?.findings.add(args.id);
    }
    const f = it.f;
    f.occurrences++;
    if (ev.time < f.firstSeen) f.firstSeen = ev.time;
    if (ev.time > f.lastSeen) f.lastSeen = ev.time;
    const evs = f.evidence.events;
    const r = ref(ev, args.index);
    // Keep the first ones and the latest few: the start of the story and where it is now.
    if (evs.length < maxEvidence) evs.push(r);
    else evs[maxEvidence - 1] = r;
    if (it.nodes.size < 64) {
      evidenceIds(ev, args.proc, it.nodes, it.edges);
      for (const n of args.extraNodes ?? []) it.nodes.add(n);
      for (const e of args.extraEdges ?? []) it.edges.add(e);
      f.evidence.nodes = [...it.nodes];
      f.evidence.edges = [...it.edges];
    }
    changed.add(args.id);
    incidentsDirty = true;
    return it;
  }

  function fireRule(r: CompiledRule, index: number, extraText: string): void {
    const ev = ctx.ev;
    const exe = ev.proc?.exe ?? ctx.proc?.exe;
    if (allowed(r.id, r.allow, ev, exe) || allowed(r.id, globalAllow, ev, exe)) return;
    let key = r.id;
    for (const g of r.group) key += '\u0000' + formatValue(g(ctx));
    const id = `${r.id}-${shortHash(key)}`;
    const existing = findings.get(id);
    record({
      id,
      method: 'rule',
      ruleId: r.id,
      severity: r.severity,
      title: r.def.title,
      explanation: existing ? existing.f.explanation : r.explain(ctx) + extraText,
      technique: r.def.technique,
      ev,
      index,
      proc: ctx.proc,
    });
  }

  function thresholdHit(r: CompiledRule, now: number): string | undefined {
    const t = r.threshold!;
    // Windows live on the process / container objects: no key strings per event.
    let slots: unknown[];
    if (t.by === 'process' && ctx.proc) slots = ctx.proc.win ??= [];
    else if (t.by === 'pod' && ctx.ctr) slots = ctx.ctr.win ??= [];
    else {
      const k =
        t.by === 'workload'
          ? profileKeyOf(ctx.ev)
          : t.by === 'node'
            ? ctx.ev.node
            : `${ctx.ev.node}/${ctx.ev.proc?.pid}`;
      slots = otherWindows.get(k) ?? otherWindows.set(k, []).get(k)!;
    }
    let w = slots[r.index] as Win | undefined;
    if (!w) {
      w = { times: [], values: t.distinct ? new Map() : undefined, firedAt: -Infinity };
      slots[r.index] = w;
    }
    const from = now - t.withinNs;
    let count: number;
    if (w.values) {
      const v = String(t.distinct!(ctx));
      w.values.set(v, now);
      if (w.values.size >= t.atLeast) for (const [k, tv] of w.values) if (tv < from) w.values.delete(k);
      count = w.values.size;
    } else {
      w.times.push(now);
      let drop = 0;
      while (drop < w.times.length && w.times[drop]! < from) drop++;
      if (drop) w.times.splice(0, drop);
      count = w.times.length;
    }
    if (count < t.atLeast) return undefined;
    // One finding update per window, not one per event past the threshold.
    if (now - w.firedAt < t.withinNs) return undefined;
    w.firedAt = now;
    const what = t.distinctName ? (DISTINCT_WORDS[t.distinctName] ?? `values of ${t.distinctName}`) : 'events';
    return ` (${count} distinct ${what} within ${t.withinNs / 1e9}s by one ${t.by}; the rule's threshold is ${t.atLeast})`;
  }

  function feature(ev: LanternEvent, proc: Proc | undefined, dest: DestinationInfo | undefined): string | undefined {
    switch (ev.kind) {
      case 'exec': {
        const exe = ev.proc?.exe ?? proc?.exe;
        return exe ? 'x:' + exe : undefined;
      }
      case 'connect': {
        if (!ev.net) return undefined;
        // Repeats of the process's last connection: same feature, no new string.
        if (proc && proc.lastKind === 'connect' && proc.lastPort === ev.net.dport && proc.lastAddr === ev.net.daddr)
          return proc.lastFeat;
        dest ??= ctx.dest();
        if (!dest) return undefined;
        let label = dest.label ?? ev.net.daddr;
        // Replicas behind one workload are one destination, whichever pod answered.
        if (dest.class === 'pod' && dest.pod)
          label = dest.pod.workload
            ? `${dest.pod.namespace}/${dest.pod.workload.name}`
            : `${dest.pod.namespace}/${dest.pod.name}`;
        const f = `c:${dest.class}:${label}:${ev.net.dport}`;
        if (proc) {
          proc.lastKind = 'connect';
          proc.lastAddr = ev.net.daddr;
          proc.lastPort = ev.net.dport;
          proc.lastFeat = f;
        }
        return f;
      }
      case 'listen':
      case 'accept': {
        // s* is the local side for both. Accepts are their own feature: which replica a
        // Service sends a request to is load balancing, not behaviour (peers skip them).
        if (!ev.net) return undefined;
        if (proc && proc.lastKind === ev.kind && proc.lastPort === ev.net.sport) return proc.lastFeat;
        const f = (ev.kind === 'accept' ? 'a:' : 'l:') + ev.net.sport;
        if (proc) {
          proc.lastKind = ev.kind;
          proc.lastPort = ev.net.sport;
          proc.lastFeat = f;
        }
        return f;
      }
      case 'open': {
        if (!ev.file) return undefined;
        const cls = ctx.fileClass()!;
        if (ev.file.write) return cls === 'other' || cls === 'proc' || cls === 'dev' ? undefined : `f:${cls}:w`;
        return READ_FEATURE_CLASSES.has(cls) ? `f:${cls}:r` : undefined;
      }
      case 'setuid':
        return ev.priv ? `p:${ev.priv.op}:${ev.priv.uid ?? ev.priv.gid ?? ''}` : undefined;
      case 'capset':
        return 'p:capset';
      case 'ptrace':
        return 'p:ptrace';
      case 'mount':
        return 'p:mount';
      case 'ns':
        return ev.ns ? 'p:ns:' + ev.ns.op : undefined;
      case 'module':
        return 'p:module';
      case 'bpf':
        return 'p:bpf';
      case 'dns':
        return ev.dns?.query ? 'd:' + ev.dns.query.toLowerCase() : undefined;
      default:
        return undefined;
    }
  }

  function featureWords(feat: string): string {
    const body = feat.slice(2);
    switch (feat[0]) {
      case 'x':
        return `ran ${body}`;
      case 's':
        return `spawned ${body}`;
      case 'c': {
        const [cls, ...rest] = body.split(':');
        const port = rest.pop();
        return `connected to ${cls} ${rest.join(':')} port ${port}`;
      }
      case 'l':
        return `listened on port ${body}`;
      case 'a':
        return `accepted connections on port ${body}`;
      case 'f': {
        const [cls, rw] = body.split(':');
        return `${rw === 'w' ? 'wrote' : 'read'} a ${cls} file`;
      }
      case 'p':
        return `used the privileged operation ${body}`;
      case 'd':
        return `looked up the DNS name ${body}`;
      default:
        return body;
    }
  }

  function featureSeverity(feat: string, newExeIsTool: boolean): Severity {
    switch (feat[0]) {
      case 'x':
        return newExeIsTool ? 'high' : 'medium';
      case 'c': {
        const cls = feat.slice(2, feat.indexOf(':', 2));
        if (cls === 'cluster-api' || cls === 'metadata') return 'medium';
        // Outbound web traffic differs between replicas (CDNs, DNS round robin); odd ports do not.
        if (cls === 'external') return /:(?:80|443|53)$/.test(feat) ? 'low' : 'medium';
        return 'low';
      }
      case 'f': {
        const cls = feat.slice(2, feat.indexOf(':', 2)) as FileClass;
        return SENSITIVE_CLASSES.has(cls) || feat.endsWith(':w') ? 'medium' : 'low';
      }
      case 'p':
        return 'high';
      case 'l':
        return 'medium';
      case 'a':
        return 'low';
      default:
        return 'low';
    }
  }

  const DISTINCT_WORDS: Record<string, string> = {
    'net.dest': 'destinations (address:port)',
    'net.daddr': 'addresses',
    'net.dport': 'ports',
    'dns.query': 'DNS names',
    exe: 'executables',
  };

  const TECH_BY_FEATURE: Record<string, string> = {
    x: 'T1059',
    s: 'T1059',
    c: 'T1071',
    l: 'T1571',
    a: 'T1571',
    f: 'T1005',
    p: 'T1068',
    d: 'T1071.004',
  };

  function hunt(
    ev: LanternEvent,
    index: number,
    proc: Proc | undefined,
    pp: PodProfile,
    feat: string,
    learning: boolean,
  ): boolean {
    const wk = pp.workloadKey;
    if (learning) {
      let l = learned.get(wk);
      if (!l) {
        l = { features: new Set(), pods: new Set(), events: 0 };
        learned.set(wk, l);
      }
      l.features.add(feat);
      l.pods.add(pp.key);
      l.events++;
      return false;
    }
    const known = baseFeatures.get(wk);
    const learnedHere = learned.get(wk)?.features;
    const name = baselineName ?? 'learned during the first minutes of this capture';
    if (!known && !learnedHere) {
      // The whole workload is new: one finding for it, not one per behaviour.
      const id = `BASE-NEWWL-${shortHash(wk)}`;
      record({
        id,
        method: 'baseline',
        ruleId: 'BASE-NEW-WORKLOAD',
        severity: 'low',
        title: `${describeProfileKey(wk)} is not in baseline ${name}`,
        explanation: `${describeProfileKey(wk)} was never seen in baseline "${name}": nothing it does can be compared, so everything it does is new. Its first behaviour here: ${featureWords(feat)}.`,
        technique: 'T1610',
        ev,
        index,
        proc,
      });
      return true;
    }
    if (known?.has(feat) || learnedHere?.has(feat)) return false;
    if (feat.startsWith('c:loopback')) return false;
    const id = `BASE-${shortHash(wk + '\u0000' + feat)}`;
    const exeBase = feat[0] === 'x' ? basename(feat.slice(2)) : '';
    const sev = featureSeverity(
      feat,
      SHELLS.has(exeBase) || /^(?:nc|ncat|netcat|nmap|socat|curl|wget|kubectl)$/.test(exeBase),
    );
    const prof = opts.baseline?.workloads[wk];
    record({
      id,
      method: 'baseline',
      ruleId: `BASE-${feat[0]!.toUpperCase()}`,
      severity: sev,
      title: `${describeProfileKey(wk)} ${featureWords(feat)}: never seen in baseline ${name}`,
      explanation: `In ${ev.pod ? `pod ${ev.pod.namespace}/${ev.pod.name}` : `host ${ev.node}`}, ${describeProfileKey(wk)} ${featureWords(feat)}, which was never seen in baseline "${name}"${
        prof
          ? ` (learned from ${prof.pods} pod(s) and ${prof.events} events, where it ran ${prof.exes.length} distinct executables)`
          : ''
      }. Behaviour outside a known-good profile is what an intrusion looks like first.`,
      technique: TECH_BY_FEATURE[feat[0]!] ?? 'T1059',
      ev,
      index,
      proc,
    });
    return true;
  }

  /** State the rules read on later events: recent tags and written files. After rule evaluation. */
  function updateState(ev: LanternEvent, proc: Proc | undefined, ctr: ContainerState): void {
    let tag: string | undefined;
    switch (ev.kind) {
      case 'open': {
        const cls = ctx.fileClass();
        if (ev.file?.write && ev.file.path) {
          (ctr.written ??= new Set()).add(ev.file.path);
          if (ctr.written.size > 50_000) ctr.written.clear();
        }
        if (cls && cls !== 'other') tag = tagOf(FILE_TAGS, 'file:', cls);
        break;
      }
      case 'connect': {
        const d = ctx.dest();
        if (d) tag = tagOf(DEST_TAGS, 'dest:', d.class);
        break;
      }
      case 'exec':
        if (proc) {
          tag = 'exec:' + proc.base;
          // chmod +x PATH marks PATH as made executable here: drift, even when the agent saw the
          // write only as an aggregated directory count.
          if (
            proc.base === 'chmod' &&
            proc.argv &&
            proc.argv.length >= 3 &&
            /^[ugoa]*\+[rwxXst]*x|^[0-7]*[1357][0-7]{0,2}$/.test(proc.argv[1] ?? '')
          ) {
            for (let i = 2; i < proc.argv.length && i < 34; i++) {
              const a = proc.argv[i]!;
              if (a.startsWith('/')) (ctr.written ??= new Set()).add(a);
            }
          }
        }
        break;
      case 'memfd':
        tag = 'memfd';
        break;
      default:
        return;
    }
    if (!tag) return;
    if (proc) proc.recent = touch(proc.recent, tag, ev.time);
    ctr.recent = touch(ctr.recent, tag, ev.time);
  }

  /** Kubelet exec probes: an entry exec matching the pod spec's probe, or the same command line exec'd into the container again and again. */
  function checkProbe(proc: Proc, ev: LanternEvent): void {
    if (!proc.entry || proc.containerStart) return;
    const argvKey = (proc.argv ?? [proc.exe]).join('\u0000');
    const specProbes = ev.container?.id ? probesByCtr.get(ev.container.id) : undefined;
    if (
      specProbes?.some(
        (p) =>
          p === argvKey ||
          (p.split('\u0000').slice(1).join('\u0000') === argvKey.split('\u0000').slice(1).join('\u0000') &&
            basename(p.split('\u0000')[0]!) === proc.base),
      )
    ) {
      proc.probe = true;
      return;
    }
    if (ev.container?.id && specKnownCtrs.has(ev.container.id)) return;
    const key = `${proc.ctr}\u0001${argvKey}`;
    if (probeKeys.has(key)) {
      proc.probe = true;
      return;
    }
    let run = entryRuns.get(key);
    if (!run) {
      run = { times: [], findings: new Set() };
      entryRuns.set(key, run);
    }
    run.times.push(ev.time);
    if (run.times.length > 4) run.times.shift();
    // Three runs of the same command at a steady period (jitter under 25%) is a probe schedule.
    if (run.times.length >= 3) {
      const t = run.times;
      const d1 = t[t.length - 1]! - t[t.length - 2]!;
      const d2 = t[t.length - 2]! - t[t.length - 3]!;
      if (d1 > 0.5e9 && d2 > 0.5e9 && Math.abs(d1 - d2) < 0.25 * Math.max(d1, d2)) {
        probeKeys.add(key);
        proc.probe = true;
        // Retract what its earlier runs raised: they were the kubelet, not a person.
        for (const id of run.findings) {
          const it = findings.get(id);
          if (it && it.entryKey === key) {
            findings.delete(id);
            changed.add(id);
          }
        }
        run.findings.clear();
      }
    }
  }

  /** Count a feature for the pod; hunt it against the baseline. Returns whether the hunt found it new. */
  function addFeature(
    ev: LanternEvent,
    index: number,
    proc: Proc | undefined,
    pp: PodProfile,
    feat: string,
    skipHunt = false,
  ): boolean {
    let st = pp.features.get(feat);
    if (!st) {
      const nodes = new Set<string>();
      const edges = new Set<string>();
      evidenceIds(ev, proc, nodes, edges);
      st = {
        count: 0,
        first: ev.time,
        last: ev.time,
        ref: ref(ev, index),
        nodes: [...nodes],
        edges: [...edges],
        words: featureWords(feat),
      };
      pp.features.set(feat, st);
    }
    st.count++;
    st.last = ev.time;
    if (!huntOn || skipHunt) return false;
    return hunt(ev, index, proc, pp, feat, learnUntil !== undefined && ev.time < learnUntil);
  }

  function evalRules(list: CompiledRule[], index: number): void {
    for (let j = 0; j < list.length; j++) {
      const r = list[j]!;
      if (!r.pred(ctx)) continue;
      if (r.threshold) {
        const extra = thresholdHit(r, ctx.ev.time);
        if (extra !== undefined) fireRule(r, index, extra);
      } else fireRule(r, index, '');
    }
  }

  function ingest(batch: readonly LanternEvent[], firstIndex: number): void {
    for (let i = 0; i < batch.length; i++) {
      const ev = batch[i]!;
      const index = firstIndex + i;
      events++;
      if (learnUntil === undefined && learnFor !== undefined) learnUntil = ev.time + learnFor;
      if (ev.time < firstTime) firstTime = ev.time;
      if (ev.time > lastTime) lastTime = ev.time;
      const kind = ev.kind;
      if (kind === 'agent.status' || kind === 'agent.lost' || kind === 'snapshot.sock') continue;
      const ck = containerKey(ev);
      const ctr = table.container(ck);
      if (isOwn(ev, ctr)) {
        suppressedOwn++;
        continue;
      }
      let proc: Proc | undefined;
      if (kind === 'exec' || kind === 'snapshot.proc') {
        proc = table.onExec(ev, ck, kind === 'snapshot.proc');
        if (kind === 'snapshot.proc') {
          // What was already running is part of the pod's behaviour (profiles, peers, baselines).
          if (proc && (methods.peers || methods.rarity || huntOn)) {
            const pp = podProfile(ev, ctr);
            ctx.reset(ev, proc, ctr);
            addFeature(ev, index, proc, pp, 'x:' + proc.exe);
          }
          continue;
        }
        if (proc) checkProbe(proc, ev);
      } else if (kind === 'exit') {
        table.onExit(ev);
        continue;
      } else {
        proc = table.lookup(ev, ck);
      }
      if (proc?.probe) {
        suppressedProbes++;
        continue;
      }
      ctx.reset(ev, proc, ctr);
      if (kind === 'alert') {
        importAlert(ev, index, proc);
        continue;
      }
      if (methods.rules) {
        const kr = rulesByKind.get(kind);
        if (kr) {
          evalRules(kr.always, index);
          for (let g = 0; g < kr.guarded.length; g++) {
            const gr = kr.guarded[g]!;
            const v = gr.get(ctx);
            if (v === undefined) continue;
            const list = gr.byValue.get(v as string | number);
            if (list) evalRules(list, index);
          }
        }
      }
      if (methods.peers || methods.rarity || huntOn) {
        const pp = podProfile(ev, ctr);
        pp.events++;
        const feat = feature(ev, proc, undefined);
        if (feat !== undefined) {
          const isNew = addFeature(ev, index, proc, pp, feat);
          // Who spawns whom: only worth a baseline finding when the executable itself is known.
          if (kind === 'exec' && proc?.parent && proc.parent.ctr === proc.ctr)
            addFeature(ev, index, proc, pp, `s:${proc.parent.exe}>${proc.exe}`, isNew);
        }
        if (kind === 'connect' && ev.net && pp.peers.size < 10_000) pp.peers.add(ev.net.daddr);
      }
      updateState(ev, proc, ctr);
    }
  }

  function importAlert(ev: LanternEvent, index: number, proc: Proc | undefined): void {
    const a = ev.alert!;
    const pr = (a.priority ?? '').toLowerCase();
    const severity: Severity = /emerg|alert|crit/.test(pr)
      ? 'critical'
      : /err|high/.test(pr)
        ? 'high'
        : /warn|medium/.test(pr)
          ? 'medium'
          : /notice|low/.test(pr)
            ? 'low'
            : pr
              ? 'info'
              : 'medium';
    const technique =
      (a.tags ?? []).map((t) => /T\d{4}(?:\.\d{3})?/i.exec(t)?.[0]?.toUpperCase()).find((t) => t !== undefined) ?? '';
    const exe = ev.proc?.exe ?? proc?.exe ?? '';
    const where = ev.pod ? `pod ${ev.pod.namespace}/${ev.pod.name}` : `host ${ev.node}`;
    if (allowed(`IMP-${a.tool}`, globalAllow, ev, exe)) return;
    record({
      id: `IMP-${shortHash(`${a.tool}\u0000${a.rule}\u0000${where}\u0000${exe}`)}`,
      method: 'import',
      ruleId: `IMP-${a.tool}`,
      severity,
      title: `${a.tool}: ${formatValue(a.rule)}`,
      explanation: `${a.tool} raised "${formatValue(a.rule)}" in ${where}${exe ? ` for ${formatValue(exe)}` : ''}${a.output ? `: ${formatValue(a.output)}` : ''}. Lantern keeps the other tool's verdict as evidence; its own rules judge the behaviour separately.`,
      technique,
      ev,
      index,
      proc,
    });
  }

  // -------------------------------------------------------------------------------------------
  // finish(): peer groups, rarity, outliers, incidents, scores.

  function derivedRecord(
    id: string,
    method: FindingMethod,
    ruleId: string,
    severity: Severity,
    title: string,
    explanation: string,
    technique: string,
    pp: PodProfile,
    st: FeatStat,
    rarityBits: number,
  ): void {
    const prev = findings.get(id);
    const f: Finding = {
      id,
      method,
      ruleId,
      severity,
      score: SEV_BASE[severity],
      title,
      explanation,
      technique,
      evidence: { events: [st.ref], nodes: st.nodes, edges: st.edges },
      firstSeen: st.first,
      lastSeen: st.last,
      status: statuses.get(id) ?? opts.triage?.get(id) ?? 'new',
      occurrences: st.count,
      node: pp.node,
    };
    if (pp.pod)
      f.pod = {
        namespace: pp.pod.namespace,
        name: pp.pod.name,
        ...(pp.pod.workload ? { workload: pp.pod.workload.name } : {}),
      };
    if (prev && prev.f.occurrences === f.occurrences && prev.f.explanation === f.explanation) return;
    findings.set(id, {
      f,
      nodes: new Set(st.nodes),
      edges: new Set(st.edges),
      tree: '',
      podKey: pp.key,
      rarityBits,
      entryKey: undefined,
      derived: true,
    });
    changed.add(id);
    incidentsDirty = true;
  }

  function podAllowed(ruleId: string, pp: PodProfile, exe: string | undefined): boolean {
    const p = pp.pod;
    for (const a of globalAllow) {
      if (a.rule !== '*' && a.rule !== ruleId) continue;
      if (a.test(p?.namespace, p?.workload?.name, p?.name, p?.image, exe)) return true;
    }
    return false;
  }

  function peerGroups(): void {
    const groups = new Map<string, PodProfile[]>();
    for (const pp of pods.values()) {
      if (!pp.pod) continue;
      // A bare pod is its own "workload" (kind Pod): compare it by image instead.
      if (pp.pod.workload && pp.pod.workload.kind !== 'Pod') {
        const k = `wl:${pp.workloadKey}`;
        (groups.get(k) ?? groups.set(k, []).get(k)!).push(pp);
      } else if (pp.image) {
        // Bare pods (no controller) are compared with other bare pods of the same image.
        const k = `img:${pp.image}`;
        (groups.get(k) ?? groups.set(k, []).get(k)!).push(pp);
      }
    }
    // Rule findings by pod: a peer difference that a rule already reported becomes a note in that
    // finding's explanation, not a second finding about the same thing.
    const rulesByPod = new Map<string, Internal[]>();
    for (const it of findings.values())
      if (!it.derived) (rulesByPod.get(it.podKey) ?? rulesByPod.set(it.podKey, []).get(it.podKey)!).push(it);
    for (const [gk, members] of groups) {
      const n = members.length;
      if (n < 3) continue; // with two, neither is the odd one out
      const have = new Map<string, PodProfile[]>();
      for (const pp of members)
        for (const feat of pp.features.keys()) {
          if (feat[0] === 'd' || feat[0] === 'a' || feat.startsWith('c:loopback')) continue;
          (have.get(feat) ?? have.set(feat, []).get(feat)!).push(pp);
        }
      const groupWords = gk.startsWith('wl:')
        ? `replicas of ${describeProfileKey(gk.slice(3))}`
        : `pods of image ${gk.slice(4)}`;
      for (const [feat, ps] of have) {
        // Odd one out: done by one pod (or a third at most) while the rest never did it.
        if (ps.length > Math.max(1, Math.floor(n / 3))) continue;
        // "spawned a>b" says nothing more than "ran b" when b is itself odd in this group.
        if (feat[0] === 's') {
          const child = have.get('x:' + feat.slice(feat.indexOf('>') + 1));
          if (child && child.length <= Math.max(1, Math.floor(n / 3))) continue;
        }
        for (const pp of ps) {
          const st = pp.features.get(feat)!;
          const exe = feat[0] === 'x' ? feat.slice(2) : undefined;
          if (podAllowed('PEER', pp, exe)) continue;
          const exeBase = exe ? basename(exe) : '';
          let sev = featureSeverity(feat, SHELLS.has(exeBase));
          // Connections to ordinary peers differ by load balancing; only the unusual kinds matter.
          if (feat[0] === 'c' && sev === 'low') continue;
          if (sev === 'high' && feat[0] !== 'p') sev = 'medium';
          const bits = Math.log2(n / ps.length);
          // Covered when a rule finding's evidence holds the very event that first showed it.
          const covering = rulesByPod
            .get(pp.key)
            ?.filter((it) => it.f.evidence.events.some((e) => e.index === st.ref.index));
          if (covering?.length) {
            const note = ` Peer comparison: only ${ps.length} of ${n} ${groupWords} did this; the others never did during this capture.`;
            for (const it of covering) {
              it.notes ??= new Map();
              if (it.notes.get('peer') === note) continue;
              it.notes.set('peer', note);
              it.baseExplanation ??= it.f.explanation;
              it.f.explanation = it.baseExplanation + [...it.notes.values()].join('');
              it.rarityBits = Math.max(it.rarityBits, bits);
              changed.add(it.f.id);
            }
            continue;
          }
          derivedRecord(
            `PEER-${shortHash(gk + '\u0000' + pp.key + '\u0000' + feat)}`,
            'peer-group',
            `PEER-${feat[0]!.toUpperCase()}`,
            sev,
            `${ps.length} of ${n} ${groupWords} ${st.words}`,
            `${ps.length} of ${n} ${groupWords} ${st.words} (here: ${pp.key}, ${st.count} time(s)); the other ${n - ps.length} never did during this capture. Replicas run the same code, so a behaviour only one of them shows is what changed in that one.`,
            TECH_BY_FEATURE[feat[0]!] ?? 'T1059',
            pp,
            st,
            bits,
          );
        }
      }
    }
  }

  function robust(values: number[]): { median: number; mad: number } {
    const s = [...values].sort((a, b) => a - b);
    const median = s[Math.floor(s.length / 2)] ?? 0;
    const dev = s.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
    return { median, mad: dev[Math.floor(dev.length / 2)] ?? 0 };
  }

  function rarity(): void {
    // How many pods of the whole capture show each feature, and in how many events.
    const podsWith = new Map<string, number>();
    let totalPods = 0;
    for (const pp of pods.values()) {
      totalPods++;
      for (const feat of pp.features.keys()) podsWith.set(feat, (podsWith.get(feat) ?? 0) + 1);
    }
    // Rarity feeds the score of existing findings: the rarer the behaviour, the higher it ranks.
    for (const it of findings.values()) {
      if (it.derived) continue;
      const pp = pods.get(it.podKey);
      if (!pp) continue;
      const ev0 = it.f.evidence.events[0];
      let best = 0;
      for (const [feat, st] of pp.features) {
        if (st.ref.index !== ev0?.index) continue;
        const k = podsWith.get(feat) ?? 1;
        best = Math.max(best, Math.log2(Math.max(1, totalPods) / k) + Math.log2(Math.max(1, pp.events) / st.count));
      }
      it.rarityBits = best;
    }
    if (totalPods < 3) return;
    // Rare executables spawned inside a pod (not its main process): seen in one pod, a handful of times.
    for (const pp of pods.values()) {
      if (!pp.pod) continue;
      for (const [feat, st] of pp.features) {
        if (feat[0] !== 'x') continue;
        const k = podsWith.get(feat) ?? 1;
        if (k > 1 || st.count > 3 || pp.events < 200) continue;
        const share = st.count / pp.events;
        // Surprise in bits: how few pods do it, times how small a share of this pod's events it is.
        const bits = Math.log2(totalPods / k) + Math.log2(1 / share);
        if (bits < 8) continue;
        if (podAllowed('RARE-EXE', pp, feat.slice(2))) continue;
        derivedRecord(
          `RARE-${shortHash(pp.key + '\u0000' + feat)}`,
          'rarity',
          'RARE-EXE',
          'info',
          `Rare process ${feat.slice(2)} in ${pp.key}`,
          `${pp.key} ${st.words}: ${st.count} of its ${pp.events} events (${(share * 100).toFixed(3)}%), and no other of the ${totalPods} pods or hosts in this capture ran it. Rarity ${bits.toFixed(1)} bits.`,
          'T1059',
          pp,
          st,
          bits,
        );
      }
    }
    // Outliers: a pod that talks to far more distinct addresses than pods usually do.
    const fan = [...pods.values()].filter((p) => p.peers.size > 0);
    if (fan.length >= 3) {
      const { median, mad } = robust(fan.map((p) => p.peers.size));
      for (const pp of fan) {
        const v = pp.peers.size;
        const z = (v - median) / (1.4826 * Math.max(mad, 1));
        if (v < 10 || z < 5) continue;
        // Replicas that all talk to many addresses are that workload's normal (a proxy, a crawler):
        // the outlier must also stand out from its own siblings.
        const sibs = fan.filter((o) => o !== pp && o.workloadKey === pp.workloadKey && o.pod).map((o) => o.peers.size);
        if (sibs.length && v < 3 * robust(sibs).median) continue;
        if (podAllowed('OUTLIER-FANOUT', pp, undefined)) continue;
        let st: FeatStat | undefined;
        for (const [feat, s] of pp.features) if (feat[0] === 'c' && (!st || s.first < st.first)) st = s;
        if (!st) continue;
        derivedRecord(
          `OUT-${shortHash(pp.key)}`,
          'rarity',
          'OUTLIER-FANOUT',
          'medium',
          `${pp.key} talked to ${v} distinct addresses`,
          `${pp.key} connected to ${v} distinct addresses during the capture, while the median pod connected to ${median} (median absolute deviation ${mad}); robust z-score ${z.toFixed(1)} over ${fan.length} pods. A pod that suddenly talks to many others is scanning or spreading.`,
          'T1046',
          pp,
          st,
          Math.min(12, z),
        );
      }
    }
  }

  function incidents(): void {
    if (!incidentsDirty) return;
    incidentsDirty = false;
    const list = [...findings.values()].sort((a, b) => a.f.firstSeen - b.f.firstSeen);
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let r = x;
      while (parent.get(r) !== r) r = parent.get(r)!;
      parent.set(x, r);
      return r;
    };
    for (const it of list) parent.set(it.f.id, it.f.id);
    const byTree = new Map<string, string>();
    const lastByPod = new Map<string, Internal>();
    for (const it of list) {
      if (it.f.severity === 'info') continue;
      if (it.tree) {
        const other = byTree.get(it.tree);
        if (other) parent.set(find(it.f.id), find(other));
        else byTree.set(it.tree, it.f.id);
      }
      const prev = lastByPod.get(it.podKey);
      if (prev && it.f.firstSeen - prev.f.lastSeen <= INCIDENT_GAP_NS) parent.set(find(it.f.id), find(prev.f.id));
      if (!prev || it.f.lastSeen > prev.f.lastSeen) lastByPod.set(it.podKey, it);
    }
    const members = new Map<string, Internal[]>();
    for (const it of list) {
      const r = find(it.f.id);
      (members.get(r) ?? members.set(r, []).get(r)!).push(it);
    }
    for (const [root, ms] of members) {
      const inc = ms.length > 1 ? `INC-${shortHash(root)}` : undefined;
      const rulesInIncident = new Set(ms.map((m) => m.f.ruleId)).size;
      for (const it of ms) {
        const f = it.f;
        const before = `${f.incident}|${f.score}`;
        if (inc) f.incident = inc;
        else delete f.incident;
        const occ = Math.min(4, Math.log10(Math.max(1, f.occurrences)) * 2);
        const rare = Math.min(8, it.rarityBits / 3);
        const inIncident = inc ? Math.min(8, (rulesInIncident - 1) * 2) : 0;
        f.score = Math.max(0, Math.min(100, Math.round(SEV_BASE[f.severity] + rare + occ + inIncident)));
        if (`${f.incident}|${f.score}` !== before) changed.add(f.id);
      }
    }
  }

  function ranked(): Finding[] {
    incidents();
    return [...findings.values()]
      .map((it) => it.f)
      .sort((a, b) => b.score - a.score || a.firstSeen - b.firstSeen || (a.id < b.id ? -1 : 1));
  }

  return {
    ingest,
    finish() {
      if (methods.peers) peerGroups();
      if (methods.rarity) rarity();
      incidentsDirty = true;
      incidents();
    },
    findings: ranked,
    drainChanged() {
      incidents();
      const out: Finding[] = [];
      for (const id of changed) {
        const it = findings.get(id);
        if (it) out.push(it.f);
      }
      changed.clear();
      return out.sort((a, b) => b.score - a.score);
    },
    setStatus(id, status) {
      statuses.set(id, status);
      const it = findings.get(id);
      if (!it) return undefined;
      it.f.status = status;
      changed.add(id);
      return it.f;
    },
    allow(entry) {
      const m = compileAllow(entry);
      globalAllow = [...globalAllow, m];
      let dropped = 0;
      for (const [id, it] of findings) {
        const f = it.f;
        if (m.rule !== '*' && m.rule !== f.ruleId) continue;
        const pp = pods.get(it.podKey);
        const exeNode = f.evidence.nodes.find((n) => n.startsWith('proc:'));
        const exe = exeNode ? exeNode.slice(exeNode.indexOf('|') + 1) : undefined;
        if (m.test(f.pod?.namespace, pp?.pod?.workload?.name ?? f.pod?.workload, f.pod?.name, pp?.pod?.image, exe)) {
          findings.delete(id);
          changed.add(id);
          dropped++;
        }
      }
      incidentsDirty = true;
      return dropped;
    },
    learningUntil: () => learnUntil,
    learnedBaseline(name) {
      // From what was learned in learning mode, or (no learning mode) from everything seen.
      const src = new Map<string, { features: Set<string>; pods: Set<string>; events: number }>();
      if (learnUntil !== undefined) for (const [k, v] of learned) src.set(k, v);
      else
        for (const pp of pods.values()) {
          let l = src.get(pp.workloadKey);
          if (!l) {
            l = { features: new Set(), pods: new Set(), events: 0 };
            src.set(pp.workloadKey, l);
          }
          for (const f of pp.features.keys()) l.features.add(f);
          l.pods.add(pp.key);
          l.events += pp.events;
        }
      const workloads: Record<string, WorkloadProfile> = Object.create(null) as Record<string, WorkloadProfile>;
      for (const [k, v] of src) workloads[k] = featuresToProfile(v.features, v.pods.size, v.events);
      const b: Baseline = {
        format: 'lantern-baseline',
        version: 1,
        name,
        created: new Date().toISOString(),
        workloads,
      };
      if (Number.isFinite(firstTime)) b.from = firstTime;
      if (Number.isFinite(lastTime)) b.to = learnUntil !== undefined ? Math.min(lastTime, learnUntil) : lastTime;
      return b;
    },
    stats() {
      return {
        events,
        suppressed: { ownCapture: suppressedOwn, probes: suppressedProbes },
        processes: table.size,
        findings: findings.size,
        rules: rules.length,
      };
    },
  };
}
