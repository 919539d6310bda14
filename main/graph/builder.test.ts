import { describe, expect, it } from 'vitest';
import type { Inventory } from '../common/capture';
import type { LanternEvent } from '../common/events';
import { keys } from '../common/graph';
import { GraphBuilder } from './builder';
import { classifyPath, normalisePath } from './paths';
import { collapse, findHubs, graphFromDelta, withoutNodes } from './view';
import { Cursor } from './timeline';

const CTR = 'a'.repeat(64);
const POD_UID = '11111111-2222-3333-4444-555555555555';
const inventory: Inventory = {
  takenAt: '2026-11-01T10:00:00Z',
  nodes: [{ name: 'n1', addresses: ['10.0.0.11'] }],
  namespaces: [{ name: 'shop' }],
  pods: [
    {
      uid: POD_UID,
      name: 'web-5d9f7c8b6d-x7k2p',
      namespace: 'shop',
      node: 'n1',
      serviceAccount: 'web',
      ips: ['10.244.0.5'],
      workload: { kind: 'Deployment', name: 'web' },
      containers: [{ name: 'nginx', id: CTR, image: 'nginx:1.27' }],
    },
    {
      uid: '99999999-2222-3333-4444-555555555555',
      name: 'api-6c4f9d7b8-abcde',
      namespace: 'shop',
      node: 'n1',
      ips: ['10.244.0.9'],
      workload: { kind: 'Deployment', name: 'api' },
      containers: [{ name: 'api', id: 'b'.repeat(64) }],
    },
  ],
  services: [{ name: 'kubernetes', namespace: 'default', clusterIPs: ['10.96.0.1'], ports: [{ port: 443 }] }],
  serviceAccounts: [{ name: 'web', namespace: 'shop' }],
};

let t = 1_000_000_000;
function ev(
  kind: LanternEvent['kind'],
  pid: number,
  start: number,
  exe: string,
  extra: Partial<LanternEvent> = {},
  ppid?: number,
  pstart?: number,
): LanternEvent {
  t += 1000;
  return {
    kind,
    time: t,
    node: 'n1',
    proc: {
      pid,
      start,
      comm: exe.split('/').pop()!.slice(0, 15),
      exe,
      ...(ppid !== undefined ? { ppid } : {}),
      ...(pstart !== undefined ? { pstart } : {}),
    },
    container: { id: CTR, podUid: POD_UID },
    ...extra,
  };
}
const tcp = (saddr: string, sport: number, daddr: string, dport: number) => ({
  proto: 'tcp' as const,
  family: 4 as const,
  saddr,
  sport,
  daddr,
  dport,
});
const SCOPE = keys.container('shop', 'web-5d9f7c8b6d-x7k2p', 'nginx');

