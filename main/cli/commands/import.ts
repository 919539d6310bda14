import type { Command } from 'commander';
import { Option } from 'commander';
import { CaptureError } from '../../events/capture-file';
import { IMPORT_TOOLS, ImportError, importFile, type ImportTool } from '../../events/importers/index';

const TOOL_NAMES: Record<ImportTool, string> = {
  tetragon: 'Cilium Tetragon',
  ig: 'Inspektor Gadget',
  falco: 'Falco',
  tracee: 'Tracee',
};
const SHOW_REASONS = 10;

/**
 * `lantern import [--from tetragon|ig|falco|tracee] IN --out FILE.lantern`
 * Exit codes: 0 imported (skipped records are reported, not fatal), 1 nothing could be imported
 * or the input/output failed, 2 usage error.
 */
export function register(program: Command): void {
  program
    .command('import')
    .description('turn a Tetragon, Inspektor Gadget, Falco or Tracee JSON export into a Lantern capture')
    .argument('<in>', 'export file (NDJSON, pretty-printed or concatenated JSON, a JSON array; gzip accepted)')
    .requiredOption('--out <path>', 'capture file to write (.lantern)')
    .addOption(
      new Option('--from <tool>', 'which tool wrote the input (detected when omitted)').choices([...IMPORT_TOOLS]),
    )
    .option('--node <name>', 'node name for records that name none', 'unknown')
    .option('--json', 'print the summary as JSON')
    .action(async (input: string, o: { out: string; from?: ImportTool; node: string; json?: boolean }) => {
      try {
        const res = await importFile(input, o.out, { from: o.from, defaultNode: o.node });
        if (o.json) {
          const { header: _h, ...rest } = res;
          process.stdout.write(`${JSON.stringify({ ...rest, out: o.out }, null, 2)}\n`);
          return;
        }
        const kinds = Object.entries(res.counts)
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${k} ${n}`)
          .join(', ');
        const inv = res.header.inventory;
        const lines = [
          `${TOOL_NAMES[res.tool]}${o.from ? '' : ' (detected)'}: ${res.records} record${res.records === 1 ? '' : 's'} read, ${res.events} event${res.events === 1 ? '' : 's'} written to ${o.out}`,
          `  events: ${kinds}`,
          `  inventory: ${inv?.nodes.length ?? 0} node(s), ${inv?.namespaces.length ?? 0} namespace(s), ${inv?.pods.length ?? 0} pod(s)`,
        ];
        if (res.skipped > 0) {
          lines.push(`  skipped ${res.skipped} record${res.skipped === 1 ? '' : 's'}:`);
          const byReason = Object.entries(res.reasonCounts).sort((a, b) => b[1] - a[1]);
          for (const [reason, n] of byReason.slice(0, SHOW_REASONS)) {
            const first = res.reasons.find((r) => r.reason === reason);
            lines.push(`    ${n}× ${reason}${first ? ` (first at line ${first.line})` : ''}`);
          }
          if (byReason.length > SHOW_REASONS) lines.push(`    ... and ${byReason.length - SHOW_REASONS} other reasons`);
        }
        for (const w of res.warnings) lines.push(`  warning: ${w}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      } catch (e) {
        const known = e instanceof ImportError || e instanceof CaptureError;
        process.stderr.write(`lantern import: ${known ? e.message : `failed: ${(e as Error).message}`}\n`);
        process.exitCode = 1;
      }
    });
}
