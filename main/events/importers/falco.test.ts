import { describe, expect, it } from 'vitest';
import type { LanternEvent } from '../../common/events';
import { importToMemory } from './index';
import { haveData, sample, sourceRecords } from './samples.test-util';

/**
 * Every Falco alert sample in shared/data. Not claimed: k8s_audit_trace_files/*.json (those are
 * Kubernetes audit events, Falco's input, not its alerts), the YAML test expectations, and the
 * event-generator catalogue.
 */
const FILES = [
  'falco/falco-repo-legacy-tests/single_rule_with_cat_write.alerts.jsonl',
  'falco/website/blog__detect-threats-falco-ovh-mks-audit-logs-plugin.jsonl',
  'falco/website/blog__extend-falco-outputs-with-falcosidekick.json',
  'falco/website/blog__falco-plugin-k8saudit-eks.jsonl',
  'falco/website/blog__falcosidekick-response-engine-part-1-kubeless.json',
  'falco/website/blog__falcosidekick-response-engine-part-2-openfass.jsonl',
  'falco/website/blog__falcosidekick-response-engine-part-3-knative.json',
  'falco/website/blog__falcosidekick-response-engine-part-4-tekton.json',
  'falco/website/blog__falcosidekick-response-engine-part-6-cloud-run.json',
  'falco/website/blog__falcosidekick-response-engine-part-8-fluxv2.json',
  'falco/website/blog__falcosidekick-response-engine-part-9-fission.jsonl',
  'falco/website/docs__concepts__outputs__channels.concat.json',
];

type Alert = {
  rule: string;
  hostname?: string;
  priority?: string;
  output: string;
  tags?: string[];
  time: string;
  output_fields: Record<string, unknown>;
};

/** The behaviour the documented rules (falco.ts header) derive from an alert's output fields. */
function expectedBehaviour(a: Alert): string | undefined {
  const f = a.output_fields;
  const fd = f['fd.name'];
  if (!f['proc.name'] && !f['proc.cmdline']) return undefined;
  if (typeof fd === 'string' && fd.includes('->')) return 'connect';
  if (typeof fd === 'string' && fd.startsWith('/')) return 'open';
  if (/shell/i.test(a.rule)) return 'exec';
  return undefined;
}

describe.skipIf(!haveData)('Falco importer on every Falco alert sample', () => {
  it('covers 18 website alerts and 8 legacy-test alerts', () => {
    const n = (pre: string) => FILES.filter((f) => f.startsWith(pre)).reduce((s, f) => s + sourceRecords(f).length, 0);
    expect(n('falco/website/')).toBe(18);
    expect(n('falco/falco-repo-legacy-tests/')).toBe(8);
  });

  for (const file of FILES) {
    it(file, async () => {
      const src = sourceRecords(file) as unknown as Alert[];
      const { summary, events } = await importToMemory(sample(file), { baseTimeNs: 1e18 });
      expect(summary.tool).toBe('falco');
      expect(summary.skipped).toBe(0);
      const alerts = events.filter((e) => e.kind === 'alert');
      expect(alerts).toHaveLength(src.length);
      const expectedBehaviours = src.map(expectedBehaviour).filter(Boolean);
      expect(events.filter((e) => e.kind !== 'alert').map((e) => e.kind)).toEqual(expectedBehaviours);
      let j = 0;
      for (const a of src) {
        const f = a.output_fields;
        const beh = expectedBehaviour(a);
        const group: LanternEvent[] = beh ? [events[j]!, events[j + 1]!] : [events[j]!];
        j += group.length;
        const al = group[group.length - 1]!;
        expect(al.alert).toMatchObject({ tool: 'falco', rule: a.rule, output: a.output, priority: a.priority });
        for (const ev of group) {
          expect(ev.node).toBe(a.hostname ?? 'unknown');
          const pod = f['k8s.pod.name'];
          if (pod) expect(ev.pod).toMatchObject({ name: pod, namespace: f['k8s.ns.name'] });
          else expect(ev.pod).toBeUndefined();
          if (f['container.id']) expect(ev.container?.id).toBe(f['container.id']);
          if (f['proc.cmdline'])
            expect(ev.proc?.args?.join(' ')).toBe((f['proc.cmdline'] as string).split(' ').filter(Boolean).join(' '));
          else expect(ev.proc).toBeUndefined();
          // The alert time, to the precision a float of epoch ns holds (evt.time agrees).
          const evt = (f['evt.time'] ?? f['evt.time.iso8601']) as number;
          if (evt > 1e18) expect(Math.abs(ev.time - evt)).toBeLessThanOrEqual(1024);
        }
      }
      const pods = new Set(src.map((a) => a.output_fields['k8s.pod.name']).filter(Boolean));
      expect(new Set(summary.header.inventory!.pods.map((p) => p.name))).toEqual(pods);
    });
  }

  it('spot checks: shell, API-server connection, a file write, k8s audit', async () => {
    const ev = async (f: string) => (await importToMemory(sample(`falco/website/${f}`), { baseTimeNs: 1e18 })).events;
    const shell = await ev('blog__falcosidekick-response-engine-part-8-fluxv2.json');
    expect(shell[0]).toMatchObject({
      kind: 'exec',
      container: { id: '788861c3cf83' },
      pod: {
        name: 'alpine-deployment-77789455d6-m7flp',
        namespace: 'default',
        image: 'alpine',
        workload: { kind: 'Deployment', name: 'alpine-deployment' },
      },
      proc: { comm: 'sh', args: ['sh', '-c', 'uptime'], start: 0 },
    });
    expect(shell[0]!.proc!.pid).toBeLessThan(0); // Falco printed no pid: a stable stand-in
    expect(shell[1]!.proc!.pid).toBe(shell[0]!.proc!.pid);
    const api = await ev('blog__falcosidekick-response-engine-part-2-openfass.jsonl');
    expect(api[2]).toMatchObject({
      kind: 'connect',
      net: { saddr: '172.17.0.9', sport: 43812, daddr: '10.96.0.1', dport: 443, proto: 'tcp', family: 4 },
      pod: {
        name: 'falco-pod-delete-7dc9f5fbb8-gbfk7',
        namespace: 'openfaas-fn',
        image: 'devopps/falco-pod-delete:latest',
      },
    });
    const fake = await ev('blog__extend-falco-outputs-with-falcosidekick.json');
    expect(fake[0]).toMatchObject({ kind: 'open', file: { path: '/bin/hack' }, node: 'unknown' });
    // malformed top-level time ("...Z+2"): the RFC 3339 part is used
    expect(Math.abs(fake[0]!.time - (Date.parse('2021-04-13T20:58:00Z') * 1e6 + 746609046))).toBeLessThanOrEqual(256);
    const audit = await ev('blog__falco-plugin-k8saudit-eks.jsonl');
    expect(audit[1]).toMatchObject({
      kind: 'alert',
      node: 'falco-k8saudit-eks-96d7f6f99-vwjgc',
      alert: { rule: 'Attach/Exec Pod', priority: 'Notice', tags: ['k8s'] },
    });
    expect(audit[1]!.proc).toBeUndefined();
  });
});
