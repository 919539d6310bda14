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
export declare const EXPORT_FORMATS: readonly ["gexf", "graphml", "json", "opengraph", "html", "md", "findings-json", "findings-md"];
export declare const calls: {
    readonly 'app.info': {
        readonly request: z.ZodObject<{}, z.core.$strict>;
    };
    readonly 'settings.get': {
        readonly request: z.ZodObject<{}, z.core.$strict>;
    };
    readonly 'settings.update': {
        readonly request: z.ZodObject<{
            theme: z.ZodOptional<z.ZodEnum<{
                dark: "dark";
                light: "light";
            }>>;
            kubeconfigPath: z.ZodOptional<z.ZodNullable<z.ZodString>>;
            lastContext: z.ZodOptional<z.ZodNullable<z.ZodString>>;
        }, z.core.$strict>;
    };
    readonly 'recent.list': {
        readonly request: z.ZodObject<{}, z.core.$strict>;
    };
    readonly 'dialog.openCapture': {
        readonly request: z.ZodObject<{}, z.core.$strict>;
    };
    readonly 'session.openFile': {
        readonly request: z.ZodObject<{
            path: z.ZodString;
            continueOnError: z.ZodOptional<z.ZodBoolean>;
        }, z.core.$strict>;
    };
    readonly 'session.openDemo': {
        readonly request: z.ZodObject<{}, z.core.$strict>;
    };
    /** Browser mode drag-and-drop: the file's bytes, base64, at most 256 MiB. */
    readonly 'session.openUpload': {
        readonly request: z.ZodObject<{
            name: z.ZodString;
            dataBase64: z.ZodString;
        }, z.core.$strict>;
    };
    readonly 'session.close': {
        readonly request: z.ZodObject<{
            sessionId: z.ZodString;
        }, z.core.$strict>;
    };
    readonly 'session.info': {
        readonly request: z.ZodObject<{
            sessionId: z.ZodString;
        }, z.core.$strict>;
    };
    readonly 'graph.snapshot': {
        readonly request: z.ZodObject<{
            sessionId: z.ZodString;
            collapse: z.ZodOptional<z.ZodEnum<{
                namespace: "namespace";
                workload: "workload";
                pod: "pod";
                process: "process";
            }>>;
        }, z.core.$strict>;
    };
    readonly 'graph.nodeDetails': {
        readonly request: z.ZodObject<{
            sessionId: z.ZodString;
            key: z.ZodString;
        }, z.core.$strict>;
    };
    readonly 'graph.events': {
        readonly request: z.ZodObject<{
            sessionId: z.ZodString;
            nodeKey: z.ZodOptional<z.ZodString>;
            edgeKey: z.ZodOptional<z.ZodString>;
            offset: z.ZodNumber;
            limit: z.ZodNumber;
        }, z.core.$strict>;
    };
    readonly 'replay.control': {
        readonly request: z.ZodObject<{
            sessionId: z.ZodString;
            action: z.ZodEnum<{
                play: "play";
                pause: "pause";
                seek: "seek";
                speed: "speed";
            }>;
            time: z.ZodOptional<z.ZodNumber>;
            speed: z.ZodOptional<z.ZodNumber>;
        }, z.core.$strict>;
    };
    readonly 'timeline.histogram': {
        readonly request: z.ZodObject<{
            sessionId: z.ZodString;
            buckets: z.ZodNumber;
        }, z.core.$strict>;
    };
    readonly 'findings.list': {
        readonly request: z.ZodObject<{
            sessionId: z.ZodString;
        }, z.core.$strict>;
    };
    readonly 'findings.triage': {
        readonly request: z.ZodObject<{
            sessionId: z.ZodString;
            id: z.ZodString;
            status: z.ZodEnum<{
                new: "new";
                confirmed: "confirmed";
                benign: "benign";
            }>;
            allowList: z.ZodOptional<z.ZodBoolean>;
        }, z.core.$strict>;
    };
    readonly 'cluster.contexts': {
        readonly request: z.ZodObject<{
            kubeconfigPath: z.ZodOptional<z.ZodString>;
        }, z.core.$strict>;
    };
    readonly 'cluster.connect': {
        readonly request: z.ZodObject<{
            context: z.ZodString;
            kubeconfigPath: z.ZodOptional<z.ZodString>;
        }, z.core.$strict>;
    };
    readonly 'cluster.preflight': {
        readonly request: z.ZodObject<{
            context: z.ZodString;
            kubeconfigPath: z.ZodOptional<z.ZodString>;
            targets: z.ZodObject<{
                nodes: z.ZodOptional<z.ZodArray<z.ZodString>>;
                namespaces: z.ZodOptional<z.ZodArray<z.ZodString>>;
                selector: z.ZodOptional<z.ZodString>;
            }, z.core.$strict>;
        }, z.core.$strict>;
    };
    readonly 'capture.start': {
        readonly request: z.ZodObject<{
            context: z.ZodString;
            kubeconfigPath: z.ZodOptional<z.ZodString>;
            targets: z.ZodObject<{
                nodes: z.ZodOptional<z.ZodArray<z.ZodString>>;
                namespaces: z.ZodOptional<z.ZodArray<z.ZodString>>;
                selector: z.ZodOptional<z.ZodString>;
            }, z.core.$strict>;
            durationSec: z.ZodNumber;
            probes: z.ZodOptional<z.ZodArray<z.ZodString>>;
        }, z.core.$strict>;
    };
    readonly 'capture.stop': {
        readonly request: z.ZodObject<{
            captureId: z.ZodString;
        }, z.core.$strict>;
    };
    readonly 'capture.leftovers': {
        readonly request: z.ZodObject<{
            context: z.ZodString;
            kubeconfigPath: z.ZodOptional<z.ZodString>;
        }, z.core.$strict>;
    };
    readonly 'capture.cleanLeftovers': {
        readonly request: z.ZodObject<{
            context: z.ZodString;
            kubeconfigPath: z.ZodOptional<z.ZodString>;
        }, z.core.$strict>;
    };
    readonly 'export.graph': {
        readonly request: z.ZodObject<{
            sessionId: z.ZodString;
            format: z.ZodEnum<{
                gexf: "gexf";
                graphml: "graphml";
                json: "json";
                opengraph: "opengraph";
                html: "html";
                md: "md";
                "findings-json": "findings-json";
                "findings-md": "findings-md";
            }>;
            collapse: z.ZodOptional<z.ZodEnum<{
                namespace: "namespace";
                workload: "workload";
                pod: "pod";
                process: "process";
            }>>;
        }, z.core.$strict>;
    };
    readonly 'diff.open': {
        readonly request: z.ZodObject<{
            a: z.ZodString;
            b: z.ZodString;
        }, z.core.$strict>;
    };
};
export type CallName = keyof typeof calls;
export type CallRequest<N extends CallName> = z.infer<(typeof calls)[N]['request']>;
export type CallResponse<N extends CallName> = CallResponses[N];
export interface AppInfo {
    name: 'Lantern';
    version: string;
    mode: 'electron' | 'browser';
    platform: string;
}
export interface Settings {
    theme: 'dark' | 'light';
    kubeconfigPath: string | null;
    lastContext: string | null;
}
export interface RecentItems {
    captures: {
        path: string;
        name: string;
        openedAt: string;
        events?: number;
    }[];
    clusters: {
        context: string;
        server?: string;
        usedAt: string;
    }[];
}
export interface SessionInfo {
    sessionId: string;
    name: string;
    kind: 'file' | 'demo' | 'live' | 'diff';
    /** Header summary */
    cluster?: {
        server?: string;
        context?: string;
    };
    nodes: string[];
    probes: string[];
    source: string;
    startTime: number;
    endTime: number;
    events: number;
    /** Incomplete file, skipped lines ... in words. */
    warnings: string[];
    complete: boolean;
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
    ancestors: {
        key: string;
        label: string;
    }[];
    children: {
        key: string;
        label: string;
    }[];
    neighbours: {
        key: string;
        label: string;
        kind: string;
        edgeKind: string;
        direction: 'in' | 'out';
        count: number;
    }[];
    edges?: {
        key: string;
        attributes: GraphEdgeAttributes;
    }[];
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
    nodes: {
        name: string;
        kernel?: string;
        ready?: boolean;
        pods: number;
    }[];
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
}
export interface PreflightResult {
    context: string;
    server: string;
    ok: boolean;
    checks: PreflightCheck[];
    missing: PreflightCheck[];
    podSecurity?: {
        namespace: string;
        level: string;
        ok: boolean;
        message: string;
    };
    /** A Role/ClusterRole YAML granting what is missing. */
    grantYaml?: string;
    targetNodes: string[];
}
export type NodeCaptureState = 'pending' | 'pulling' | 'running' | 'streaming' | 'reconnecting' | 'finished' | 'failed';
export interface NodeProgress {
    node: string;
    pod?: string;
    state: NodeCaptureState;
    reason?: string;
    events: number;
    eventsPerSec: number;
    lost: number;
    reconnects: number;
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
    added: {
        nodes: number;
        edges: number;
    };
    removed: {
        nodes: number;
        edges: number;
    };
    changed: {
        edges: number;
    };
}
export interface TimelineHistogram {
    start: number;
    end: number;
    counts: number[];
    findings: {
        time: number;
        severity: string;
        id: string;
    }[];
}
export interface CallResponses {
    'app.info': AppInfo;
    'settings.get': Settings;
    'settings.update': Settings;
    'recent.list': RecentItems;
    'dialog.openCapture': {
        path: string | null;
    };
    'session.openFile': SessionInfo;
    'session.openDemo': SessionInfo;
    'session.openUpload': SessionInfo;
    'session.close': {
        closed: boolean;
    };
    'session.info': SessionInfo;
    'graph.snapshot': GraphDelta;
    'graph.nodeDetails': NodeDetails;
    'graph.events': {
        events: LanternEvent[];
        total: number;
    };
    'replay.control': ReplayState;
    'timeline.histogram': TimelineHistogram;
    'findings.list': Finding[];
    'findings.triage': Finding;
    'cluster.contexts': {
        contexts: ContextInfo[];
        current: string | null;
        sources: string[];
    };
    'cluster.connect': ClusterSummary;
    'cluster.preflight': PreflightResult;
    'capture.start': {
        captureId: string;
        sessionId: string;
        out: string;
    };
    'capture.stop': Ledger;
    'capture.leftovers': Leftover[];
    'capture.cleanLeftovers': Ledger;
    'export.graph': ExportResult;
    'diff.open': DiffSummary;
}
/** Server-pushed streams. */
export interface StreamPayloads {
    'graph.delta': {
        sessionId: string;
        delta: GraphDelta;
    };
    'capture.progress': CaptureProgress;
    'findings.changed': {
        sessionId: string;
        findings: Finding[];
    };
    'replay.state': ReplayState;
    notice: {
        level: 'info' | 'warning' | 'error';
        message: string;
    };
}
export type StreamName = keyof StreamPayloads;
export declare const STREAM_NAMES: readonly StreamName[];
export type ErrorCode = 'invalid-request' | 'unknown-call' | 'forbidden' | 'not-found' | 'unsupported' | 'bad-input' | 'cluster-error' | 'cancelled' | 'internal';
/** Errors cross both transports as this plain object. */
export interface ApiError {
    code: ErrorCode;
    message: string;
    details?: unknown;
}
export type TriageRequest = {
    status: TriageStatus;
};
export type { CollapseLevel };
