/**
 * Graph ids for a finding's evidence, computed with the shared `keys` so that a click on a finding
 * focuses the same nodes and edges the graph builder made.
 */
import type { LanternEvent } from '../common/events';
import { keys } from '../common/graph';
import type { Proc } from './proctable';

/** The scope a process node lives in: its container, else its pod, else the host. */
export function scopeKey(ev: LanternEvent): string {
  const p = ev.pod;
  if (p) return keys.container(p.namespace, p.name, p.container ?? ev.container?.id?.slice(0, 12) ?? 'main');
  return keys.hostScope(ev.node);
}

export function processNodeKey(ev: LanternEvent, exe: string): string {
  return keys.process(scopeKey(ev), exe);
}

/** Node and edge ids touched by one event (process, its parent, the pod, and the event's target). */
export function evidenceIds(ev: LanternEvent, proc: Proc | undefined, nodes: Set<string>, edges: Set<string>): void {
  const exe = ev.proc?.exe ?? proc?.exe ?? ev.proc?.comm;
  if (ev.pod) nodes.add(keys.pod(ev.pod.namespace, ev.pod.name));
  else nodes.add(keys.clusterNode(ev.node));
  if (!exe) return;
  const self = processNodeKey(ev, exe);
  nodes.add(self);
  const parent = proc?.parent;
  if (ev.kind === 'exec' && parent) {
    // The parent lives in the same scope when in the same container, else on the host side.
    const pscope = parent.ctr === proc!.ctr ? scopeKey(ev) : keys.hostScope(ev.node);
    const pk = keys.process(pscope, parent.exe);
    nodes.add(pk);
    edges.add(keys.edge('spawned', pk, self));
  }
  let target: string | undefined;
  switch (ev.kind) {
    case 'connect':
    case 'listen':
      if (ev.net) {
        target = keys.endpoint(ev.net.daddr, ev.net.dport);
        nodes.add(target);
        edges.add(keys.edge(ev.kind === 'connect' ? 'connected' : 'listened', self, target));
      }
      break;
    case 'accept':
      if (ev.net) {
        target = keys.endpoint(ev.net.saddr, 0);
        nodes.add(target);
        edges.add(keys.edge('accepted', target, self));
      }
      break;
    case 'dns':
      if (ev.dns?.query) {
        target = keys.domain(ev.dns.query);
        nodes.add(target);
        edges.add(keys.edge('resolved', self, target));
      }
      break;
    case 'open':
      if (ev.file) {
        target = keys.file(ev.file.path);
        nodes.add(target);
        edges.add(keys.edge(ev.file.write ? 'wrote' : 'read', self, target));
      }
      break;
    case 'module':
      if (ev.module?.name) {
        target = keys.file(ev.module.name);
        nodes.add(target);
        edges.add(keys.edge('loaded-module', self, target));
      }
      break;
    case 'mount':
      if (ev.mount?.target) {
        target = keys.file(ev.mount.target);
        nodes.add(target);
        edges.add(keys.edge('mounted', self, target));
      }
      break;
    case 'bpf':
      edges.add(keys.edge('bpf', self, keys.clusterNode(ev.node)));
      break;
    default:
      break;
  }
}
