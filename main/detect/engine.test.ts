/**
 * The methods beyond single rules: baselines (round trip through a file), peer groups and rarity
 * on constructed captures with a known odd one out, suppression of probes and Lantern's own pods,
 * allow-lists, incidents, live updates, and rule-file errors in words.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDetector, loadBaselineFile, loadRuleFile, parseRulePack, serializeBaseline } from './index';
import { inventoryFor, merge, Script, T0 } from './testkit';

const dir = mkdtempSync(join(tmpdir(), 'lantern-detect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small benign shop: 3 web replicas (nginx answering, talking to db), one db. */
function benignShop(t0 = T0, minutes = 2) {
  const webs = [1, 2, 3].map((i) => new Script({ name: `web-${i}abc`, workload: 'web', image: 'nginx:1.25' }, t0));
  const db = new Script({ name: 'db-0', workload: 'db', kind: 'StatefulSet', image: 'postgres:16' }, t0);
  webs.forEach((w) => w.running(100, '/usr/sbin/nginx', ['nginx']).listen(100, 80));
  db.running(100, '/usr/lib/postgresql/16/bin/postgres').listen(100, 5432);
  for (let s = 0; s < minutes * 60; s += 5) {
    for (const w of webs) {
      w.wait(5).connect(100, '10.244.0.50', 5432).open(100, '/usr/share/nginx/html/index.html');
      // A cron-ish helper the app runs itself: same in every replica.
      if (s % 30 === 0) w.exec(300 + s, '/usr/bin/logrotate', ['logrotate', '/etc/logrotate.conf'], 100);
    }
    db.wait(5).open(100, '/var/lib/postgresql/data/base/1');
  }
  return { webs, db };
}

function invWithDbIp(scripts: Script[]) {
  const inv = inventoryFor(scripts);
  const dbPod = inv.pods.find((p) => p.name === 'db-0');
  if (dbPod) dbPod.ips = ['10.244.0.50'];
  return inv;
}

describe('baselines', () => {
  it('learn → save → load → hunt: only what is outside the profile is a finding, saying which baseline', () => {
    const day1 = benignShop();
    const learnDet = createDetector({ inventory: invWithDbIp([...day1.webs, day1.db]) });
    learnDet.ingest(merge(...day1.webs, day1.db), 0);
    learnDet.finish();
    const baseline = learnDet.learnedBaseline('shop-monday');
    const file = join(dir, 'shop.baseline.json');
    writeFileSync(file, serializeBaseline(baseline));
    const loaded = loadBaselineFile(file);
    expect(loaded.workloads['shop/Deployment/web']!.exes).toContain('/usr/sbin/nginx');
    expect(loaded.workloads['shop/Deployment/web']!.connects).toContain('pod:shop/db:5432');
    expect(loaded).toEqual(JSON.parse(readFileSync(file, 'utf8')));

    // Day 2: the same benign behaviour, plus web-2 runs curl to an external address.
    const day2 = benignShop(T0 + 86_400e9);
    day2.webs[1]!.exec(900, '/usr/bin/curl', ['curl', 'http://203.0.113.9/x'], 100).connect(900, '203.0.113.9', 80);
    const hunt = createDetector({
      inventory: invWithDbIp([...day2.webs, day2.db]),
      baseline: loaded,
      methods: { rules: false, peers: false, rarity: false },
    });
    hunt.ingest(merge(...day2.webs, day2.db), 0);
    hunt.finish();
    const fs = hunt.findings();
    expect(fs.map((f) => f.ruleId).sort()).toEqual(['BASE-C', 'BASE-X']);
    for (const f of fs) {
      expect(f.method).toBe('baseline');
      expect(f.explanation).toContain('never seen in baseline "shop-monday"');
      expect(f.pod?.name).toBe('web-2abc');
    }
    expect(fs.find((f) => f.ruleId === 'BASE-X')!.explanation).toContain('/usr/bin/curl');
    expect(fs.find((f) => f.ruleId === 'BASE-C')!.explanation).toContain('external 203.0.113.9 port 80');
  });

  it('learning mode: the first minutes are learned, later novelty is hunted', () => {
    const shop = benignShop(T0, 3);
    shop.webs[0]!.exec(901, '/bin/sh', ['sh', '-c', 'id'], 100);
    const d = createDetector({
      inventory: invWithDbIp([...shop.webs, shop.db]),
      learnUntil: T0 + 60e9,
      methods: { rules: false, peers: false, rarity: false },
    });
    d.ingest(merge(...shop.webs, shop.db), 0);
    const fs = d.findings();
    expect(fs).toHaveLength(1);
    expect(fs[0]!.title).toContain('ran /bin/sh');
    expect(fs[0]!.explanation).toContain('learned during the first minutes');
  });

  it('learning mode counted from the first event (live captures: agents attach after the start)', () => {
    const late = T0 + 20e9;
    const shop = benignShop(late, 3);
    shop.webs[0]!.exec(901, '/bin/sh', ['sh', '-c', 'id'], 100);
    const d = createDetector({
      inventory: invWithDbIp([...shop.webs, shop.db]),
      learnFor: 60e9,
      methods: { rules: false, peers: false, rarity: false },
    });
    expect(d.learningUntil()).toBeUndefined();
    const evs = merge(...shop.webs, shop.db);
    d.ingest(evs, 0);
    expect(d.learningUntil()).toBe(evs[0]!.time + 60e9);
    expect(d.findings().map((f) => f.title)).toEqual([expect.stringContaining('ran /bin/sh')]);
    const learned = d.learnedBaseline('first minute');
    expect(learned.to).toBeLessThanOrEqual(evs[0]!.time + 60e9);
    expect(learned.workloads['shop/Deployment/web']!.exes).not.toContain('/bin/sh');
  });

  it('refuses a corrupt or foreign baseline file in words', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      '{"format":"lantern-baseline","version":1,"name":"x","created":"now","workloads":{"a":{"exes":"nope"}}}',
    );
    expect(() => loadBaselineFile(bad)).toThrow(/bad\.json: not a Lantern baseline: workloads\.a\.exes/);
    writeFileSync(bad, 'garbage');
    expect(() => loadBaselineFile(bad)).toThrow(/not JSON/);
  });
});

