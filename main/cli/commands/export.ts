import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import { EXPORT_FORMATS, exportText, type ExportFormat } from '../../export/index';
import { CaptureError } from '../../events/capture-file';
import { loadCapture } from '../../graph/load';
import { collapse } from '../../graph/view';
import { alignEvidence, applySeverity } from '../../graph/evidence';
import type { CollapseLevel } from '../../common/graph';
import type { Finding } from '../../common/findings';
import type { LanternEvent } from '../../common/events';

/** `lantern export FILE --to FORMAT --out OUT`: the same exports the app offers, headless. */
export function register(program: Command): void {
  program
    .command('export')
    .description('export a capture as a graph snapshot or report')
    .argument('<file>', 'capture file (.lantern)')
    .addOption(new Option('--to <format>', 'output format').choices([...EXPORT_FORMATS]).makeOptionMandatory())
    .requiredOption('--out <path>', "output file ('-' for stdout)")
    .addOption(
      new Option('--collapse <level>', 'collapse the graph')
        .choices(['process', 'pod', 'workload', 'namespace'])
        .default('process'),
    )
    .option('--no-detect', 'skip detection (reports and findings exports then have no findings)')
    .option('--continue-on-error', 'skip bad lines instead of stopping')
    .action(
      async (
        file: string,
        o: { to: ExportFormat; out: string; collapse: CollapseLevel; detect: boolean; continueOnError?: boolean },
      ) => {
        try {
          const needsFindings = o.detect && (o.to === 'html' || o.to === 'md' || o.to.startsWith('findings'));
          let detector:
            { ingest(e: readonly LanternEvent[], i: number): void; finish(): void; findings(): Finding[] } | undefined;
          const loaded = await loadCapture(file, {
            continueOnError: o.continueOnError,
            // the touch log lets findings point at this graph's own ids
            log: needsFindings,
            onHeader: async (header) => {
              if (!needsFindings) return;
              const { createDetector } = await import('../../detect/index');
              detector = createDetector({ inventory: header.inventory });
            },
            onBatch: (events, first) => detector?.ingest(events, first),
          });
          detector?.finish();
          const findings = (detector?.findings() ?? []).map((f) => alignEvidence(loaded.builder, f));
          applySeverity(loaded.builder.graph, findings);
          const graph = o.collapse === 'process' ? loaded.builder.graph : collapse(loaded.builder.graph, o.collapse);
          const text = exportText(o.to, {
            graph,
            name: file.split(/[\\/]/).pop() ?? file,
            header: loaded.header,
            findings,
            events: loaded.builder.events,
            warnings: loaded.warnings,
          });
          if (o.out === '-') process.stdout.write(text);
          else await writeFile(o.out, text);
          for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
          if (o.out !== '-')
            process.stderr.write(`wrote ${o.to} (${graph.order} nodes, ${graph.size} edges) to ${o.out}\n`);
        } catch (e) {
          process.stderr.write(`lantern export: ${e instanceof CaptureError ? e.message : (e as Error).message}\n`);
          process.exitCode = 1;
        }
      },
    );
}
