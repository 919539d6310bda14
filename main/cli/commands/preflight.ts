import type { Command } from 'commander';

/** Placeholder until the `preflight` command lands: refuses clearly rather than pretending. */
export function register(program: Command): void {
  program
    .command('preflight')
    .description('not implemented yet')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('lantern preflight: not implemented yet\n');
      process.exitCode = 2;
    });
}