describe('peer groups', () => {
  it('flags the one replica of three that ran a shell, with the numbers', () => {
    const shop = benignShop();
    shop.webs[2]!.exec(700, '/bin/sh', ['sh', '-c', 'uname -a'], 100);
    const d = createDetector({
      inventory: invWithDbIp([...shop.webs, shop.db]),
      methods: { rules: false, rarity: false },
    });
    d.ingest(merge(...shop.webs, shop.db), 0);
    d.finish();
    const peers = d.findings().filter((f) => f.method === 'peer-group');
    expect(peers).toHaveLength(1);
    expect(peers[0]!.title).toBe('1 of 3 replicas of Deployment shop/web ran /bin/sh');
    expect(peers[0]!.pod?.name).toBe('web-3abc');
    expect(peers[0]!.explanation).toContain('the other 2 never did');
    expect(peers[0]!.evidence.nodes).toContain('proc:ctr:shop/web-3abc/main|/bin/sh');
  });

  it('folds a peer difference that a rule already reported into that finding as a note', () => {
    const shop = benignShop();
    shop.webs[0]!.exec(700, '/bin/sh', ['sh', '-c', 'id'], 100);
    const d = createDetector({ inventory: invWithDbIp([...shop.webs, shop.db]), methods: { rarity: false } });
    d.ingest(merge(...shop.webs, shop.db), 0);
    d.finish();
    const fs = d.findings();
    expect(fs.filter((f) => f.method === 'peer-group')).toEqual([]);
    expect(fs.find((f) => f.ruleId === 'LNT-003')!.explanation).toContain(
      'Peer comparison: only 1 of 3 replicas of Deployment shop/web did this',
    );
  });

  it('says nothing when replicas behave alike, or when there are only two', () => {
    const shop = benignShop();
    const d = createDetector({
      inventory: invWithDbIp([...shop.webs, shop.db]),
      methods: { rules: false, rarity: false },
    });
    d.ingest(merge(...shop.webs, shop.db), 0);
    d.finish();
    expect(d.findings()).toEqual([]);
    const two = benignShop();
    two.webs[1]!.exec(700, '/bin/sh', ['sh', '-c', 'uname -a'], 100);
    const d2 = createDetector({
      inventory: invWithDbIp([two.webs[0]!, two.webs[1]!]),
      methods: { rules: false, rarity: false },
    });
    d2.ingest(merge(two.webs[0]!, two.webs[1]!), 0);
    d2.finish();
    expect(d2.findings()).toEqual([]);
  });
});

