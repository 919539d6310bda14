/**
 * Import other tools' exports as Lantern captures.
 *
 *   const res = await importFile('tetragon.json', 'out.lantern', { from?: 'tetragon' });
 *   const { summary, events } = await importToMemory('tetragon.json');   // tests, previews
 *
 * The input (NDJSON, pretty-printed or concatenated JSON, a JSON array, gzip'd or not; for
 * Inspektor Gadget also the `trace exec` column table) is read twice, streaming: pass 1
 * converts every record to learn the inventory (namespaces, pods, containers, nodes) and the
 * event kinds for the header; pass 2 converts again and writes. Converters are deterministic, so
 * both passes agree. Memory stays bounded by the largest record, except when the events are not
 * in time order: then (up to MAX_SORT events) they are sorted in memory before writing, since
 * replay wants time order.
 *
 * Tool auto-detection scores the first records with each converter's `detect` and picks the
 * best; it refuses to guess when nothing matches.
 */
import { Buffer } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { CaptureHeader, CaptureTrailer } from '../../common/capture';
import { CAPTURE_VERSION } from '../../common/capture';
import type { EventKind, LanternEvent } from '../../common/events';
import { CaptureWriter, checkEvent } from '../capture-file';
import {
  InventoryCollector,
  IMPORT_TOOLS,
  isObj,
  type ConvertContext,
  type Converter,
  type ImportTool,
  type Obj,
} from './common';
import { falco } from './falco';
import { convertColumnRecord, ig, igPodExtra, isColumnTable, parseColumns } from './ig';
import { jsonValues } from './json-values';
import { tetragon, tetragonLabels } from './tetragon';
import { tracee } from './tracee';

export { IMPORT_TOOLS, type ImportTool } from './common';

export const CONVERTERS: Record<ImportTool, Converter> = { tetragon, ig, falco, tracee };

const LANTERN_VERSION = '0.1.0';
const DETECT_SAMPLE = 50;
const MAX_SORT = 5_000_000;
const MAX_REASONS = 200;

export class ImportError extends Error {
  override readonly name = 'ImportError';
}

/** Where records come from: re-openable, since the importer reads twice. */
export type InputSource = string | { name: string; data: Uint8Array };

export interface ImportOptions {
  /** Skip auto-detection. */
  from?: ImportTool;
  /** Node name for records that carry none (default "unknown"). */
  defaultNode?: string;
  /** Where boot-relative and missing timestamps are placed (default: now). */
  baseTimeNs?: number;
  /** Header `created` / inventory `takenAt` (default: now). */
  now?: Date;
}

export interface SkippedRecord {
  line: number;
  reason: string;
}

export interface ImportSummary {
  tool: ImportTool;
  /** Records (JSON values or table rows) read from the input. */
  records: number;
  events: number;
  counts: Partial<Record<EventKind, number>>;
  skipped: number;
  /** The first MAX_REASONS skipped records. */
  reasons: SkippedRecord[];
  /** Reason → how many records were skipped for it. */
  reasonCounts: Record<string, number>;
  warnings: string[];
  header: CaptureHeader;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  const [sa, sb] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return !!sa && !!sb && sa.dev === sb.dev && sa.ino === sb.ino;
}

const inputName = (src: InputSource) => (typeof src === 'string' ? src : src.name);

async function* rawChunks(src: InputSource): AsyncGenerator<Uint8Array> {
  let head: Buffer;
  if (typeof src === 'string') {
    const fh = await open(src, 'r').catch((e: Error) => {
      throw new ImportError(`cannot open ${src}: ${e.message}`);
    });
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new ImportError(`${src} is not a regular file`);
      head = Buffer.alloc(2);
      await fh.read(head, 0, 2, 0);
    } finally {
      await fh.close();
    }
  } else head = Buffer.from(src.data.subarray(0, 2));
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  let stream: Readable =
    typeof src === 'string'
      ? createReadStream(src, { highWaterMark: 1 << 20 })
      : Readable.from([Buffer.from(src.data)]);
  if (gz) {
    const g = createGunzip();
    stream.on('error', (e) => g.destroy(e));
    stream = stream.pipe(g);
  }
  try {
    for await (const c of stream) yield c as Uint8Array;
  } catch (e) {
    throw new ImportError(`reading ${inputName(src)} failed: ${(e as Error).message}`);
  } finally {
    stream.destroy();
  }
}

type Record_ = { value: Obj; line: number; column?: boolean } | { error: string; line: number };

