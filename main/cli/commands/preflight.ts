import type { Command } from 'commander';
import { EXIT, exitCodeFor, formatPreflight, splitList } from '../../capture/cli-support';
import { openCluster, preflightFor } from '../../capture/engine';
import { resolveTargetNodes } from '../../capture/targets';

interface Opts {
  kubeconfig?: string;
  context?: string;
  nodes?: string[];
  namespace?: string[];
  selector?: string;
  captureNamespace?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `lantern preflight`: can this user run a capture here, and if not, exactly what is missing. */
export function register(program: Command): void {
  program
    .command('preflight')
    .description('check permissions and Pod Security before a capture (exit 0 ok, 4 refused, 5 cluster/auth error)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kube context (default: the current context)')
    .option('--nodes <names>', 'target nodes (comma-separated, repeatable)', collect)
    .option('--namespace <ns>', 'target the nodes running pods of this namespace (repeatable)', collect)
    .option('--selector <labels>', 'target the nodes running pods matching this label selector')
    .option('--capture-namespace <ns>', "namespace for the capture pods (default: the context's namespace)")
    .option('--json', 'print the result as JSON on stdout')
    .action(async (opts: Opts) => {
      let cluster;
      try {
        cluster = await openCluster({
          ...(opts.kubeconfig ? { kubeconfigPath: opts.kubeconfig } : {}),
          ...(opts.context ? { context: opts.context } : {}),
        });
        const nodes = splitList(opts.nodes);
        const namespaces = splitList(opts.namespace);
        const targets = {
          ...(nodes ? { nodes } : {}),
          ...(namespaces ? { namespaces } : {}),
          ...(opts.selector ? { selector: opts.selector } : {}),
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
