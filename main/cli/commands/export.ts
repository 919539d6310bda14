import type { Command } from 'commander';

/** Placeholder until the `export` command lands: refuses clearly rather than pretending. */
export function register(program: Command): void {
  program
    .command('export')
    .description('not implemented yet')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('lantern export: not implemented yet\n');
      process.exitCode = 2;
    });
}
