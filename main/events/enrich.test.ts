import { describe, expect, it } from 'vitest';
import type { Inventory } from '../common/capture';
import type { LanternEvent } from '../common/events';
import { createEnricher, normaliseIp } from './enrich';

const CID = 'a'.repeat(64);
const CID2 = 'b'.repeat(64);

const inv: Inventory = {
  takenAt: '2026-01-01T00:00:00Z',
  nodes: [{ name: 'node-1', addresses: ['192.168.1.10', 'fd00::10'] }],
  namespaces: [{ name: 'default' }, { name: 'shop' }],
  pods: [
    {
      uid: '11111111-2222-3333-4444-555555555555',
      name: 'web-5d9f-abcde',
      namespace: 'shop',
      node: 'node-1',
      ips: ['10.244.0.7'],
      serviceAccount: 'web',
      workload: { kind: 'Deployment', name: 'web' },
      containers: [
        { name: 'nginx', id: CID, image: 'nginx:1.27' },
        { name: 'sidecar', id: CID2, image: 'envoy:1' },
      ],
    },
    {
      uid: '99999999-2222-3333-4444-555555555555',
      name: 'job-x',
      namespace: 'shop',
      ips: ['10.244.0.8'],
      containers: [{ name: 'main', image: 'busybox' }],
    },
    {
      uid: '77777777-2222-3333-4444-555555555555',
      name: 'kube-proxy-1',
      namespace: 'kube-system',
      hostNetwork: true,
      ips: ['192.168.1.10'],
      containers: [{ name: 'kube-proxy' }],
    },
  ],
  services: [
    {
      name: 'kubernetes',
      namespace: 'default',
      clusterIPs: ['10.96.0.1'],
      ports: [{ name: 'https', port: 443 }],
      endpoints: [{ ip: '172.18.0.2' }],
    },
    {
      name: 'web',
      namespace: 'shop',
      clusterIPs: ['10.96.12.34', 'None'],
      ports: [{ name: 'http', port: 80 }, { port: 8443 }],
    },
  ],
  serviceAccounts: [],
  apiServer: { addresses: ['203.0.113.5'], port: 6443 },
};

function ev(extra: Partial<LanternEvent>): LanternEvent {
  return { kind: 'exec', time: 1, node: 'node-1', ...extra };
}

describe('classify', () => {
  const e = createEnricher(inv);

  it('resolves pod IPs to the pod with its workload', () => {
    const a = e.classify('10.244.0.7', 8080);
    expect(a.class).toBe('pod');
    expect(a.label).toBe('shop/web-5d9f-abcde');
    expect(a.pod).toEqual({
      uid: '11111111-2222-3333-4444-555555555555',
      name: 'web-5d9f-abcde',
      namespace: 'shop',
      workload: { kind: 'Deployment', name: 'web' },
    });
    expect(a.node).toBe('node-1');
  });

  it('resolves service ClusterIPs and names the port', () => {
    expect(e.classify('10.96.12.34', 80)).toMatchObject({
      class: 'service',
      label: 'svc shop/web:http',
      service: { namespace: 'shop', name: 'web' },
    });
    expect(e.classify('10.96.12.34', 8443).label).toBe('svc shop/web:8443');
    expect(e.classify('10.96.12.34', 9999).label).toBe('svc shop/web');
    expect(e.classify('10.96.12.34').label).toBe('svc shop/web');
  });

  it('recognises the API server by the kubernetes service, its endpoints and inventory.apiServer', () => {
    for (const ip of ['10.96.0.1', '172.18.0.2', '203.0.113.5']) {
      expect(e.classify(ip, 443).class, ip).toBe('cluster-api');
    }
    expect(e.classify('10.96.0.1', 443).label).toBe('kubernetes API');
  });

  it('a hostNetwork pod does not claim the node IP', () => {
    expect(e.classify('192.168.1.10')).toMatchObject({ class: 'node', node: 'node-1', label: 'node node-1' });
    expect(e.classify('FD00::10').class).toBe('node');
  });

  it('classifies special and unresolved ranges', () => {
    expect(e.classify('169.254.169.254', 80).class).toBe('metadata');
    expect(e.classify('fd00:ec2::254').class).toBe('metadata');
    expect(e.classify('127.0.0.53', 53).class).toBe('loopback');
    expect(e.classify('::1').class).toBe('loopback');
    expect(e.classify('::ffff:127.0.0.1').class).toBe('loopback');
    expect(e.classify('1.1.1.1', 80)).toEqual({ class: 'external', label: '1.1.1.1' });
    expect(e.classify('2606:4700::1111').class).toBe('external');
    for (const ip of [
      '10.1.2.3',
      '172.20.0.1',
      '192.168.9.9',
      '100.64.0.1',
      '169.254.1.1',
      'fd12::1',
      'fe80::1%eth0',
      '0.0.0.0',
      '::',
      'not-an-ip',
    ]) {
      expect(e.classify(ip).class, ip).toBe('unknown');
    }
    expect(e.classify('172.32.0.1').class).toBe('external');
  });

  it('normalises IPv4-mapped, bracketed and zoned forms before lookup', () => {
    expect(normaliseIp('[FE80::1%eth0]')).toBe('fe80::1');
    expect(normaliseIp('::ffff:10.244.0.7')).toBe('10.244.0.7');
    expect(e.classify('::ffff:10.244.0.7').class).toBe('pod');
    // cached answers stay right on repeat calls
    expect(e.classify('1.1.1.1').class).toBe('external');
    expect(e.classify('10.244.0.7').class).toBe('pod');
  });

  it('works without an inventory', () => {
    const bare = createEnricher(undefined);
    expect(bare.classify('10.244.0.7').class).toBe('unknown');
    expect(bare.classify('8.8.8.8').class).toBe('external');
    expect(bare.classify('169.254.169.254').class).toBe('metadata');
    expect(bare.enrich(ev({ container: { podUid: 'x' } })).pod).toBeUndefined();
  });

  it('inventory text named __proto__ does not pollute anything', () => {
    const evil = createEnricher({
      ...inv,
      pods: [
        {
          uid: '__proto__',
          name: '__proto__',
          namespace: 'constructor',
          ips: ['__proto__'],
          containers: [{ name: 'x', id: '__proto__' }],
        },
      ],
    });
    expect(evil.classify('__proto__').class).toBe('pod');
    expect(evil.classify('toString').class).toBe('unknown');
    expect(({} as Record<string, unknown>).name).toBeUndefined();
  });
});

