/**
 * The behaviour graph builder: normalised events in, a typed graphology graph out.
 *
 * - Nodes and edges are keyed with `keys` from common/graph (detection and the renderer agree).
 * - The graph grows with distinct behaviours: a process node is an executable within a
 *   container; pids live only in the process table (ancestry, pid reuse); repeats only bump
 *   `count` and `lastSeen`.
 * - Attributes other than `count` and `lastSeen` are set once, when the node or edge is created,
 *   and never change afterwards. That makes the builder causal: the graph after the first N
 *   events is exactly the final graph restricted to what those N events touched, with counts
 *   and lastSeen recomputed from the touch log. Replay (session/timeline) relies on that.
 * - With `log: true` it records, per event, the set of elements the event touched (interned as
 *   a pattern id) and the event time, in typed arrays: ~12 bytes per event.
 */
import Graph from 'graphology';
import type { LanternEvent, PodRef } from '../common/events';
import type { Inventory } from '../common/capture';
import { createEnricher } from '../events/enrich';
import type { EdgeKind, EndpointClass, GraphEdgeAttributes, GraphNodeAttributes, NodeKind } from '../common/graph';
import { EDGE_KINDS, keys } from '../common/graph';
import { classifyPath } from './paths';

/**
 * Connections the agent folded into a connect/accept event (NetPayload.repeats), as a count
 * to add to its edge. Capture files are attacker-controlled: anything but a positive finite
 * number counts 0, and one event adds at most 10 million (counts are checkpointed as int32).
 */
function repeatsOf(n: { repeats?: unknown }): number {
  const r = n.repeats;
  return typeof r === 'number' && r > 0 && Number.isFinite(r) ? Math.min(Math.floor(r), 10_000_000) : 0;
}

export type BehaviourGraph = Graph<GraphNodeAttributes, GraphEdgeAttributes>;

/** What H4a's enricher (main/events/enrich.ts) offers; typed structurally so either side can evolve. */
export interface EnricherLike {
  enrich(ev: LanternEvent): unknown;
  classify(
    ip: string,
    port: number,
  ): {
    class: EndpointClass | string;
    label?: string;
    pod?: { name: string; namespace: string; workload?: { kind: string; name: string } } | unknown;
    service?: { name: string; namespace: string } | unknown;
    node?: string | { name: string } | unknown;
  };
}

export interface BuilderOptions {
  enricher?: EnricherLike;
  /** Inventory: an enricher is made from it when none is given. */
  inventory?: Inventory;
  /** Record the per-event touch log needed by replay (session/timeline). */
  log?: boolean;
  /** With log: keep a checkpoint of counts/lastSeen every this many events (default 65536). */
  checkpointEvery?: number;
}

/** Counts and lastSeen of elements [0, elements) after `events` events. */
export interface Checkpoint {
  events: number;
  elements: number;
  counts: Int32Array;
  lastSeen: Float64Array;
  /** Running max of event times at this point. */
  time: number;
}

/** One node or edge, indexed by a dense id (the touch log refers to these ids). */
export interface ElementRec {
  id: number;
  key: string;
  edge: boolean;
  attrs: GraphNodeAttributes | GraphEdgeAttributes;
  /** Index of the event that created it. */
  firstIndex: number;
  /** Edges only: dense ids of the endpoints. */
  source: number;
  target: number;
  /** Cached pattern id for "this element alone" and for "source, edge, target". */
  pat1: number;
  pat3: number;
  /** Last event index that touched it (dedupe within one event). */
  touchedAt: number;
  /** Nodes only: outgoing edges by (target id, kind), so repeats find their edge without building its key. */
  out?: Map<number, ElementRec>;
}

const EDGE_KIND_INDEX: Record<string, number> = Object.fromEntries(EDGE_KINDS.map((k, i) => [k, i]));

interface Scope {
  /** Container key, or the cluster node key for host processes. */
  parent: ElementRec;
  scopeKey: string;
  node: string;
  namespace?: string;
  pod?: string;
  workload?: string;
  container?: string;
  serviceAccount?: string;
  /** The pod reference, shared by every event of this scope (enrichment without allocation). */
  podRef?: PodRef;
}

