import { openCapture } from '../../main/events/capture-file';
import { createEnricher } from '../../main/events/enrich';
import { createDetector } from '../../main/detect/index';
import type { LanternEvent } from '../../main/common/events';
const r = await openCapture('/tmp/lantern-bench/gen-v3-1000000-s1-l7-attack.lantern');
const en = createEnricher(r.header.inventory);
const batches: { b: LanternEvent[]; i: number }[] = [];
const kinds = new Map<string, number>();
for await (const b of r.batches()) { for (const e of b) { en.enrich(e); kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1); } batches.push({ b: [...b], i: b.firstIndex }); }
console.log(JSON.stringify([...kinds]));
for (let rep = 0; rep < 2; rep++) {
const d = createDetector({ inventory: r.header.inventory, classify: en.classify });
const c0 = process.cpuUsage(); const t0 = performance.now();
for (const { b, i } of batches) d.ingest(b, i);
const t1 = performance.now();
d.finish();
const c = process.cpuUsage(c0);
console.log('ingest ms', (t1 - t0).toFixed(0), 'finish ms', (performance.now() - t1).toFixed(0), 'cpu', ((c.user + c.system) / 1000).toFixed(0), d.stats());
}