describe('enrich', () => {
  const e = createEnricher(inv);

  it('joins by container id, including a runtime prefix and Falco-style 12-hex short ids', () => {
    const full = e.enrich(ev({ container: { id: CID } }));
    expect(full.pod).toEqual({
      uid: '11111111-2222-3333-4444-555555555555',
      name: 'web-5d9f-abcde',
      namespace: 'shop',
      container: 'nginx',
      image: 'nginx:1.27',
      workload: { kind: 'Deployment', name: 'web' },
      serviceAccount: 'web',
    });
    expect(e.enrich(ev({ container: { id: `containerd://${CID2.toUpperCase()}` } })).pod?.container).toBe('sidecar');
    expect(e.enrich(ev({ container: { id: CID2.slice(0, 12) } })).pod?.container).toBe('sidecar');
  });

  it('joins by pod uid; the container is named only when the pod has one', () => {
    const multi = e.enrich(ev({ container: { podUid: '11111111-2222-3333-4444-555555555555' } }));
    expect(multi.pod?.name).toBe('web-5d9f-abcde');
    expect(multi.pod?.container).toBeUndefined();
    const single = e.enrich(ev({ container: { podUid: '99999999-2222-3333-4444-555555555555' } }));
    expect(single.pod).toMatchObject({ name: 'job-x', namespace: 'shop', container: 'main', image: 'busybox' });
    expect(single.pod?.workload).toBeUndefined();
  });

  it('mutates and returns the same event; host processes stay podless', () => {
    const x = ev({ container: { id: CID } });
    expect(e.enrich(x)).toBe(x);
    expect(e.enrich(ev({})).pod).toBeUndefined();
    expect(e.enrich(ev({ container: { id: 'c'.repeat(64), podUid: 'nope' } })).pod).toBeUndefined();
  });

  it('completes an importer-given pod ref without overwriting it', () => {
    const x = e.enrich(ev({ pod: { name: 'web-5d9f-abcde', namespace: 'shop', container: 'given' } }));
    expect(x.pod).toEqual({
      name: 'web-5d9f-abcde',
      namespace: 'shop',
      container: 'given',
      uid: '11111111-2222-3333-4444-555555555555',
      workload: { kind: 'Deployment', name: 'web' },
      serviceAccount: 'web',
    });
    const other = e.enrich(ev({ pod: { name: 'elsewhere', namespace: 'x' } }));
    expect(other.pod).toEqual({ name: 'elsewhere', namespace: 'x' });
  });
});
