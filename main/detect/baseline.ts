/**
 * Baselines: a per-workload profile as a portable, readable JSON file. The engine works with
 * compact feature strings ("x:/usr/sbin/nginx", "c:service:default/db:5432"); the file spells
 * them out per category so that a human can read and edit it.
 */
import { z } from 'zod';
import type { Baseline, WorkloadProfile } from './types';

export function featuresToProfile(features: Iterable<string>, pods: number, events: number): WorkloadProfile {
  const p = {
    exes: new Set<string>(),
    spawns: new Set<string>(),
    connects: new Set<string>(),
    listens: new Set<number>(),
    files: new Set<string>(),
    privs: new Set<string>(),
    dns: new Set<string>(),
  };
  for (const f of features) {
    const body = f.slice(2);
    switch (f[0]) {
      case 'x':
        p.exes.add(body);
        break;
      case 's':
        p.spawns.add(body.replace('>', ' > '));
        break;
      case 'c':
        p.connects.add(body);
        break;
      case 'a':
      case 'l': {
        const n = Number(body);
        if (Number.isInteger(n)) p.listens.add(n);
        break;
      }
      case 'f':
        p.files.add(body);
        break;
      case 'p':
        p.privs.add(body);
        break;
      case 'd':
        p.dns.add(body);
        break;
    }
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    exes: sorted(p.exes),
    spawns: sorted(p.spawns),
    connects: sorted(p.connects),
    listens: [...p.listens].sort((a, b) => a - b),
    files: sorted(p.files),
    privs: sorted(p.privs),
    dns: sorted(p.dns),
    pods,
    events,
  };
}

export function profileToFeatures(p: WorkloadProfile): Set<string> {
  const out = new Set<string>();
  for (const x of p.exes) out.add('x:' + x);
  for (const s of p.spawns) out.add('s:' + s.replace(' > ', '>'));
  for (const c of p.connects) out.add('c:' + c);
  for (const l of p.listens) {
    out.add('l:' + l);
    out.add('a:' + l);
  }
  for (const f of p.files) out.add('f:' + f);
  for (const v of p.privs) out.add('p:' + v);
  for (const d of p.dns) out.add('d:' + d);
  return out;
}

const str = z.string().max(4096);
const list = z.array(str).max(100_000);
const profileSchema = z.object({
  exes: list,
  spawns: list,
  connects: list,
  listens: z.array(z.number().int().min(0).max(65535)).max(65536),
  files: list,
  privs: list,
  dns: list,
  pods: z.number().int().min(0),
  events: z.number().int().min(0),
});
const baselineSchema = z.object({
  format: z.literal('lantern-baseline'),
  version: z.literal(1),
  name: z.string().min(1).max(256),
  created: z.string().max(64),
  source: z.string().max(4096).optional(),
  from: z.number().optional(),
  to: z.number().optional(),
  workloads: z.record(z.string().max(1024), profileSchema),
});

/** Parse and validate a baseline file's text. Throws an Error that says what is wrong, in words. */
export function parseBaseline(text: string, fileName = 'baseline'): Baseline {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${fileName}: not JSON (${(e as Error).message})`);
  }
  const r = baselineSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new Error(
      `${fileName}: not a Lantern baseline: ${first ? `${first.path.join('.') || '(top)'}: ${first.message}` : 'invalid'}`,
    );
  }
  // Rebuild the map without a prototype: workload names come from the cluster.
  const workloads: Record<string, WorkloadProfile> = Object.create(null) as Record<string, WorkloadProfile>;
  for (const [k, v] of Object.entries(r.data.workloads)) workloads[k] = v;
  const { workloads: _w, ...rest } = r.data;
  return { ...rest, workloads } as Baseline;
}

export function serializeBaseline(b: Baseline): string {
  return JSON.stringify(b, null, 1) + '\n';
}

/** Merge several baselines (e.g. learned on different days): the union of each workload's profile. */
export function mergeBaselines(name: string, bs: Baseline[]): Baseline {
  const acc = new Map<string, { features: Set<string>; pods: number; events: number }>();
  for (const b of bs)
    for (const [k, p] of Object.entries(b.workloads)) {
      const a = acc.get(k) ?? { features: new Set<string>(), pods: 0, events: 0 };
      for (const f of profileToFeatures(p)) a.features.add(f);
      a.pods = Math.max(a.pods, p.pods);
      a.events += p.events;
      acc.set(k, a);
    }
  const workloads: Record<string, WorkloadProfile> = Object.create(null) as Record<string, WorkloadProfile>;
  for (const [k, a] of acc) workloads[k] = featuresToProfile(a.features, a.pods, a.events);
  return { format: 'lantern-baseline', version: 1, name, created: new Date().toISOString(), workloads };
}
