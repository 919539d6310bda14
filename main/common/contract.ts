/**
 * The one typed API contract between the renderer and the main side, for both transports
 * (Electron IPC via the preload, and the loopback WebSocket of browser mode).
 *
 * - `calls`: request/response. Each request has a zod schema; the main side validates every payload
 *   with it before a handler runs. The renderer imports this module type-only.
 * - `streams`: server-pushed messages (graph deltas, capture progress, findings, replay state).
 *
 * Environment-free: zod is plain JS. No node:*, no electron, no DOM.
 */
import { z } from 'zod';
import type { Finding, TriageStatus } from './findings';
import type { CollapseLevel, GraphDelta, GraphEdgeAttributes, GraphNodeAttributes } from './graph';
import type { LanternEvent } from './events';

const sessionId = z.string().min(1).max(128);
const path = z.string().min(1).max(4096);
/**
 * A long operation (opening a capture, a diff) named by the renderer, so that it can follow its
 * progress (`op.progress`) and cancel it (`op.cancel`) while the call is pending.
 */
const opId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const collapse = z.enum(['process', 'pod', 'workload', 'namespace']);
const contextName = z.string().min(1).max(512);
/** A baseline's name in the catalog (also shown in findings: "never seen in baseline X"). */
const baselineName = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .refine((s) => !/\p{Cc}/u.test(s), 'a baseline name cannot hold control characters');
const targets = z.strictObject({
  nodes: z.array(z.string().max(253)).max(1000).optional(),
  namespaces: z.array(z.string().max(63)).max(1000).optional(),
  selector: z.string().max(1024).optional(),
  /** Namespace the capture pods are created in (must exist); default: the context's namespace. */
  captureNamespace: z.string().max(63).optional(),
});
export const EXPORT_FORMATS = [
  'gexf',
  'graphml',
  'json',
  'opengraph',
  'html',
  'md',
  'findings-json',
  'findings-md',
] as const;

