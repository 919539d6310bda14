/**
 * Behaviour graph vocabulary shared by main (builder, detection, export) and the renderer (view).
 * Environment-free.
 */

export const NODE_KINDS = [
  'cluster-node',
  'namespace',
  'workload',
  'pod',
  'container',
  'process',
  'endpoint',
  'domain',
  'file',
  'service-account',
] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export const EDGE_KINDS = [
  'contains', // namespace→workload→pod→container, cluster-node→pod
  'owns',
  'runs', // container→process
  'spawned', // process→process (exec/fork)
  'connected', // process→endpoint
  'accepted', // endpoint→process
  'listened', // process→endpoint
  'resolved', // process→domain (DNS query)
  'opened',
  'read',
  'wrote',
  'changed-privilege', // process→process-self or → account
  'ptraced', // process→process
  'loaded-module', // process→file(module)
  'mounted', // process→file(mount target)
  'namespace-op', // unshare / setns
  'bpf', // process→cluster-node
  'uses-account', // pod→service-account
] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

/** Endpoint classification from the inventory. */
export type EndpointClass =
  'pod' | 'service' | 'node' | 'cluster-api' | 'metadata' | 'loopback' | 'external' | 'unknown';

/** Attributes every graph node carries. Extra kind-specific attributes are allowed. */
export interface GraphNodeAttributes {
  kind: NodeKind;
  label: string;
  /** Events that touched this node. */
  count: number;
  firstSeen: number;
  lastSeen: number;
  namespace?: string;
  workload?: string;
  pod?: string;
  node?: string;
  /** process: exe path; file: path; endpoint: ip:port; ... */
  detail?: string;
  endpointClass?: EndpointClass;
  /** Highest severity of findings that reference this node, set by detection. */
  severity?: Severity;
  [extra: string]: unknown;
}

export interface GraphEdgeAttributes {
  kind: EdgeKind;
  count: number;
  firstSeen: number;
  lastSeen: number;
  severity?: Severity;
  [extra: string]: unknown;
}

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITY_ORDER: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export type CollapseLevel = 'process' | 'pod' | 'workload' | 'namespace';

/** Batched changes pushed from the engine to the renderer's graph mirror. */
export interface GraphDelta {
  /** Monotonic per session; a renderer that misses one asks for a snapshot. */
  seq: number;
  /** Drop the mirror's contents before applying (seek backwards, view change). */
  reset?: boolean;
  nodes?: { key: string; attributes: GraphNodeAttributes }[];
  /** Partial attribute updates (counts, lastSeen, severity). */
  nodeUpdates?: { key: string; attributes: Partial<GraphNodeAttributes> }[];
  dropNodes?: string[];
  edges?: { key: string; source: string; target: string; attributes: GraphEdgeAttributes }[];
  edgeUpdates?: { key: string; attributes: Partial<GraphEdgeAttributes> }[];
  dropEdges?: string[];
  /** Event time the graph now reflects (replay cursor). */
  time?: number;
}

/**
 * Node and edge keys. Pure and shared so that the graph builder, detection (evidence ids),
 * diff and the renderer agree. A process node is an executable within a container (DESIGN.md):
 * pids are tracked in the builder's process table for ancestry, not as graph nodes, so the
 * graph grows with distinct behaviours rather than with events.
 */
export const keys = {
  clusterNode: (node: string) => `node:${node}`,
  namespace: (ns: string) => `ns:${ns}`,
  workload: (ns: string, kind: string, name: string) => `wl:${ns}/${kind}/${name}`,
  pod: (ns: string, name: string) => `pod:${ns}/${name}`,
  container: (ns: string, pod: string, container: string) => `ctr:${ns}/${pod}/${container}`,
  /** `scope` is a container key, or `host:<node>` for processes outside any pod. */
  process: (scope: string, exe: string) => `proc:${scope}|${exe}`,
  hostScope: (node: string) => `host:${node}`,
  /** Destination endpoint; port 0 for a peer whose port is ephemeral (accept side). */
  endpoint: (ip: string, port: number) => `ep:${ip}:${port}`,
  domain: (name: string) => `dns:${name}`,
  file: (path: string) => `file:${path}`,
  serviceAccount: (ns: string, name: string) => `sa:${ns}/${name}`,
  edge: (kind: EdgeKind, source: string, target: string) => `${kind}:${source}->${target}`,
};