/** Records of the input: JSON values, or rows of an IG column table. */
async function* records(src: InputSource): AsyncGenerator<Record_> {
  // Peek at the first line to spot a column table (small: only the head is decoded).
  const it = rawChunks(src)[Symbol.asyncIterator]();
  const first = await it.next();
  const firstChunk = first.done ? new Uint8Array() : first.value;
  const headText = Buffer.from(firstChunk.subarray(0, 4096)).toString('utf8');
  const firstLine = headText.replace(/^\uFEFF/, '').split('\n', 1)[0] ?? '';
  async function* all(): AsyncGenerator<Uint8Array> {
    if (!first.done) yield firstChunk;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  if (isColumnTable(firstLine)) {
    const parts: Buffer[] = [];
    let len = 0;
    for await (const c of all()) {
      len += c.length;
      if (len > 256 << 20) throw new ImportError(`${inputName(src)}: column table larger than 256 MiB`);
      parts.push(Buffer.from(c));
    }
    const { records: rows, skipped } = parseColumns(Buffer.concat(parts).toString('utf8'));
    for (const s of skipped) yield { error: s.reason, line: s.line };
    let line = 1;
    for (const r of rows) yield { value: r, line: ++line, column: true };
    return;
  }
  for await (const item of jsonValues(all())) {
    if ('error' in item) yield item;
    else if (isObj(item.value)) yield { value: item.value, line: item.line };
    else
      yield {
        error: Array.isArray(item.value) ? 'a JSON array where an event object was expected' : 'not a JSON object',
        line: item.line,
      };
  }
}

/** Which tool wrote this input? */
export async function detectTool(src: InputSource): Promise<{ tool: ImportTool; confidence: number } | undefined> {
  const score: Record<ImportTool, number> = { tetragon: 0, ig: 0, falco: 0, tracee: 0 };
  let n = 0;
  for await (const r of records(src)) {
    if ('error' in r) continue;
    if (r.column) return { tool: 'ig', confidence: 1 };
    for (const t of IMPORT_TOOLS) score[t] += CONVERTERS[t].detect(r.value);
    if (++n >= DETECT_SAMPLE) break;
  }
  let best: ImportTool | undefined;
  for (const t of IMPORT_TOOLS) if (score[t] > 0 && (best === undefined || score[t] > score[best])) best = t;
  return best && n > 0 ? { tool: best, confidence: score[best] / n } : undefined;
}

interface PassState {
  summary: ImportSummary;
  collector: InventoryCollector;
  ordered: boolean;
  lastTime: number;
}

/** Converts every record, handing events (pod refs completed from the inventory) to `sink`. */
async function convertPass(
  src: InputSource,
  tool: ImportTool,
  opts: ImportOptions,
  baseTimeNs: number,
  state: PassState,
  sink: (ev: LanternEvent) => void | Promise<void>,
): Promise<void> {
  const conv = CONVERTERS[tool];
  const ctx: ConvertContext = { defaultNode: opts.defaultNode ?? 'unknown', baseTimeNs, recordIndex: 0 };
  const s = state.summary;
  const skip = (line: number, reason: string) => {
    s.skipped++;
    s.reasonCounts[reason] = (s.reasonCounts[reason] ?? 0) + 1;
    if (s.reasons.length < MAX_REASONS) s.reasons.push({ line, reason });
  };
  for await (const r of records(src)) {
    s.records++;
    ctx.recordIndex++;
    if ('error' in r) {
      skip(r.line, r.error);
      continue;
    }
    let out;
    try {
      out = r.column ? convertColumnRecord(r.value, ctx) : conv.convert(r.value, ctx);
    } catch (e) {
      // A converter bug on odd input must not abort the whole import.
      out = { skip: `could not convert: ${(e as Error).message}` };
    }
    if (!Array.isArray(out)) {
      skip(r.line, out.skip);
      continue;
    }
    const extra =
      tool === 'tetragon' ? { labels: tetragonLabels(r.value) } : tool === 'ig' ? igPodExtra(r.value) : undefined;
    for (const ev of out) {
      const bad = checkEvent(ev);
      if (bad) {
        skip(r.line, `converted event is invalid: ${bad}`);
        continue;
      }
      state.collector.addEvent(ev, extra);
      if (ev.time < state.lastTime) state.ordered = false;
      state.lastTime = ev.time;
      s.events++;
      s.counts[ev.kind] = (s.counts[ev.kind] ?? 0) + 1;
      await sink(ev);
    }
  }
}

function emptySummary(tool: ImportTool): ImportSummary {
  return {
    tool,
    records: 0,
    events: 0,
    counts: {},
    skipped: 0,
    reasons: [],
    reasonCounts: {},
    warnings: [],
    header: undefined as unknown as CaptureHeader,
  };
}

async function resolveTool(src: InputSource, from: ImportTool | undefined): Promise<ImportTool> {
  if (from) {
    if (!IMPORT_TOOLS.includes(from))
      throw new ImportError(`unknown tool "${String(from)}" (known: ${IMPORT_TOOLS.join(', ')})`);
    return from;
  }
  const d = await detectTool(src);
  if (!d)
    throw new ImportError(
      `cannot tell which tool wrote ${inputName(src)}: no Tetragon, Inspektor Gadget, Falco or Tracee records found (use --from to say)`,
    );
  return d.tool;
}

function makeHeader(tool: ImportTool, state: PassState, now: Date): CaptureHeader {
  const kinds = Object.keys(state.summary.counts).sort();
  return {
    lantern: 'capture',
    version: CAPTURE_VERSION,
    created: now.toISOString(),
    tool: { name: 'lantern', version: LANTERN_VERSION },
    nodes: state.collector.nodeNames().map((name) => ({ name })),
    probes: kinds.map((k) => `${tool}:${k}`),
    source: tool,
    inventory: state.collector.inventory(now.toISOString()),
  };
}

/** Converts the input into memory (for tests and previews). */
export async function importToMemory(
  src: InputSource,
  opts: ImportOptions = {},
): Promise<{ summary: ImportSummary; events: LanternEvent[] }> {
  const tool = await resolveTool(src, opts.from);
  const base = opts.baseTimeNs ?? Date.now() * 1e6;
  const state: PassState = {
    summary: emptySummary(tool),
    collector: new InventoryCollector(),
    ordered: true,
    lastTime: -Infinity,
  };
  const list: LanternEvent[] = [];
  await convertPass(src, tool, opts, base, state, (ev) => void list.push(ev));
  // Pod refs of early events get workloads learnt later: a second sweep completes them.
  for (const ev of list) state.collector.addEvent(ev);
  if (!state.ordered) list.sort((a, b) => a.time - b.time);
  state.summary.header = makeHeader(tool, state, opts.now ?? new Date());
  return { summary: state.summary, events: list };
}

/** Converts the input and writes a Lantern capture at `out`. Throws ImportError when nothing can be imported. */
export async function importFile(
  src: InputSource,
  out: string,
  opts: ImportOptions = {},
): Promise<ImportSummary & { trailer: CaptureTrailer }> {
  // The input is read twice: writing over it would destroy it between the passes.
  if (typeof src === 'string' && (await sameFile(src, out)))
    throw new ImportError(`--out ${out} is the input file itself`);
  const tool = await resolveTool(src, opts.from);
  const base = opts.baseTimeNs ?? Date.now() * 1e6;
  const now = opts.now ?? new Date();
  const pass1: PassState = {
    summary: emptySummary(tool),
    collector: new InventoryCollector(),
    ordered: true,
    lastTime: -Infinity,
  };
  await convertPass(src, tool, opts, base, pass1, () => undefined);
  if (pass1.summary.events === 0) {
    const why = Object.entries(pass1.summary.reasonCounts)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([r, n]) => `${n}× ${r}`)
      .join('; ');
    throw new ImportError(
      `nothing to import from ${inputName(src)} as ${tool}: ${pass1.summary.records} records, none convertible${why ? ` (${why})` : ''}`,
    );
  }
  const header = makeHeader(tool, pass1, now);
  const pass2: PassState = {
    summary: emptySummary(tool),
    collector: pass1.collector,
    ordered: true,
    lastTime: -Infinity,
  };
  const sortAll = !pass1.ordered && pass1.summary.events <= MAX_SORT;
  const w = await CaptureWriter.create(out, header);
  try {
    const held: LanternEvent[] = [];
    await convertPass(src, tool, opts, base, pass2, async (ev) => {
      if (sortAll) held.push(ev);
      else if (!w.write(ev)) await w.drain();
    });
    if (sortAll) {
      held.sort((a, b) => a.time - b.time);
      for (const ev of held) if (!w.write(ev)) await w.drain();
      pass2.summary.warnings.push('the input was not in time order: events were sorted by time');
    } else if (!pass1.ordered) {
      pass2.summary.warnings.push(
        `the input is not in time order and too large to sort (${pass1.summary.events} events): written in input order`,
      );
    }
    const trailer = await w.close({ status: 'complete', skipped: pass2.summary.skipped });
    pass2.summary.header = header;
    return Object.assign(pass2.summary, { trailer });
  } catch (e) {
    await w.abort();
    await rm(out, { force: true });
    throw e;
  }
}
