/**
 * `npm run eval` — the detection evaluation (a benchmark, not a test).
 *
 *   1. Every lab attack scenario under its own real capture (lab + agent + kernel + capture
 *      engine), analysed by the detector: detected? right pod? right technique? time to first
 *      finding (event time of the first finding in the pod minus the scenario's start).
 *   2. The benign lab alone for --benign-minutes (default 3; the target is stated per 10 minutes,
 *      the count is scaled and both numbers are printed): findings at medium or above.
 *   3. Every real sample in ../shared/data through the importers: which rule fires on which.
 *
 *   npm run eval -- [--scenarios a,b] [--benign-minutes N] [--skip-lab] [--skip-samples] [--keep DIR] [--json FILE]
 *
 * Without root/bpftrace/the lab, or without the capture agent, parts 1–2 say why and are skipped.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeCapture, atLeast } from '../../main/detect/analyze';
import { SCENARIOS_DIR } from '../lab/index';
import {
  captureAround,
  evalUnavailableReason,
  evaluateScenario,
  openLab,
  sleep,
  type LabHandle,
  type Verdict,
} from './harness';
import { analyseSamples, type SampleResult } from './samples';

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string' },
    'benign-minutes': { type: 'string', default: '3' },
    'skip-lab': { type: 'boolean', default: false },
    'skip-samples': { type: 'boolean', default: false },
    keep: { type: 'string' },
    json: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const out = (s = '') => process.stdout.write(`${s}\n`);
const log = values.verbose ? (m: string) => process.stderr.write(`${m}\n`) : undefined;
const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
const yes = (b: boolean) => (b ? 'yes' : 'NO');

interface Report {
  scenarios: (Omit<Verdict, 'best'> & { explanation?: string; error?: string })[];
  benign?: {
    minutes: number;
    mediumPlus: number;
    per10min: number;
    findings: { severity: string; ruleId: string; pod?: string; title: string }[];
  };
  samples: { file: string; tool?: string; events: number; lantern: string[]; imported: string[] }[];
  skipped: string[];
}

async function agentAvailable(): Promise<string | undefined> {
  try {
    const { loadAgent } = await import('../../main/capture/agent');
    await loadAgent();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

async function labPart(report: Report, work: string): Promise<void> {
  const why = evalUnavailableReason() ?? (await agentAvailable());
  if (why) {
    report.skipped.push(`lab scenarios and benign run: ${why}`);
    out(`lab part skipped: ${why}`);
    return;
  }
  const all = readdirSync(SCENARIOS_DIR)
    .filter((d) => existsSync(join(SCENARIOS_DIR, d, 'label.json')))
    .sort();
  const wanted = values.scenarios ? values.scenarios.split(',').map((s) => s.trim()) : all;
  const h: LabHandle = await openLab(log);
  try {
    out(`Scenarios (${wanted.length}), each in its own capture of the whole lab:`);
    out(`${pad('scenario', 22)} ${pad('technique', 10)} ${pad('pod', 36)} det  pod  tech  ttff     rules`);
    for (const name of wanted) {
      const file = join(work, `${name}.lantern`);
      try {
        const v = await evaluateScenario(h, name, file, log);
        const { best, ...rest } = v;
        report.scenarios.push({ ...rest, ...(best ? { explanation: best.explanation } : {}) });
        out(
          `${pad(name, 22)} ${pad(v.technique, 10)} ${pad(v.pod, 36)} ${pad(yes(v.detected), 4)} ${pad(yes(v.rightPod), 4)} ${pad(yes(v.rightTechnique), 5)} ${pad(v.ttffMs === undefined ? '-' : `${(v.ttffMs / 1000).toFixed(2)} s`, 8)} ${v.rules.join(' ')}${v.attempts > 1 ? ` (capture attempts: ${v.attempts})` : ''}`,
        );
      } catch (e) {
        report.scenarios.push({
          scenario: name,
          pod: '?',
          technique: '?',
          detected: false,
          rightPod: false,
          rightTechnique: false,
          ttffMs: undefined,
          rules: [],
          findings: 0,
          events: 0,
          analyseMs: 0,
          error: (e as Error).message,
        });
        out(`${pad(name, 22)} failed: ${(e as Error).message}`);
      }
    }
    const ok = report.scenarios.filter((s) => s.detected && s.rightPod && s.rightTechnique).length;
    out(`→ ${ok} of ${report.scenarios.length} scenarios detected with the right pod and technique`);
    out();

    const minutes = Number(values['benign-minutes']);
    if (Number.isFinite(minutes) && minutes > 0) {
      out(`Benign lab only, ${minutes} min:`);
      const file = join(work, 'benign.lantern');
      await captureAround(h, file, () => sleep(minutes * 60_000), {
        ...(log ? { log } : {}),
        maxSec: minutes * 60 + 120,
      });
      const res = await analyzeCapture(file);
      const med = res.findings.filter((f) => atLeast(f, 'medium'));
      const per10 = (med.length * 10) / minutes;
      report.benign = {
        minutes,
        mediumPlus: med.length,
        per10min: per10,
        findings: res.findings.map((f) => ({
          severity: f.severity,
          ruleId: f.ruleId,
          ...(f.pod ? { pod: `${f.pod.namespace}/${f.pod.name}` } : {}),
          title: f.title,
        })),
      };
      out(
        `  ${res.events} events, ${res.findings.length} findings in all; ${med.length} at medium or above (${per10.toFixed(1)} per 10 min, scaled linearly; target ≤ 3)`,
      );
      for (const f of res.findings.filter((x) => atLeast(x, 'low')))
        out(
          `  ${pad(f.severity, 8)} ${pad(f.ruleId, 15)} ${pad(f.pod ? `${f.pod.namespace}/${f.pod.name}` : `host ${f.node}`, 36)} ${f.title}`,
        );
      out();
    }
  } finally {
    await h.stop();
  }
}

async function samplesPart(report: Report): Promise<void> {
  const root = resolve(process.cwd(), '../shared/data');
  const dataRoot = existsSync(root) ? root : '/work/shared/data';
  if (!existsSync(dataRoot)) {
    report.skipped.push('samples: ../shared/data not found');
    out('samples skipped: ../shared/data not found');
    return;
  }
  const res: SampleResult[] = await analyseSamples(dataRoot);
  out(`Real samples (${res.length} importable files under ${dataRoot}): which Lantern rule fires on which`);
  out(`${pad('file', 70)} ${pad('tool', 9)} ${pad('events', 6)} ${pad('Lantern findings', 34)} the tool's own verdict`);
  for (const r of res) {
    const lantern = [...new Set(r.lantern.filter((f) => atLeast(f, 'low')).map((f) => `${f.ruleId}`))];
    const imported = [...new Set(r.imported.map((f) => f.title.replace(/^[a-z]+: /, '')))];
    report.samples.push({ file: r.file, ...(r.tool ? { tool: r.tool } : {}), events: r.events, lantern, imported });
    out(
      `${pad(r.file, 70)} ${pad(r.tool ?? '', 9)} ${String(r.events).padStart(6)} ${pad(lantern.join(' ') || '-', 34)} ${imported.join('; ') || '-'}${r.note ? ` (${r.note})` : ''}`,
    );
  }
  const fired = res.filter((r) => r.lantern.some((f) => atLeast(f, 'low'))).length;
  out(
    `→ Lantern's rules fired on ${fired} of ${res.length} sample files (files with only network/DNS/open noise have nothing to find)`,
  );
}

async function main(): Promise<void> {
  const report: Report = { scenarios: [], samples: [], skipped: [] };
  const work = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'lantern-eval-'));
  mkdirSync(work, { recursive: true });
  try {
    if (!values['skip-lab']) await labPart(report, work);
    if (!values['skip-samples']) await samplesPart(report);
  } finally {
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
}

main().catch((e) => {
  process.stderr.write(`eval failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
