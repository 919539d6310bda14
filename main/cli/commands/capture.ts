import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  EXIT,
  ProgressPrinter,
  UsageError,
  exitCodeFor,
  formatLedger,
  formatPreflight,
  parseDuration,
  splitList,
} from '../../capture/cli-support';
import { captureNamespaceFor, createCapture, openCluster, preflightFor } from '../../capture/engine';
import { findLeftovers } from '../../capture/leftovers';
import type { CaptureSession } from '../../capture/session';
import { addConnectionOptions, addTargetOptions, connectionFrom, targetsFrom } from './clusterOptions';
import type { ConnectionOpts, TargetOpts } from './clusterOptions';

interface Opts extends ConnectionOpts, TargetOpts {
  captureNamespace?: string;
  duration: string;
  out?: string;
  probes?: string;
  image?: string;
  moduleAttempts?: boolean;
  json?: boolean;
}

/**
 * `lantern capture`: one capture pod per target node for the duration, events into a capture file,
 * live per-node progress on stderr, every pod removed at the end (or on Ctrl-C) and confirmed.
 */
export function register(program: Command): void {
  const cmd = program.command('capture').description('capture what the workloads of a cluster do into a .lantern file');
  addTargetOptions(addConnectionOptions(cmd), 'capture on')
    .option('--capture-namespace <ns>', "existing namespace for the capture pods (default: the context's namespace)")
    .option('--duration <time>', 'how long, e.g. 90s, 2m, 1h', '2m')
    .option('--out <file>', 'capture file to write (default: capture-<time>.lantern)')
    .option('--probes <list>', 'agent probes (comma-separated; default: all)')
    .option('--image <ref>', 'agent image (for mirrored registries)')
    .option(
      '--module-attempts',
      'also watch kernel-module load attempts on kernels without module support (a filter on every syscall)',
    )
    .option('--json', 'print a machine-readable summary on stdout')
    .action(async (opts: Opts) => {
      let cluster: Awaited<ReturnType<typeof openCluster>> | undefined;
      let session: CaptureSession | undefined;
      let interrupted = false;
      // Until the session exists, Ctrl-C just marks the run as interrupted (nothing created yet).
      const early = () => {
        interrupted = true;
      };
      process.on('SIGINT', early);
      const onSignal = () => {
        if (interrupted) return;
        interrupted = true;
        process.stderr.write('\nstopping: removing capture pods…\n');
        void session?.stop();
      };
      try {
        let durationSec: number;
        try {
          durationSec = parseDuration(opts.duration);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        if (durationSec < 5 || durationSec > 86_400) throw new UsageError('--duration must be between 5s and 24h');
        const out = resolve(opts.out ?? `capture-${new Date().toISOString().replace(/[:.]/g, '-')}.lantern`);
        cluster = await openCluster(connectionFrom(opts));
        const { conn } = cluster;
        for (const w of cluster.inventory.warnings) process.stderr.write(`warning: ${w}\n`);
        const namespace = captureNamespaceFor(conn, opts.captureNamespace);
        const targets = targetsFrom(opts);

        // Leftovers of earlier sessions: shown, never removed without `lantern clean`.
        let leftovers: Awaited<ReturnType<typeof findLeftovers>> = [];
        try {
          leftovers = await findLeftovers(conn, { namespace });
        } catch (e) {
          process.stderr.write(`warning: could not look for leftovers: ${(e as Error).message}\n`);
        }
        if (leftovers.length) {
          process.stderr.write(
            `${leftovers.length} capture pod(s) left by earlier sessions (remove them with \`lantern clean\`):\n`,
          );
          for (const l of leftovers)
            process.stderr.write(`  ${l.namespace}/${l.name}${l.session ? `  session ${l.session}` : ''}\n`);
        } else process.stderr.write('no leftovers from earlier sessions\n');

        const pre = await preflightFor(cluster, { ...targets, captureNamespace: namespace });
        if (!pre.ok) {
          process.stderr.write(`${formatPreflight(pre)}\n\nCapture refused: nothing was created.\n`);
          if (opts.json) process.stdout.write(`${JSON.stringify({ status: 'refused', preflight: pre }, null, 2)}\n`);
          process.exitCode = EXIT.refused;
          return;
        }
        const printer = new ProgressPrinter(process.stderr);
        session = await createCapture(cluster, {
          targets,
          namespace,
          durationSec,
          out,
          preflight: pre,
          ...(opts.probes ? { probes: splitList(opts.probes)! } : {}),
          ...(opts.image ? { image: opts.image } : {}),
          ...(opts.moduleAttempts ? { moduleAttempts: true } : {}),
          onProgress: (p) => printer.update(p),
          onNotice: (level, message) => {
            if (level !== 'info' && !process.stderr.isTTY) process.stderr.write(`${level}: ${message}\n`);
          },
        });
        process.off('SIGINT', early);
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        if (interrupted) {
          process.exitCode = EXIT.interrupted;
          return;
        }
        await session.start();
        process.stderr.write(`capturing on ${session.targetNodes.join(', ')} for ${durationSec}s into ${out}\n`);
        const result = await session.done;
        process.stderr.write(`${formatLedger(result.ledger)}\n`);
        const lostTotal = Object.values(result.trailer.lost).reduce((a, b) => a + b, 0);
        process.stderr.write(
          `${result.trailer.status}: ${result.trailer.events} events, ${lostTotal} lost, written to ${out}\n`,
        );
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(
              {
                status: interrupted ? 'stopped' : result.trailer.status,
                out,
                context: conn.context.name,
                server: conn.server,
                sessionId: result.sessionId,
                events: result.trailer.events,
                counts: result.trailer.counts,
                lost: result.trailer.lost,
                nodes: result.progress.nodes,
                leftovers,
                ledger: result.ledger,
                warnings: result.warnings.slice(0, 100),
              },
              null,
              2,
            )}\n`,
          );
        }
        process.exitCode = interrupted
          ? EXIT.interrupted
          : result.trailer.status === 'failed' || !result.ledger.clean
            ? EXIT.failure
            : EXIT.ok;
      } catch (err) {
        process.stderr.write(`lantern capture: ${(err as Error).message}\n`);
        process.exitCode = exitCodeFor(err);
        if (session) {
          const r = await session.stop().catch(() => undefined);
          if (r) process.stderr.write(`${formatLedger(r.ledger)}\n`);
        }
      } finally {
        process.off('SIGINT', early);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await cluster?.close();
      }
    });
}