describe('rarity and outliers', () => {
  it('flags the pod that talks to far more addresses than the others, with median and z-score', () => {
    const pods = Array.from({ length: 8 }, (_, i) => new Script({ name: `api-${i}x`, workload: `api${i}` }));
    pods.forEach((p, i) => {
      p.running(100, '/app/api');
      for (let k = 0; k < 3; k++) p.wait(10).connect(100, `10.244.2.${(i + k) % 5}`, 8080);
    });
    const odd = pods[5]!;
    for (let k = 0; k < 40; k++) odd.wait(3).connect(100, `10.244.3.${k}`, 8080);
    const d = createDetector({ inventory: inventoryFor(pods), methods: { rules: false, peers: false } });
    d.ingest(merge(...pods), 0);
    d.finish();
    const out = d.findings().filter((f) => f.ruleId === 'OUTLIER-FANOUT');
    expect(out).toHaveLength(1);
    expect(out[0]!.pod?.name).toBe('api-5x');
    expect(out[0]!.explanation).toMatch(
      /connected to 43 distinct addresses .* median pod connected to 3 .* robust z-score \d+/,
    );
  });

  it('marks an executable that only one pod ran, a handful of times, as rare (info), with bits', () => {
    const pods = Array.from({ length: 4 }, (_, i) => new Script({ name: `job-${i}x`, workload: `job${i}` }));
    pods.forEach((p) => {
      p.running(100, '/app/worker');
      for (let k = 0; k < 250; k++) p.wait(1).open(100, '/etc/shadow');
    });
    pods[1]!.exec(500, '/usr/bin/gdb', ['gdb', '-p', '100'], 100);
    const d = createDetector({ inventory: inventoryFor(pods), methods: { rules: false, peers: false } });
    d.ingest(merge(...pods), 0);
    d.finish();
    const rare = d.findings().filter((f) => f.ruleId === 'RARE-EXE');
    expect(rare).toHaveLength(1);
    expect(rare[0]!.severity).toBe('info');
    expect(rare[0]!.explanation).toMatch(/no other of the 4 pods .* Rarity \d+\.\d bits/);
  });
});

