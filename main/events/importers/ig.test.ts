import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importToMemory } from './index';
import { get, haveData, sample, sourceRecords } from './samples.test-util';

/** Every Inspektor Gadget sample in shared/data with the Lantern kind its records become. */
const JSON_FILES: [file: string, kind: string][] = [
  ['inspektor-gadget/trace_tcp_ig_json.jsonl', 'connect'],
  ['inspektor-gadget/trace_tcp_ig_jsonpretty.json', 'connect'],
  ['inspektor-gadget/trace_tcp_kubectl_gadget_json.jsonl', 'connect'],
  ['inspektor-gadget/trace_tcp_kubectl_gadget_jsonpretty.json', 'connect'],
  ['inspektor-gadget/trace_open_builtin_ig_jsonpretty.json', 'open'],
  ['inspektor-gadget/trace_open_image_ig_jsonpretty.json', 'open'],
  ['inspektor-gadget/trace_open_golang_api_block3.json', 'open'],
  ['inspektor-gadget/trace_open_golang_api_block7.jsonl', 'open'],
  ['inspektor-gadget/trace_open_golang_api_block8.jsonl', 'open'],
  ['inspektor-gadget/trace_dns_example.concat.json', 'dns'],
  ['inspektor-gadget/trace_network_builtin_withfilter_example.json', 'connect'],
];
const COLUMNS = 'inspektor-gadget/trace_exec_kubectl_gadget_columns.txt';
/** Claimed but yields nothing: snapshot_process envelopes (no Lantern equivalent; counted as skipped). */
const ENVELOPE = 'inspektor-gadget/logs_operator_envelope_example.jsonl';

