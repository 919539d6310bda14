import { describe, expect, it } from 'vitest';
import type { Inventory } from '../common/capture';
import { ResumeGuard } from './dedupe';
import { compareLogTime, parseLogTime } from './log-stream';
import { capturePodName } from './session';
import { matchesSelector, parseSelector, resolveTargetNodes } from './targets';

const inv: Inventory = {
  takenAt: '2026-01-01T00:00:00Z',
  nodes: [{ name: 'node-a' }, { name: 'node-b' }, { name: 'node-c' }],
  namespaces: [{ name: 'shop' }, { name: 'kube-system' }],
  pods: [
    {
      uid: '1',
      name: 'web-1',
      namespace: 'shop',
      node: 'node-a',
      labels: { app: 'web', tier: 'front' },
      containers: [],
    },
    { uid: '2', name: 'db-0', namespace: 'shop', node: 'node-b', labels: { app: 'db' }, containers: [] },
    { uid: '3', name: 'dns', namespace: 'kube-system', node: 'node-c', labels: { k8s: 'dns' }, containers: [] },
    {
      uid: '4',
      name: 'lantern-x',
      namespace: 'shop',
      node: 'node-c',
      labels: { app: 'web' },
      containers: [],
      lanternCapture: true,
    },
  ],
  services: [],
  serviceAccounts: [],
};

describe('targets', () => {
  it('all nodes, chosen nodes, namespaces, selectors', () => {
    expect(resolveTargetNodes(inv, {}).nodes).toEqual(['node-a', 'node-b', 'node-c']);
    expect(resolveTargetNodes(inv, { nodes: ['node-b'] }).nodes).toEqual(['node-b']);
    expect(resolveTargetNodes(inv, { namespaces: ['shop'] }).nodes).toEqual(['node-a', 'node-b']);
    // Lantern's own capture pods never make a node a target.
    expect(resolveTargetNodes(inv, { selector: 'app=web' }).nodes).toEqual(['node-a']);
    expect(resolveTargetNodes(inv, { selector: 'app in (web,db),tier!=back' }).nodes).toEqual(['node-a', 'node-b']);
    expect(resolveTargetNodes(inv, { namespaces: ['shop'], nodes: ['node-b', 'node-c'] }).nodes).toEqual(['node-b']);
  });
  it('says what is wrong', () => {
    expect(resolveTargetNodes(inv, { nodes: ['nope'] }).problems[0]).toMatch(
      /node "nope" does not exist \(nodes: node-a, node-b, node-c\)/,
    );
    expect(resolveTargetNodes(inv, { selector: 'app=none' }).problems[0]).toMatch(
      /no node runs pods matching "app=none"/,
    );
    expect(() => parseSelector('a=b,,c')).toThrow(/empty term/);
    expect(() => parseSelector('a b c')).toThrow(/cannot read/);
  });
  it('selector semantics', () => {
    expect(matchesSelector({ a: '1' }, parseSelector('a'))).toBe(true);
    expect(matchesSelector({ a: '1' }, parseSelector('!a'))).toBe(false);
    expect(matchesSelector({}, parseSelector('a notin (1)'))).toBe(true);
    expect(matchesSelector({ a: '1' }, parseSelector('a==1'))).toBe(true);
    expect(matchesSelector({ __proto__: 'x' } as never, parseSelector('a'))).toBe(false);
  });
});

describe('resume guard: no gap, no double', () => {
  const ts = (s: string) => parseLogTime(s)!;
  it('parses RFC3339Nano with any number of fraction digits and compares exactly', () => {
    expect(compareLogTime(ts('2026-11-28T10:00:00.5Z'), ts('2026-11-28T10:00:00.499999999Z'))).toBeGreaterThan(0);
    expect(compareLogTime(ts('2026-11-28T10:00:00Z'), ts('2026-11-28T10:00:00.000000000Z'))).toBe(0);
    expect(compareLogTime(ts('2026-11-28T11:00:00+01:00'), ts('2026-11-28T10:00:00Z'))).toBe(0);
    expect(parseLogTime('yesterday')).toBeUndefined();
  });
  it('drops the overlap of a resumed stream by time and by seq, counts gaps', () => {
    const g = new ResumeGuard();
    expect(g.beginStream()).toBeUndefined();
    const kept: number[] = [];
    const feed = (t: string, seq: number) => {
      const time = ts(t);
      if (!g.acceptLine(time)) return;
      if (g.acceptSeq(seq) === 'keep') kept.push(seq);
      g.lineDone(time);
    };
    feed('2026-11-28T10:00:00.1Z', 1);
    feed('2026-11-28T10:00:00.2Z', 2);
    feed('2026-11-28T10:00:00.3Z', 3);
    // dropped; the server (truncating sinceTime to the second) replays from 10:00:00
    expect(g.beginStream()).toBe('2026-11-28T10:00:00.3Z');
    feed('2026-11-28T10:00:00.1Z', 1);
    feed('2026-11-28T10:00:00.3Z', 3);
    feed('2026-11-28T10:00:00.4Z', 4);
    feed('2026-11-28T10:00:00.5Z', 7);
    expect(kept).toEqual([1, 2, 3, 4, 7]);
    expect(g.duplicates).toBe(1);
    expect(g.gaps).toBe(1);
    expect(g.missing).toBe(2);
  });
});

describe('capture pod names', () => {
  it('are valid DNS-1123 labels of at most 63 characters', () => {
    for (const node of ['node-a', 'ip-10-0-0-1.eu-west-1.compute.internal', 'X'.repeat(200), '---']) {
      const n = capturePodName('20261128-abcdef123456', node);
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });
});

describe('CLI support', () => {
  it('durations and exit codes', async () => {
    const { parseDuration, exitCodeFor, EXIT, UsageError } = await import('./cli-support');
    const { ClusterError } = await import('../cluster/errors');
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('45')).toBe(45);
    expect(() => parseDuration('2 minutes')).toThrow(/cannot read the duration/);
    expect(exitCodeFor(new UsageError('x'))).toBe(EXIT.usage);
    expect(exitCodeFor(new ClusterError('refused', 'x'))).toBe(4);
    for (const k of [
      'unreachable',
      'tls',
      'cert-expired',
      'unauthorized',
      'forbidden',
      'kubeconfig',
      'credential-plugin',
      'too-old',
    ] as const) {
      expect(exitCodeFor(new ClusterError(k, 'x'))).toBe(5);
    }
    expect(exitCodeFor(new ClusterError('server', 'x'))).toBe(1);
    expect(exitCodeFor(new Error('x'))).toBe(1);
  });
});
