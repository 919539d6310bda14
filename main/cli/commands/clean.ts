import type { Command } from 'commander';
import { EXIT, exitCodeFor, formatLedger } from '../../capture/cli-support';
import { captureNamespaceFor } from '../../capture/engine';
import { cleanLeftovers, findLeftovers } from '../../capture/leftovers';
import { connect } from '../../cluster/connection';
import { addConnectionOptions, connectionFrom } from './clusterOptions';
import type { ConnectionOpts } from './clusterOptions';

interface Opts extends ConnectionOpts {
  captureNamespace?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** `lantern clean`: find capture pods left by earlier sessions (by Lantern's label only) and remove them. */
export function register(program: Command): void {
  const cmd = program
    .command('clean')
    .description("remove capture pods left by earlier sessions (only pods carrying Lantern's label)");
  addConnectionOptions(cmd)
    .option('--capture-namespace <ns>', 'namespace to search when listing all namespaces is not allowed')
    .option('--dry-run', 'only list what would be removed')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (opts: Opts) => {
      try {
        const { kubeconfigPath, ...rest } = connectionFrom(opts);
        const conn = await connect({ ...rest, ...(kubeconfigPath ? { path: kubeconfigPath } : {}) });
        const namespace = captureNamespaceFor(conn, opts.captureNamespace);
        if (opts.dryRun) {
          const found = (await findLeftovers(conn, { namespace })).map(({ uid: _uid, ...rest }) => rest);
          if (opts.json)
            process.stdout.write(
              `${JSON.stringify({ context: conn.context.name, server: conn.server, leftovers: found }, null, 2)}\n`,
            );
          else {
            process.stderr.write(
              found.length
                ? `${found.length} leftover capture pod(s) on context "${conn.context.name}":\n`
                : `no leftovers on context "${conn.context.name}"\n`,
            );
            for (const f of found)
              process.stderr.write(
                `  ${f.namespace}/${f.name}${f.session ? `  session ${f.session}` : ''}${f.createdAt ? `  created ${f.createdAt}` : ''}\n`,
              );
          }
          process.exitCode = EXIT.ok;
          return;
        }
        const { found, ledger } = await cleanLeftovers(conn, { namespace });
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ context: conn.context.name, server: conn.server, leftovers: found, ledger }, null, 2)}\n`,
          );
        else {
          process.stderr.write(
            found.length
              ? `${found.length} leftover capture pod(s) found on context "${conn.context.name}"\n`
              : `no leftovers on context "${conn.context.name}"\n`,
          );
          if (found.length) process.stderr.write(`${formatLedger(ledger)}\n`);
        }
        process.exitCode = ledger.clean ? EXIT.ok : EXIT.failure;
      } catch (err) {
        process.stderr.write(`lantern clean: ${(err as Error).message}\n`);
        process.exitCode = exitCodeFor(err);
      }
    });
}
