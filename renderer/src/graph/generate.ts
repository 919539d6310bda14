/**
 * A synthetic behaviour graph with a cluster-like shape (namespaces → workloads → pods →
 * containers → processes, talking to endpoints and touching files), for the UI benchmark and
 * tests. Deterministic for a given seed.
 */
import type {
  GraphDelta,
  GraphEdgeAttributes,
  GraphNodeAttributes,
  NodeKind,
  EdgeKind,
} from '../../../main/common/graph';
import { keys } from '../../../main/common/graph';
import { mulberry32 } from './mirror';

export function generateGraph(
  nodeCount: number,
  edgeCount: number,
  seed = 7,
  t0 = 1_764_000_000_000_000_000,
): GraphDelta {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const nodes: NonNullable<GraphDelta['nodes']> = [];
  const edges: NonNullable<GraphDelta['edges']> = [];
  const edgeKeys = new Set<string>();
  const span = 600e9;
  const node = (key: string, kind: NodeKind, label: string, extra: Partial<GraphNodeAttributes> = {}) => {
    const first = t0 + Math.floor(rnd() * span * 0.8);
    const attributes: GraphNodeAttributes = {
      kind,
      label,
      count: Math.floor(1 + rnd() ** 4 * 2000),
      firstSeen: first,
      lastSeen: first + Math.floor(rnd() * span * 0.2),
      ...extra,
    };
    nodes.push({ key, attributes });
    return key;
  };
  const edge = (kind: EdgeKind, source: string, target: string) => {
    const key = keys.edge(kind, source, target);
    if (edgeKeys.has(key) || source === target) return false;
    edgeKeys.add(key);
    const first = t0 + Math.floor(rnd() * span);
    const attributes: GraphEdgeAttributes = {
      kind,
      count: Math.floor(1 + rnd() ** 3 * 500),
      firstSeen: first,
      lastSeen: first + 1e9,
    };
    edges.push({ key, source, target, attributes });
    return true;
  };
  const nsCount = Math.max(1, Math.round(nodeCount / 1000));
  const namespaces = Array.from({ length: nsCount }, (_, i) =>
    node(keys.namespace(`ns-${i}`), 'namespace', `ns-${i}`, { namespace: `ns-${i}` }),
  );
  const processes: string[] = [];
  const containers: string[] = [];
  // Roughly: 40% structure and processes, 60% endpoints and files.
  const structural = Math.floor(nodeCount * 0.4);
  let made = namespaces.length;
  while (made < structural) {
    const nsi = Math.floor(rnd() * nsCount);
    const ns = `ns-${nsi}`;
    const wlName = `app-${made}`;
    const wl = node(keys.workload(ns, 'Deployment', wlName), 'workload', wlName, { namespace: ns, workload: wlName });
    edge('contains', namespaces[nsi]!, wl);
    made++;
    const pods = 1 + Math.floor(rnd() * 3);
    for (let p = 0; p < pods && made < structural; p++) {
      const podName = `${wlName}-${p}`;
      const pod = node(keys.pod(ns, podName), 'pod', podName, { namespace: ns, workload: wlName, pod: podName });
      edge('contains', wl, pod);
      const ctr = node(keys.container(ns, podName, 'main'), 'container', 'main', {
        namespace: ns,
        workload: wlName,
        pod: podName,
      });
      edge('contains', pod, ctr);
      containers.push(ctr);
      made += 2;
      const procs = 1 + Math.floor(rnd() * 4);
      let parent: string | null = null;
      for (let q = 0; q < procs && made < structural; q++) {
        const exe = pick([
          '/bin/sh',
          '/usr/bin/python3',
          '/usr/sbin/nginx',
          '/usr/bin/curl',
          '/app/server',
          '/bin/busybox',
        ]);
        const pr = node(keys.process(ctr, `${exe}#${q}`), 'process', exe.split('/').pop()!, {
          namespace: ns,
          workload: wlName,
          pod: podName,
          detail: exe,
        });
        edge('runs', ctr, pr);
        if (parent) edge('spawned', parent, pr);
        parent = pr;
        processes.push(pr);
        made++;
      }
    }
  }
  const leaves: string[] = [];
  while (made < nodeCount) {
    const r = rnd();
    if (r < 0.45) {
      const ip = `10.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}`;
      const port = pick([80, 443, 53, 5432, 6379, 8080]);
      leaves.push(
        node(keys.endpoint(ip, port), 'endpoint', `${ip}:${port}`, {
          endpointClass: rnd() < 0.2 ? 'external' : 'pod',
          detail: `${ip}:${port}`,
        }),
      );
    } else if (r < 0.9) {
      const path = `/var/lib/app/${made}/data.${pick(['db', 'log', 'conf', 'json'])}`;
      leaves.push(node(keys.file(path), 'file', path.split('/').pop()!, { detail: path }));
    } else {
      const d = `svc-${made}.example.com`;
      leaves.push(node(keys.domain(d), 'domain', d));
    }
    made++;
  }
  // Every leaf gets one link so nothing floats alone, then random behaviour edges up to the target.
  for (const leaf of leaves) {
    const p = pick(processes);
    const kind = leaf.startsWith('ep:') ? 'connected' : leaf.startsWith('file:') ? 'opened' : 'resolved';
    edge(kind, p, leaf);
  }
  const sources = processes;
  let guard = 0;
  while (edges.length < edgeCount && guard++ < edgeCount * 10) {
    const p = pick(sources);
    const target = rnd() < 0.85 ? pick(leaves) : pick(processes);
    const kind: EdgeKind = target.startsWith('ep:')
      ? 'connected'
      : target.startsWith('file:')
        ? pick(['opened', 'read', 'wrote'] as EdgeKind[])
        : target.startsWith('dns:')
          ? 'resolved'
          : 'spawned';
    edge(kind, p, target);
  }
  void containers;
  return { seq: 0, reset: true, nodes, edges, time: t0 + span };
}
