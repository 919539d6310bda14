import type { Command } from 'commander';

/** Placeholder until the `analyze` command lands: refuses clearly rather than pretending. */
export function register(program: Command): void {
  program
    .command('analyze')
    .description('not implemented yet')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('lantern analyze: not implemented yet\n');
      process.exitCode = 2;
    });
}
