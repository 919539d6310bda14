/**
 * Benchmark dispatcher: `npm run bench -- NAME [args]` runs e2e/bench/NAME.ts in a child process
 * (so each benchmark gets a fresh heap); with no NAME, lists the benchmarks.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const NOT_BENCHMARKS = new Set(['run', 'generate']);

function available(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .filter((n) => !NOT_BENCHMARKS.has(n))
    .sort();
}

const [name, ...rest] = process.argv.slice(2);
const names = available();
if (!name) {
  process.stdout.write(`benchmarks (npm run bench -- NAME):\n${names.map((n) => `  ${n}`).join('\n')}\n`);
} else if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !names.includes(name)) {
  process.stderr.write(`no benchmark called ${JSON.stringify(name)}; available: ${names.join(', ')}\n`);
  process.exitCode = 2;
} else {
  const child = spawn(process.execPath, [...process.execArgv, join(here, `${name}.ts`), ...rest], { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}