export interface ProcEntry {
  pid: number;
  start: number;
  exe: string;
  rec: ElementRec;
  scope: Scope;
  parent: ProcEntry | null;
  runs: ElementRec;
}

const MAX_LABEL = 200;
const MAX_ARGS = 512;

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i >= 0 && i < p.length - 1 ? p.slice(i + 1) : p;
}
function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}
function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}

class Growable {
  f64 = new Float64Array(1024);
  u32 = new Uint32Array(1024);
  length = 0;
  push(t: number, p: number): void {
    if (this.length === this.u32.length) {
      const f = new Float64Array(this.length * 2);
      f.set(this.f64);
      this.f64 = f;
      const u = new Uint32Array(this.length * 2);
      u.set(this.u32);
      this.u32 = u;
    }
    this.f64[this.length] = t;
    this.u32[this.length++] = p;
  }
}

export class GraphBuilder {
  readonly graph: BehaviourGraph = new Graph({ type: 'directed', multi: true, allowSelfLoops: true });
  /** Dense element table: nodes and edges share one id space. */
  readonly elements: ElementRec[] = [];
  private readonly byKey = new Map<string, ElementRec>();
  /** node name → pid → live process entry. */
  private readonly procs = new Map<string, Map<number, ProcEntry>>();
  private readonly scopes = new Map<string, Scope>();
  private readonly endpoints = new Map<string, Map<number, ElementRec>>();
  private readonly files = new Map<string, ElementRec>();
  private readonly domains = new Map<string, ElementRec>();
  private readonly enricher?: EnricherLike;

  /** Touch log (when options.log): time and pattern id per event, patterns as flat id lists. */
  private readonly logging: boolean;
  private readonly tlog = new Growable();
  readonly patternStart: number[] = [0, 0];
  readonly patternIds: number[] = [];
  private readonly patternByKey = new Map<string, number>();

  /**
   * Count added by an event beyond its one touch per element (folded connections,
   * NetPayload.repeats), by event index (when options.log): the timeline adds it on replay.
   */
  readonly logExtra = new Map<number, { id: number; n: number }>();

  readonly checkpointEvery: number;
  readonly checkpoints: Checkpoint[] = [
    { events: 0, elements: 0, counts: new Int32Array(0), lastSeen: new Float64Array(0), time: 0 },
  ];

  private idx = -1;
  private now = 0;
  /** Latest event time seen. */
  maxTime = 0;
  private readonly scratch: number[] = [];
  /** Events seen, and events that touched nothing (no process, unknown kind). */
  events = 0;
  untouched = 0;

  constructor(opts: BuilderOptions = {}) {
    this.enricher = opts.enricher ?? (opts.inventory ? createEnricher(opts.inventory) : undefined);
    this.logging = opts.log === true;
    this.checkpointEvery = Math.max(1024, opts.checkpointEvery ?? 65536);
    // pattern 0 is the empty pattern
    this.patternByKey.set('', 0);
  }

  // ---------------------------------------------------------------- log access

  get logLength(): number {
    return this.tlog.length;
  }
  /** Event times (valid up to logLength). */
  get logTimes(): Float64Array {
    return this.tlog.f64;
  }
  /** Pattern id per event (valid up to logLength). */
  get logPatterns(): Uint32Array {
    return this.tlog.u32;
  }
  /** Element keys touched by event `index` (needs log: true). Detection uses this for evidence ids. */
  touchedKeys(index: number): string[] {
    if (index < 0 || index >= this.tlog.length) return [];
    const p = this.tlog.u32[index]!;
    const out: string[] = [];
    for (let i = this.patternStart[p]!; i < this.patternStart[p + 1]!; i++)
      out.push(this.elements[this.patternIds[i]!]!.key);
    return out;
  }

  element(key: string): ElementRec | undefined {
    return this.byKey.get(key);
  }

  /** Live process entry for node/pid (latest incarnation). */
  process(node: string, pid: number): ProcEntry | undefined {
    return this.procs.get(node)?.get(pid);
  }

