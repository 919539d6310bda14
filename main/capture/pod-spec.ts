/**
 * The capture Pod manifest: what runs the agent (native/agent/lantern-agent) on one node.
 *
 * Shape and why:
 * - hostPID: the agent reads /proc of every process (snapshot) and re-enters the host's
 *   cgroup namespace through /proc/1 so cgroup paths are the kubelet's.
 * - privileged: loading BPF programs and attaching tracepoints needs CAP_BPF + CAP_PERFMON
 *   + CAP_SYS_ADMIN (bpftrace 0.17 checks for full root), and setns into the host cgroup
 *   namespace needs CAP_SYS_ADMIN; a reduced capability list does not run bpftrace 0.17.
 * - read-only hostPath mounts of what bpftrace and the agent read: tracefs (tracepoint
 *   formats), debugfs (older layouts), the cgroup hierarchy, kernel BTF.
 * - no service-account token, every taint tolerated, pinned to the node by name,
 *   activeDeadlineSeconds as a hard stop even if the laptop disappears, restartPolicy Never.
 * - labels that mark Lantern's pods (labels.ts, used by leftover search) and an annotation
 *   with the expiry time.
 */
import type { V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { CAPTURE_LABELS } from './labels';

export const AGENT_VERSION = '0.2.0';
export const DEFAULT_IMAGE_REPOSITORY = 'ghcr.io/lantern-dev/lantern-agent';
export const DEFAULT_IMAGE = `${DEFAULT_IMAGE_REPOSITORY}:${AGENT_VERSION}`;
export const DEFAULT_PROBES = ['exec', 'net', 'file', 'priv'];
export const AGENT_ENTRY = '/opt/lantern/agent/lantern-agent';
/** Seconds the agent needs before its probes are attached (bpftrace compiles the program). */
export const STARTUP_ALLOWANCE_SEC = 60;
/** Extra seconds past the duration before Kubernetes kills the pod (flush, stop line). */
export const DEADLINE_SLACK_SEC = 60;

export interface AgentImage {
  /** Full reference, e.g. "registry.local:5000/lantern-agent:0.1.0" or "...@sha256:...". */
  image?: string;
  /** Or built from parts: registry + repository + tag or digest. */
  registry?: string;
  repository?: string;
  tag?: string;
  digest?: string;
  pullSecrets?: string[];
  pullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

export interface CapturePodArgs extends AgentImage {
  node: string;
  sessionId: string;
  namespace: string;
  durationSec: number;
  probes?: string[];
  /** Capture host processes too (not only the kubelet's pods). */
  hostProcesses?: boolean;
  /** Only these pods (uids), else every pod on the node. */
  podUids?: string[];
  /** Cgroup root override (LANTERN_CGROUP_ROOT), relative to the cgroup2 mount. */
  cgroupRoot?: string;
  /**
   * Watch kernel-module load attempts even on kernels without module support (where every
   * attempt fails): costs a filter on every syscall of the node, so it is asked for, not default.
   */
  moduleAttempts?: boolean;
  /** Clock for the expiry annotation (tests). */
  now?: Date;
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PROBE_NAMES = new Set(DEFAULT_PROBES);

/** Label values: at most 63 chars of [A-Za-z0-9-_.], alphanumeric at both ends. */
export function labelValue(s: string): string {
  let v = s.replace(/[^A-Za-z0-9._-]/g, '-');
  if (v.length > 63) {
    let h = 0;
    for (const c of s) h = (Math.imul(h, 31) + c.codePointAt(0)!) >>> 0;
    v = `${v.slice(0, 54)}-${h.toString(16).padStart(8, '0')}`;
  }
  return v.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

export function imageRef(a: AgentImage): string {
  if (a.image) return a.image;
  const repo = a.repository ?? (a.registry ? 'lantern-agent' : DEFAULT_IMAGE_REPOSITORY);
  const base = a.registry ? `${a.registry.replace(/\/+$/, '')}/${repo}` : repo;
  if (a.digest) {
    if (!/^sha256:[0-9a-f]{64}$/.test(a.digest))
      throw new Error(`image digest must be sha256:<64 hex>, got ${JSON.stringify(a.digest)}`);
    return `${base}@${a.digest}`;
  }
  return `${base}:${a.tag ?? AGENT_VERSION}`;
}

export function capturePodName(node: string, sessionId: string): string {
  const n = labelValue(`lantern-${sessionId}-${node}`).toLowerCase().replace(/[._]/g, '-');
  return n.slice(0, 63).replace(/-+$/, '');
}

export function buildCapturePod(args: CapturePodArgs): V1Pod {
  if (!args.node) throw new Error('capture pod: node name is required');
  if (!DNS1123.test(args.namespace))
    throw new Error(`capture pod: invalid namespace ${JSON.stringify(args.namespace)}`);
  if (!Number.isInteger(args.durationSec) || args.durationSec < 1 || args.durationSec > 7 * 24 * 3600)
    throw new Error(`capture pod: duration must be 1 s .. 7 days, got ${args.durationSec}`);
  const probes = args.probes?.length ? args.probes : DEFAULT_PROBES;
  for (const p of probes) if (!PROBE_NAMES.has(p)) throw new Error(`capture pod: unknown probe ${JSON.stringify(p)}`);
  for (const u of args.podUids ?? [])
    if (!/^[0-9a-fA-F-]{36}$/.test(u)) throw new Error(`capture pod: invalid pod uid ${JSON.stringify(u)}`);
  if (args.cgroupRoot !== undefined && !/^[A-Za-z0-9._/,:@-]+$/.test(args.cgroupRoot))
    throw new Error('capture pod: cgroup root has unexpected characters');

  const now = args.now ?? new Date();
  // The agent counts its duration from its own start (bpftrace compile included).
  const agentDuration = args.durationSec + STARTUP_ALLOWANCE_SEC;
  const deadline = agentDuration + DEADLINE_SLACK_SEC;
  const expires = new Date(now.getTime() + deadline * 1000).toISOString();

  const command = [
    AGENT_ENTRY,
    '--duration',
    String(agentDuration),
    '--probes',
    probes.join(','),
    '--scope',
    args.hostProcesses ? 'host' : 'kube',
  ];
  if (args.podUids?.length) command.push('--pods', args.podUids.join(','));

  const hostDirs: [string, string][] = [
    ['tracefs', '/sys/kernel/tracing'],
    ['debugfs', '/sys/kernel/debug'],
    ['cgroup', '/sys/fs/cgroup'],
    ['btf', '/sys/kernel/btf'],
  ];
  const volumes: V1Volume[] = hostDirs.map(([name, path]) => ({ name, hostPath: { path, type: 'Directory' } }));
  const volumeMounts: V1VolumeMount[] = hostDirs.map(([name, path]) => ({ name, mountPath: path, readOnly: true }));

  const env = [
    { name: 'LANTERN_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ...(args.cgroupRoot ? [{ name: 'LANTERN_CGROUP_ROOT', value: args.cgroupRoot }] : []),
    ...(args.moduleAttempts ? [{ name: 'LANTERN_RAW_SYSCALLS', value: 'on' }] : []),
  ];

  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: capturePodName(args.node, args.sessionId),
      namespace: args.namespace,
      labels: {
        'app.kubernetes.io/name': 'lantern-agent',
        [CAPTURE_LABELS.managedBy]: CAPTURE_LABELS.managedByValue,
        [CAPTURE_LABELS.component]: CAPTURE_LABELS.componentValue,
        [CAPTURE_LABELS.session]: labelValue(args.sessionId),
        [CAPTURE_LABELS.node]: labelValue(args.node),
      },
      annotations: {
        [CAPTURE_LABELS.expiresAnnotation]: expires,
        'lantern.dev/expires': expires,
        'lantern.dev/agent-version': AGENT_VERSION,
      },
    },
    spec: {
      nodeName: args.node,
      hostPID: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: deadline,
      terminationGracePeriodSeconds: 30,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      tolerations: [{ operator: 'Exists' }],
      ...(args.pullSecrets?.length ? { imagePullSecrets: args.pullSecrets.map((name) => ({ name })) } : {}),
      containers: [
        {
          name: 'agent',
          image: imageRef(args),
          imagePullPolicy: args.pullPolicy ?? 'IfNotPresent',
          command,
          env,
          securityContext: { privileged: true, readOnlyRootFilesystem: false, runAsUser: 0 },
          resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
          volumeMounts,
        },
      ],
      volumes,
    },
  };
}

/** The engine's call shape (PodBuildArgs in session.ts) is a subset of CapturePodArgs. */
export const buildAgentPod = buildCapturePod;
