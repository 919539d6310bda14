/**
 * CLI for the deterministic capture generator (main/graph/generate.ts):
 *   npx tsx e2e/bench/generate.ts --events 100000 [--seed 1] [--layout-seed 7] [--attack] [--out FILE]
 * Output defaults to os.tmpdir(), never the repository.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCapture } from '../../main/graph/generate';

export {
  DEFAULT_PROBES,
  ensureCapture,
  generateCapture,
  makeCapture,
  type GenerateOptions,
} from '../../main/graph/generate';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (f: string) => {
    const i = args.indexOf(f);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const events = Number(get('--events') ?? 100_000);
  const seed = Number(get('--seed') ?? 1);
  const layoutSeed = Number(get('--layout-seed') ?? 7);
  const out = get('--out') ?? join(tmpdir(), `lantern-gen-${events}-s${seed}.lantern`);
  const t0 = performance.now();
  const res = await generateCapture({ events, seed, layoutSeed, attack: args.includes('--attack') }, out);
  process.stdout.write(
    `wrote ${res.events} events to ${res.path} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
