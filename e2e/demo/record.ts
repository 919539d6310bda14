/**
 * Re-records the bundled demo capture (assets/demo.lantern) from a lab run: the lab's standing
 * workload on every node for a short while, with several attack scenarios played in the middle,
 * captured by the real engine (real agent, real kernel, real API client) exactly as
 * `lantern capture` would.
 *
 *   npm run demo:record                      # default scenarios, 75 s
 *   npm run demo:record -- --duration 60 --scenarios a,b,c --out /tmp/demo.lantern
 *
 * Needs root (the lab and bpftrace do). Keeps the file small: a few MB at most, or it says so.
 */
import { renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ProgressPrinter } from '../../main/capture/cli-support';
import { createCapture, openCluster } from '../../main/capture/engine';

interface Lab {
  kubeconfigPath: string;
  contexts: { admin: string; restricted: string };
  nodes: string[];
  stop(): Promise<void>;
  runScenario(name: string): Promise<unknown>;
  scenarios(): string[];
  waitReady(timeoutMs?: number): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

/** Scenarios that show different techniques; any that the lab does not know are skipped with a note. */
const DEFAULT_SCENARIOS = [
  'interactive-shell',
  'sa-token-api',
  'cloud-metadata',
  'download-exec-tmp',
  'reverse-shell',
  'read-shadow',
  'write-below-etc',
];
const MAX_BYTES = 5 * 1024 * 1024;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '75' },
      scenarios: { type: 'string' },
      out: { type: 'string', default: join(repo, 'assets', 'demo.lantern') },
    },
  });
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'demo:record needs root (the lab runs real processes in cgroups and the agent runs bpftrace)\n',
    );
    process.exit(1);
  }
  const durationSec = Number(values.duration);
  if (!Number.isFinite(durationSec) || durationSec < 20) throw new Error('--duration must be at least 20 (seconds)');
  const out = resolve(values.out!);
  const tmp = `${out}.recording`;
  const labPath = join(repo, 'e2e', 'lab', 'index.ts');
  const { startLab } = (await import(labPath)) as { startLab: (o?: Record<string, unknown>) => Promise<Lab> };
  const lab = await startLab({});
  let cluster: Awaited<ReturnType<typeof openCluster>> | undefined;
  try {
    await lab.waitReady(120_000);
    const known = lab.scenarios();
    const wanted = values.scenarios
      ? values.scenarios
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : DEFAULT_SCENARIOS;
    const scenarios = wanted.filter((s) => known.includes(s));
    for (const s of wanted)
      if (!known.includes(s)) process.stderr.write(`note: the lab has no scenario "${s}"; skipped\n`);
    cluster = await openCluster({ kubeconfigPath: lab.kubeconfigPath, context: lab.contexts.admin });
    const printer = new ProgressPrinter(process.stderr);
    const session = await createCapture(cluster, {
      targets: {},
      durationSec,
      out: tmp,
      onNotice: (level, message) => process.stderr.write(`${level}: ${message}\n`),
      onProgress: (p) => printer.update(p),
      progressMs: 1000,
    });
    await session.start();
    // The agents compile and attach their probes first (tens of seconds on a busy machine).
    while (session.progress().elapsedSec === 0 && !session.progress().nodes.every((n) => n.state === 'failed')) {
      await new Promise((r) => setTimeout(r, 1000));
    }
    // Warm-up: normal behaviour first, so the attacks stand out against it.
    const warm = Math.min(15, Math.floor(durationSec / 5));
    await new Promise((r) => setTimeout(r, warm * 1000));
    const budget = (durationSec - warm - 10) * 1000;
    const t0 = Date.now();
    for (const s of scenarios) {
      if (Date.now() - t0 > budget) {
        process.stderr.write(`note: no time left for scenario "${s}"\n`);
        continue;
      }
      process.stderr.write(`scenario ${s}…\n`);
      try {
        await lab.runScenario(s);
      } catch (e) {
        process.stderr.write(`warning: scenario ${s} failed: ${(e as Error).message}\n`);
      }
    }
    const result = await session.done;
    process.stderr.write(`${result.trailer.status}: ${result.trailer.events} events; ${result.ledger.summary}\n`);
    if (!result.ledger.clean) throw new Error(`capture pods not confirmed gone: ${result.ledger.summary}`);
    const size = statSync(tmp).size;
    if (size > MAX_BYTES)
      throw new Error(
        `the recording is ${(size / 1e6).toFixed(1)} MB, over the ${MAX_BYTES / 1e6} MB budget; record a shorter run (--duration)`,
      );
    renameSync(tmp, out);
    process.stderr.write(`wrote ${out} (${(size / 1e6).toFixed(2)} MB)\n`);
  } finally {
    await cluster?.close();
    await lab.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`demo:record failed: ${(e as Error).message}\n`);
  process.exit(1);
});
