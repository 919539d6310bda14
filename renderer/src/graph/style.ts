/**
 * Visual vocabulary of the graph view: colours and program types by kind, size by activity.
 * Pure (no DOM, no WebGL) so that the legend, the reducers and the tests share one source.
 */
import type { EdgeKind, NodeKind, Severity } from '../../../main/common/graph';

/** Colour per node kind; chosen to stay distinct on both the dark and the light background. */
export const NODE_COLORS: Record<NodeKind, string> = {
  'cluster-node': '#8d99ae',
  namespace: '#b388ff',
  workload: '#7c4dff',
  pod: '#4f8cff',
  container: '#26a6d1',
  process: '#2ec4b6',
  endpoint: '#f4a259',
  domain: '#e9c46a',
  file: '#a3b18a',
  'service-account': '#ef6f9c',
};

export const NODE_KIND_LABELS: Record<NodeKind, string> = {
  'cluster-node': 'Cluster node',
  namespace: 'Namespace',
  workload: 'Workload',
  pod: 'Pod',
  container: 'Container',
  process: 'Process',
  endpoint: 'Endpoint',
  domain: 'Domain',
  file: 'File',
  'service-account': 'Service account',
};

/**
 * Program per kind: infrastructure (what the cluster declares) is square, behaviour (what really
 * ran or was touched) is round, so the two layers read apart at a glance.
 */
export type NodeProgram = 'circle' | 'square' | 'border';
export const NODE_SHAPES: Record<NodeKind, 'square' | 'circle'> = {
  'cluster-node': 'square',
  namespace: 'square',
  workload: 'square',
  pod: 'square',
  container: 'square',
  process: 'circle',
  endpoint: 'circle',
  domain: 'circle',
  file: 'circle',
  'service-account': 'square',
};

export const EDGE_COLORS: Record<EdgeKind, string> = {
  contains: '#5c6370',
  owns: '#5c6370',
  runs: '#3d7a8c',
  spawned: '#2ec4b6',
  connected: '#f4a259',
  accepted: '#e07a5f',
  listened: '#c9a227',
  resolved: '#e9c46a',
  opened: '#8a9a70',
  read: '#8a9a70',
  wrote: '#c9b458',
  'changed-privilege': '#ff5d73',
  ptraced: '#ff5d73',
  'loaded-module': '#ff5d73',
  mounted: '#ff8fa3',
  'namespace-op': '#ff8fa3',
  bpf: '#ff5d73',
  'uses-account': '#ef6f9c',
};

/** Edge kinds grouped for the legend, so it stays short. */
export const EDGE_LEGEND: { label: string; kinds: EdgeKind[] }[] = [
  { label: 'Structure (contains, runs)', kinds: ['contains', 'owns', 'runs'] },
  { label: 'Spawned', kinds: ['spawned'] },
  { label: 'Network (connect, accept, listen)', kinds: ['connected', 'accepted', 'listened'] },
  { label: 'DNS', kinds: ['resolved'] },
  { label: 'Files (open, read, write)', kinds: ['opened', 'read', 'wrote'] },
  { label: 'Privilege, ptrace, modules, bpf', kinds: ['changed-privilege', 'ptraced', 'loaded-module', 'bpf'] },
  { label: 'Mounts, namespaces', kinds: ['mounted', 'namespace-op'] },
  { label: 'Uses account', kinds: ['uses-account'] },
];

export const SEVERITY_COLORS: Record<Severity, string> = {
  critical: '#ff3b5c',
  high: '#ff7a45',
  medium: '#ffc53d',
  low: '#69b1ff',
  info: '#8c8c8c',
};

export const DIFF_COLORS = { added: '#3ddc84', removed: '#ff4d6d', changed: '#ffc53d' } as const;

/** Node size grows with the log of its activity so one chatty process does not swallow the view. */
export function nodeSize(kind: NodeKind | string, count: number): number {
  const base = kind === 'namespace' || kind === 'cluster-node' ? 7 : kind === 'workload' ? 6 : kind === 'pod' ? 5 : 3.5;
  const activity = Math.log10(1 + Math.max(0, Number.isFinite(count) ? count : 0));
  return Math.min(22, base + 2.2 * activity);
}

export function nodeColor(kind: string): string {
  return (NODE_COLORS as Record<string, string>)[kind] ?? '#999999';
}

export function edgeColor(kind: string): string {
  return (EDGE_COLORS as Record<string, string>)[kind] ?? '#5c6370';
}

/** Edge thickness grows slowly with the number of events behind it. */
export function edgeSize(count: number): number {
  return Math.min(6, 0.6 + 0.8 * Math.log10(1 + Math.max(0, Number.isFinite(count) ? count : 0)));
}
