import type { Command } from 'commander';
import { Option } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { CaptureError } from '../../events/capture-file';
import { analyzeCapture, atLeast } from '../../detect/analyze';
import { loadBaselineFile, loadRuleFile, serializeBaseline } from '../../detect/index';
import type { AllowEntry, Baseline, RulePack } from '../../detect/types';
import type { Finding } from '../../common/findings';
import type { Severity } from '../../common/graph';
import { resolveUserDataDir } from '../../app/paths';
import { openBaselines } from '../../store/baselines';
import { openTriage } from '../../store/triage';

const SEVERITIES: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

interface Opts {
  baseline?: string;
  rules?: string[];
  onlyRules?: boolean;
  json?: boolean;
  failOn?: Severity;
  learnBaseline?: string;
  name?: string;
  saveBaseline?: boolean;
  learnMinutes?: string;
  minSeverity: Severity;
  userDataDir?: string;
  allowList?: boolean;
  continueOnError?: boolean;
  limit: string;
}

function clock(ns: number): string {
  return new Date(ns / 1e6).toISOString().slice(11, 23);
}

function human(f: Finding): string {
  const where = f.pod ? `${f.pod.namespace}/${f.pod.name}` : `host ${f.node ?? '?'}`;
  const lines = [
    `${f.severity.toUpperCase().padEnd(8)} ${String(f.score).padStart(3)}  ${f.ruleId}  ${f.technique || '-'}  ${where}${f.incident ? `  [${f.incident}]` : ''}`,
    `         ${f.title}`,
    `         ${f.explanation}`,
    `         seen ${f.occurrences}× ${clock(f.firstSeen)}–${clock(f.lastSeen)} UTC; events #${f.evidence.events
      .map((e) => e.index)
      .slice(0, 8)
      .join(', #')}${f.evidence.events.length > 8 ? ', …' : ''}${f.status !== 'new' ? `; triage: ${f.status}` : ''}`,
  ];
  return lines.join('\n');
}

/**
 * `lantern analyze FILE [--baseline B] [--rules R] [--json] [--fail-on high]`
 * `lantern analyze FILE --learn-baseline OUT [--name N] [--save-baseline]`
 * Exit codes: 0 done, 1 unreadable input/rules/baseline, 2 usage, 3 findings at or above --fail-on.
 */
