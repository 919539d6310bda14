import type { Command } from 'commander';
/** Placeholder until the `analyze` command lands: refuses clearly rather than pretending. */
export declare function register(program: Command): void;
