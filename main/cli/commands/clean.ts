import type { Command } from 'commander';

/** Placeholder until the `clean` command lands: refuses clearly rather than pretending. */
export function register(program: Command): void {
  program
    .command('clean')
    .description('not implemented yet')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('lantern clean: not implemented yet\n');
      process.exitCode = 2;
    });
}
