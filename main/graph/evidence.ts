/**
 * Findings meet the graph: evidence ids as this graph has them, and severities on the elements a
 * finding points at. Pure, used by the session engine and the CLI exports.
 */
import type { Finding } from '../common/findings';
import type { Severity } from '../common/graph';
import { SEVERITY_ORDER } from '../common/graph';
import type { BehaviourGraph, GraphBuilder } from './builder';

const NOT_EVIDENCE = new Set(['contains', 'uses-account', 'namespace', 'workload', 'service-account', 'cluster-node']);

/**
 * The keys each evidence event touched (from the builder's touch log, needs log: true), plus
 * detection's own ids where they exist in the graph. Detection computes ids from single events;
 * the builder folds paths and resolves ancestry, so the log is the truth. Returns a new finding.
 */
export function alignEvidence(b: GraphBuilder, f: Finding): Finding {
  const nodes = new Set<string>();
  const edges = new Set<string>();
  for (const k of f.evidence.nodes) if (b.graph.hasNode(k)) nodes.add(k);
  for (const k of f.evidence.edges) if (b.graph.hasEdge(k)) edges.add(k);
  for (const ref of f.evidence.events) {
    for (const k of b.touchedKeys(ref.index)) {
      const rec = b.element(k);
      // structure created on the way (namespace, pod, contains edges) is not evidence
      if (!rec || NOT_EVIDENCE.has(rec.attrs.kind)) continue;
      (rec.edge ? edges : nodes).add(k);
    }
  }
  return { ...f, evidence: { ...f.evidence, nodes: [...nodes], edges: [...edges] } };
}

/** Highest severity per node/edge key over the given findings. */
export function severityByKey(findings: readonly Finding[]): Map<string, Severity> {
  const out = new Map<string, Severity>();
  for (const f of findings) {
    for (const k of [...f.evidence.nodes, ...f.evidence.edges]) {
      const cur = out.get(k);
      if (!cur || SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[cur]) out.set(k, f.severity);
    }
  }
  return out;
}

/** Sets `severity` on the graph's elements that findings point at (mutates g). */
export function applySeverity(g: BehaviourGraph, findings: readonly Finding[]): void {
  for (const [k, s] of severityByKey(findings)) {
    if (g.hasNode(k)) g.setNodeAttribute(k, 'severity', s);
    else if (g.hasEdge(k)) g.setEdgeAttribute(k, 'severity', s);
  }
}
