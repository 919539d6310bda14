/**
 * Evaluation harness shared by `npm run eval` and the CI test: run lab scenarios under a real
 * capture (lab + real agent + real kernel + Lantern's capture engine), analyse each capture with
 * the detector, and judge: detected, right pod, right technique, time to first finding.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCapture, openCluster, type OpenedCluster } from '../../main/capture/engine';
import { analyzeCapture, atLeast, type AnalyzeResult } from '../../main/detect/analyze';
import type { Finding } from '../../main/common/findings';
import {
  labUnavailableReason,
  SCENARIOS_DIR,
  startLab,
  type Lab,
  type ScenarioLabel,
  type ScenarioResult,
} from '../lab/index';

export function evalUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (the lab and bpftrace need root)';
  if (!existsSync('/usr/bin/bpftrace') && !existsSync('/usr/sbin/bpftrace')) return 'bpftrace is not installed';
  return labUnavailableReason();
}

export interface LabHandle {
  lab: Lab;
  cluster: OpenedCluster;
  stop(): Promise<void>;
}

export async function openLab(log?: (m: string) => void): Promise<LabHandle> {
  const lab = await startLab(log ? { log } : {});
  let cluster: OpenedCluster | undefined;
  try {
    await lab.waitReady(120_000);
    cluster = await openCluster({ kubeconfigPath: lab.kubeconfigPath, context: lab.contexts.admin });
  } catch (e) {
    await cluster?.close();
    await lab.stop();
    throw e;
  }
  const c = cluster;
  return {
    lab,
    cluster: c,
    stop: async () => {
      await c.close();
      await lab.stop();
    },
  };
}

/**
 * One capture of the whole lab around `action`: waits until every node's agent is streaming (plus
 * a settle time, so the start-of-capture snapshot is in), runs the action, lets `tailSec` pass, stops.
 */
export async function captureAround<T>(
  h: LabHandle,
  out: string,
  action: () => Promise<T>,
  o: { settleSec?: number; tailSec?: number; maxSec?: number; log?: (m: string) => void } = {},
): Promise<{ result: T; captureStart: number; failedNodes: string[] }> {
  // Ready means every node's agent said its probes are attached (bpftrace compiles for a while
  // after the log stream opens; a scenario run before that is simply not seen), or a node failed.
  let ready: () => void = () => undefined;
  const allReady = new Promise<void>((r) => (ready = r));
  const attached = new Set<string>();
  const failed = new Set<string>();
  let nodes: string[] = [];
  const check = () => {
    if (nodes.length && nodes.every((n) => attached.has(n) || failed.has(n))) ready();
  };
  const session = await createCapture(h.cluster, {
    targets: {},
    durationSec: o.maxSec ?? 900,
    out,
    // The kernel-module scenario can only attempt a load where the kernel has no module support.
    moduleAttempts: true,
    graceSec: 30,
    progressMs: 500,
    onEvents: (evs) => {
      for (const ev of evs)
        if (ev.kind === 'agent.status' && /attached/.test(ev.agent?.message ?? '')) attached.add(ev.node);
      check();
    },
    onProgress: (p) => {
      nodes = p.nodes.map((n) => n.node);
      for (const n of p.nodes) if (n.state === 'failed') failed.add(n.node);
      check();
    },
    onNotice: (level, message) => {
      if (level !== 'info') o.log?.(`capture ${level}: ${message}`);
    },
  });
  const captureStart = Date.now() * 1e6;
  await session.start();
  let result: T;
  let failedNodes: string[] = [];
  try {
    await Promise.race([
      allReady,
      new Promise((_, rej) =>
        setTimeout(() => rej(new Error('capture agents did not attach their probes within 180 s')), 180_000),
      ),
    ]);
    if (failed.size) o.log?.(`agent failed on ${[...failed].join(', ')} before the action`);
    await sleep((o.settleSec ?? 3) * 1000);
    result = await action();
    await sleep((o.tailSec ?? 3) * 1000);
  } finally {
    const r = await session.stop();
    if (!r.ledger.clean) o.log?.(`warning: capture pods not confirmed gone: ${r.ledger.summary}`);
    failedNodes = r.progress.nodes.filter((n) => n.state === 'failed').map((n) => n.node);
  }
  return { result, captureStart, failedNodes };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function scenarioLabel(name: string): ScenarioLabel {
  return JSON.parse(readFileSync(join(SCENARIOS_DIR, name, 'label.json'), 'utf8')) as ScenarioLabel;
}

export interface Verdict {
  scenario: string;
  pod: string;
  technique: string;
  detected: boolean;
  rightPod: boolean;
  rightTechnique: boolean;
  /** ms from the scenario's start to the first finding in its pod (event time). */
  ttffMs: number | undefined;
  /** Rules that fired in the scenario's pod, best first. */
  rules: string[];
  best?: Finding;
  findings: number;
  events: number;
  analyseMs: number;
}

function techniqueMatches(found: string, wanted: string): boolean {
  return found === wanted || found.startsWith(`${wanted}.`) || wanted.startsWith(`${found}.`);
}

/** Judge one scenario's capture: findings in the scenario's pod, from its window on. */
export function judge(s: ScenarioResult, res: AnalyzeResult): Verdict {
  const inWindow = (f: Finding) => f.lastSeen >= s.window.startNs - 2e9;
  const mine = res.findings.filter(
    (f) => f.pod && `${f.pod.namespace}/${f.pod.name}` === s.pod && inWindow(f) && atLeast(f, 'low'),
  );
  const anyNew = res.findings.filter((f) => inWindow(f) && atLeast(f, 'medium'));
  const right = mine.filter((f) => techniqueMatches(f.technique, s.technique));
  const first = mine.reduce<number | undefined>(
    (m, f) => (m === undefined || f.firstSeen < m ? f.firstSeen : m),
    undefined,
  );
  const v: Verdict = {
    scenario: s.name,
    pod: s.pod,
    technique: s.technique,
    // Detected: something at medium or above fired during the scenario (wherever it was blamed).
    detected: mine.some((f) => atLeast(f, 'medium')) || anyNew.length > 0,
    rightPod: mine.length > 0,
    rightTechnique: right.length > 0,
    ttffMs: first === undefined ? undefined : Math.max(0, (first - s.window.startNs) / 1e6),
    rules: [...new Set(mine.map((f) => f.ruleId))],
    findings: res.findings.length,
    events: res.events,
    analyseMs: res.ms,
  };
  const best = right[0] ?? mine[0];
  if (best) v.best = best;
  return v;
}

/** Run one scenario under its own capture and judge it. */
export async function evaluateScenario(
  h: LabHandle,
  name: string,
  out: string,
  log?: (m: string) => void,
): Promise<Verdict & { attempts: number }> {
  // A capture whose agent failed on the scenario's node saw nothing there: that is a capture
  // failure, not a detection miss, so it is retried (twice) and the attempts are reported.
  for (let attempt = 1; ; attempt++) {
    const { result, failedNodes } = await captureAround(h, out, () => h.lab.runScenario(name), log ? { log } : {});
    if (failedNodes.includes(result.node) && attempt < 3) {
      log?.(`${name}: the agent failed on ${result.node}, where the scenario ran; capturing again`);
      continue;
    }
    const res = await analyzeCapture(out);
    return { ...judge(result, res), attempts: attempt };
  }
}
