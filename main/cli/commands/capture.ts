import type { Command } from 'commander';

/** Placeholder until the `capture` command lands: refuses clearly rather than pretending. */
export function register(program: Command): void {
  program
    .command('capture')
    .description('not implemented yet')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('lantern capture: not implemented yet\n');
      process.exitCode = 2;
    });
}
