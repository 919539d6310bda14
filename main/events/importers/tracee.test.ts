import { describe, expect, it } from 'vitest';
import { importToMemory } from './index';
import { get, haveData, sample, sourceRecords } from './samples.test-util';

/** Every Tracee event sample in shared/data (detectors_catalog.csv is a catalogue, not events). */
const FILES = [
  'tracee/main/docs__detectors__quickstart.json',
  'tracee/main/docs__events__builtin__network-events.jsonl',
  'tracee/main/docs__outputs__event-structure.v1beta1.json',
  'tracee/v0.14.0/classic-docs__docs__tracing__network-events.jsonl',
  'tracee/v0.14.0/docs__forensics__index.jsonl',
  'tracee/v0.14.0/docs__outputs__output-options.jsonl',
  'tracee/v0.14.0/getting-started__kubernetes-quickstart.json',
  'tracee/v0.14.0/pkg__signatures__benchmark__README.json',
  'tracee/v0.22.0/contributing__setup-development-machine-with-vagrant.jsonl',
  'tracee/v0.22.0/docs__advanced__forensics.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__index.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_dns.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_dns_request.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_dns_response.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_http.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_http_request.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_http_response.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_icmp.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_icmpv6.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_ipv4.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_ipv6.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_tcp.jsonl',
  'tracee/v0.22.0/docs__events__builtin__network__net_packet_udp.jsonl',
  'tracee/v0.22.0/docs__events__custom__golang.json',
  'tracee/v0.22.0/docs__events__custom__rego.json',
  'tracee/v0.22.0/docs__policies__rules.json',
  'tracee/v0.22.0/tutorials__k8s-policies.json',
];

type Rec = Record<string, unknown>;
const arg = (o: Rec, name: string): unknown =>
  Array.isArray(o.args)
    ? (o.args as Rec[]).find((a) => a.name === name || get(a, 'argMeta.name') === name)?.value
    : undefined;

/** The documented mapping (tracee.ts header), written out independently. */
function expectedKinds(o: Rec): string[] {
  if (typeof o.name === 'string') {
    // v1beta1 / detector output
    if (o.threat) return ['open', 'alert'];
    return o.name === 'sched_process_exec' ? ['exec'] : [];
  }
  const name = o.eventName as string;
  const id = Number(o.eventId ?? o.eventID);
  const signature = !!o.metadata || (id >= 6000 && id < 7000);
  const out: string[] = [];
  if (['execve', 'sched_process_exec'].includes(name) || (signature && o.syscall === 'execve' && arg(o, 'pathname')))
    out.push('exec');
  else if (['security_file_open', 'openat'].includes(name) || (name === 'vfs_read' && arg(o, 'pathname')))
    out.push('open');
  else if (name === 'ptrace') out.push('ptrace');
  else if (name === 'net_packet_tcp' && get(arg(o, 'proto_tcp'), 'SYN') === 1 && get(arg(o, 'proto_tcp'), 'ACK') === 0)
    out.push('connect');
  else if (name === 'net_packet_dns' && get(arg(o, 'proto_dns'), 'QR') === 0) out.push('dns');
  else if (name === 'net_packet_dns_request') out.push('dns');
  else if (name === 'net_packet_http_request') out.push('connect');
  if (signature) out.push('alert');
  return out;
}