export const calls = {
  'app.info': { request: z.strictObject({}) },
  'settings.get': { request: z.strictObject({}) },
  'settings.update': {
    request: z.strictObject({
      theme: z.enum(['dark', 'light']).optional(),
      kubeconfigPath: z.string().max(4096).nullable().optional(),
      lastContext: z.string().max(512).nullable().optional(),
    }),
  },
  'recent.list': { request: z.strictObject({}) },

  'dialog.openCapture': { request: z.strictObject({}) },
  'session.openFile': {
    request: z.strictObject({ path, continueOnError: z.boolean().optional(), opId: opId.optional() }),
  },
  'session.openDemo': { request: z.strictObject({ opId: opId.optional() }) },
  /** Browser mode drag-and-drop: the file's bytes, base64, at most 256 MiB. */
  'session.openUpload': {
    request: z.strictObject({
      name: z.string().min(1).max(255),
      dataBase64: z.string().max(358_000_000),
      opId: opId.optional(),
    }),
  },
  'session.close': { request: z.strictObject({ sessionId }) },
  'session.info': { request: z.strictObject({ sessionId }) },

  'graph.snapshot': { request: z.strictObject({ sessionId, collapse: collapse.optional() }) },
  'graph.nodeDetails': { request: z.strictObject({ sessionId, key: z.string().min(1).max(8192) }) },
  'graph.events': {
    request: z.strictObject({
      sessionId,
      nodeKey: z.string().max(8192).optional(),
      edgeKey: z.string().max(8192).optional(),
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(1000),
    }),
  },
  'replay.control': {
    request: z.strictObject({
      sessionId,
      action: z.enum(['play', 'pause', 'seek', 'speed']),
      time: z.number().finite().optional(),
      speed: z.number().positive().max(10_000).optional(),
    }),
  },
  'timeline.histogram': { request: z.strictObject({ sessionId, buckets: z.number().int().min(1).max(2000) }) },

  'findings.list': { request: z.strictObject({ sessionId }) },
  'findings.triage': {
    request: z.strictObject({
      sessionId,
      id: z.string().min(1).max(512),
      status: z.enum(['new', 'confirmed', 'benign']),
      allowList: z.boolean().optional(),
    }),
  },

  'cluster.contexts': { request: z.strictObject({ kubeconfigPath: path.optional() }) },
  'cluster.connect': { request: z.strictObject({ context: contextName, kubeconfigPath: path.optional() }) },
  'cluster.preflight': { request: z.strictObject({ context: contextName, kubeconfigPath: path.optional(), targets }) },
  'capture.start': {
    request: z.strictObject({
      context: contextName,
      kubeconfigPath: path.optional(),
      targets,
      durationSec: z.number().int().min(5).max(86_400),
      probes: z.array(z.string().max(32)).max(32).optional(),
      /** Also watch kernel-module load attempts on kernels without module support (a cost on every syscall). */
      moduleAttempts: z.boolean().optional(),
      /** Learning mode: the first N minutes are learned as normal, then hunted against (issue 7). */
      learnMinutes: z.number().int().min(1).max(1440).optional(),
      /** Hunt the live capture against this catalog baseline from the start. */
      baseline: baselineName.optional(),
    }),
  },
  'capture.stop': { request: z.strictObject({ captureId: z.string().min(1).max(128) }) },
  'capture.leftovers': { request: z.strictObject({ context: contextName, kubeconfigPath: path.optional() }) },
  'capture.cleanLeftovers': { request: z.strictObject({ context: contextName, kubeconfigPath: path.optional() }) },

  'export.graph': {
    request: z.strictObject({ sessionId, format: z.enum(EXPORT_FORMATS), collapse: collapse.optional() }),
  },
  'diff.open': { request: z.strictObject({ a: path, b: path, opId: opId.optional() }) },
  /** Cancel a pending open or diff by its opId: the call then fails with code 'cancelled'. */
  'op.cancel': { request: z.strictObject({ opId }) },

  /** Baselines: learned per-workload profiles, kept as portable files and listed in a catalog. */
  'baseline.list': { request: z.strictObject({}) },
  /**
   * Learn a baseline from an open session (for a live capture in learning mode: what was learned)
   * and save it in the catalog. `exportFile`: also hand the portable file to the analyst (a save
   * dialog in Electron; the file's text in the answer, to download, in browser mode).
   */
  'baseline.learn': {
    request: z.strictObject({ sessionId, name: baselineName, exportFile: z.boolean().optional() }),
  },
  /** A portable baseline file's text (attacker-controlled: validated), saved in the catalog. */
  'baseline.import': {
    request: z.strictObject({
      fileName: z.string().min(1).max(255),
      text: z.string().max(64 * 1024 * 1024),
      /** Save under this name instead of the one in the file. */
      name: baselineName.optional(),
    }),
  },
  'baseline.export': { request: z.strictObject({ name: baselineName }) },
  'baseline.delete': { request: z.strictObject({ name: baselineName }) },
  /** Hunt this session against a catalog baseline (null: none): detection re-runs, findings follow. */
  'session.setBaseline': { request: z.strictObject({ sessionId, name: baselineName.nullable() }) },
} as const;

export type CallName = keyof typeof calls;
export type CallRequest<N extends CallName> = z.infer<(typeof calls)[N]['request']>;
export type CallResponse<N extends CallName> = CallResponses[N];

