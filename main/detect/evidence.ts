/**
 * Graph ids for a finding's evidence, computed with the shared `keys` exactly as the graph
 * builder (main/graph/builder.ts) does, so that a click on a finding focuses the same nodes and
 * edges the graph has.
 */
import type { LanternEvent } from '../common/events';
import { keys } from '../common/graph';
import { classifyPath } from '../graph/paths';
import type { Proc } from './proctable';

/** The scope a process node lives in: its container, else an unresolved container, else the host. */
export function scopeKey(ev: LanternEvent): string {
  const p = ev.pod;
  const cid = ev.container?.id;
  if (p) return keys.container(p.namespace, p.name, p.container ?? (cid ? cid.slice(0, 12) : 'main'));
  const puid = ev.container?.podUid;
  if (cid || puid) return keys.container('?', puid ?? '?', cid ? cid.slice(0, 12) : 'unknown');
  return keys.hostScope(ev.node);
}

function graphExe(ev: LanternEvent, proc: Proc | undefined): string {
  if (ev.kind === 'exec' && ev.proc) return ev.proc.exe || (ev.proc.comm ? `[${ev.proc.comm}]` : '[unknown]');
  if (proc) return proc.gexe;
  const p = ev.proc;
  return p ? p.exe || (p.comm ? `[${p.comm}]` : '[unknown]') : '[unknown]';
}

/** Node and edge ids touched by one event (process, its parent, the pod, and the event's target). */
export function evidenceIds(ev: LanternEvent, proc: Proc | undefined, nodes: Set<string>, edges: Set<string>): void {
  if (ev.pod) nodes.add(keys.pod(ev.pod.namespace, ev.pod.name));
  else nodes.add(keys.clusterNode(ev.node));
  if (!ev.proc && !proc) return;
  const self = keys.process(proc?.scope ?? scopeKey(ev), graphExe(ev, proc));
  nodes.add(self);
  if (ev.kind === 'exec' && proc) {
    // An exec by the same pid replaced the old image, which the graph draws as the parent.
    const pk = proc.prevExe
      ? keys.process(proc.scope, proc.prevExe)
      : proc.parent
        ? keys.process(proc.parent.scope, proc.parent.gexe)
        : undefined;
    if (pk) {
      nodes.add(pk);
      edges.add(keys.edge('spawned', pk, self));
    }
  }
  let target: string | undefined;
  switch (ev.kind) {
    case 'connect':
      if (ev.net) {
        target = keys.endpoint(ev.net.daddr, ev.net.dport);
        edges.add(keys.edge('connected', self, target));
      }
      break;
    case 'listen':
      if (ev.net) {
        target = keys.endpoint(ev.net.saddr, ev.net.sport);
        edges.add(keys.edge('listened', self, target));
      }
      break;
    case 'accept':
      // s* is the local (listening) side, d* the remote peer (its port is ephemeral: 0).
      if (ev.net) {
        target = keys.endpoint(ev.net.daddr, 0);
        edges.add(keys.edge('accepted', target, self));
      }
      break;
    case 'dns':
      if (ev.dns?.query) {
        target = keys.domain(ev.dns.query.toLowerCase().slice(0, 253));
        edges.add(keys.edge('resolved', self, target));
      }
      break;
    case 'open':
      if (ev.file?.path) {
        target = keys.file(classifyPath(ev.file.path).key);
        edges.add(keys.edge(ev.file.aggregated ? 'opened' : ev.file.write ? 'wrote' : 'read', self, target));
      }
      break;
    case 'module':
      target = keys.file(ev.module?.name ?? '[unknown module]');
      edges.add(keys.edge('loaded-module', self, target));
      break;
    case 'mount':
      target = keys.file(classifyPath(ev.mount?.target || ev.mount?.source || '[unknown]').key);
      edges.add(keys.edge('mounted', self, target));
      break;
    case 'memfd':
      target = keys.file(`memfd:${ev.memfd?.name ?? ''}`);
      edges.add(keys.edge('opened', self, target));
      break;
    case 'setuid':
    case 'capset':
      edges.add(keys.edge('changed-privilege', self, self));
      break;
    case 'bpf':
      edges.add(keys.edge('bpf', self, keys.clusterNode(ev.node)));
      break;
    case 'ns':
      edges.add(keys.edge('namespace-op', self, keys.clusterNode(ev.node)));
      break;
    default:
      break;
  }
  if (target) nodes.add(target);
}
