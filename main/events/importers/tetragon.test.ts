import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { LanternEvent } from '../../common/events';
import { importToMemory } from './index';
import { get, haveData, sample, sourceRecords } from './samples.test-util';

/** Every Tetragon sample in shared/data: all of them are claimed. */
const FILES = [
  'tetragon/testdata_events.json',
  'tetragon/docs-md/concepts__events__block1.json',
  'tetragon/docs-md/getting-started__execution__block5.json',
  'tetragon/docs-md/use-cases__filename-access__block6.json',
  'tetragon/docs-md/use-cases__host-system-changes__linux-kernel-modules__block10.json',
  'tetragon/docs-md/use-cases__host-system-changes__linux-kernel-modules__block11.json',
  'tetragon/docs-md/use-cases__host-system-changes__linux-kernel-modules__block12.json',
  'tetragon/docs-md/use-cases__host-system-changes__linux-kernel-modules__block13.json',
  'tetragon/docs-md/use-cases__host-system-changes__linux-kernel-modules__block2.json',
  'tetragon/docs-md/use-cases__host-system-changes__linux-kernel-modules__block3.json',
  'tetragon/docs-md/use-cases__host-system-changes__linux-kernel-modules__block9.json',
  'tetragon/docs-md/use-cases__linux-process-credentials__monitor-changes-at-kernel__block5.json',
  'tetragon/docs-md/use-cases__linux-process-credentials__syscalls-monitoring__block6.concat.json',
  'tetragon/docs-md/use-cases__process-lifecycle__advanced-process-execution__block7.json',
  'tetragon/docs-md/use-cases__process-lifecycle__namespace-access__block8.json',
  'tetragon/docs-md/use-cases__process-lifecycle__process-execution__block4.json',
  'tetragon/docs-md/use-cases__process-lifecycle__process-execution__block5.json',
  'tetragon/docs-md/use-cases__security-profiles__record-linux-capabilities__block8.json',
];

/** The documented mapping (tetragon.ts header): kprobe function → Lantern kind. */
const KPROBE_KIND: Record<string, string> = {
  security_file_permission: 'open',
  security_kernel_read_file: 'module',
  find_module_sections: 'module',
  do_init_module: 'module',
  free_module: 'module',
  commit_creds: 'setuid',
  __x64_sys_setuid: 'setuid',
  __x64_sys_setgid: 'setuid',
  __x64_sys_setns: 'ns',
  security_kernel_module_request: 'alert',
  security_bprm_creds_from_file: 'alert',
  cap_capable: 'alert',
};

function expectedKind(o: Record<string, unknown>): string {
  if (o.process_exec) return 'exec';
  if (o.process_exit) return 'exit';
  return KPROBE_KIND[get(o, 'process_kprobe.function_name') as string]!;
}

function decodeExecId(id: string): [string, number, number] {
  const parts = Buffer.from(id, 'base64').toString('utf8').split(':');
  return [parts.slice(0, -2).join(':'), Number(parts[parts.length - 2]), Number(parts[parts.length - 1])];
}