export function register(program: Command): void {
  program
    .command('analyze')
    .description(
      'hunt a capture file for anomalies: rules, a baseline, peer groups and rarity (or learn a baseline from it)',
    )
    .argument('<file>', 'capture file (.lantern)')
    .option('--baseline <file-or-name>', 'hunt against a baseline: a baseline file, or a name in the baselines catalog')
    .option('--rules <file...>', 'extra rule pack(s), YAML or JSON; a rule with a bundled id replaces it')
    .option('--only-rules', 'use only the --rules packs, not the bundled one')
    .option('--json', 'print findings as JSON')
    .addOption(
      new Option('--fail-on <severity>', 'exit 3 when a finding at or above this severity is found').choices(
        SEVERITIES,
      ),
    )
    .addOption(
      new Option('--min-severity <severity>', 'print findings at or above this severity')
        .choices(SEVERITIES)
        .default('low'),
    )
    .option('--learn-baseline <out>', 'learn a per-workload baseline from this capture and write it to <out>')
    .option('--name <name>', 'name of the learned baseline (default: the capture file name)')
    .option('--save-baseline', "also add the learned baseline to the app's baselines catalog")
    .option('--learn-minutes <n>', 'learning mode: learn the first N minutes of the capture, hunt the rest')
    .option('--no-allow-list', "ignore the allow-list from the app's triage store")
    .option('--user-data-dir <dir>', "the app's user-data folder (triage store, baselines catalog)")
    .option('--continue-on-error', 'skip bad lines in the capture instead of stopping')
    .option('--limit <n>', 'print at most this many findings (text output)', '50')
    .action(async (file: string, o: Opts) => {
      const fail = (msg: string, code = 1) => {
        process.stderr.write(`lantern analyze: ${msg}\n`);
        process.exitCode = code;
      };
      try {
        const userData = resolveUserDataDir(o.userDataDir);
        const rules: RulePack[] = [];
        for (const r of o.rules ?? []) rules.push(loadRuleFile(r));
        if (o.onlyRules && !rules.length) return fail('--only-rules needs at least one --rules file', 2);
        let baseline: Baseline | undefined;
        if (o.baseline) {
          if (existsSync(o.baseline)) baseline = loadBaselineFile(o.baseline);
          else baseline = await (await openBaselines(userData)).load(o.baseline);
        }
        let allow: AllowEntry[] | undefined;
        // Only read the app's store when it exists: a CI runner has none, and must not get one.
        if (o.allowList !== false && existsSync(resolve(userData, 'triage.json')))
          allow = (await openTriage(userData)).allowList();
        let learnMinutes: number | undefined;
        if (o.learnMinutes !== undefined) {
          learnMinutes = Number(o.learnMinutes);
          if (!Number.isFinite(learnMinutes) || learnMinutes <= 0)
            return fail(`--learn-minutes must be a positive number, not "${o.learnMinutes}"`, 2);
        }
        const res = await analyzeCapture(file, {
          ...(rules.length ? { rules } : {}),
          ...(o.onlyRules ? { onlyRules: true } : {}),
          ...(baseline ? { baseline } : {}),
          ...(allow ? { allow } : {}),
          ...(learnMinutes ? { learnMinutes } : {}),
          ...(o.continueOnError ? { continueOnError: true } : {}),
        });

        if (o.learnBaseline) {
          const name = o.name ?? basename(file).replace(/\.lantern(\.gz)?$/, '');
          const b = res.detector.learnedBaseline(name);
          b.source = basename(file);
          await mkdir(dirname(resolve(o.learnBaseline)), { recursive: true });
          await writeFile(o.learnBaseline, serializeBaseline(b));
          let saved = '';
          if (o.saveBaseline) saved = ` and to the catalog (${(await (await openBaselines(userData)).save(b)).file})`;
          const wl = Object.keys(b.workloads).length;
          if (o.json)
            process.stdout.write(
              `${JSON.stringify({ baseline: o.learnBaseline, name, workloads: wl, events: res.events }, null, 2)}\n`,
            );
          else
            process.stdout.write(
              `learned baseline "${name}" from ${res.events} events: ${wl} workload profile(s), written to ${o.learnBaseline}${saved}\n`,
            );
          return;
        }

        const shown = res.findings.filter((f) => atLeast(f, o.minSeverity));
        if (o.json) {
          process.stdout.write(
            `${JSON.stringify(
              {
                file,
                events: res.events,
                complete: res.trailer !== undefined,
                warnings: res.warnings,
                baseline: baseline?.name,
                stats: res.stats,
                findings: shown,
              },
              null,
              2,
            )}\n`,
          );
        } else {
          const counts = SEVERITIES.slice()
            .reverse()
            .map((s) => [s, res.findings.filter((f) => f.severity === s).length] as const)
            .filter(([, n]) => n > 0)
            .map(([s, n]) => `${n} ${s}`)
            .join(', ');
          const incidents = new Set(res.findings.map((f) => f.incident).filter(Boolean)).size;
          const out = [
            `${file}: ${res.events} events, ${res.findings.length} finding(s)${counts ? ` (${counts})` : ''} in ${incidents} incident(s)${baseline ? `, hunted against baseline "${baseline.name}"` : ''}`,
            `  ${res.stats.rules} rules; ${res.stats.suppressed.probes} probe and ${res.stats.suppressed.ownCapture} Lantern-capture events ignored; analysed in ${(res.ms / 1000).toFixed(1)} s`,
            ...res.warnings.map((w) => `  warning: ${w}`),
            '',
            ...shown.slice(0, Number(o.limit) || 50).map(human),
          ];
          if (shown.length > (Number(o.limit) || 50))
            out.push(`… and ${shown.length - (Number(o.limit) || 50)} more (--limit, --json)`);
          process.stdout.write(`${out.join('\n')}\n`);
        }
        if (o.failOn && res.findings.some((f) => f.status !== 'benign' && atLeast(f, o.failOn!))) {
          process.stderr.write(`lantern analyze: findings at or above ${o.failOn}\n`);
          process.exitCode = 3;
        }
      } catch (e) {
        fail(e instanceof CaptureError ? e.message : (e as Error).message);
      }
    });
}
