/**
 * `lantern` — the headless front door to the same engine the app uses.
 * Exit codes: 0 ok, 1 failure, 2 usage error, 3 findings at or above --fail-on (analyze),
 * 4 refused by preflight (capture), 5 cluster unreachable / auth error.
 */
import { Command } from 'commander';
export declare function buildProgram(): Command;
