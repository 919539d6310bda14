/**
 * The normalised event: what every source (our bpftrace agent, Tetragon, Inspektor Gadget,
 * Falco, Tracee) becomes. Environment-free: no node:*, no electron, no DOM.
 *
 * Everything in here that came from a cluster or a file is attacker-controlled text.
 */

export const EVENT_KINDS = [
  'exec',
  'exit',
  'connect',
  'accept',
  'listen',
  'dns',
  'open',
  'setuid',
  'capset',
  'ptrace',
  'mount',
  'ns', // unshare / setns
  'module',
  'bpf',
  'memfd',
  'snapshot.proc',
  'snapshot.sock',
  'agent.status',
  'agent.lost',
  'alert', // an imported third-party detection (Falco rule, Tracee signature) kept as evidence
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export type EventSource = 'lantern' | 'tetragon' | 'ig' | 'falco' | 'tracee';

/** The process that did the thing. `start` + `pid` + node identify it even after pid reuse. */
export interface ProcessInfo {
  pid: number;
  /** Process start time, ns since the node's boot (task->start_time). 0 when unknown. */
  start: number;
  ppid?: number;
  /** Parent's start time (ns since boot), when known: lets the graph link parent without guessing. */
  pstart?: number;
  uid?: number;
  gid?: number;
  /** Kernel comm (max 15 chars on Linux). */
  comm: string;
  /** Full executable path when known. */
  exe?: string;
  args?: string[];
  /** True when argv was cut by the probe's limits. */
  argsTruncated?: boolean;
  /** Working directory at exec. When not known whole it starts with "…/" and cwdTruncated is set. */
  cwd?: string;
  /** cwd is only the tail of the path (the probe's walk hit its depth limit or another mount's root). */
  cwdTruncated?: boolean;
}

/** Container identity, taken from the cgroup path on the node (no API credentials needed). */
export interface ContainerInfo {
  /** Runtime container id (64 hex, no `containerd://` prefix). */
  id?: string;
  /** Pod uid with dashes, as the API reports it. */
  podUid?: string;
  /** Raw cgroup path as the probe saw it. */
  cgroup?: string;
}

/** Joined on the laptop from the inventory (or given directly by an importer). */
export interface PodRef {
  uid?: string;
  name: string;
  namespace: string;
  container?: string;
  image?: string;
  workload?: { kind: string; name: string };
  serviceAccount?: string;
}

/**
 * Socket addresses as the kernel sees them on this host: `saddr`/`sport` are the local side,
 * `daddr`/`dport` the remote side, for every kind — so on `accept` the client is `daddr`
 * (its port ephemeral) and the listening port is `sport`; on `listen` only s* is meaningful.
 */
export interface NetPayload {
  proto: 'tcp' | 'udp';
  family: 4 | 6;
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
  /**
   * connect/accept only: this event stands for 1 + `repeats` connections. The agent
   * folds identical connections within one flush interval (same process, remote address
   * and port, result; for accept: same local port and remote address) into a count, and
   * the parser turns the count into a copy of the interval's first full event of that key.
   * The repeats' source ports and exact times are not kept. Absent = one connection.
   */
  repeats?: number;
}

export interface FilePayload {
  path: string;
  /** open(2) flags as a number when known. */
  flags?: number;
  /** Opened for writing (O_WRONLY|O_RDWR|O_CREAT|O_TRUNC). */
  write?: boolean;
  /**
   * Set on aggregated opens: the agent counts non-sensitive opens in the kernel per
   * (cgroup, executable, directory) and flushes them periodically. `path` is then the directory.
   */
  aggregated?: boolean;
  count?: number;
  /**
   * How the file was written when not by open(2): a rename, hard link or symlink whose
   * target is `path` (the agent reports these below system directories). Absent = open.
   */
  op?: 'rename' | 'link' | 'symlink';
  /** rename/link: the source path; symlink: the link's contents. */
  from?: string;
}

export interface PrivPayload {
  /** setuid, setgid, setreuid, setresuid, setresgid, setfsuid, capset ... */
  op: string;
  uid?: number;
  gid?: number;
  /** capset: effective/permitted capability bitmask as hex string. */
  caps?: string;
}

export interface LanternEvent {
  kind: EventKind;
  /** Wall-clock time, ns since the Unix epoch. A JS number: exact to ~256 ns at today's dates. */
  time: number;
  /** Kubernetes node name. */
  node: string;
  /** Per-node, per-agent-run monotonically increasing sequence number (dedupe on resume). */
  seq?: number;
  source?: EventSource;
  proc?: ProcessInfo;
  container?: ContainerInfo;
  pod?: PodRef;
  /** Syscall return value where meaningful (negative errno on failure). */
  ret?: number;

  // kind-specific payloads
  net?: NetPayload; // connect, accept, listen, dns, snapshot.sock
  dns?: { query?: string; server: string; serverPort: number };
  file?: FilePayload; // open
  priv?: PrivPayload; // setuid, capset
  ptrace?: { request: number; targetPid: number };
  mount?: { op: 'mount' | 'umount'; source?: string; target?: string; fstype?: string; flags?: number };
  ns?: { op: 'unshare' | 'setns'; flags: number };
  module?: { op: 'init_module' | 'finit_module' | 'delete_module'; name?: string };
  bpf?: { cmd: number };
  memfd?: { name: string; flags?: number };
  exit?: { code: number; signal?: number };
  agent?: AgentPayload;
  /** Imported third-party detection: kept verbatim-ish so the analyst can see what the other tool said. */
  alert?: { tool: EventSource; rule: string; priority?: string; output?: string; tags?: string[] };
}

export interface AgentPayload {
  /** 'start' | 'tick' | 'stop' for agent.status */
  phase?: 'start' | 'tick' | 'stop';
  kernel?: string;
  bpftrace?: string;
  agentVersion?: string;
  probes?: string[];
  /** Lifetime counters per probe */
  counters?: Record<string, number>;
  /** agent.lost: events the kernel or bpftrace dropped, as reported by bpftrace. */
  lost?: number;
  /** Free-text reason (e.g. a probe failed to attach). */
  message?: string;
  /** ns since boot -> epoch offset used by the laptop to convert times. */
  bootTimeNs?: number;
  /** How the agent watches kernel module loads: per-syscall tracepoints, raw_syscalls (fallback), or not at all. */
  modules?: 'tracepoints' | 'raw_syscalls' | 'none';
}

/** Stable process key: node + pid + start time (survives pid reuse). */
export function processKey(node: string, pid: number, start: number): string {
  return `${node}/${pid}@${start}`;
}

/** Extract container id and pod uid from a kubelet-style cgroup path (systemd or cgroupfs driver). */
export function parseCgroupPath(path: string): ContainerInfo {
  const out: ContainerInfo = { cgroup: path };
  // systemd driver: kubepods-besteffort-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope
  // cgroupfs driver: /kubepods/besteffort/pod<uid>/<id>
  const pod = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/i.exec(path);
  if (pod?.[1]) out.podUid = pod[1].replace(/_/g, '-').toLowerCase();
  const ctr =
    /(?:cri-containerd|docker|crio|containerd)-([0-9a-f]{64})\.scope/i.exec(path) ??
    /\/([0-9a-f]{64})(?:\/|$)/i.exec(path);
  if (ctr?.[1]) out.id = ctr[1].toLowerCase();
  return out;
}