  // ---------------------------------------------------------------- elements

  private addNode(key: string, attrs: GraphNodeAttributes): ElementRec {
    const rec: ElementRec = {
      id: this.elements.length,
      key,
      edge: false,
      attrs,
      firstIndex: this.idx,
      source: -1,
      target: -1,
      pat1: -1,
      pat3: -1,
      touchedAt: -2,
    };
    this.elements.push(rec);
    this.byKey.set(key, rec);
    this.graph.addNode(key, attrs);
    return rec;
  }

  private nodeRec(key: string, kind: NodeKind, label: string, extra?: Partial<GraphNodeAttributes>): ElementRec {
    const r = this.byKey.get(key);
    if (r !== undefined) return r;
    const attrs: GraphNodeAttributes = {
      kind,
      label: clip(label, MAX_LABEL),
      count: 0,
      firstSeen: this.now,
      lastSeen: this.now,
    };
    if (extra)
      for (const k in extra)
        if ((extra as Record<string, unknown>)[k] !== undefined) attrs[k] = (extra as Record<string, unknown>)[k];
    return this.addNode(key, attrs);
  }

  /** The existing edge kind s→t, found by number (no string building on the hot path). */
  private edge(kind: EdgeKind, s: ElementRec, t: ElementRec): ElementRec | undefined {
    return s.out?.get(t.id * 64 + EDGE_KIND_INDEX[kind]!);
  }

  private edgeRec(kind: EdgeKind, s: ElementRec, t: ElementRec, extra?: Record<string, unknown>): ElementRec {
    const code = t.id * 64 + EDGE_KIND_INDEX[kind]!;
    let out = s.out;
    const found = out?.get(code);
    if (found !== undefined) return found;
    const key = keys.edge(kind, s.key, t.key);
    const attrs: GraphEdgeAttributes = { kind, count: 0, firstSeen: this.now, lastSeen: this.now };
    if (extra) for (const k in extra) if (extra[k] !== undefined) attrs[k] = extra[k];
    const rec: ElementRec = {
      id: this.elements.length,
      key,
      edge: true,
      attrs,
      firstIndex: this.idx,
      source: s.id,
      target: t.id,
      pat1: -1,
      pat3: -1,
      touchedAt: -2,
    };
    this.elements.push(rec);
    this.byKey.set(key, rec);
    this.graph.addDirectedEdgeWithKey(key, s.key, t.key, attrs);
    if (!out) s.out = out = new Map();
    out.set(code, rec);
    return rec;
  }

  private touch(r: ElementRec): void {
    if (r.touchedAt === this.idx) return;
    r.touchedAt = this.idx;
    const a = r.attrs;
    a.count++;
    if (this.now > a.lastSeen) a.lastSeen = this.now;
    this.scratch.push(r.id);
  }

  /** Add folded connections to an edge touched by this event; logged so that the timeline replays them. */
  private addRepeats(e: ElementRec, n: number): void {
    if (n <= 0) return;
    e.attrs.count += n;
    if (this.logging) this.logExtra.set(this.idx, { id: e.id, n });
  }

  /** Touch an edge and both of its ends (the common case: one behaviour). */
  private touchEdge(e: ElementRec): void {
    this.touch(this.elements[e.source]!);
    this.touch(e);
    this.touch(this.elements[e.target]!);
  }

  private endPattern(): void {
    const s = this.scratch;
    let p = 0;
    if (s.length === 1) {
      const r = this.elements[s[0]!]!;
      if (r.pat1 < 0) r.pat1 = this.intern(s);
      p = r.pat1;
    } else if (s.length === 3 && this.elements[s[1]!]!.edge) {
      const e = this.elements[s[1]!]!;
      if (e.source === s[0] && e.target === s[2]) {
        if (e.pat3 < 0) e.pat3 = this.intern(s);
        p = e.pat3;
      } else p = this.intern(s);
    } else if (s.length > 0) p = this.intern(s);
    this.tlog.push(this.now, p);
    s.length = 0;
  }

