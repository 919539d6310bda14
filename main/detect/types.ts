/**
 * Detection engine types: the rule pack as data, baselines, allow-lists and the Detector that the
 * session engine (graph worker) and the CLI drive. Environment-free on purpose (the engine runs in
 * a worker thread and in the CLI; only the loaders that read files touch node:*).
 */
import type { Inventory } from '../common/capture';
import type { LanternEvent } from '../common/events';
import type { EndpointClass, Severity } from '../common/graph';
import type { Finding, TriageStatus } from '../common/findings';

// ---------------------------------------------------------------------------------------------
// Rule pack (assets/rules/*.yaml): see assets/rules/README.md for the language.

/** A matcher for one field. A bare scalar means equality, a bare array means "one of". */
export type Matcher =
  | string
  | number
  | boolean
  | (string | number)[]
  | {
      eq?: string | number | boolean;
      ne?: string | number | boolean;
      in?: (string | number)[] | string; // a `$list` reference is allowed
      notIn?: (string | number)[] | string;
      glob?: string | string[];
      prefix?: string | string[];
      suffix?: string | string[];
      contains?: string | string[];
      regex?: string;
      gt?: number;
      gte?: number;
      lt?: number;
      lte?: number;
      exists?: boolean;
      not?: Matcher;
    };

/** A condition: all listed fields must match; `any`/`all`/`not` combine sub-conditions. */
export interface Condition {
  any?: Condition[];
  all?: Condition[];
  not?: Condition;
  [field: string]: Matcher | Condition | Condition[] | undefined;
}

/** An allow-list entry: every given property must match (globs allowed). */
export interface AllowEntry {
  /** Rule id, or '*' for every rule. Absent inside a rule's own `allow`. */
  rule?: string;
  namespace?: string;
  workload?: string;
  pod?: string;
  image?: string;
  exe?: string;
  /** Why this is allowed, in words (shown in the findings panel and reports). */
  reason?: string;
}

/** Counting in a sliding window: the rule fires when the count reaches `atLeast`. */
export interface RuleThreshold {
  /** Window length, e.g. "10s", "2m" or a number of seconds. */
  within: string | number;
  /** What the count is kept per. */
  by: 'process' | 'pod' | 'node' | 'workload';
  /** Count distinct values of this field (e.g. "net.daddr"); without it, count events. */
  distinct?: string;
  atLeast: number;
}

export interface RuleDef {
  id: string;
  title: string;
  severity: Severity;
  /** MITRE ATT&CK technique id, e.g. T1059.004. */
  technique: string;
  description: string;
  /** Event kinds the rule looks at. */
  events: string[];
  when: Condition;
  threshold?: RuleThreshold;
  /** Explanation template: {field} placeholders are replaced by the event's values. */
  explain: string;
  /** Fields whose values identify one finding (deduplication); default pod + exe. */
  group?: string[];
  allow?: AllowEntry[];
  /** Disabled rules stay in the pack (and in listings) but never fire. */
  enabled?: boolean;
  tags?: string[];
}

export interface RulePack {
  format: 'lantern-rules';
  version: number;
  name: string;
  /** Named lists referenced from conditions as "$name". */
  lists?: Record<string, (string | number)[]>;
  rules: RuleDef[];
}

// ---------------------------------------------------------------------------------------------
// Baselines

/** What one workload (or image, or host) was seen doing. Every list is sorted and deduplicated. */
export interface WorkloadProfile {
  /** Executables run. */
  exes: string[];
  /** "parent-exe > child-exe" */
  spawns: string[];
  /** "class:label:port", e.g. "service:default/web:80", "cluster-api:kubernetes:443". */
  connects: string[];
  /** Ports listened on / accepted on. */
  listens: number[];
  /** "class:r" / "class:w" file classes touched. */
  files: string[];
  /** Privilege-related operations: "setuid:0", "capset", "ptrace", "mount", "ns:unshare", "module", "bpf". */
  privs: string[];
  /** DNS names queried. */
  dns: string[];
  /** Pods seen while learning (for the explanation's numbers). */
  pods: number;
  events: number;
}

export interface Baseline {
  format: 'lantern-baseline';
  version: 1;
  name: string;
  created: string;
  /** Where it was learned from (file name, session), for the explanation. */
  source?: string;
  /** First/last event time learned (ns). */
  from?: number;
  to?: number;
  /** Key: "ns/Kind/name" for workloads, "image:<image>" for bare pods, "host:<node>" for hosts. */
  workloads: Record<string, WorkloadProfile>;
}

// ---------------------------------------------------------------------------------------------
// Detector

export interface DestinationInfo {
  class: EndpointClass;
  label?: string;
  /** For pod addresses: the pod (and its workload), so replicas compare equal. */
  pod?: { namespace: string; name: string; workload?: { kind: string; name: string } };
}

/** Classifies a destination address (H4a's enricher `classify`; a built-in fallback otherwise). */
export type Classifier = (ip: string, port?: number) => DestinationInfo;

export interface TriageLookup {
  get(findingId: string): TriageStatus | undefined;
}

export interface DetectorOptions {
  inventory?: Inventory;
  /** Rule pack(s); default: the bundled pack. User packs are merged (same id replaces). */
  rules?: RulePack | RulePack[];
  /** Hunt against this baseline: behaviour outside it is a finding. */
  baseline?: Baseline;
  /** Global allow-list (from the triage store or a file). */
  allow?: AllowEntry[];
  triage?: TriageLookup;
  classify?: Classifier;
  /**
   * Learning mode: events before this time (ns) are learned into a baseline rather than hunted
   * against; after it, the learned profile is hunted against like a loaded baseline.
   */
  learnUntil?: number;
  /**
   * Learning mode counted from the first event seen (ns): a live capture's agents start some
   * seconds after the capture does, and those seconds hold nothing to learn.
   */
  learnFor?: number;
  /** Turn methods off (e.g. rules only for a quick look). Default: all on. */
  methods?: { rules?: boolean; baseline?: boolean; peers?: boolean; rarity?: boolean };
  /** Max event refs kept per finding (default 25: first ones plus the latest). */
  maxEvidence?: number;
}

export interface Detector {
  /** Events already enriched, in time order; firstIndex = index of events[0] in the capture. */
  ingest(events: readonly LanternEvent[], firstIndex: number): void;
  /** End of capture (or a periodic tick in live mode): peer groups, rarity, outliers, incidents. */
  finish(): void;
  /** All findings, ranked (highest score first). */
  findings(): Finding[];
  /** New or updated since the last call (for live updates). */
  drainChanged(): Finding[];
  /** Apply a triage status (the store persists it; this updates the live view). */
  setStatus(id: string, status: TriageStatus): Finding | undefined;
  /** Add an allow-list entry at runtime: matching findings are dropped. Returns how many. */
  allow(entry: AllowEntry): number;
  /** Learning mode: until when (epoch ns) behaviour is learned; undefined before the first event or without it. */
  learningUntil(): number | undefined;
  /** The profile learned so far (learning mode, or `learnBaseline`). */
  learnedBaseline(name: string): Baseline;
  /** Counters for the CLI and the benchmark. */
  stats(): DetectorStats;
}

export interface DetectorStats {
  events: number;
  suppressed: { ownCapture: number; probes: number };
  processes: number;
  findings: number;
  rules: number;
}