describe.skipIf(!haveData)('Tracee importer on every Tracee sample', () => {
  for (const file of FILES) {
    it(file, async () => {
      const src = sourceRecords(file);
      const expected = src.flatMap(expectedKinds);
      const { summary, events } = await importToMemory(sample(file), { from: 'tracee', baseTimeNs: 1e18 });
      expect(events.map((e) => e.kind).sort()).toEqual([...expected].sort());
      expect(summary.skipped).toBe(src.filter((o) => expectedKinds(o).length === 0).length);
      expect(summary.records).toBe(src.length);
      // Identities, pods, namespaces: each event traces back to a source record with the same host pid.
      for (const ev of events) {
        const samePid = src.filter(
          (s) =>
            (s.hostProcessId ??
              s.hostProcessID ??
              get(s, 'workload.process.pid.value') ??
              get(s, 'workload.process.pid')) === ev.proc!.pid,
        );
        const o = samePid.find((s) => s.timestamp === ev.time) ?? samePid[0];
        expect(o, `no source record with pid ${ev.proc!.pid}`).toBeDefined();
        expect(ev.node).toBe((o!.hostName as string | undefined) ?? 'unknown');
        expect(ev.proc!.comm).toBe(
          String(o!.processName ?? get(o, 'workload.process.thread.name') ?? 'cat').slice(0, 15),
        );
        expect(ev.proc!.ppid).toBe(
          o!.hostParentProcessId ??
            o!.hostParentProcessID ??
            get(o, 'workload.process.ancestors.0.host_pid') ??
            get(o, 'workload.process.ancestors.0.pid'),
        );
        const pod = (get(o, 'kubernetes.podName') ?? o!.podName) as string | undefined;
        if (pod)
          expect(ev.pod).toMatchObject({ name: pod, namespace: get(o, 'kubernetes.podNamespace') ?? o!.podNamespace });
        else expect(ev.pod).toBeUndefined();
        const cid = (get(o, 'container.id') ?? o!.containerId) as string | undefined;
        expect(ev.container?.id).toBe(cid || undefined);
        if (typeof o!.timestamp === 'number' && o!.timestamp > 1e18) expect(ev.time).toBe(o!.timestamp);
      }
    });
  }

  it('spot checks across the three generations', async () => {
    const evs = async (f: string) => (await importToMemory(sample(f), { baseTimeNs: 1e18 })).events;
    const fileless = await evs('tracee/v0.14.0/getting-started__kubernetes-quickstart.json');
    expect(fileless[0]).toMatchObject({
      kind: 'exec',
      node: 'tracee-tester',
      time: Number('1671119128028881186'), // the source's epoch ns, as a float holds it
      proc: { pid: 6136, ppid: 6135, uid: 0, comm: '3', exe: '/dev/fd/3' },
      container: {
        id: 'c7e3c75bf167348bf79262bf6e688088f9b4d54ebcc79464f40b52b80c73ff55',
        podUid: '5cb83966-e274-48f1-89fb-25bd748d2773',
      },
      pod: {
        name: 'tracee-wk8wh',
        namespace: 'tracee-system',
        uid: '5cb83966-e274-48f1-89fb-25bd748d2773',
        container: 'tracee',
        image: 'docker.io/aquasec/tracee:latest',
      },
    });
    expect(fileless[1]).toMatchObject({ kind: 'alert', alert: { tool: 'tracee', rule: 'fileless_execution' } });
    const ptrace = await evs('tracee/v0.14.0/pkg__signatures__benchmark__README.json');
    expect(ptrace[0]).toMatchObject({
      kind: 'ptrace',
      ptrace: { request: 0 },
      proc: { pid: 3217, ppid: 3788, comm: 'malware' },
      node: '234134134ab',
    });
    expect(ptrace[0]!.time).toBe(1e18); // seconds since boot → placed at the base time
    const v1 = await evs('tracee/main/docs__outputs__event-structure.v1beta1.json');
    expect(v1[0]).toMatchObject({
      kind: 'exec',
      proc: { pid: 12345, ppid: 1234, uid: 1000, comm: 'bash', exe: '/usr/bin/ls', args: ['ls', '-la', '/tmp'] },
    });
    expect(Math.abs(v1[0]!.time - Number('1732454400123456789'))).toBeLessThanOrEqual(256);
    const det = await evs('tracee/main/docs__detectors__quickstart.json');
    expect(det.map((e) => e.kind)).toEqual(['open', 'alert']);
    expect(det[0]).toMatchObject({ file: { path: '/etc/shadow' }, proc: { pid: 67890, ppid: 67889, exe: '/bin/cat' } });
    expect(det[1]!.alert).toMatchObject({
      rule: 'Sensitive File Access',
      priority: 'MEDIUM',
      output: 'A process attempted to access a sensitive system file',
    });
    const vagrant = await evs('tracee/v0.22.0/contributing__setup-development-machine-with-vagrant.jsonl');
    expect(vagrant[0]!.alert).toMatchObject({
      rule: 'Anti-Debugging detected',
      priority: 'low',
      tags: ['TRC-102', 'T1622', 'defense-evasion', 'Debugger Evasion'],
    });
    const forensics = await evs('tracee/v0.22.0/docs__advanced__forensics.jsonl');
    expect(forensics.find((e) => e.kind === 'open' && e.file?.write)).toMatchObject({
      file: { path: '/tmp/testing.txt', write: true },
    });
    const dns = await evs('tracee/v0.22.0/docs__events__builtin__network__net_packet_dns_request.jsonl');
    expect(dns[0]).toMatchObject({ kind: 'dns', dns: { query: 'www.zip.net', server: '8.8.8.8', serverPort: 53 } });
    const http = await evs('tracee/v0.22.0/docs__events__builtin__network__net_packet_http_request.jsonl');
    expect(http[0]).toMatchObject({
      kind: 'connect',
      net: { saddr: '192.168.200.50', sport: 50064, daddr: '142.251.129.36', dport: 80, proto: 'tcp' },
    });
    const k8s = await importToMemory(sample('tracee/v0.22.0/tutorials__k8s-policies.json'), { baseTimeNs: 1e18 });
    expect(k8s.events[0]).toMatchObject({
      kind: 'exec',
      node: 'minikube',
      proc: { pid: 3242201, exe: '/opt/cni/bin/bridge', args: ['/opt/cni/bin/bridge'] },
    });
  });
});
