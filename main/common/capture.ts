/**
 * The capture file (`.lantern`): gzip'd NDJSON.
 *   line 1: CaptureHeader   ({"lantern":"capture", ...})
 *   lines : LanternEvent    (one per line, has "kind")
 *   last  : CaptureTrailer  ({"lantern":"trailer", ...}) — absent when the capture was cut off.
 * Environment-free.
 */
import type { EventKind } from './events';

export const CAPTURE_FORMAT = 'capture' as const;
export const CAPTURE_VERSION = 1;

export interface Inventory {
  /** ISO time the snapshot was taken. */
  takenAt: string;
  nodes: InvNode[];
  namespaces: InvNamespace[];
  pods: InvPod[];
  services: InvService[];
  serviceAccounts: InvServiceAccount[];
  roles?: InvRbacObject[];
  bindings?: InvRbacBinding[];
  /** Addresses of the Kubernetes API server (the `kubernetes` service ClusterIP and its endpoints). */
  apiServer?: { addresses: string[]; port?: number };
}

export interface InvNode {
  name: string;
  uid?: string;
  labels?: Record<string, string>;
  kernel?: string;
  runtime?: string;
  osImage?: string;
  addresses?: string[];
  ready?: boolean;
}
export interface InvNamespace {
  name: string;
  uid?: string;
  labels?: Record<string, string>;
  /** Pod Security Admission levels from the pod-security.kubernetes.io/* labels. */
  podSecurity?: { enforce?: string; audit?: string; warn?: string };
}
export interface InvContainer {
  name: string;
  /** Runtime id without the `containerd://` prefix. */
  id?: string;
  image?: string;
  imageId?: string;
  /**
   * Exec probe commands (liveness/readiness/startup) from the pod spec: detection recognises the
   * kubelet's probe execs by them, so they never produce findings.
   */
  execProbes?: string[][];
}
export interface InvPod {
  uid: string;
  name: string;
  namespace: string;
  node?: string;
  labels?: Record<string, string>;
  serviceAccount?: string;
  ips?: string[];
  hostNetwork?: boolean;
  phase?: string;
  /** Top of the owner chain (Deployment, StatefulSet, DaemonSet, CronJob, Job, or the Pod itself). */
  workload?: { kind: string; name: string };
  /** Owner chain from the pod up, e.g. [ReplicaSet web-5d9f, Deployment web]. */
  owners?: { kind: string; name: string }[];
  containers: InvContainer[];
  /** Lantern's own capture pods carry this so they never produce findings. */
  lanternCapture?: boolean;
}
export interface InvService {
  name: string;
  namespace: string;
  uid?: string;
  type?: string;
  clusterIPs?: string[];
  ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
  selector?: Record<string, string>;
  /** Endpoint addresses with the pod they point at, from EndpointSlices. */
  endpoints?: { ip: string; podUid?: string; node?: string }[];
}
export interface InvServiceAccount {
  name: string;
  namespace: string;
  uid?: string;
}
export interface InvRbacObject {
  kind: 'Role' | 'ClusterRole';
  name: string;
  namespace?: string;
  rules: { verbs: string[]; resources?: string[]; apiGroups?: string[] }[];
}
export interface InvRbacBinding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  namespace?: string;
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}

export interface CaptureNodeInfo {
  name: string;
  kernel?: string;
  agentVersion?: string;
  bpftraceVersion?: string;
}

export interface CaptureHeader {
  lantern: typeof CAPTURE_FORMAT;
  version: number;
  /** ISO time */
  created: string;
  tool: { name: 'lantern'; version: string };
  /** Absent for imports that carry no cluster identity. */
  cluster?: { server?: string; context?: string; name?: string };
  nodes: CaptureNodeInfo[];
  /** Probes that were enabled (exec, exit, tcp, dns, open, priv, ...). Diff refuses different sets. */
  probes: string[];
  filters?: { nodes?: string[]; namespaces?: string[]; selector?: string; includeHost?: boolean };
  /** Where the events came from: 'lantern' for a live capture, else the importer's source. */
  source: string;
  /** Requested duration in seconds, for live captures. */
  durationSec?: number;
  sessionId?: string;
  inventory?: Inventory;
}

export interface CaptureTrailer {
  lantern: 'trailer';
  /** ISO time */
  ended: string;
  events: number;
  counts: Partial<Record<EventKind, number>>;
  /** Events the agents reported lost, per node. */
  lost: Record<string, number>;
  /** Lines the writer refused or the importer skipped, with why. */
  skipped?: number;
  /** 'complete' | 'stopped' (analyst stopped early) | 'failed' */
  status: 'complete' | 'stopped' | 'failed';
  firstTime?: number;
  lastTime?: number;
}

/**
 * A capture's clock in words, for the CLI and the capture sheet. The clock runs from the first
 * agent's start; agents then flush their last events after the deadline, so the time spent can
 * pass the duration: that tail is said as such, never as "34 s of 30 s".
 */
export function captureClock(p: { elapsedSec: number; durationSec: number; done: boolean }): string {
  const elapsed = Math.max(0, Math.round(p.elapsedSec));
  if (p.done) return `took ${elapsed} s`;
  if (!(p.elapsedSec > 0)) return 'agents starting';
  if (p.elapsedSec >= p.durationSec) return `${p.durationSec} s of ${p.durationSec} s · collecting the last events`;
  return `${elapsed} s of ${p.durationSec} s`;
}
