import type { Command } from 'commander';

/** Placeholder until the `import` command lands: refuses clearly rather than pretending. */
export function register(program: Command): void {
  program
    .command('import')
    .description('not implemented yet')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('lantern import: not implemented yet\n');
      process.exitCode = 2;
    });
}
