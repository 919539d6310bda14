/**
 * Detection: the public API used by the session engine (graph worker), the API handlers and the
 * CLI. `createDetector` is synchronous and cheap to call per session; the bundled rule pack is
 * read once per process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from './engine';
import { parseRulePack } from './rulepack';
import { parseBaseline } from './baseline';
import type { AllowEntry, Baseline, Detector, DetectorOptions, RulePack } from './types';
import type { CaptureHeader } from '../common/capture';
import type { TriageStatus } from '../common/findings';

export type * from './types';
export { parseRulePack } from './rulepack';
export { parseBaseline, serializeBaseline, mergeBaselines } from './baseline';
export { fileClass } from './classes';

let bundled: RulePack | undefined;

/** Where the bundled rule pack lives: $LANTERN_RULES_DIR, next to the sources, or under the cwd. */
export function defaultRulesPath(): string {
  const candidates: string[] = [];
  if (process.env.LANTERN_RULES_DIR) candidates.push(join(process.env.LANTERN_RULES_DIR, 'default.yaml'));
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    candidates.push(
      resolve(here, '../../assets/rules/default.yaml'),
      resolve(here, '../assets/rules/default.yaml'),
      resolve(here, 'assets/rules/default.yaml'),
    );
  } catch {
    // not a file: URL (bundled): fall through to the cwd
  }
  candidates.push(resolve(process.cwd(), 'assets/rules/default.yaml'));
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`the bundled rule pack was not found (looked in: ${candidates.join(', ')})`);
}

export function loadBundledRules(): RulePack {
  if (!bundled) {
    const path = defaultRulesPath();
    bundled = parseRulePack(readFileSync(path, 'utf8'), path);
  }
  return bundled;
}

/** Load a user rule file (YAML or JSON). Errors name the file, the rule and the problem. */
export function loadRuleFile(path: string): RulePack {
  return parseRulePack(readFileSync(path, 'utf8'), path);
}

export function loadBaselineFile(path: string): Baseline {
  return parseBaseline(readFileSync(path, 'utf8'), path);
}

/**
 * A detector for one session. `rules` given: the bundled pack plus those (same id replaces);
 * pass `{ rules: [pack], bundled: false }` semantics via `onlyRules` to use exactly the given packs.
 */
export function createDetector(opts: DetectorOptions & { onlyRules?: boolean } = {}): Detector {
  const given = opts.rules === undefined ? [] : Array.isArray(opts.rules) ? opts.rules : [opts.rules];
  const rules = opts.onlyRules ? given : [loadBundledRules(), ...given];
  return createEngine({ ...opts, rules });
}

/**
 * What a session's detector is configured with, as plain data (it crosses into the engine
 * worker by structured clone): triage verdicts, the allow-list, user rule packs, a baseline to
 * hunt against, and learning mode for live captures.
 */
export interface SessionDetectConfig {
  statuses?: Record<string, TriageStatus>;
  allow?: AllowEntry[];
  rules?: RulePack[];
  baseline?: Baseline;
  /** Live capture: learn the first N minutes into a baseline, hunt against it afterwards. */
  learnMinutes?: number;
}

/** The detector the session engine plugs in as a sink, for one capture (its header known). */
export function detectorForSession(header: CaptureHeader, cfg: SessionDetectConfig = {}): Detector {
  const statuses = cfg.statuses;
  const opts: DetectorOptions = {};
  if (header.inventory) opts.inventory = header.inventory;
  if (cfg.allow?.length) opts.allow = cfg.allow;
  if (cfg.rules?.length) opts.rules = cfg.rules;
  if (cfg.baseline) opts.baseline = cfg.baseline;
  if (statuses)
    opts.triage = { get: (id) => (Object.prototype.hasOwnProperty.call(statuses, id) ? statuses[id] : undefined) };
  // From the first event, not the capture's start: the agents attach some seconds later.
  if (cfg.learnMinutes && cfg.learnMinutes > 0) opts.learnFor = cfg.learnMinutes * 60e9;
  return createDetector(opts);
}