describe('suppression, allow-lists, incidents, live updates', () => {
  it('never reports kubelet probe execs (from the pod spec, or by their steady schedule) nor Lantern capture pods', () => {
    const web = new Script({ name: 'web-1x', workload: 'web' });
    web.running(100, '/usr/sbin/nginx');
    const agent = new Script({ name: 'lantern-capture-node-a', workload: 'lantern-capture-node-a', kind: 'Pod' });
    agent.running(100, '/usr/bin/bpftrace');
    agent.exec(200, '/bin/sh', ['sh'], 1).open(200, '/etc/shadow');
    const cron = new Script({ name: 'cron-1x', workload: 'cron' });
    cron.running(100, '/usr/sbin/crond');
    for (let i = 0; i < 6; i++) {
      web.wait(10).exec(400 + i, '/bin/sh', ['sh', '-c', 'test -f /tmp/ready'], 1);
      // unknown probe, recognised by its schedule after three runs
      cron.wait(10).exec(400 + i, '/usr/bin/pgrep', ['pgrep', 'crond'], 1);
    }
    const inv = inventoryFor([web, agent, cron]);
    inv.pods.find((p) => p.name === 'web-1x')!.containers[0]!.execProbes = [['sh', '-c', 'test -f /tmp/ready']];
    inv.pods.find((p) => p.name === 'lantern-capture-node-a')!.lanternCapture = true;
    const d = createDetector({ inventory: inv });
    d.ingest(merge(web, agent, cron), 0);
    d.finish();
    expect(d.findings().map((f) => `${f.ruleId} ${f.pod?.name}`)).toEqual([]);
    expect(d.stats().suppressed.probes).toBeGreaterThanOrEqual(6);
    expect(d.stats().suppressed.ownCapture).toBeGreaterThan(0);
  });

  it('does not take a steady exec schedule for a probe in a pod whose spec is known (an attacker could hide that way)', () => {
    const web = new Script({ name: 'web-1x', workload: 'web' });
    web.running(100, '/usr/sbin/nginx');
    for (let i = 0; i < 4; i++)
      web
        .wait(10)
        .exec(400 + i, '/bin/sh', ['sh', '-c', 'cat /etc/shadow'], 1)
        .open(400 + i, '/etc/shadow');
    const inv = inventoryFor([web]);
    inv.pods[0]!.phase = 'Running'; // listed by the API server: its spec names every exec probe (none here)
    const d = createDetector({ inventory: inv });
    d.ingest(merge(web), 0);
    d.finish();
    expect(d.findings().some((f) => f.ruleId === 'LNT-018' && f.pod?.name === 'web-1x')).toBe(true);
    expect(d.stats().suppressed.probes).toBe(0);
  });

  it('allow-lists silence one rule for one workload only, at load time and at triage time', () => {
    const build = () => {
      const a = new Script({ name: 'ctl-1x', workload: 'ctl' });
      a.running(100, '/bin/bash').exec(200, '/usr/local/bin/kubectl', ['kubectl', 'apply'], 100);
      const b = new Script({ name: 'web-1x', workload: 'web' });
      b.running(100, '/bin/bash').exec(200, '/usr/local/bin/kubectl', ['kubectl', 'get', 'secrets'], 100);
      return [a, b];
    };
    const [a, b] = build();
    const d = createDetector({
      inventory: inventoryFor([a!, b!]),
      allow: [{ rule: 'LNT-013', workload: 'ctl', reason: 'deploys' }],
      methods: { peers: false, rarity: false },
    });
    d.ingest(merge(a!, b!), 0);
    expect(
      d
        .findings()
        .filter((f) => f.ruleId === 'LNT-013')
        .map((f) => f.pod?.name),
    ).toEqual(['web-1x']);

    const [a2, b2] = build();
    const d2 = createDetector({ inventory: inventoryFor([a2!, b2!]), methods: { peers: false, rarity: false } });
    d2.ingest(merge(a2!, b2!), 0);
    expect(d2.findings().filter((f) => f.ruleId === 'LNT-013')).toHaveLength(2);
    expect(d2.allow({ rule: 'LNT-013', namespace: 'shop', workload: 'ctl' })).toBe(1);
    expect(
      d2
        .findings()
        .filter((f) => f.ruleId === 'LNT-013')
        .map((f) => f.pod?.name),
    ).toEqual(['web-1x']);
    expect(d2.findings().some((f) => f.ruleId === 'LNT-012' || f.ruleId === 'LNT-013')).toBe(true);
  });

  it('deduplicates repeats, groups one intrusion into one incident, ranks it, and streams changes', () => {
    const s = new Script({ name: 'web-1x', workload: 'web' });
    s.running(100, '/usr/sbin/nginx').exec(200, '/bin/bash', ['bash']);
    for (let i = 0; i < 3; i++) s.exec(210 + i, '/bin/cat', ['cat', '/etc/shadow'], 200).open(210 + i, '/etc/shadow');
    const other = new Script({ name: 'db-0', workload: 'db' });
    other.running(100, '/usr/bin/postgres').wait(3600).open(100, '/etc/ld.so.preload', true);
    const d = createDetector({ inventory: inventoryFor([s, other]), methods: { peers: false, rarity: false } });
    const evs = merge(s, other);
    d.ingest(evs.slice(0, 3), 0);
    const first = d.drainChanged();
    expect(first.map((f) => f.ruleId).sort()).toEqual(['LNT-001', 'LNT-002']);
    expect(d.drainChanged()).toEqual([]);
    d.ingest(evs.slice(3), 3);
    const fs = d.findings();
    const shadow = fs.find((f) => f.ruleId === 'LNT-018')!;
    expect(shadow.occurrences).toBe(3);
    expect(shadow.evidence.events.map((e) => e.index)).toEqual([4, 6, 8]);
    const inc = fs.find((f) => f.ruleId === 'LNT-001')!.incident;
    expect(inc).toBeDefined();
    expect(shadow.incident).toBe(inc);
    // The other pod, an hour later: its own incident (LNT-037 and LNT-034 on one write), not this one.
    expect(fs.find((f) => f.ruleId === 'LNT-037')!.incident).not.toBe(inc);
    for (let i = 1; i < fs.length; i++) expect(fs[i - 1]!.score).toBeGreaterThanOrEqual(fs[i]!.score);
    expect(d.setStatus(shadow.id, 'confirmed')!.status).toBe('confirmed');
    expect(d.drainChanged().map((f) => f.id)).toContain(shadow.id);
  });

  it('applies persisted triage statuses to findings as they appear', () => {
    const s = new Script({ name: 'web-1x', workload: 'web' });
    s.running(100, '/usr/sbin/nginx').exec(200, '/bin/bash', ['bash']);
    const d1 = createDetector({ inventory: inventoryFor([s]) });
    d1.ingest(s.events, 0);
    const id = d1.findings().find((f) => f.ruleId === 'LNT-001')!.id;
    const d2 = createDetector({
      inventory: inventoryFor([s]),
      triage: { get: (x) => (x === id ? 'benign' : undefined) },
    });
    d2.ingest(s.events, 0);
    expect(d2.findings().find((f) => f.id === id)!.status).toBe('benign');
  });
});