export interface AppInfo {
  name: 'Lantern';
  version: string;
  mode: 'electron' | 'browser';
  platform: string;
  /** Started by `npm start`: the start screen opens the demo capture when no kubeconfig context is found. */
  demoWhenNoCluster?: boolean;
}
export interface Settings {
  theme: 'dark' | 'light';
  kubeconfigPath: string | null;
  lastContext: string | null;
}
export interface RecentItems {
  captures: { path: string; name: string; openedAt: string; events?: number }[];
  clusters: { context: string; server?: string; usedAt: string }[];
}
export interface SessionInfo {
  sessionId: string;
  name: string;
  kind: 'file' | 'demo' | 'live' | 'diff';
  /** Header summary */
  cluster?: { server?: string; context?: string };
  nodes: string[];
  probes: string[];
  source: string;
  startTime: number;
  endTime: number;
  events: number;
  /** Incomplete file, skipped lines ... in words. */
  warnings: string[];
  complete: boolean;
  /** The baseline this session is hunted against (catalog name), if any. */
  baseline?: string;
  /** Live learning mode: the first `minutes` from the first event are learned, until `until` (epoch ns; known once events arrive). */
  learning?: { minutes: number; until?: number; done: boolean };
}
export interface BaselineInfo {
  name: string;
  /** ISO time it was learned. */
  created: string;
  /** The capture it was learned from. */
  source?: string;
  /** How many workload profiles it holds, and their keys ("ns/Kind/name", "image:…", "host:…"), the first 200. */
  workloads: number;
  workloadKeys: string[];
  /** Time span learned (epoch ns). */
  from?: number;
  to?: number;
  /** The portable file in the catalog folder. */
  file: string;
}
/** A baseline file handed to the analyst: written through a save dialog, or its text to download. */
export interface BaselineFile {
  savedTo?: string;
  download?: { fileName: string; mime: string; data: string };
}
export interface ReplayState {
  sessionId: string;
  playing: boolean;
  speed: number;
  /** Cursor (epoch ns). */
  time: number;
  startTime: number;
  endTime: number;
}
export interface NodeDetails {
  key: string;
  attributes: GraphNodeAttributes;
  /** Process tree: ancestors (root first) and children keys with labels. */
  ancestors: { key: string; label: string }[];
  children: { key: string; label: string }[];
  neighbours: { key: string; label: string; kind: string; edgeKind: string; direction: 'in' | 'out'; count: number }[];
  edges?: { key: string; attributes: GraphEdgeAttributes }[];
  findings: string[];
}
export interface ContextInfo {
  name: string;
  cluster: string;
  server: string;
  user: string;
  namespace?: string;
}
export interface ClusterSummary {
  context: string;
  server: string;
  version: string;
  nodes: { name: string; kernel?: string; ready?: boolean; pods: number }[];
  namespaces: string[];
}
export interface PreflightCheck {
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  group?: string;
  allowed: boolean;
  reason?: string;
  /** Not needed to run a capture; without it attribution is poorer (H5, additive). */
  optional?: boolean;
}
export interface PreflightResult {
  context: string;
  server: string;
  ok: boolean;
  checks: PreflightCheck[];
  missing: PreflightCheck[];
  podSecurity?: { namespace: string; level: string; ok: boolean; message: string };
  /** A Role/ClusterRole YAML granting what is missing. */
  grantYaml?: string;
  targetNodes: string[];
}
/**
 * A node of a capture: pending → pulling → starting (pod runs, agent attaching: not watched yet)
 * → streaming (probes attached) or degraded (some probes did not attach; `reason` says what is
 * not watched) ⇄ reconnecting → finished | failed (`reason` in words). 'running' is kept for
 * older progress records; the engine no longer reports it.
 */
export type NodeCaptureState =
  'pending' | 'pulling' | 'running' | 'starting' | 'streaming' | 'degraded' | 'reconnecting' | 'finished' | 'failed';