describe('GraphBuilder', () => {
  it('builds typed structure from the inventory: namespace → workload → pod → container → process', () => {
    const b = new GraphBuilder({ inventory });
    b.ingest(ev('snapshot.proc', 100, 5000, '/usr/sbin/nginx'));
    const g = b.graph;
    const proc = keys.process(SCOPE, '/usr/sbin/nginx');
    expect(g.getNodeAttribute(proc, 'kind')).toBe('process');
    expect(g.getNodeAttributes(proc)).toMatchObject({
      namespace: 'shop',
      pod: 'web-5d9f7c8b6d-x7k2p',
      workload: 'Deployment/web',
      container: 'nginx',
      label: 'nginx',
    });
    for (const [kind, s, d] of [
      ['contains', keys.namespace('shop'), keys.workload('shop', 'Deployment', 'web')],
      ['contains', keys.workload('shop', 'Deployment', 'web'), keys.pod('shop', 'web-5d9f7c8b6d-x7k2p')],
      ['contains', keys.clusterNode('n1'), keys.pod('shop', 'web-5d9f7c8b6d-x7k2p')],
      ['contains', keys.pod('shop', 'web-5d9f7c8b6d-x7k2p'), SCOPE],
      ['uses-account', keys.pod('shop', 'web-5d9f7c8b6d-x7k2p'), keys.serviceAccount('shop', 'web')],
      ['runs', SCOPE, proc],
    ] as const)
      expect(g.hasEdge(keys.edge(kind, s, d)), `${kind} ${s} -> ${d}`).toBe(true);
  });

  it('aggregates repeats into one edge with a count, first and last seen', () => {
    const b = new GraphBuilder({ inventory });
    const t0 = t + 1000;
    for (let i = 0; i < 1000; i++)
      b.ingest(ev('accept', 101, 5001, '/usr/sbin/nginx', { net: tcp('10.244.0.5', 80, '10.244.0.9', 32768 + i) }));
    const peer = keys.endpoint('10.244.0.9', 0);
    const e = keys.edge('accepted', peer, keys.process(SCOPE, '/usr/sbin/nginx'));
    expect(b.graph.getEdgeAttributes(e)).toMatchObject({ kind: 'accepted', count: 1000, firstSeen: t0 });
    expect(b.graph.getEdgeAttribute(e, 'lastSeen')).toBe(t);
    // the peer is enriched: a pod of the api workload
    expect(b.graph.getNodeAttributes(peer)).toMatchObject({
      endpointClass: 'pod',
      pod: 'api-6c4f9d7b8-abcde',
      namespace: 'shop',
      workload: 'Deployment/api',
    });
    // a thousand events, a handful of elements
    expect(b.graph.order).toBeLessThan(15);
  });

  it('counts connections the agent folded (net.repeats) on the connected/accepted edge', () => {
    const b = new GraphBuilder({ inventory });
    const nginx = keys.process(SCOPE, '/usr/sbin/nginx');
    b.ingest(ev('connect', 102, 5002, '/usr/sbin/nginx', { net: tcp('10.244.0.5', 40000, '10.244.0.9', 8080) }));
    // the flush's count entry: one event standing for 1 + 198 connections
    b.ingest(
      ev('connect', 102, 5002, '/usr/sbin/nginx', {
        net: { ...tcp('10.244.0.5', 40000, '10.244.0.9', 8080), repeats: 198 },
      }),
    );
    expect(b.graph.getEdgeAttribute(keys.edge('connected', nginx, keys.endpoint('10.244.0.9', 8080)), 'count')).toBe(
      200,
    );
    b.ingest(ev('accept', 102, 5002, '/usr/sbin/nginx', { net: tcp('10.244.0.5', 80, '10.244.0.9', 33000) }));
    b.ingest(
      ev('accept', 102, 5002, '/usr/sbin/nginx', {
        net: { ...tcp('10.244.0.5', 80, '10.244.0.9', 33000), repeats: 9 },
      }),
    );
    expect(b.graph.getEdgeAttribute(keys.edge('accepted', keys.endpoint('10.244.0.9', 0), nginx), 'count')).toBe(11);
    // a capture file's odd values never corrupt the count: each such event counts as one
    for (const repeats of ['5', -3, NaN, Infinity] as unknown as number[])
      b.ingest(
        ev('accept', 102, 5002, '/usr/sbin/nginx', { net: { ...tcp('10.244.0.5', 80, '10.244.0.9', 33000), repeats } }),
      );
    expect(b.graph.getEdgeAttribute(keys.edge('accepted', keys.endpoint('10.244.0.9', 0), nginx), 'count')).toBe(15);
  });

  it('replays folded connections (net.repeats) on the timeline like the live graph counts them', () => {
    const b = new GraphBuilder({ inventory, log: true, checkpointEvery: 1024 });
    const net = (i: number) => ({
      ...tcp('10.244.0.5', 40000, '10.244.0.9', 8080),
      ...(i % 7 === 3 ? { repeats: 10 + i } : {}),
    });
    for (let i = 0; i < 3000; i++) b.ingest(ev('connect', 103, 5003, '/usr/sbin/nginx', { net: net(i) }));
    const edge = keys.edge('connected', keys.process(SCOPE, '/usr/sbin/nginx'), keys.endpoint('10.244.0.9', 8080));
    for (const n of [0, 4, 1500, 2049, 3000]) {
      const prefix = new GraphBuilder({ inventory });
      for (let i = 0; i < n; i++) prefix.ingest(ev('connect', 103, 5003, '/usr/sbin/nginx', { net: net(i) }));
      const c = new Cursor(b);
      c.restore(n);
      const g = graphFromDelta(c.full(1));
      expect(g.hasEdge(edge) ? g.getEdgeAttribute(edge, 'count') : 0, `at ${n}`).toBe(
        prefix.graph.hasEdge(edge) ? prefix.graph.getEdgeAttribute(edge, 'count') : 0,
      );
    }
    // and playing forward from 0 lands on the live count
    const c = new Cursor(b);
    c.moveTo(0, 1);
    c.moveTo(3000, 2);
    expect(graphFromDelta(c.full(3)).getEdgeAttribute(edge, 'count')).toBe(b.graph.getEdgeAttribute(edge, 'count'));
  });

  it('keeps process identity across pid reuse: same pid, new start time = new process instance', () => {
    const b = new GraphBuilder({ inventory, log: true });
    b.ingest(ev('snapshot.proc', 100, 5000, '/usr/sbin/nginx'));
    // pid 200 is a shell started by nginx
    b.ingest(ev('exec', 200, 7000, '/bin/sh', {}, 100, 5000));
    // (its exit event was lost: the kernel dropped it) and pid 200 is reused by a curl started by... nginx again, later, with another start time
    b.ingest(ev('exec', 200, 9000, '/usr/bin/curl', {}, 100, 5000));
    const nginx = keys.process(SCOPE, '/usr/sbin/nginx');
    const sh = keys.process(SCOPE, '/bin/sh');
    const curl = keys.process(SCOPE, '/usr/bin/curl');
    expect(b.graph.hasEdge(keys.edge('spawned', nginx, sh))).toBe(true);
    expect(b.graph.hasEdge(keys.edge('spawned', nginx, curl))).toBe(true);
    // curl is not a child of the dead shell that had the same pid
    expect(b.graph.hasEdge(keys.edge('spawned', sh, curl))).toBe(false);
    // an event of the new pid 200 with the new start goes to curl
    b.ingest(ev('connect', 200, 9000, '/usr/bin/curl', { net: tcp('10.244.0.5', 40000, '198.51.100.1', 443) }));
    expect(b.graph.hasEdge(keys.edge('connected', curl, keys.endpoint('198.51.100.1', 443)))).toBe(true);
    expect(b.process('n1', 200)?.exe).toBe('/usr/bin/curl');
    expect(GraphBuilder.ancestry(b.process('n1', 200)!).map((p) => p.exe)).toEqual(['/usr/sbin/nginx']);
    // evidence ids per event come from the touch log
    expect(b.touchedKeys(2)).toEqual(expect.arrayContaining([curl, keys.edge('spawned', nginx, curl)]));
  });

  it('an exec that replaces its own image (same pid and start) is spawned by the old image', () => {
    const b = new GraphBuilder({ inventory });
    b.ingest(ev('exec', 300, 11000, '/bin/sh', {}, 1, 0));
    b.ingest(ev('exec', 300, 11000, '/usr/bin/python3', {}, 1, 0));
    expect(
      b.graph.hasEdge(keys.edge('spawned', keys.process(SCOPE, '/bin/sh'), keys.process(SCOPE, '/usr/bin/python3'))),
    ).toBe(true);
  });

  it('folds volatile paths and classes sensitive ones', () => {
    expect(normalisePath('/proc/1234/stat')).toBe('/proc/*/stat');
    expect(normalisePath(`/var/lib/kubelet/pods/${POD_UID}/volumes`)).toBe('/var/lib/kubelet/pods/*/volumes');
    expect(normalisePath('/usr/lib/x86_64-linux-gnu/libc.so.6')).toBe('/usr/lib/x86_64-linux-gnu/libc.so.6');
    expect(classifyPath('/var/run/secrets/kubernetes.io/serviceaccount/token').sensitive).toBe('sa-token');
    expect(classifyPath('/etc/shadow').sensitive).toBe('shadow');
    expect(classifyPath('/proc/77/environ')).toEqual({ key: '/proc/*/environ', sensitive: 'proc-secrets' });
    const b = new GraphBuilder({ inventory });
    for (let pid = 1000; pid < 1100; pid++)
      b.ingest(ev('open', 100, 5000, '/usr/sbin/nginx', { file: { path: `/proc/${pid}/stat` } }));
    b.ingest(ev('open', 100, 5000, '/usr/sbin/nginx', { file: { path: '/etc/shadow', write: false } }));
    b.ingest(ev('open', 100, 5000, '/usr/sbin/nginx', { file: { path: '/etc/nginx/conf.d/x.conf', write: true } }));
    const files = b.graph.filterNodes((_k, a) => a.kind === 'file');
    expect(files.sort()).toEqual(
      [keys.file('/etc/nginx/conf.d/x.conf'), keys.file('/etc/shadow'), keys.file('/proc/*/stat')].sort(),
    );
    expect(b.graph.getNodeAttribute(keys.file('/proc/*/stat'), 'count')).toBe(100);
    expect(b.graph.getNodeAttribute(keys.file('/etc/shadow'), 'sensitive')).toBe('shadow');
    const nginx = keys.process(SCOPE, '/usr/sbin/nginx');
    expect(b.graph.hasEdge(keys.edge('read', nginx, keys.file('/etc/shadow')))).toBe(true);
    expect(b.graph.hasEdge(keys.edge('wrote', nginx, keys.file('/etc/nginx/conf.d/x.conf')))).toBe(true);
    // read and wrote between the same two nodes are two edges of different kinds
    b.ingest(ev('open', 100, 5000, '/usr/sbin/nginx', { file: { path: '/etc/nginx/conf.d/x.conf' } }));
    expect(b.graph.edges(nginx, keys.file('/etc/nginx/conf.d/x.conf')).sort()).toEqual(
      [
        keys.edge('read', nginx, keys.file('/etc/nginx/conf.d/x.conf')),
        keys.edge('wrote', nginx, keys.file('/etc/nginx/conf.d/x.conf')),
      ].sort(),
    );
  });

  it('classifies endpoints (cluster API, external, loopback) and fills ev.pod for every event of a known pod', () => {
    const b = new GraphBuilder({ inventory });
    const e1 = ev('connect', 100, 5000, '/usr/sbin/nginx', { net: tcp('10.244.0.5', 40000, '10.96.0.1', 443) });
    const e2 = ev('connect', 100, 5000, '/usr/sbin/nginx', { net: tcp('10.244.0.5', 40001, '8.8.8.8', 53) });
    const e3 = ev('connect', 100, 5000, '/usr/sbin/nginx', { net: tcp('127.0.0.1', 40002, '127.0.0.1', 8080) });
    for (const e of [e1, e2, e3]) b.ingest(e);
    expect(b.graph.getNodeAttribute(keys.endpoint('10.96.0.1', 443), 'endpointClass')).toBe('cluster-api');
    expect(b.graph.getNodeAttribute(keys.endpoint('8.8.8.8', 53), 'endpointClass')).toBe('external');
    expect(b.graph.getNodeAttribute(keys.endpoint('127.0.0.1', 8080), 'endpointClass')).toBe('loopback');
    for (const e of [e1, e2, e3]) expect(e.pod?.name).toBe('web-5d9f7c8b6d-x7k2p');
  });

  it('puts processes outside any pod under the host scope', () => {
    const b = new GraphBuilder({ inventory });
    b.ingest({
      kind: 'connect',
      time: 5,
      node: 'n1',
      proc: { pid: 812, start: 1, comm: 'kubelet', exe: '/usr/bin/kubelet' },
      net: tcp('10.0.0.11', 40000, '10.96.0.1', 443),
    });
    const k = keys.process(keys.hostScope('n1'), '/usr/bin/kubelet');
    expect(b.graph.getNodeAttribute(k, 'host')).toBe(true);
    expect(b.graph.hasEdge(keys.edge('runs', keys.clusterNode('n1'), k))).toBe(true);
  });

  it('collapses process → pod → workload → namespace as a pure function', () => {
    const b = new GraphBuilder({ inventory });
    b.ingest(ev('exec', 200, 7000, '/bin/sh', {}, 1, 0));
    for (let i = 0; i < 5; i++)
      b.ingest(ev('connect', 200, 7000, '/bin/sh', { net: tcp('10.244.0.5', 40000 + i, '10.244.0.9', 8080) }));
    const before = b.graph.order;
    const pod = collapse(b.graph, 'pod');
    expect(b.graph.order).toBe(before); // input untouched
    const web = keys.pod('shop', 'web-5d9f7c8b6d-x7k2p');
    const api = keys.pod('shop', 'api-6c4f9d7b8-abcde');
    expect(pod.hasNode(keys.process(SCOPE, '/bin/sh'))).toBe(false);
    // process → pod endpoint becomes pod → pod
    expect(pod.getEdgeAttribute(keys.edge('connected', web, api), 'count')).toBe(5);
    const wl = collapse(b.graph, 'workload');
    expect(
      wl.hasEdge(
        keys.edge('connected', keys.workload('shop', 'Deployment', 'web'), keys.workload('shop', 'Deployment', 'api')),
      ),
    ).toBe(true);
    const ns = collapse(b.graph, 'namespace');
    expect(ns.hasEdge(keys.edge('connected', keys.namespace('shop'), keys.namespace('shop')))).toBe(false);
    expect(ns.filterNodes((_k, a) => a.kind === 'process' || a.kind === 'pod')).toEqual([]);
  });

  it('finds and hides hubs', () => {
    const b = new GraphBuilder({ inventory });
    for (let i = 0; i < 40; i++) {
      b.ingest(ev('exec', 1000 + i, 1, `/bin/tool${i}`, {}, 1, 0));
      b.ingest(ev('connect', 1000 + i, 1, `/bin/tool${i}`, { net: tcp('10.244.0.5', 40000, '10.96.0.1', 443) }));
    }
    const hubs = findHubs(b.graph, { minDegree: 20 });
    expect(hubs.map((h) => h.key)).toContain(keys.endpoint('10.96.0.1', 443));
    const g = withoutNodes(
      b.graph,
      hubs.map((h) => h.key),
    );
    expect(g.hasNode(keys.endpoint('10.96.0.1', 443))).toBe(false);
    expect(b.graph.hasNode(keys.endpoint('10.96.0.1', 443))).toBe(true);
  });
});
