/**
 * Headless analysis of a capture file (CLI `lantern analyze`, CI, the evaluation): read → enrich
 * from the file's inventory → detect. The same detector the app's session engine runs.
 */
import type { CaptureHeader, CaptureTrailer } from '../common/capture';
import type { Finding } from '../common/findings';
import { SEVERITY_ORDER, type Severity } from '../common/graph';
import { openCapture } from '../events/capture-file';
import { createEnricher } from '../events/enrich';
import { createDetector } from './index';
import type { AllowEntry, Baseline, Detector, DetectorStats, RulePack } from './types';

export interface AnalyzeOptions {
  rules?: RulePack[];
  /** Use only the given rule packs (not the bundled one). */
  onlyRules?: boolean;
  baseline?: Baseline;
  allow?: AllowEntry[];
  continueOnError?: boolean;
  methods?: { rules?: boolean; baseline?: boolean; peers?: boolean; rarity?: boolean };
  /** Learning mode: the first N minutes are learned, the rest hunted. */
  learnMinutes?: number;
}

export interface AnalyzeResult {
  file: string;
  header: CaptureHeader;
  trailer: CaptureTrailer | undefined;
  warnings: string[];
  events: number;
  findings: Finding[];
  stats: DetectorStats;
  detector: Detector;
  /** Wall time of read + enrich + detect, ms. */
  ms: number;
  firstTime?: number;
  lastTime?: number;
}

export async function analyzeCapture(path: string, opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const t0 = performance.now();
  const reader = await openCapture(path, { continueOnError: opts.continueOnError ?? false });
  const header = reader.header;
  const enricher = createEnricher(header.inventory);
  let firstTime: number | undefined;
  let lastTime: number | undefined;
  let detector: Detector | undefined;
  let events = 0;
  try {
    for await (const batch of reader.batches()) {
      if (!detector) {
        const first = batch[0]?.time;
        const learnUntil = opts.learnMinutes && first !== undefined ? first + opts.learnMinutes * 60e9 : undefined;
        detector = createDetector({
          ...(header.inventory ? { inventory: header.inventory } : {}),
          ...(opts.rules ? { rules: opts.rules } : {}),
          ...(opts.onlyRules ? { onlyRules: true } : {}),
          ...(opts.baseline ? { baseline: opts.baseline } : {}),
          ...(opts.allow ? { allow: opts.allow } : {}),
          ...(opts.methods ? { methods: opts.methods } : {}),
          ...(learnUntil !== undefined ? { learnUntil } : {}),
          classify: enricher.classify,
        });
      }
      for (let i = 0; i < batch.length; i++) {
        const ev = batch[i]!;
        enricher.enrich(ev);
        if (firstTime === undefined || ev.time < firstTime) firstTime = ev.time;
        if (lastTime === undefined || ev.time > lastTime) lastTime = ev.time;
      }
      events += batch.length;
      detector.ingest(batch, batch.firstIndex);
    }
  } finally {
    await reader.close();
  }
  detector ??= createDetector({ ...(header.inventory ? { inventory: header.inventory } : {}) });
  detector.finish();
  const res: AnalyzeResult = {
    file: path,
    header,
    trailer: reader.trailer,
    warnings: [...reader.warnings],
    events,
    findings: detector.findings(),
    stats: detector.stats(),
    detector,
    ms: performance.now() - t0,
  };
  if (reader.stats.skipped) res.warnings.push(`${reader.stats.skipped} bad lines were skipped`);
  if (firstTime !== undefined) res.firstTime = firstTime;
  if (lastTime !== undefined) res.lastTime = lastTime;
  return res;
}

export function atLeast(f: Finding, sev: Severity): boolean {
  return SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[sev];
}