describe.skipIf(!haveData)('Inspektor Gadget importer on every IG sample', () => {
  for (const [file, kind] of JSON_FILES) {
    it(file, async () => {
      const src = sourceRecords(file);
      const { summary, events } = await importToMemory(sample(file), { baseTimeNs: 1e18 });
      expect(summary.tool).toBe('ig'); // auto-detected
      // DNS responses (qr = 1) are skipped: the query is imported.
      const kept = src.filter((o) => !(kind === 'dns' && o.qr === 1));
      expect(events).toHaveLength(kept.length);
      expect(summary.skipped).toBe(src.length - kept.length);
      for (let i = 0; i < kept.length; i++) {
        const o = kept[i]!;
        const ev = events[i]!;
        expect(ev.kind).toBe(kind);
        expect(ev.proc!.pid).toBe(get(o, 'proc.pid') ?? o.pid);
        expect(ev.proc!.comm).toBe(get(o, 'proc.comm') ?? o.comm ?? o.task);
        expect(ev.proc!.start).toBe(0);
        expect(ev.node).toBe((get(o, 'k8s.node') as string) || 'unknown');
        const podName = (get(o, 'k8s.podName') ?? get(o, 'k8s.pod')) as string | undefined;
        const ns = get(o, 'k8s.namespace') as string | undefined;
        if (podName && ns) expect(ev.pod).toMatchObject({ name: podName, namespace: ns });
        else expect(ev.pod).toBeUndefined();
        const cid = get(o, 'runtime.containerId') as string | undefined;
        expect(ev.container?.id).toBe(cid || undefined);
        const raw = o.timestamp_raw as number | undefined;
        if (raw !== undefined) expect(ev.time).toBe(raw);
        if (kind === 'connect' && o.src) {
          expect(ev.net).toMatchObject({
            saddr: get(o, 'src.addr'),
            sport: get(o, 'src.port'),
            daddr: get(o, 'dst.addr'),
            dport: get(o, 'dst.port'),
            proto: 'tcp',
            family: 4,
          });
        }
        if (kind === 'open') expect(ev.file?.path).toBe(o.fname ?? o.path);
        if (kind === 'dns') expect(ev.dns?.query).toBe(o.name);
      }
      const inv = summary.header.inventory!;
      const pods = new Set(kept.map((o) => (get(o, 'k8s.podName') ?? get(o, 'k8s.pod')) as string).filter(Boolean));
      expect(new Set(inv.pods.map((p) => p.name))).toEqual(pods);
    });
  }

  it(`${COLUMNS} (the trace exec column table)`, async () => {
    const rows = readFileSync(sample(COLUMNS), 'utf8').trim().split('\n').slice(1);
    const { summary, events } = await importToMemory(sample(COLUMNS), { baseTimeNs: 1e18 });
    expect(summary.tool).toBe('ig');
    expect(summary.skipped).toBe(0);
    expect(events).toHaveLength(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const t = rows[i]!.trim().split(/\s+/);
      const ev = events[i]!;
      expect(ev.kind).toBe('exec');
      expect(ev.node).toBe(t[0]);
      expect(ev.pod).toMatchObject({ namespace: t[1], name: t[2], container: t[3] });
      expect(ev.proc).toMatchObject({ comm: t[4], pid: Number(t[5]), ppid: Number(t[8]), uid: 0 });
      expect(ev.proc!.exe).toBe(t[9]);
    }
    // "/bin/cat /pro…": truncated by the table, and said so.
    expect(events[2]!.proc).toMatchObject({ exe: '/bin/cat', args: ['/bin/cat', '/pro'], argsTruncated: true });
    expect(events[3]!.proc).toMatchObject({ args: ['/bin/sleep', '1'] });
    expect(events[3]!.proc!.argsTruncated).toBeUndefined();
    // no timestamps in the table: order kept
    for (let i = 1; i < events.length; i++) expect(events[i]!.time).toBeGreaterThan(events[i - 1]!.time);
    expect(summary.header.inventory!.pods.map((p) => p.name).sort()).toEqual(['myapp1-pod', 'myapp2-pod']);
    expect(summary.header.inventory!.namespaces).toEqual([{ name: 'default' }]);
  });

  it(`${ENVELOPE} (logs operator envelopes of snapshot_process: skipped with the reason)`, async () => {
    const { summary, events } = await importToMemory(sample(ENVELOPE), { baseTimeNs: 1e18 });
    expect(summary.tool).toBe('ig');
    expect(events).toHaveLength(0);
    expect(summary.reasonCounts).toEqual({ 'IG snapshot_process records are not imported': 2 });
  });

  it('spot checks: both field generations and the legacy formats', async () => {
    const first = async (f: string) =>
      (await importToMemory(sample(`inspektor-gadget/${f}`), { baseTimeNs: 1e18 })).events;
    const aks = await first('trace_open_golang_api_block8.jsonl');
    expect(aks[0]).toMatchObject({
      node: 'aks-agentpool-93770793-vmss000000',
      pod: {
        name: 'coredns-6f776c8fb5-wwtqz',
        namespace: 'kube-system',
        container: 'coredns',
        workload: { kind: 'Deployment', name: 'coredns' },
      },
      file: { path: '/proc/1/stat' },
      proc: { pid: 19588, comm: 'coredns' },
    });
    const legacyOpen = await first('trace_open_builtin_ig_jsonpretty.json');
    expect(legacyOpen[0]).toMatchObject({
      time: 1737641591294238200,
      ret: -2,
      file: { path: '/tmp/foo', write: false },
      proc: { pid: 39733, comm: 'cat' },
    });
    const image = await first('trace_open_image_ig_jsonpretty.json');
    expect(image[0]).toMatchObject({
      ret: -2,
      proc: { pid: 39733, ppid: 37591, uid: 0, gid: 0 },
      file: { path: '/tmp/foo', flags: 0, write: false },
    });
    const dns = await first('trace_dns_example.concat.json');
    // legacy numeric timestamps are since boot: placed at the base time, spacing kept
    expect(dns[0]!.time).toBe(1e18);
    expect(Math.abs(dns[1]!.time - dns[0]!.time - (8772942906128 - 8772942863578))).toBeLessThanOrEqual(256);
    expect(dns[0]).toMatchObject({
      kind: 'dns',
      dns: { query: 'inspektor-gadget.io', serverPort: 53 },
      proc: { comm: 'nslookup', pid: 125928 },
    });
    const net = await first('trace_network_builtin_withfilter_example.json');
    expect(net[0]).toMatchObject({
      kind: 'connect',
      net: { saddr: '192.168.160.244', daddr: '127.0.0.1', dport: 8080, proto: 'tcp' },
      pod: { name: 'coredns-5dd5756b68-wh964', namespace: 'kube-system' },
    });
    const k = await importToMemory(sample('inspektor-gadget/trace_network_builtin_withfilter_example.json'), {
      baseTimeNs: 1e18,
    });
    expect(k.summary.header.inventory!.pods[0]).toMatchObject({
      ips: ['192.168.160.244'],
      labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '5dd5756b68' },
      workload: { kind: 'Deployment', name: 'coredns' },
    });
  });
});

