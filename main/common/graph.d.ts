/**
 * Behaviour graph vocabulary shared by main (builder, detection, export) and the renderer (view).
 * Environment-free.
 */
export declare const NODE_KINDS: readonly ["cluster-node", "namespace", "workload", "pod", "container", "process", "endpoint", "domain", "file", "service-account"];
export type NodeKind = (typeof NODE_KINDS)[number];
export declare const EDGE_KINDS: readonly ["contains", "owns", "runs", "spawned", "connected", "accepted", "listened", "resolved", "opened", "read", "wrote", "changed-privilege", "ptraced", "loaded-module", "mounted", "namespace-op", "bpf", "uses-account"];
export type EdgeKind = (typeof EDGE_KINDS)[number];
/** Endpoint classification from the inventory. */
export type EndpointClass = 'pod' | 'service' | 'node' | 'cluster-api' | 'metadata' | 'loopback' | 'external' | 'unknown';
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
export declare const SEVERITY_ORDER: Record<Severity, number>;
export type CollapseLevel = 'process' | 'pod' | 'workload' | 'namespace';
/** Batched changes pushed from the engine to the renderer's graph mirror. */
export interface GraphDelta {
    /** Monotonic per session; a renderer that misses one asks for a snapshot. */
    seq: number;
    /** Drop the mirror's contents before applying (seek backwards, view change). */
    reset?: boolean;
    nodes?: {
        key: string;
        attributes: GraphNodeAttributes;
    }[];
    /** Partial attribute updates (counts, lastSeen, severity). */
    nodeUpdates?: {
        key: string;
        attributes: Partial<GraphNodeAttributes>;
    }[];
    dropNodes?: string[];
    edges?: {
        key: string;
        source: string;
        target: string;
        attributes: GraphEdgeAttributes;
    }[];
    edgeUpdates?: {
        key: string;
        attributes: Partial<GraphEdgeAttributes>;
    }[];
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
export declare const keys: {
    clusterNode: (node: string) => string;
    namespace: (ns: string) => string;
    workload: (ns: string, kind: string, name: string) => string;
    pod: (ns: string, name: string) => string;
    container: (ns: string, pod: string, container: string) => string;
    /** `scope` is a container key, or `host:<node>` for processes outside any pod. */
    process: (scope: string, exe: string) => string;
    hostScope: (node: string) => string;
    /** Destination endpoint; port 0 for a peer whose port is ephemeral (accept side). */
    endpoint: (ip: string, port: number) => string;
    domain: (name: string) => string;
    file: (path: string) => string;
    serviceAccount: (ns: string, name: string) => string;
    edge: (kind: EdgeKind, source: string, target: string) => string;
};