  private checkpoint(): void {
    const n = this.elements.length;
    const counts = new Int32Array(n);
    const lastSeen = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = this.elements[i]!.attrs;
      counts[i] = a.count;
      lastSeen[i] = a.lastSeen;
    }
    this.checkpoints.push({ events: this.events, elements: n, counts, lastSeen, time: this.maxTime });
  }

  private intern(ids: number[]): number {
    const k = ids.join(',');
    let p = this.patternByKey.get(k);
    if (p === undefined) {
      p = this.patternStart.length - 1;
      for (const id of ids) this.patternIds.push(id);
      this.patternStart.push(this.patternIds.length);
      this.patternByKey.set(k, p);
    }
    return p;
  }

  // ---------------------------------------------------------------- structure

  private clusterNode(node: string): ElementRec {
    return this.nodeRec(keys.clusterNode(node), 'cluster-node', node, { node });
  }

  private scopeOf(ev: LanternEvent): Scope {
    const node = ev.node;
    const cid = ev.container?.id;
    const puid = ev.container?.podUid;
    const cacheKey = `${node}|${cid ?? ''}|${puid ?? ''}|${ev.pod?.namespace ?? ''}|${ev.pod?.name ?? ''}|${ev.pod?.container ?? ''}`;
    const cached = this.scopes.get(cacheKey);
    if (cached) return cached;
    let pod = ev.pod;
    if (!pod && (cid || puid)) {
      if (this.enricher) {
        this.enricher.enrich(ev);
        pod = ev.pod;
      }
    }
    let scope: Scope;
    const cn = this.clusterNode(node);
    if (pod) {
      const ns = pod.namespace;
      const nsRec = this.nodeRec(keys.namespace(ns), 'namespace', ns, { namespace: ns });
      const podKey = keys.pod(ns, pod.name);
      const wl = pod.workload;
      const wlLabel = wl ? `${wl.kind}/${wl.name}` : undefined;
      const podRec = this.nodeRec(podKey, 'pod', pod.name, { namespace: ns, pod: pod.name, workload: wlLabel, node });
      this.touch(nsRec);
      this.touch(podRec);
      this.touch(this.edgeRec('contains', cn, podRec));
      if (wl) {
        const wlRec = this.nodeRec(keys.workload(ns, wl.kind, wl.name), 'workload', wl.name, {
          namespace: ns,
          workload: wlLabel,
          workloadKind: wl.kind,
        });
        this.touch(this.edgeRec('contains', nsRec, wlRec));
        this.touch(this.edgeRec('contains', wlRec, podRec));
      } else {
        this.touch(this.edgeRec('contains', nsRec, podRec));
      }
      if (pod.serviceAccount) {
        const sa = this.nodeRec(keys.serviceAccount(ns, pod.serviceAccount), 'service-account', pod.serviceAccount, {
          namespace: ns,
        });
        this.touch(this.edgeRec('uses-account', podRec, sa));
      }
      const ctrName = pod.container ?? (cid ? cid.slice(0, 12) : 'main');
      const ctrKey = keys.container(ns, pod.name, ctrName);
      const ctr = this.nodeRec(ctrKey, 'container', ctrName, {
        namespace: ns,
        pod: pod.name,
        workload: wlLabel,
        node,
        container: ctrName,
        image: pod.image,
      });
      this.touch(this.edgeRec('contains', podRec, ctr));
      scope = {
        parent: ctr,
        scopeKey: ctrKey,
        node,
        namespace: ns,
        pod: pod.name,
        workload: wlLabel,
        container: ctrName,
        serviceAccount: pod.serviceAccount,
        podRef: pod,
      };
    } else if (cid || puid) {
      // A container the inventory does not know (started after the snapshot, or not a pod).
      const ctrName = cid ? cid.slice(0, 12) : 'unknown';
      const ctrKey = keys.container('?', puid ?? '?', ctrName);
      const ctr = this.nodeRec(ctrKey, 'container', ctrName, { node, container: ctrName, unresolved: true });
      this.touch(this.edgeRec('contains', cn, ctr));
      scope = { parent: ctr, scopeKey: ctrKey, node };
    } else {
      scope = { parent: cn, scopeKey: keys.hostScope(node), node };
    }
    this.scopes.set(cacheKey, scope);
    return scope;
  }

  // ---------------------------------------------------------------- processes

  private newProc(ev: LanternEvent, parent: ProcEntry | null): ProcEntry {
    const p = ev.proc!;
    const scope = this.scopeOf(ev);
    const exe = p.exe || (p.comm ? `[${p.comm}]` : '[unknown]');
    const key = keys.process(scope.scopeKey, exe);
    let rec = this.byKey.get(key);
    if (rec === undefined) {
      rec = this.nodeRec(key, 'process', basename(exe), {
        detail: exe,
        comm: p.comm,
        node: scope.node,
        namespace: scope.namespace,
        pod: scope.pod,
        workload: scope.workload,
        container: scope.container,
        uid: p.uid,
        args: p.args ? clip(p.args.join(' '), MAX_ARGS) : undefined,
        host: scope.namespace === undefined && scope.parent.attrs.kind === 'cluster-node' ? true : undefined,
      });
    }
    const runs = this.edgeRec('runs', scope.parent, rec);
    this.touchEdge(runs);
    const entry: ProcEntry = { pid: p.pid, start: p.start, exe, rec, scope, parent, runs };
    let m = this.procs.get(ev.node);
    if (!m) this.procs.set(ev.node, (m = new Map()));
    m.set(p.pid, entry);
    return entry;
  }

  private lookup(node: string, pid: number | undefined, start: number | undefined): ProcEntry | undefined {
    if (pid === undefined) return undefined;
    const e = this.procs.get(node)?.get(pid);
    if (!e) return undefined;
    if (start && e.start && e.start !== start) return undefined;
    return e;
  }

  /** The process entry an event belongs to, created on first sight (processes older than the capture). */
  private procOf(ev: LanternEvent): ProcEntry {
    const p = ev.proc!;
    const e = this.lookup(ev.node, p.pid, p.start);
    if (e) {
      if (!e.start && p.start) e.start = p.start;
      return e;
    }
    return this.newProc(ev, this.lookup(ev.node, p.ppid, p.pstart) ?? null);
  }

  private onExec(ev: LanternEvent): void {
    const p = ev.proc!;
    const same = this.lookup(ev.node, p.pid, p.start);
    // Same pid and start time: the process replaced its own image (sh -c 'exec foo'); the old
    // image is the parent. Otherwise the parent is whoever forked it.
    const parent = same ?? this.lookup(ev.node, p.ppid, p.pstart) ?? null;
    const child = this.newProc(ev, parent);
    if (ev.pod === undefined && child.scope.podRef !== undefined) ev.pod = child.scope.podRef;
    this.touch(child.rec);
    if (parent) {
      const e = this.edgeRec('spawned', parent.rec, child.rec);
      this.touchEdge(e);
    }
  }

  // ---------------------------------------------------------------- endpoints

  private endpoint(ip: string, port: number): ElementRec {
    let m = this.endpoints.get(ip);
    if (!m) this.endpoints.set(ip, (m = new Map()));
    let r = m.get(port);
    if (r) return r;
    let cls: string = isLoopback(ip) ? 'loopback' : 'unknown';
    let label = port ? `${ip}:${port}` : ip;
    const extra: Partial<GraphNodeAttributes> = { detail: port ? `${ip}:${port}` : ip, ip, port };
    if (this.enricher && cls !== 'loopback') {
      const c = this.enricher.classify(ip, port);
      cls = c.class;
      if (c.label) label = port ? `${c.label}:${port}` : c.label;
      const pod = c.pod as
        { name?: unknown; namespace?: unknown; workload?: { kind?: unknown; name?: unknown } } | undefined;
      if (pod && typeof pod.name === 'string' && typeof pod.namespace === 'string') {
        extra.pod = pod.name;
        extra.namespace = pod.namespace;
        if (pod.workload && typeof pod.workload.kind === 'string' && typeof pod.workload.name === 'string')
          extra.workload = `${pod.workload.kind}/${pod.workload.name}`;
      }
      const svc = c.service as { name?: unknown; namespace?: unknown } | undefined;
      if (svc && typeof svc.name === 'string') {
        extra.service = svc.name;
        if (typeof svc.namespace === 'string') extra.namespace ??= svc.namespace;
      }
      const n = c.node as string | { name?: unknown } | undefined;
      if (typeof n === 'string') extra.node = n;
      else if (n && typeof n.name === 'string') extra.node = n.name;
    }
    extra.endpointClass = cls as EndpointClass;
    r = this.nodeRec(keys.endpoint(ip, port), 'endpoint', label, extra);
    m.set(port, r);
    return r;
  }

  // ---------------------------------------------------------------- ingest

  /** Feed one event. `index` is its position in the capture's event stream (0-based). */
  ingest(ev: LanternEvent): void {
    this.idx = this.events++;
    this.now = ev.time;
    if (ev.time > this.maxTime) this.maxTime = ev.time;
    try {
      this.apply(ev);
    } finally {
      if (this.scratch.length === 0) this.untouched++;
      if (this.logging) {
        this.endPattern();
        if (this.events % this.checkpointEvery === 0) this.checkpoint();
      } else {
        this.scratch.length = 0;
      }
    }
  }

  private apply(ev: LanternEvent): void {
    if (!ev.proc) {
      if (ev.kind === 'agent.status' || ev.kind === 'agent.lost') {
        const cn = this.clusterNode(ev.node);
        this.touch(cn);
        if (ev.kind === 'agent.lost' && typeof ev.agent?.lost === 'number')
          (cn.attrs as GraphNodeAttributes).lost = ((cn.attrs.lost as number) ?? 0) + ev.agent.lost;
      }
      return;
    }
    if (ev.kind === 'exec') return this.onExec(ev);
    const proc = this.procOf(ev);
    const pr = proc.rec;
    // Enrich every event of a known pod, so detection sinks see ev.pod without a lookup of their own.
    if (ev.pod === undefined && proc.scope.podRef !== undefined) ev.pod = proc.scope.podRef;
    switch (ev.kind) {
      case 'connect': {
        const n = ev.net;
        if (!n) break;
        const ep = this.endpoint(n.daddr, n.dport);
        const c = this.edge('connected', pr, ep) ?? this.edgeRec('connected', pr, ep, { proto: n.proto });
        this.touchEdge(c);
        // connections the agent folded into this one (same process, destination, result)
        this.addRepeats(c, repeatsOf(n));
        return;
      }
      case 'accept': {
        const n = ev.net;
        if (!n) break;
        // s* is the local (listening) side, d* the remote peer whose port is ephemeral.
        const peer = this.endpoint(n.daddr, 0);
        const a =
          this.edge('accepted', peer, pr) ?? this.edgeRec('accepted', peer, pr, { proto: n.proto, port: n.sport });
        this.touchEdge(a);
        // accepts the agent folded into this one (same process, listening port, peer address)
        this.addRepeats(a, repeatsOf(n));
        return;
      }
      case 'listen': {
        const n = ev.net;
        if (!n) break;
        this.touchEdge(this.edgeRec('listened', pr, this.endpoint(n.saddr, n.sport), { proto: n.proto }));
        return;
      }
      case 'snapshot.sock': {
        const n = ev.net;
        if (!n) break;
        if (!n.dport || n.daddr === '0.0.0.0' || n.daddr === '::')
          this.touchEdge(this.edgeRec('listened', pr, this.endpoint(n.saddr, n.sport), { proto: n.proto }));
        else this.touchEdge(this.edgeRec('connected', pr, this.endpoint(n.daddr, n.dport), { proto: n.proto }));
        return;
      }
      case 'dns': {
        const q = ev.dns?.query;
        if (q) {
          let dom = this.domains.get(q);
          if (dom === undefined) {
            const name = clip(q.toLowerCase(), 253);
            dom = this.nodeRec(keys.domain(name), 'domain', name, { detail: name });
            if (this.domains.size >= 100_000) this.domains.clear();
            this.domains.set(q, dom);
          }
          this.touchEdge(this.edge('resolved', pr, dom) ?? this.edgeRec('resolved', pr, dom));
        } else if (ev.dns) {
          this.touchEdge(
            this.edgeRec('connected', pr, this.endpoint(ev.dns.server, ev.dns.serverPort), { proto: 'udp' }),
          );
        }
        return;
      }
      case 'open': {
        const f = ev.file;
        if (!f || !f.path) break;
        let file = this.files.get(f.path);
        if (file === undefined) {
          const fc = classifyPath(f.path);
          file = this.nodeRec(keys.file(fc.key), 'file', basename(fc.key) || fc.key, {
            detail: fc.key,
            sensitive: fc.sensitive,
            directory: f.aggregated ? true : undefined,
          });
          // Raw path → file node; bounded, since folded paths (/proc/<pid>/...) are many strings.
          if (this.files.size >= 200_000) this.files.clear();
          this.files.set(f.path, file);
        }
        const kind: EdgeKind = f.aggregated ? 'opened' : f.write ? 'wrote' : 'read';
        this.touchEdge(this.edge(kind, pr, file) ?? this.edgeRec(kind, pr, file));
        return;
      }
      case 'setuid':
      case 'capset': {
        this.touchEdge(this.edgeRec('changed-privilege', pr, pr));
        return;
      }
      case 'ptrace': {
        const t = ev.ptrace ? this.lookup(ev.node, ev.ptrace.targetPid, undefined) : undefined;
        const target =
          t?.rec ??
          this.nodeRec(keys.process(keys.hostScope(ev.node), '[unknown process]'), 'process', '[unknown process]', {
            node: ev.node,
            host: true,
          });
        this.touchEdge(this.edgeRec('ptraced', pr, target));
        return;
      }
      case 'mount': {
        const target = ev.mount?.target || ev.mount?.source || '[unknown]';
        const fc = classifyPath(target);
        this.touchEdge(
          this.edgeRec(
            'mounted',
            pr,
            this.nodeRec(keys.file(fc.key), 'file', fc.key, { detail: fc.key, sensitive: fc.sensitive }),
          ),
        );
        return;
      }
      case 'module': {
        // keyed on the bare module name, as detection's evidence ids are
        const name = ev.module?.name ?? '[unknown module]';
        this.touchEdge(
          this.edgeRec(
            'loaded-module',
            pr,
            this.nodeRec(keys.file(name), 'file', name, { detail: name, sensitive: 'kernel-module' }),
          ),
        );
        return;
      }
      case 'memfd': {
        const name = `memfd:${ev.memfd?.name ?? ''}`;
        this.touchEdge(
          this.edgeRec('opened', pr, this.nodeRec(keys.file(name), 'file', name, { detail: name, memfd: true })),
        );
        return;
      }
      case 'bpf':
        this.touchEdge(this.edgeRec('bpf', pr, this.clusterNode(ev.node)));
        return;
      case 'ns':
        this.touchEdge(this.edgeRec('namespace-op', pr, this.clusterNode(ev.node)));
        return;
      case 'exit': {
        this.touch(pr);
        const m = this.procs.get(ev.node);
        // Forget the pid: the next process with this pid is someone else. Children keep a
        // reference to this entry for ancestry.
        if (m && m.get(proc.pid) === proc) m.delete(proc.pid);
        return;
      }
      default:
        break;
    }
    // snapshot.proc, alert, and events with a missing payload: the process itself did something.
    this.touch(pr);
  }

  /** Process ancestry of a live or remembered entry, root first. */
  static ancestry(e: ProcEntry): ProcEntry[] {
    const out: ProcEntry[] = [];
    const seen = new Set<ProcEntry>();
    for (let p: ProcEntry | null = e.parent; p && !seen.has(p); p = p.parent) {
      seen.add(p);
      out.unshift(p);
    }
    return out;
  }
}

export function buildGraph(events: Iterable<LanternEvent>, opts: BuilderOptions = {}): GraphBuilder {
  const b = new GraphBuilder(opts);
  for (const ev of events) b.ingest(ev);
  return b;
}
