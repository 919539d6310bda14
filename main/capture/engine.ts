/**
 * The one engine behind the CLI and the app: open a context (connect + inventory), run preflight,
 * start a capture session with the real agent pod spec, parser and enricher, find and clean
 * leftovers. Front doors (main/cli/commands, main/api/handlers) only translate flags/requests.
 */
import type { Inventory } from '../common/capture';
import type { PreflightResult } from '../common/contract';
import { connect, type ClusterConnection } from '../cluster/connection';
import { InventoryWatcher } from '../cluster/inventory';
import type { LoadedKubeconfig } from '../cluster/kubeconfig';
import { runPreflight } from '../cluster/preflight';
import { createEnricher } from '../events/enrich';
import { loadAgent } from './agent';
import { CaptureSession, type CaptureSessionOptions } from './session';
import { resolveTargetNodes, type CaptureTargets } from './targets';

export interface OpenedCluster {
  conn: ClusterConnection;
  inventory: InventoryWatcher;
  close(): Promise<void>;
}

export async function openCluster(opts: {
  kubeconfigPath?: string;
  context?: string;
  loaded?: LoadedKubeconfig;
}): Promise<OpenedCluster> {
  const conn = await connect({
    ...(opts.kubeconfigPath ? { path: opts.kubeconfigPath } : {}),
    ...(opts.context ? { context: opts.context } : {}),
    ...(opts.loaded ? { loaded: opts.loaded } : {}),
  });
  const inventory = new InventoryWatcher(conn);
  await inventory.start();
  return { conn, inventory, close: () => inventory.stop() };
}

/** The namespace capture pods go in: explicit, else the context's, else "default". */
export function captureNamespaceFor(conn: ClusterConnection, explicit?: string): string {
  return explicit || conn.defaultNamespace || 'default';
}

export async function preflightFor(
  cluster: OpenedCluster,
  targets: CaptureTargets & { captureNamespace?: string },
): Promise<PreflightResult> {
  const inv = cluster.inventory.snapshot();
  const { nodes } = resolveTargetNodes(inv, targets);
  return runPreflight(cluster.conn, {
    namespace: captureNamespaceFor(cluster.conn, targets.captureNamespace),
    inventory: inv,
    targetNodes: nodes,
  });
}

export type StartCaptureOptions = Omit<
  CaptureSessionOptions,
  'conn' | 'inventory' | 'buildPod' | 'parserFor' | 'enricherFor' | 'namespace'
> & {
  namespace?: string;
  /** Agent image override (air-gapped registries). */
  image?: string;
  /** Watch module-load attempts on kernels without module support (pod-spec.ts says what it costs). */
  moduleAttempts?: boolean;
};

/** A session wired to the real agent pod spec, parser and enricher (not started yet). */
export async function createCapture(cluster: OpenedCluster, opts: StartCaptureOptions): Promise<CaptureSession> {
  const agent = await loadAgent();
  return new CaptureSession({
    ...opts,
    conn: cluster.conn,
    inventory: cluster.inventory,
    namespace: captureNamespaceFor(cluster.conn, opts.namespace),
    ...(opts.probes ? {} : agent.defaultProbes ? { probes: agent.defaultProbes } : {}),
    buildPod: (a) =>
      agent.buildPod({
        ...a,
        ...(opts.image ? { image: opts.image } : {}),
        ...(opts.moduleAttempts ? { moduleAttempts: true } : {}),
      }),
    parserFor: (node) => agent.parserFor(node),
    enricherFor: (inv: Inventory) => createEnricher(inv),
  });
}
