/**
 * `lantern` — the headless front door to the same engine the app uses.
 * Exit codes: 0 ok, 1 failure, 2 usage error, 3 findings at or above --fail-on (analyze),
 * 4 refused by preflight (capture), 5 cluster unreachable / auth error, 6 captures not comparable
 * (diff, unless --force), 130 stopped by Ctrl-C (capture; after its pods were removed).
 */
import { Command } from 'commander';
import { register as registerImport } from './commands/import';
import { register as registerExport } from './commands/export';
import { register as registerDiff } from './commands/diff';
import { register as registerCapture } from './commands/capture';
import { register as registerPreflight } from './commands/preflight';
import { register as registerClean } from './commands/clean';
import { register as registerAnalyze } from './commands/analyze';

export function buildProgram(): Command {
  const program = new Command('lantern')
    .description('Lantern: eBPF behaviour graphs of Kubernetes clusters')
    .version('0.1.0')
    .exitOverride((err) => {
      // commander's help/version "errors" are successes; usage errors exit 2
      process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2);
    });
  for (const register of [
    registerCapture,
    registerPreflight,
    registerClean,
    registerImport,
    registerAnalyze,
    registerExport,
    registerDiff,
  ]) {
    register(program);
  }
  return program;
}

await buildProgram().parseAsync(process.argv);