describe.skipIf(!haveData)('Tetragon importer on every Tetragon sample', () => {
  it('covers all 18 sample files (21 records)', () => {
    expect(FILES.reduce((n, f) => n + sourceRecords(f).length, 0)).toBe(21);
  });

  for (const file of FILES) {
    it(file, async () => {
      const src = sourceRecords(file);
      const { summary, events } = await importToMemory(sample(file), { from: 'tetragon', baseTimeNs: 1e18 });
      expect(summary.skipped).toBe(0);
      expect(events).toHaveLength(src.length);
      for (let i = 0; i < src.length; i++) {
        const o = src[i]!;
        const ev = events[i]!;
        const key = Object.keys(o).find((k) => k.startsWith('process_'))!;
        const p = get(o, `${key}.process`) as Record<string, unknown>;
        expect(ev.kind).toBe(expectedKind(o));
        expect(ev.source).toBe('tetragon');
        // Identity: host pid, and the start ktime carried in exec_id.
        const [idNode, start, idPid] = decodeExecId(p.exec_id as string);
        expect(ev.proc!.pid).toBe(p.pid);
        expect(idPid).toBe(p.pid);
        expect(ev.proc!.start).toBe(start);
        expect(ev.proc!.exe).toBe(p.binary);
        expect(ev.proc!.ppid).toBe(get(o, `${key}.parent.pid`));
        expect(ev.node).toBe((o.node_name as string | undefined) ?? (idNode || 'unknown'));
        // Pod and namespace exactly as Tetragon gave them (host processes have none).
        const pod = p.pod as Record<string, unknown> | undefined;
        if (pod) {
          expect(ev.pod?.name).toBe(pod.name);
          expect(ev.pod?.namespace).toBe(pod.namespace);
          expect(ev.pod?.container).toBe(get(pod, 'container.name'));
          expect(`containerd://${ev.container!.id}`).toBe(get(pod, 'container.id'));
        } else {
          expect(ev.pod).toBeUndefined();
        }
        if (typeof o.time === 'string') expect(Math.abs(ev.time - Date.parse(o.time) * 1e6)).toBeLessThan(1e6);
      }
      const inv = summary.header.inventory!;
      const podNames = new Set(
        src
          .map((o) => get(o, `${Object.keys(o).find((k) => k.startsWith('process_'))}.process.pod.name`))
          .filter(Boolean),
      );
      expect(new Set(inv.pods.map((p) => p.name))).toEqual(podNames);
      const nss = new Set(
        src
          .map((o) => get(o, `${Object.keys(o).find((k) => k.startsWith('process_'))}.process.pod.namespace`))
          .filter(Boolean),
      );
      expect(new Set(inv.namespaces.map((n) => n.name))).toEqual(nss);
    });
  }

  it('spot checks: GKE pods with labels, deployment inferred from pod-template-hash', async () => {
    const { summary, events } = await importToMemory(sample('tetragon/testdata_events.json'), { baseTimeNs: 1e18 });
    expect(summary.tool).toBe('tetragon');
    expect(events[0]).toMatchObject({
      kind: 'exec',
      node: 'my-node',
      proc: {
        pid: 68790,
        ppid: 68598,
        uid: 0,
        comm: 'netserver',
        exe: '/usr/bin/netserver',
        args: ['/usr/bin/netserver', '-D'],
        cwd: '/',
      },
      container: { id: '19a02291e106ce6227b684197be232ea57c4e1a5ab2604a12608c325d701c7f4' },
      pod: {
        name: 'tiefighter',
        namespace: 'default',
        container: 'spaceship',
        image: 'docker.io/tgraf/netperf:latest',
      },
    });
    // The first record has no top-level time: the process start time stands in.
    expect(Math.abs(events[0]!.time - (Date.parse('2022-10-18T03:16:18Z') * 1e6 + 273546829))).toBeLessThanOrEqual(256);
    expect(events[1]!.pod?.workload).toEqual({ kind: 'Deployment', name: 'deathstar' });
    const pods = summary.header.inventory!.pods;
    expect(pods.find((p) => p.name === 'tiefighter')).toMatchObject({
      labels: { class: 'tiefighter', org: 'empire' },
      containers: [
        {
          name: 'spaceship',
          id: '19a02291e106ce6227b684197be232ea57c4e1a5ab2604a12608c325d701c7f4',
          image: 'docker.io/tgraf/netperf:latest',
        },
      ],
    });
    expect(pods.find((p) => p.name === 'tiefighter')?.workload).toBeUndefined();
    expect(summary.header.probes).toEqual(['tetragon:exec']);
  });

  it('spot checks: kprobe payloads', async () => {
    const one = async (f: string): Promise<LanternEvent> =>
      (await importToMemory(sample(`tetragon/docs-md/${f}`), { baseTimeNs: 1e18 })).events[0]!;
    expect((await one('use-cases__filename-access__block6.json')).file).toEqual({ path: '/etc/passwd', write: true });
    expect((await one('use-cases__host-system-changes__linux-kernel-modules__block3.json')).module).toEqual({
      op: 'init_module',
      name: 'kernel_module_hello',
    });
    expect((await one('use-cases__host-system-changes__linux-kernel-modules__block13.json')).module).toEqual({
      op: 'delete_module',
      name: 'kernel_module_hello',
    });
    expect((await one('use-cases__process-lifecycle__namespace-access__block8.json')).ns).toEqual({
      op: 'setns',
      flags: 134217728,
    });
    expect(
      (await one('use-cases__linux-process-credentials__monitor-changes-at-kernel__block5.json')).priv,
    ).toMatchObject({ op: 'commit_creds', uid: 0 });
    const req = await one('use-cases__host-system-changes__linux-kernel-modules__block9.json');
    expect(req.alert).toMatchObject({
      tool: 'tetragon',
      rule: 'security_kernel_module_request',
      output: 'security_kernel_module_request(string=fs-xfs)',
    });
    expect(req.pod).toMatchObject({ name: 'test-pod' });
    const exit = await one('use-cases__process-lifecycle__process-execution__block5.json');
    expect(exit).toMatchObject({ kind: 'exit', exit: { code: 0 }, pod: { name: 'xwing', namespace: 'default' } });
  });
});