export interface NodeProgress {
  node: string;
  pod?: string;
  state: NodeCaptureState;
  reason?: string;
  events: number;
  eventsPerSec: number;
  lost: number;
  reconnects: number;
  /** Probes the node's agent reported attached; absent until it has reported. */
  probesAttached?: string[];
  /** Probes (or kernel tracepoints) that did not attach, each with its reason in words. */
  probesFailed?: { probe: string; reason: string }[];
}
export interface CaptureProgress {
  captureId: string;
  sessionId?: string;
  out: string;
  elapsedSec: number;
  durationSec: number;
  nodes: NodeProgress[];
  done: boolean;
}
export interface LedgerEntry {
  kind: string;
  namespace?: string;
  name: string;
  created: boolean;
  deleted: boolean;
  note?: string;
}
export interface Ledger {
  entries: LedgerEntry[];
  /** In words: "3 pods created, 3 deleted, nothing left". */
  summary: string;
  clean: boolean;
}
export interface Leftover {
  kind: string;
  namespace: string;
  name: string;
  session?: string;
  createdAt?: string;
  expires?: string;
}
export interface ExportResult {
  fileName: string;
  mime: string;
  /** Text formats as UTF-8; binary formats base64 with `encoding: 'base64'`. */
  data: string;
  encoding: 'utf8' | 'base64';
}
export interface DiffSummary {
  sessionId: string;
  comparable: boolean;
  reason?: string;
  added: { nodes: number; edges: number };
  removed: { nodes: number; edges: number };
  changed: { edges: number };
}
export interface TimelineHistogram {
  start: number;
  end: number;
  counts: number[];
  findings: { time: number; severity: string; id: string }[];
}

export interface CallResponses {
  'app.info': AppInfo;
  'settings.get': Settings;
  'settings.update': Settings;
  'recent.list': RecentItems;
  'dialog.openCapture': { path: string | null };
  'session.openFile': SessionInfo;
  'session.openDemo': SessionInfo;
  'session.openUpload': SessionInfo;
  'session.close': { closed: boolean };
  'session.info': SessionInfo;
  'graph.snapshot': GraphDelta;
  'graph.nodeDetails': NodeDetails;
  'graph.events': { events: LanternEvent[]; total: number };
  'replay.control': ReplayState;
  'timeline.histogram': TimelineHistogram;
  'findings.list': Finding[];
  'findings.triage': Finding;
  'cluster.contexts': { contexts: ContextInfo[]; current: string | null; sources: string[] };
  'cluster.connect': ClusterSummary;
  'cluster.preflight': PreflightResult;
  'capture.start': { captureId: string; sessionId: string; out: string };
  'capture.stop': Ledger;
  'capture.leftovers': Leftover[];
  'capture.cleanLeftovers': Ledger;
  'export.graph': ExportResult;
  'diff.open': DiffSummary;
  'op.cancel': { cancelled: boolean };
  'baseline.list': BaselineInfo[];
  'baseline.learn': { baseline: BaselineInfo; replaced: boolean; file?: BaselineFile };
  'baseline.import': { baseline: BaselineInfo; replaced: boolean };
  'baseline.export': BaselineFile;
  'baseline.delete': { deleted: boolean };
  'session.setBaseline': { info: SessionInfo; findings: Finding[] };
}

/** Server-pushed streams. */
export interface StreamPayloads {
  'graph.delta': { sessionId: string; delta: GraphDelta };
  'capture.progress': CaptureProgress;
  'findings.changed': { sessionId: string; findings: Finding[] };
  'replay.state': ReplayState;
  notice: { level: 'info' | 'warning' | 'error'; message: string };
  /** A long operation's progress: events read so far, and the fraction done when it is known. */
  'op.progress': OpProgress;
}

export interface OpProgress {
  opId: string;
  /** In words: "reading B: 1.2M events". */
  message: string;
  events: number;
  /** 0..1 of the bytes to read, when the input's size is known (not for imports of other formats). */
  fraction?: number;
}
export type StreamName = keyof StreamPayloads;
export const STREAM_NAMES: readonly StreamName[] = [
  'graph.delta',
  'capture.progress',
  'findings.changed',
  'replay.state',
  'notice',
  'op.progress',
];

export type ErrorCode =
  | 'invalid-request'
  | 'unknown-call'
  | 'forbidden'
  | 'not-found'
  | 'unsupported'
  | 'bad-input'
  | 'cluster-error'
  | 'cancelled'
  | 'internal';

/** Errors cross both transports as this plain object. */
export interface ApiError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export type TriageRequest = { status: TriageStatus };
export type { CollapseLevel };