describe('user rule files', () => {
  it('loads a user rule that replaces a bundled one and adds a new one', () => {
    const file = join(dir, 'mine.yaml');
    writeFileSync(
      file,
      [
        'rules:',
        '  - id: ACME-1',
        '    title: Our app never runs python',
        '    severity: medium',
        '    technique: T1059.006',
        '    description: The acme images contain no python; if it runs, something was added.',
        '    events: [exec]',
        '    when: { exe.base: { regex: "^python" }, namespace: shop }',
        '    explain: "{exe} ran in {where}, and acme images ship no python."',
      ].join('\n'),
    );
    const pack = loadRuleFile(file);
    const s = new Script({ name: 'web-1x', workload: 'web' });
    s.running(100, '/usr/sbin/nginx').exec(200, '/usr/bin/python3', ['python3', 'x.py'], 100);
    const d = createDetector({ inventory: inventoryFor([s]), rules: pack, methods: { peers: false, rarity: false } });
    d.ingest(s.events, 0);
    const f = d.findings().find((x) => x.ruleId === 'ACME-1')!;
    expect(f.explanation).toBe(
      '/usr/bin/python3 ran in pod shop/web-1x (Deployment web), and acme images ship no python.',
    );
  });

  it('rejects broken rules with the file, the rule and the problem in words', () => {
    const base =
      'format: lantern-rules\nversion: 1\nname: t\nrules:\n  - id: X-1\n    title: t\n    severity: high\n    technique: T1059\n    description: a description long enough\n    events: [exec]\n';
    expect(() => parseRulePack(base + '    when: { nosuch.field: 1 }\n    explain: x\n', 'u.yaml')).toThrow(
      'u.yaml: rule X-1: unknown field "nosuch.field"',
    );
    expect(() => parseRulePack(base + '    when: { exe: { bogus: 1 } }\n    explain: x\n', 'u.yaml')).toThrow(
      /unknown operator "bogus"/,
    );
    expect(() => parseRulePack(base + '    when: { exe: { regex: "(" } }\n    explain: x\n', 'u.yaml')).toThrow(
      /bad regex/,
    );
    expect(() => parseRulePack(base + '    when: { exe: x }\n    explain: "{nope}"\n', 'u.yaml')).toThrow(
      /explanation names unknown field "\{nope\}"/,
    );
    expect(() =>
      parseRulePack(base.replace('severity: high', 'severity: urgent') + '    when: {}\n    explain: x\n', 'u.yaml'),
    ).toThrow(/u\.yaml: rule X-1: severity/);
    expect(() => parseRulePack(base.replace('T1059', 'TX') + '    when: {}\n    explain: x\n', 'u.yaml')).toThrow(
      /MITRE ATT&CK technique id/,
    );
    expect(() => parseRulePack('rules: [', 'u.yaml')).toThrow(/u\.yaml: not valid YAML\/JSON/);
    expect(() => parseRulePack('{"__proto__": {"x": 1}, "rules": []}', 'u.yaml')).toThrow(/Unrecognized key/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
