import type { Command } from 'commander';
import { CaptureError } from '../../events/capture-file';
import { loadCapture } from '../../graph/load';
import { diffGraphs, incomparableReason, type DiffEntry } from '../../graph/diff';

/**
 * `lantern diff A B [--json] [--force]`: what is new in B, what is gone, what changed in rate.
 * Exit 0 when comparable (whatever the differences), 1 on failure, 2 usage, 6 when refused as
 * not comparable (different cluster or probes) — `--force` compares anyway.
 */
export function register(program: Command): void {
  program
    .command('diff')
    .description('compare two captures after normalising volatile names (pod hashes, pids, ephemeral ports)')
    .argument('<a>', 'baseline capture (.lantern)')
    .argument('<b>', 'capture to compare with it')
    .option('--json', 'machine-readable output')
    .option('--force', 'compare even when the captures are not comparable')
    .option('--change-ratio <n>', 'rate factor that counts as changed', '3')
    .option('--limit <n>', 'rows per section in text output', '50')
    .action(
      async (a: string, b: string, o: { json?: boolean; force?: boolean; changeRatio: string; limit: string }) => {
        try {
          const [A, B] = [await loadCapture(a), await loadCapture(b)];
          const reason = incomparableReason(A.header, B.header);
          if (reason && !o.force) {
            if (o.json) process.stdout.write(JSON.stringify({ comparable: false, reason }, null, 2) + '\n');
            else process.stderr.write(`lantern diff: not comparable: ${reason} (use --force to compare anyway)\n`);
            process.exitCode = 6;
            return;
          }
          const d = diffGraphs(A.builder.graph, B.builder.graph, { changeRatio: Number(o.changeRatio) || 3 });
          if (o.json) {
            const { graph: _g, ...rest } = d;
            process.stdout.write(
              JSON.stringify({ ...rest, ...(reason ? { reason: `compared anyway: ${reason}` } : {}) }, null, 2) + '\n',
            );
            return;
          }
          const limit = Math.max(1, Number(o.limit) || 50);
          const out: string[] = [];
          if (reason) out.push(`warning: compared anyway: ${reason}`);
          out.push(`A: ${a} (${A.builder.events} events)`, `B: ${b} (${B.builder.events} events)`, '');
          const section = (title: string, items: DiffEntry[], counts: (e: DiffEntry) => string) => {
            out.push(`${title} (${items.length})`);
            for (const e of items.slice(0, limit))
              out.push(
                `  ${e.kind.padEnd(16)} ${printable(e.source ? `${e.source} -> ${e.target}` : e.key)}  ${counts(e)}`,
              );
            if (items.length > limit) out.push(`  … ${items.length - limit} more`);
            out.push('');
          };
          section('New nodes in B', d.added.nodes, (e) => `×${e.countB}`);
          section('New edges in B', d.added.edges, (e) => `×${e.countB}`);
          section('Gone from B (nodes)', d.removed.nodes, (e) => `×${e.countA}`);
          section('Gone from B (edges)', d.removed.edges, (e) => `×${e.countA}`);
          section('Changed rate (edges)', d.changed.edges, (e) => `${e.countA} → ${e.countB}`);
          process.stdout.write(out.join('\n'));
        } catch (e) {
          process.stderr.write(`lantern diff: ${e instanceof CaptureError ? e.message : (e as Error).message}\n`);
          process.exitCode = 1;
        }
      },
    );
}

/** Capture text on a terminal: control characters shown escaped, never interpreted. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
