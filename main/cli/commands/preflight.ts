import type { Command } from 'commander';
import { EXIT, exitCodeFor, formatPreflight } from '../../capture/cli-support';
import { openCluster, preflightFor } from '../../capture/engine';
import { resolveTargetNodes } from '../../capture/targets';
import { addConnectionOptions, addTargetOptions, connectionFrom, targetsFrom } from './clusterOptions';
import type { ConnectionOpts, TargetOpts } from './clusterOptions';

interface Opts extends ConnectionOpts, TargetOpts {
  captureNamespace?: string;
  json?: boolean;
}

/** `lantern preflight`: can this user run a capture here, and if not, exactly what is missing. */
export function register(program: Command): void {
  const cmd = program
    .command('preflight')
    .description('check permissions and Pod Security before a capture (exit 0 ok, 4 refused, 5 cluster/auth error)');
  addTargetOptions(addConnectionOptions(cmd), 'target')
    .option('--capture-namespace <ns>', "namespace for the capture pods (default: the context's namespace)")
    .option('--json', 'print the result as JSON on stdout')
    .action(async (opts: Opts) => {
      let cluster;
      try {
        cluster = await openCluster(connectionFrom(opts));
        const targets = {
          ...targetsFrom(opts),
          ...(opts.captureNamespace ? { captureNamespace: opts.captureNamespace } : {}),
        };
        const result = await preflightFor(cluster, targets);
        const { problems } = resolveTargetNodes(cluster.inventory.snapshot(), targets);
        for (const w of cluster.inventory.warnings) process.stderr.write(`warning: ${w}\n`);
        for (const p of problems) process.stderr.write(`warning: ${p}\n`);
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ ...result, warnings: [...cluster.inventory.warnings, ...problems] }, null, 2)}\n`,
          );
        else process.stdout.write(`${formatPreflight(result)}\n`);
        process.exitCode = result.ok && result.targetNodes.length > 0 ? EXIT.ok : EXIT.refused;
      } catch (err) {
        process.stderr.write(`lantern preflight: ${(err as Error).message}\n`);
        process.exitCode = exitCodeFor(err);
      } finally {
        await cluster?.close();
      }
    });
}
