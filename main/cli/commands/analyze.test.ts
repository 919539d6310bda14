/**
 * `lantern analyze` end to end through the real CLI entry: findings as text and JSON, --fail-on
 * exit code, baseline learning and hunting, user rules, and errors in words.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureWriter } from '../../events/capture-file';
import { CAPTURE_VERSION, type CaptureHeader } from '../../common/capture';
import { inventoryFor, Script, T0 } from '../../detect/testkit';

const repo = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'lantern-analyze-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(
    process.execPath,
    [join(repo, 'main/cli/lantern.mjs'), 'analyze', ...args, '--user-data-dir', join(dir, 'user')],
    { cwd: repo, encoding: 'utf8', timeout: 60_000 },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function write(file: string, scripts: Script[]): Promise<void> {
  const header: CaptureHeader = {
    lantern: 'capture',
    version: CAPTURE_VERSION,
    created: new Date(T0 / 1e6).toISOString(),
    tool: { name: 'lantern', version: 'test' },
    nodes: [{ name: 'node-a' }],
    probes: ['exec', 'open', 'net'],
    source: 'lantern',
    inventory: inventoryFor(scripts),
  };
  const w = await CaptureWriter.create(file, header);
  for (const ev of scripts.flatMap((s) => s.events).sort((a, b) => a.time - b.time)) {
    const { pod: _p, ...raw } = ev;
    w.write(raw);
  }
  await w.close();
}

let quiet: string;
let noisy: string;
beforeAll(async () => {
  const mk = (attack: boolean) => {
    const s = new Script({ name: 'web-1x', workload: 'web' });
    s.running(100, '/usr/sbin/nginx').listen(100, 80);
    for (let i = 0; i < 10; i++) s.wait(1).open(100, '/usr/share/nginx/html/index.html');
    if (attack)
      s.exec(200, '/bin/bash', ['bash']).exec(210, '/bin/cat', ['cat', '/etc/shadow'], 200).open(210, '/etc/shadow');
    return s;
  };
  quiet = join(dir, 'quiet.lantern');
  noisy = join(dir, 'noisy.lantern');
  await write(quiet, [mk(false)]);
  await write(noisy, [mk(true)]);
});

describe('lantern analyze', { timeout: 240_000 }, () => {
  it('prints ranked findings with explanations, and exits 3 with --fail-on when they reach it', () => {
    const r = cli([noisy, '--fail-on', 'high']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/3 finding\(s\) \(2 high, 1 medium\)/);
    expect(r.out).toContain('LNT-018');
    expect(r.out).toContain('/bin/cat read /etc/shadow in pod shop/web-1x');
    expect(r.err).toContain('findings at or above high');
    expect(cli([quiet, '--fail-on', 'low']).code).toBe(0);
  });

  it('--json gives machine-readable findings with evidence', () => {
    const r = cli([noisy, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as {
      events: number;
      findings: { ruleId: string; evidence: { events: { index: number }[] } }[];
    };
    expect(j.findings.map((f) => f.ruleId).sort()).toEqual(['LNT-001', 'LNT-002', 'LNT-018']);
    expect(j.findings.every((f) => f.evidence.events.length > 0)).toBe(true);
  });

  it('learns a baseline from a quiet capture and hunts the noisy one against it', () => {
    const b = join(dir, 'quiet.baseline.json');
    const l = cli([quiet, '--learn-baseline', b, '--name', 'monday', '--save-baseline']);
    expect(l.code).toBe(0);
    expect(l.out).toMatch(/learned baseline "monday" .* 1 workload profile\(s\)/);
    expect(JSON.parse(readFileSync(b, 'utf8')).workloads['shop/Deployment/web'].exes).toEqual(['/usr/sbin/nginx']);
    expect(existsSync(join(dir, 'user', 'baselines', 'monday.baseline.json'))).toBe(true);
    // By file and by catalog name.
    for (const ref of [b, 'monday']) {
      const r = cli([noisy, '--baseline', ref, '--json']);
      const j = JSON.parse(r.out) as { baseline: string; findings: { ruleId: string; explanation: string }[] };
      expect(j.baseline).toBe('monday');
      const base = j.findings.filter((f) => f.ruleId.startsWith('BASE-'));
      expect(base.map((f) => f.ruleId).sort()).toEqual(['BASE-F', 'BASE-X', 'BASE-X']);
      expect(base.every((f) => f.explanation.includes('never seen in baseline "monday"'))).toBe(true);
    }
  });

  it('loads user rules and reports bad input in words', () => {
    const rules = join(dir, 'r.yaml');
    writeFileSync(
      rules,
      'rules:\n  - id: U-1\n    title: nginx serves\n    severity: low\n    technique: T1190\n    description: a test rule that fires on nginx opens\n    events: [open]\n    when: { exe.base: nginx }\n    explain: "{exe} opened {file.path}"\n',
    );
    const r = cli([quiet, '--rules', rules, '--only-rules', '--json']);
    expect((JSON.parse(r.out) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId)).toEqual(['U-1']);
    writeFileSync(rules, 'rules:\n  - id: U-1\n    title: t\n');
    const bad = cli([quiet, '--rules', rules]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/r\.yaml: rule U-1: severity/);
    const missing = cli([join(dir, 'nope.lantern')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.lantern: cannot open/);
    expect(cli([quiet, '--baseline', 'no-such-baseline']).err).toMatch(/no baseline named "no-such-baseline"/);
  });
});
