/**
 * Real samples from ../shared/data through the importers and the detector: which of Lantern's
 * rules (and which imported verdicts) fire on which file.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { detectTool, importToMemory } from '../../main/events/importers/index';
import { createEnricher } from '../../main/events/enrich';
import { createDetector } from '../../main/detect/index';
import type { Finding } from '../../main/common/findings';

export interface SampleResult {
  file: string;
  tool?: string;
  events: number;
  /** Lantern's own rule/method findings. */
  lantern: Finding[];
  /** Verdicts of the tool that wrote the sample, kept as findings (method import). */
  imported: Finding[];
  note?: string;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(json|jsonl|ndjson|txt)$/.test(name)) out.push(p);
  }
  return out;
}

export async function analyseSamples(root: string): Promise<SampleResult[]> {
  const results: SampleResult[] = [];
  for (const file of walk(root)) {
    const rel = relative(root, file);
    let det: Awaited<ReturnType<typeof detectTool>>;
    try {
      det = await detectTool(file);
    } catch {
      det = undefined;
    }
    if (!det) continue; // not an event export (bpftrace maps, k8s audit, catalogues)
    try {
      const { summary, events } = await importToMemory(file, {
        from: det.tool,
        now: new Date('2026-01-01T00:00:00Z'),
        baseTimeNs: 1_767_225_600e9,
      });
      const enricher = createEnricher(summary.header.inventory);
      for (const ev of events) enricher.enrich(ev);
      const d = createDetector({
        ...(summary.header.inventory ? { inventory: summary.header.inventory } : {}),
        classify: enricher.classify,
      });
      d.ingest(events, 0);
      d.finish();
      const all = d.findings();
      results.push({
        file: rel,
        tool: det.tool,
        events: events.length,
        lantern: all.filter((f) => f.method !== 'import'),
        imported: all.filter((f) => f.method === 'import'),
      });
    } catch (e) {
      results.push({
        file: rel,
        tool: det.tool,
        events: 0,
        lantern: [],
        imported: [],
        note: (e as Error).message.slice(0, 160),
      });
    }
  }
  return results;
}
