import type { Command } from 'commander';
import { splitList } from '../../capture/cli-support';

/** The options every cluster-facing command (capture, preflight, clean) takes to pick a kubeconfig context. */
export interface ConnectionOpts {
  kubeconfig?: string;
  context?: string;
}

/** The options that say which nodes a capture targets (capture and preflight must agree on their meaning). */
export interface TargetOpts {
  nodes?: string[];
  namespace?: string[];
  selector?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kube context (default: the current context)');
}

/** `verb` reads "capture on" / "target": the help text says what the flag does for this command. */
export function addTargetOptions(cmd: Command, verb: string): Command {
  return cmd
    .option('--nodes <names>', `${verb} these nodes (comma-separated, repeatable)`, collect)
    .option('--namespace <ns>', `${verb} the nodes running pods of this namespace (repeatable)`, collect)
    .option('--selector <labels>', `${verb} the nodes running pods matching this label selector`);
}

/** The connection options as openCluster/connect take them (absent flags stay absent, never `undefined`). */
export function connectionFrom(opts: ConnectionOpts): { kubeconfigPath?: string; context?: string } {
  return {
    ...(opts.kubeconfig ? { kubeconfigPath: opts.kubeconfig } : {}),
    ...(opts.context ? { context: opts.context } : {}),
  };
}

export function targetsFrom(opts: TargetOpts): { nodes?: string[]; namespaces?: string[]; selector?: string } {
  const nodes = splitList(opts.nodes);
  const namespaces = splitList(opts.namespace);
  return {
    ...(nodes ? { nodes } : {}),
    ...(namespaces ? { namespaces } : {}),
    ...(opts.selector ? { selector: opts.selector } : {}),
  };
}
