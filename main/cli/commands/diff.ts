import type { Command } from 'commander';

/** Placeholder until the `diff` command lands: refuses clearly rather than pretending. */
export function register(program: Command): void {
  program
    .command('diff')
    .description('not implemented yet')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('lantern diff: not implemented yet\n');
      process.exitCode = 2;
    });
}