describe('Inspektor Gadget trace_exec JSON (no upstream sample: records written from the SCHEMAS.md field map)', () => {
  it('image-based (proc.*, k8s.podName) and built-in (flat pid/ppid/pcomm, k8s.pod) generations', async () => {
    const image = {
      timestamp: '2024-07-31T18:38:31.977700392Z',
      timestamp_raw: 1722451111977700392,
      proc: {
        pid: 4242,
        tid: 4242,
        comm: 'curl',
        parent: { pid: 4000, comm: 'sh' },
        creds: { uid: 1000, gid: 1000 },
        mntns_id: 1,
      },
      exepath: '/usr/bin/curl',
      args: '/usr/bin/curl -s http://10.96.0.1',
      cwd: '/app',
      error_raw: 0,
      k8s: {
        node: 'minikube',
        namespace: 'shop',
        podName: 'web-7c9d8f6b5d-x2x4z',
        containerName: 'web',
        owner: { kind: 'ReplicaSet', name: 'web-7c9d8f6b5d' },
      },
      runtime: { containerId: 'cd'.repeat(32), containerImageName: 'nginx:1.27' },
    };
    const builtin = {
      timestamp: 1722451112977700392,
      pid: 4243,
      ppid: 4242,
      comm: 'id',
      pcomm: 'curl',
      uid: 0,
      args: ['/usr/bin/id', '-u'],
      retval: 0,
      mountnsid: 1,
      k8s: { node: 'minikube', namespace: 'shop', pod: 'web-7c9d8f6b5d-x2x4z', container: 'web' },
    };
    const text = `${JSON.stringify(image)}\n${JSON.stringify(builtin)}\n`;
    const { summary, events } = await importToMemory(
      { name: 'exec.json', data: new TextEncoder().encode(text) },
      { baseTimeNs: 1e18 },
    );
    expect(summary.tool).toBe('ig');
    expect(events[0]).toMatchObject({
      kind: 'exec',
      time: 1722451111977700392,
      node: 'minikube',
      proc: {
        pid: 4242,
        ppid: 4000,
        uid: 1000,
        gid: 1000,
        comm: 'curl',
        exe: '/usr/bin/curl',
        args: ['/usr/bin/curl', '-s', 'http://10.96.0.1'],
        cwd: '/app',
      },
      container: { id: 'cd'.repeat(32) },
      pod: {
        name: 'web-7c9d8f6b5d-x2x4z',
        namespace: 'shop',
        container: 'web',
        image: 'nginx:1.27',
        workload: { kind: 'Deployment', name: 'web' },
      },
    });
    expect(events[1]).toMatchObject({
      kind: 'exec',
      proc: { pid: 4243, ppid: 4242, uid: 0, comm: 'id', args: ['/usr/bin/id', '-u'] },
      pod: { name: 'web-7c9d8f6b5d-x2x4z', namespace: 'shop', container: 'web' },
    });
    expect(summary.header.inventory!.pods).toHaveLength(1);
  });
});
