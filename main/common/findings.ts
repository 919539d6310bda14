/** The finding shape (DESIGN.md), shared by detection, store, export and the renderer. Environment-free. */
import type { Severity } from './graph';

export type TriageStatus = 'new' | 'confirmed' | 'benign';
export type FindingMethod = 'rule' | 'baseline' | 'peer-group' | 'rarity' | 'import';

/** Reference to a raw event in a capture: its index in the file's event stream (0-based) and time. */
export interface EventRef {
  index: number;
  time: number;
  node?: string;
  seq?: number;
}

export interface Finding {
  id: string;
  method: FindingMethod;
  /** Rule id for rule findings (e.g. LNT-001); method-specific id otherwise. */
  ruleId: string;
  severity: Severity;
  /** 0..100, used for ranking. */
  score: number;
  title: string;
  /** Why this is unusual, in words, with the numbers behind it. */
  explanation: string;
  /** MITRE ATT&CK technique id, e.g. T1611. */
  technique: string;
  evidence: { events: EventRef[]; nodes: string[]; edges: string[] };
  /** The pod it happened in, when there is one. */
  pod?: { namespace: string; name: string; workload?: string };
  node?: string;
  firstSeen: number;
  lastSeen: number;
  status: TriageStatus;
  /** Findings grouped by shared process tree or pod within a short time. */
  incident?: string;
  /** How many times it was seen (deduplicated). */
  occurrences: number;
}
