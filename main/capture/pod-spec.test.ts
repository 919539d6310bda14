import { describe, it, expect } from 'vitest';
import { Pod } from 'kubernetes-models/v1';
import { readFileSync } from 'node:fs';
import { buildCapturePod, imageRef, capturePodName, labelValue, DEFAULT_PROBES, AGENT_VERSION } from './pod-spec';
import { isLanternPod } from './labels';

const base = {
  node: 'lab-node-1',
  sessionId: 's-20261128-abc',
  namespace: 'lantern-system',
  durationSec: 300,
  now: new Date('2026-11-28T10:00:00Z'),
};

describe('capture pod spec', () => {
  it('asks the agent to watch module-load attempts only when told to (it costs on every syscall)', () => {
    const envOf = (pod: ReturnType<typeof buildCapturePod>) => pod.spec!.containers[0]!.env ?? [];
    expect(envOf(buildCapturePod(base)).some((e) => e.name === 'LANTERN_RAW_SYSCALLS')).toBe(false);
    expect(envOf(buildCapturePod({ ...base, moduleAttempts: true }))).toContainEqual({
      name: 'LANTERN_RAW_SYSCALLS',
      value: 'on',
    });
  });

  it("asks for the image of the agent version in this tree (the tag follows native/agent's version)", () => {
    const entry = readFileSync(new URL('../../native/agent/lantern-agent', import.meta.url), 'utf8');
    expect(/^AGENT_VERSION=(\S+)$/m.exec(entry)?.[1]).toBe(AGENT_VERSION);
  });

  it('validates against the Kubernetes schema', () => {
    const pod = buildCapturePod(base);
    expect(() => new Pod(JSON.parse(JSON.stringify(pod))).validate()).not.toThrow();
    expect(isLanternPod(pod)).toBe(true);
    // the validator does reject what is wrong (so the check above means something)
    const broken = JSON.parse(JSON.stringify(pod));
    broken.spec.activeDeadlineSeconds = 'soon';
    expect(() => new Pod(broken).validate()).toThrow();
  });

  it('is locked down and self-expiring', () => {
    const pod = buildCapturePod(base);
    const s = pod.spec!;
    expect(s.hostPID).toBe(true);
    expect(s.nodeName).toBe('lab-node-1');
    expect(s.restartPolicy).toBe('Never');
    expect(s.automountServiceAccountToken).toBe(false);
    expect(s.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(s.activeDeadlineSeconds).toBeGreaterThan(300);
    for (const m of s.containers[0]!.volumeMounts!) expect(m.readOnly).toBe(true);
    for (const v of s.volumes!) expect(v.hostPath).toBeDefined();
    expect(pod.metadata!.labels).toMatchObject({
      'app.kubernetes.io/name': 'lantern-agent',
      'app.kubernetes.io/managed-by': 'lantern',
      'lantern.dev/session': 's-20261128-abc',
    });
    const exp = pod.metadata!.annotations!['lantern.dev/expires']!;
    expect(new Date(exp).getTime()).toBe(base.now.getTime() + s.activeDeadlineSeconds! * 1000);
    expect(pod.metadata!.annotations!['lantern.dev/expires-at']).toBe(exp);
  });

  it('passes duration, probes and scope to the agent', () => {
    const c = buildCapturePod({
      ...base,
      probes: ['exec', 'net'],
      podUids: ['0b6d8a3e-1111-2222-3333-444455556666'],
      hostProcesses: true,
    }).spec!.containers[0]!;
    expect(c.command![0]).toBe('/opt/lantern/agent/lantern-agent');
    const arg = (k: string) => c.command![c.command!.indexOf(k) + 1];
    expect(Number(arg('--duration'))).toBeGreaterThanOrEqual(300);
    expect(arg('--probes')).toBe('exec,net');
    expect(arg('--scope')).toBe('host');
    expect(arg('--pods')).toBe('0b6d8a3e-1111-2222-3333-444455556666');
    expect(buildCapturePod(base).spec!.containers[0]!.command).toContain(DEFAULT_PROBES.join(','));
  });

  it('takes an air-gapped image by registry, tag or digest, with pull secrets', () => {
    const d = 'sha256:' + 'ab'.repeat(32);
    expect(imageRef({ registry: 'registry.local:5000/mirror', tag: '0.1.0' })).toBe(
      'registry.local:5000/mirror/lantern-agent:0.1.0',
    );
    expect(imageRef({ registry: 'r.local', repository: 'sec/agent', digest: d })).toBe(`r.local/sec/agent@${d}`);
    expect(() => imageRef({ digest: 'sha256:nothex' })).toThrow(/digest/);
    const pod = buildCapturePod({
      ...base,
      image: `r.local/agent@${d}`,
      pullSecrets: ['mirror-creds'],
      pullPolicy: 'Always',
    });
    expect(pod.spec!.imagePullSecrets).toEqual([{ name: 'mirror-creds' }]);
    expect(pod.spec!.containers[0]!.image).toBe(`r.local/agent@${d}`);
    expect(() => new Pod(JSON.parse(JSON.stringify(pod))).validate()).not.toThrow();
  });

  it('keeps names and label values valid for long or odd node names', () => {
    const node = 'ip-10-0-0-1.eu-west-1.compute.internal.' + 'x'.repeat(80);
    const pod = buildCapturePod({ ...base, node });
    expect(pod.metadata!.name!.length).toBeLessThanOrEqual(63);
    expect(labelValue(node).length).toBeLessThanOrEqual(63);
    expect(capturePodName('Node_A', 's1')).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(() => new Pod(JSON.parse(JSON.stringify(pod))).validate()).not.toThrow();
  });

  it('rejects bad input in words', () => {
    expect(() => buildCapturePod({ ...base, probes: ['exec;rm'] })).toThrow(/unknown probe/);
    expect(() => buildCapturePod({ ...base, durationSec: 0 })).toThrow(/duration/);
    expect(() => buildCapturePod({ ...base, namespace: 'Bad NS' })).toThrow(/namespace/);
    expect(() => buildCapturePod({ ...base, podUids: ['x; rm -rf'] })).toThrow(/pod uid/);
  });
});
