/**
 * What the agent reports on kernels and paths the rule cases elsewhere do not cover:
 * module loads refused by the kernel (ENOSYS without module support: the lab's kernel),
 * and files planted below /etc by rename or link rather than by open.
 */
import { describe, expect, it } from 'vitest';
import { createDetector } from './index';
import { inventoryFor, Script } from './testkit';

function findings(build: (s: Script) => void) {
  const s = new Script({ name: 'web-1', workload: 'web' });
  s.running(100, '/usr/sbin/nginx', ['nginx']);
  build(s);
  const d = createDetector({ inventory: inventoryFor([s]), methods: { peers: false, rarity: false, baseline: false } });
  d.ingest(s.events, 0);
  d.finish();
  return d.findings();
}

describe('agent-reported attempts', () => {
  it('a finit_module refused with ENOSYS is still a kernel module finding, and says it failed', () => {
    const f = findings((s) => {
      s.exec(200, '/bin/sh', ['sh']).exec(210, '/usr/bin/perl', ['perl', '-e', '...'], 200).module(210, 'rk.ko');
      s.events[s.events.length - 1]!.ret = -38;
    });
    const hit = f.find((x) => x.ruleId === 'LNT-045');
    expect(hit?.technique).toBe('T1547.006');
    expect(hit?.explanation).toMatch(/finit_module/);
    expect(hit?.explanation).toMatch(/failed with ENOSYS/);
  });

  it('a file renamed over /etc/passwd is a write below /etc', () => {
    const f = findings((s) => {
      s.exec(200, '/bin/sh', ['sh'])
        .exec(210, '/bin/mv', ['mv', '/tmp/p', '/etc/passwd'], 200)
        .open(210, '/etc/passwd', true);
      const e = s.events[s.events.length - 1]!;
      e.file = { path: '/etc/passwd', write: true, op: 'rename', from: '/tmp/p' };
    });
    expect(f.some((x) => x.ruleId === 'LNT-034' && x.explanation.includes('/etc/passwd'))).toBe(true);
  });

  it('an aggregated read count of /etc is not a write below /etc', () => {
    const f = findings((s) => {
      s.exec(200, '/bin/sh', ['sh']).exec(210, '/bin/cat', ['cat', '/etc/hosts'], 200).open(210, '/etc', false);
      const e = s.events[s.events.length - 1]!;
      e.file = { path: '/etc', aggregated: true, count: 3 };
    });
    expect(f.filter((x) => x.ruleId === 'LNT-034')).toEqual([]);
  });
});
