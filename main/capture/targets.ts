/**
 * Which nodes a capture goes to: all nodes, chosen nodes, or the nodes that run pods of chosen
 * namespaces / matching a label selector (kubectl's equality and set-based syntax).
 */
import type { Inventory } from '../common/capture';

export interface CaptureTargets {
  nodes?: string[];
  namespaces?: string[];
  selector?: string;
}

type Requirement =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

/** Parse a label selector: `a=b,c!=d,e in (x,y),f notin (z),g,!h`. Throws in words. */
export function parseSelector(sel: string): Requirement[] {
  const out: Requirement[] = [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() || parts.length) parts.push(cur);
  const keyRe = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) throw new Error(`label selector "${sel}" has an empty term`);
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      const values = m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      out.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
    } else if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(p))) {
      out.push({ key: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]! });
    } else if ((m = /^!\s*(\S+)$/.exec(p))) {
      out.push({ key: m[1]!, op: '!exists' });
    } else if (keyRe.test(p)) {
      out.push({ key: p, op: 'exists' });
    } else {
      throw new Error(`label selector "${sel}": cannot read "${p}"`);
    }
    const k = out[out.length - 1]!.key;
    if (!keyRe.test(k)) throw new Error(`label selector "${sel}": "${k}" is not a valid label key`);
  }
  return out;
}

export function matchesSelector(labels: Record<string, string> | undefined, reqs: Requirement[]): boolean {
  const l = labels ?? {};
  const has = (k: string) => Object.prototype.hasOwnProperty.call(l, k);
  return reqs.every((r) => {
    switch (r.op) {
      case '=':
        return has(r.key) && l[r.key] === r.value;
      case '!=':
        return !has(r.key) || l[r.key] !== r.value;
      case 'in':
        return has(r.key) && r.values.includes(l[r.key]!);
      case 'notin':
        return !has(r.key) || !r.values.includes(l[r.key]!);
      case 'exists':
        return has(r.key);
      case '!exists':
        return !has(r.key);
    }
  });
}

/**
 * The target node names, sorted. Chosen nodes must exist; namespaces/selector pick the nodes
 * their (non-Lantern) pods are scheduled on. With no criteria: every node.
 */
export function resolveTargetNodes(inv: Inventory, t: CaptureTargets): { nodes: string[]; problems: string[] } {
  const problems: string[] = [];
  const known = new Set(inv.nodes.map((n) => n.name));
  let nodes: Set<string>;
  if (t.nodes?.length) {
    nodes = new Set();
    for (const n of t.nodes) {
      if (known.has(n)) nodes.add(n);
      else problems.push(`node "${n}" does not exist (nodes: ${[...known].sort().join(', ') || 'none visible'})`);
    }
  } else nodes = new Set(known);
  if (t.namespaces?.length || t.selector) {
    const reqs = t.selector ? parseSelector(t.selector) : undefined;
    const nsSet = t.namespaces?.length ? new Set(t.namespaces) : undefined;
    if (nsSet) {
      const knownNs = new Set(inv.namespaces.map((n) => n.name));
      for (const ns of nsSet) if (knownNs.size && !knownNs.has(ns)) problems.push(`namespace "${ns}" does not exist`);
    }
    const running = new Set<string>();
    for (const p of inv.pods) {
      if (p.lanternCapture || !p.node) continue;
      if (nsSet && !nsSet.has(p.namespace)) continue;
      if (reqs && !matchesSelector(p.labels, reqs)) continue;
      running.add(p.node);
    }
    nodes = new Set([...nodes].filter((n) => running.has(n)));
    if (nodes.size === 0 && problems.length === 0) {
      problems.push(
        `no node runs pods${nsSet ? ` in namespace${nsSet.size > 1 ? 's' : ''} ${[...nsSet].join(', ')}` : ''}${reqs ? ` matching "${t.selector}"` : ''}`,
      );
    }
  }
  if (nodes.size === 0 && problems.length === 0) problems.push('the cluster has no nodes this user can see');
  return { nodes: [...nodes].sort(), problems };
}
