/**
 * Converters on mutated real records: fields deleted or replaced by values of other types must
 * give valid Lantern events or a skip reason, never an exception (a thrown converter would cost
 * the record; a malformed event would reach the graph). LANTERN_FUZZ_RUNS=N for a longer soak.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEvent } from '../capture-file';
import type { ConvertContext, Converter } from './common';
import { CONVERTERS } from './index';
import { haveData, sourceRecords } from './samples.test-util';

const SAMPLES: Record<string, string[]> = {
  tetragon: [
    'tetragon/testdata_events.json',
    'tetragon/docs-md/use-cases__filename-access__block6.json',
    'tetragon/docs-md/use-cases__linux-process-credentials__monitor-changes-at-kernel__block5.json',
    'tetragon/docs-md/use-cases__host-system-changes__linux-kernel-modules__block3.json',
  ],
  ig: [
    'inspektor-gadget/trace_tcp_ig_json.jsonl',
    'inspektor-gadget/trace_open_image_ig_jsonpretty.json',
    'inspektor-gadget/trace_dns_example.concat.json',
    'inspektor-gadget/trace_network_builtin_withfilter_example.json',
  ],
  falco: [
    'falco/website/blog__falcosidekick-response-engine-part-2-openfass.jsonl',
    'falco/website/blog__falco-plugin-k8saudit-eks.jsonl',
    'falco/website/blog__extend-falco-outputs-with-falcosidekick.json',
  ],
  tracee: [
    'tracee/v0.14.0/getting-started__kubernetes-quickstart.json',
    'tracee/main/docs__outputs__event-structure.v1beta1.json',
    'tracee/main/docs__detectors__quickstart.json',
    'tracee/v0.22.0/docs__events__builtin__network__net_packet_dns.jsonl',
    'tracee/v0.14.0/pkg__signatures__benchmark__README.json',
  ],
};

type Json = unknown;

/** Every path to a value inside `o`. */
function paths(o: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o)) {
      const p = [...prefix, Array.isArray(o) ? Number(k) : k];
      out.push(p);
      paths(v, p, out);
    }
  }
  return out;
}

function mutate(o: Json, path: (string | number)[], value: Json | typeof DELETE): Json {
  const copy = structuredClone(o) as Record<string | number, unknown>;
  let cur = copy as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) cur = cur[path[i]!] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === DELETE) delete cur[last];
  else cur[last] = value;
  return copy;
}
const DELETE = Symbol('delete');

describe.skipIf(!haveData)('converters on mutated records (4 × 1,000 inputs)', () => {
  for (const [tool, files] of Object.entries(SAMPLES)) {
    it(tool, () => {
      const conv = (CONVERTERS as Record<string, Converter>)[tool]!;
      const records = files.flatMap((f) => sourceRecords(f));
      fc.assert(
        fc.property(
          fc.nat(),
          fc.array(
            fc.tuple(
              fc.nat(),
              fc.oneof(
                fc.constant<typeof DELETE>(DELETE),
                fc.jsonValue({ maxDepth: 2 }),
                fc.constantFrom('', '<NA>', -1, 1e300, 'containerd://', '::', '/', 'AAAA'),
              ),
            ),
            { minLength: 1, maxLength: 5 },
          ),
          (pick, muts) => {
            let rec: Json = records[pick % records.length];
            for (const [at, value] of muts) {
              const ps = paths(rec);
              if (ps.length === 0) break;
              rec = mutate(rec, ps[at % ps.length]!, value);
            }
            if (!rec || typeof rec !== 'object' || Array.isArray(rec)) return;
            const ctx: ConvertContext = { defaultNode: 'unknown', baseTimeNs: 1e18, recordIndex: 1 };
            const out = conv.convert(rec as Record<string, unknown>, ctx);
            if (Array.isArray(out)) for (const ev of out) expect(checkEvent(ev), JSON.stringify(ev)).toBeUndefined();
            else expect(typeof out.skip).toBe('string');
          },
        ),
        { numRuns: Number(process.env.LANTERN_FUZZ_RUNS ?? 1_000) },
      );
    });
  }
});
