/**
 * Capture files (`.lantern`): streaming gzip'd NDJSON, format in main/common/capture.ts.
 *
 * WRITER
 *   const w = await CaptureWriter.create(path, header, { level?, autoFlushMs? });
 *   w.write(ev)            -> boolean: false = the compressor is backed up, `await w.drain()` before more
 *   await w.drain()
 *   await w.flush()        -> everything written so far reaches the disk as a decodable gzip prefix
 *                            (Z_SYNC_FLUSH + fsync): a crash after this keeps it
 *   await w.close(fields?) -> writes the trailer (counts/lost/first/last computed here; `fields`
 *                            override, e.g. { status: 'stopped', skipped: 3 }) and returns it
 *   await w.abort()        -> closes the file without a trailer (it then reads as incomplete)
 *   The file is written in place, not renamed at the end, on purpose: a killed process must leave
 *   a readable partial capture, which a temp+rename scheme would lose. The header is flushed at
 *   create time; `autoFlushMs` flushes on a timer (unref'd; stopped by close/abort).
 *
 * READER
 *   const r = await openCapture(path, { continueOnError?, maxLineBytes?, maxHeaderBytes? });
 *   const r = await openCaptureBuffer(buf, name, opts?);   // uploads, tests
 *   r.header                        validated CaptureHeader (line 1)
 *   for await (const batch of r.batches()) { ... }    // single use
 *       batch: EventBatch = LanternEvent[] & { firstIndex: number }
 *       Events are in file order. The index of batch[i] in the file's event stream is
 *       batch.firstIndex + i (0-based, counting accepted events only; header/trailer excluded).
 *   after the loop: r.trailer?, r.warnings (incomplete file: what is missing, how many events
 *   were read), r.stats {lines, events, skipped}, r.skippedReasons (first 100 CaptureErrors)
 *   await r.close()  if you stop iterating early (also happens when a for-await loop breaks).
 *   readCapture(path, opts?) reads everything into memory (small files, tests, import).
 *
 * Gzip or plain NDJSON is detected from the magic bytes. Bad input — garbage, over-long lines,
 * invalid UTF-8, `__proto__`/`constructor`/`prototype` keys, wrong field types, a newer format
 * version, corrupt gzip — throws a CaptureError naming file, line and reason; with
 * `continueOnError` a bad event line is skipped and counted instead (a bad header is always
 * fatal: without it nothing can be interpreted). An incomplete file (no trailer, last line cut,
 * gzip cut short) is never an error: it reads what is there and says so in `warnings`.
 *
 * Speed: the hot loop works per decompressed chunk (~256 KiB), not per line: UTF-8 validation
 * (`isUtf8`) runs once over the chunk, then each line is one JSON.parse and one checkEvent
 * (typeof checks on the fields present, and a walk of the keys for `__proto__`/`constructor`/
 * `prototype`). Measured at 0.9-1.06x the speed of a bare gunzip + JSON.parse loop:
 * `npx tsx main/events/reader-speed.ts [N | FILE.lantern]`.
 * The header is parsed with safeJsonParse (a reviver), once.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { constants as zc, createGunzip, createGzip, type Gzip } from 'node:zlib';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type CaptureHeader, type CaptureTrailer } from '../common/capture';
import { EVENT_KINDS, type EventKind, type LanternEvent } from '../common/events';

// ---------------------------------------------------------------------------------------------
// Errors

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly file: string,
    /** 1-based line in the decompressed text; 0 when the problem is not about one line. */
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}: line ${line}: ${reason}` : `${file}: ${reason}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Validation (cheap: runs once per event)

const KINDS: ReadonlySet<string> = new Set<string>(EVENT_KINDS);
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optStr = (v: unknown) => v === undefined || typeof v === 'string';
const optNum = (v: unknown) => v === undefined || isNum(v);

function checkProc(p: unknown): string | undefined {
  if (!isObj(p)) return '"proc" must be an object';
  if (!isNum(p.pid) || !isNum(p.start) || typeof p.comm !== 'string')
    return '"proc" needs numeric pid/start and string comm';
  if (!optStr(p.exe) || !optStr(p.cwd) || !optNum(p.ppid) || !optNum(p.pstart) || !optNum(p.uid) || !optNum(p.gid)) {
    return 'wrong type in "proc"';
  }
  const a = p.args;
  if (a !== undefined) {
    if (!Array.isArray(a)) return '"proc.args" must be an array';
    for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'string') return '"proc.args" must hold strings';
  }
  return undefined;
}

function checkPod(pod: unknown): string | undefined {
  if (!isObj(pod) || typeof pod.name !== 'string' || typeof pod.namespace !== 'string')
    return '"pod" needs string name and namespace';
  if (!optStr(pod.uid) || !optStr(pod.container) || !optStr(pod.image) || !optStr(pod.serviceAccount))
    return 'wrong type in "pod"';
  const w = pod.workload;
  if (w !== undefined && (!isObj(w) || typeof w.kind !== 'string' || typeof w.name !== 'string'))
    return 'wrong type in "pod.workload"';
  return undefined;
}

/**
 * Reason the value is not a LanternEvent, or undefined when it is one.
 * Walks the keys the event has (for-in) rather than probing every possible payload: events of
 * different kinds have different shapes, and probing absent properties on them is what made a
 * field-by-field check cost a quarter of JSON.parse. Unknown (future) fields pass unvalidated.
 */
export function checkEvent(o: unknown): string | undefined {
  if (!isObj(o)) return 'not a JSON object';
  if (typeof o.kind !== 'string' || !KINDS.has(o.kind)) {
    return typeof o.kind === 'string' ? `unknown event kind ${JSON.stringify(o.kind.slice(0, 40))}` : 'missing "kind"';
  }
  if (!isNum(o.time)) return '"time" must be a number (ns since epoch)';
  if (typeof o.node !== 'string') return '"node" must be a string';
  for (const k in o) {
    const v = o[k];
    if (v === undefined) continue;
    let bad: string | undefined;
    switch (k) {
      case 'seq':
      case 'ret':
        if (!isNum(v)) bad = `"${k}" must be a number`;
        break;
      case 'source':
        if (typeof v !== 'string') bad = '"source" must be a string';
        break;
      case 'proc':
        bad = checkProc(v);
        break;
      case 'container':
        if (!isObj(v) || !optStr(v.id) || !optStr(v.podUid) || !optStr(v.cgroup)) bad = 'wrong type in "container"';
        break;
      case 'pod':
        bad = checkPod(v);
        break;
      case 'net':
        if (
          !isObj(v) ||
          typeof v.saddr !== 'string' ||
          typeof v.daddr !== 'string' ||
          !isNum(v.sport) ||
          !isNum(v.dport)
        ) {
          bad = '"net" needs string saddr/daddr and numeric sport/dport';
        }
        break;
      case 'file':
        if (!isObj(v) || typeof v.path !== 'string' || !optNum(v.flags) || !optNum(v.count))
          bad = '"file" needs a string path';
        break;
      case 'dns':
        if (!isObj(v) || !optStr(v.query) || typeof v.server !== 'string') bad = 'wrong type in "dns"';
        break;
      case 'alert':
        if (!isObj(v) || typeof v.rule !== 'string' || !optStr(v.output) || !optStr(v.priority))
          bad = 'wrong type in "alert"';
        break;
      case 'exit':
        if (!isObj(v) || !isNum(v.code) || !optNum(v.signal)) bad = 'wrong type in "exit"';
        break;
      case 'agent':
        if (!isObj(v) || !optNum(v.lost) || !optStr(v.message)) bad = 'wrong type in "agent"';
        break;
      case 'priv':
      case 'ptrace':
      case 'mount':
      case 'ns':
      case 'module':
      case 'bpf':
      case 'memfd':
        if (!isObj(v)) bad = `"${k}" must be an object`;
        break;
      case '__proto__':
      case 'constructor':
      case 'prototype':
        return `forbidden key "${k}" (prototype pollution attempt)`;
      default:
        break;
    }
    if (bad !== undefined) return bad;
    // Nested values: no key anywhere may reach or shadow a prototype (see unsafeKeyIn).
    if (typeof v === 'object' && v !== null) {
      const unsafe = unsafeKeyIn(v, 1);
      if (unsafe !== undefined) return unsafe;
    }
  }
  return undefined;
}

/** Reason the value is not a usable CaptureHeader, or undefined. */
export function checkHeader(o: unknown): string | undefined {
  if (!isObj(o) || o.lantern !== CAPTURE_FORMAT)
    return 'not a Lantern capture (the first line is not a capture header)';
  if (!isNum(o.version) || !Number.isInteger(o.version) || o.version < 1)
    return 'capture header has no valid format version';
  if (o.version > CAPTURE_VERSION) {
    return `capture format version ${o.version} was written by a newer Lantern; this one reads up to version ${CAPTURE_VERSION}`;
  }
  if (typeof o.created !== 'string') return 'capture header: "created" must be a string';
  if (!isObj(o.tool)) return 'capture header: "tool" must be an object';
  if (!Array.isArray(o.nodes) || !o.nodes.every((n) => isObj(n) && typeof n.name === 'string')) {
    return 'capture header: "nodes" must be a list of {name}';
  }
  if (!Array.isArray(o.probes) || !o.probes.every((p) => typeof p === 'string'))
    return 'capture header: "probes" must be a list of strings';
  if (typeof o.source !== 'string') return 'capture header: "source" must be a string';
  const inv = o.inventory;
  if (inv !== undefined) {
    if (!isObj(inv)) return 'capture header: "inventory" must be an object';
    for (const k of ['nodes', 'namespaces', 'pods', 'services', 'serviceAccounts'] as const) {
      const list = inv[k];
      if (list !== undefined && (!Array.isArray(list) || !list.every((x) => isObj(x) && typeof x.name === 'string'))) {
        return `capture header: inventory.${k} must be a list of named objects`;
      }
    }
    const pods = (inv.pods ?? []) as Record<string, unknown>[];
    for (const p of pods) {
      if (typeof p.uid !== 'string' || typeof p.namespace !== 'string')
        return 'capture header: inventory pods need string uid and namespace';
      if (
        p.containers !== undefined &&
        (!Array.isArray(p.containers) || !p.containers.every((c) => isObj(c) && typeof c.name === 'string'))
      ) {
        return 'capture header: inventory pod containers must be a list of {name}';
      }
      if (p.ips !== undefined && (!Array.isArray(p.ips) || !p.ips.every((i) => typeof i === 'string')))
        return 'capture header: pod ips must be strings';
    }
  }
  return undefined;
}

function checkTrailer(o: Record<string, unknown>): string | undefined {
  if (
    typeof o.ended !== 'string' ||
    !isNum(o.events) ||
    !isObj(o.counts) ||
    !isObj(o.lost) ||
    typeof o.status !== 'string'
  ) {
    return 'malformed trailer (needs ended, events, counts, lost, status)';
  }
  return undefined;
}

/** JSON.parse that refuses keys able to reach or shadow a prototype. Throws a plain Error with the reason. */
export function safeJsonParse(text: string): unknown {
  return JSON.parse(text, function reviver(key, value) {
    if (FORBIDDEN_KEYS.has(key)) throw new Error(`forbidden key "${key}" (prototype pollution attempt)`);
    return value;
  });
}

/** Deeper than this, a value is refused: no event nests this far, and the walk must not overflow the stack. */
const MAX_DEPTH = 64;

/**
 * Why a parsed value is unsafe to hand on, or undefined: a `__proto__`/`constructor`/`prototype`
 * key anywhere, or nesting deeper than MAX_DEPTH. JSON.parse itself never changes a prototype (it
 * creates such keys as plain own properties), so checking after parsing is exact, sees keys spelt
 * with \u escapes, and costs a key walk per event, which is cheaper than scanning the text on
 * real captures (cgroup paths are full of `_`, which slows a substring search for `__proto__`).
 */
export function unsafeKeyIn(v: unknown, depth = 0): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth >= MAX_DEPTH) return `values nested deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'object' && x !== null) {
        const bad = unsafeKeyIn(x, depth + 1);
        if (bad !== undefined) return bad;
      }
    }
    return undefined;
  }
  for (const k in v) {
    if (FORBIDDEN_KEYS.has(k)) return `forbidden key "${k}" (prototype pollution attempt)`;
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'object' && x !== null) {
      const bad = unsafeKeyIn(x, depth + 1);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

/**
 * Cheap pre-scan: can this text hold a forbidden key at all? It looks for `__proto__`, `uctor`
 * (any "constructor"; V8 finds this short pattern several times faster than the whole word in
 * JSON full of "container"/"connect") and `\u` (an escape could spell either). A lone
 * `prototype` key is harmless on a plain object (pollution through it needs `constructor`
 * above it), so it is refused only on lines that the pre-scan already sent to the reviver.
 */
export function mayHoldForbiddenKey(s: string): boolean {
  return s.includes('__proto__') || s.includes('uctor') || s.includes('\\u');
}

// ---------------------------------------------------------------------------------------------
// Reader

export interface ReadOptions {
  /** Skip and count bad event lines instead of throwing. */
  continueOnError?: boolean;
  /** Longest event line accepted, in bytes (default 8 MiB). Longer lines are refused without being buffered. */
  maxLineBytes?: number;
  /** Longest header line (it holds the inventory snapshot; default 256 MiB). */
  maxHeaderBytes?: number;
}

export type EventBatch = LanternEvent[] & { firstIndex: number };

export interface CaptureStats {
  /** Lines seen, header and trailer included (blank lines not counted). */
  lines: number;
  events: number;
  skipped: number;
}

export interface CaptureReader {
  readonly file: string;
  readonly header: CaptureHeader;
  /** Set once `batches()` has reached the trailer. */
  readonly trailer: CaptureTrailer | undefined;
  readonly warnings: string[];
  readonly stats: CaptureStats;
  /** The first 100 problems skipped under continueOnError. */
  readonly skippedReasons: CaptureError[];
  batches(): AsyncIterable<EventBatch>;
  close(): Promise<void>;
  /**
   * How much of the input has been read: bytes of the file (compressed, for gzip) or upload.
   * Absent where the size is not known (imports of other formats).
   */
  progress?(): { done: number; total: number };
}

const DEFAULT_MAX_LINE = 8 << 20;
const DEFAULT_MAX_HEADER = 256 << 20;
const READ_CHUNK = 1 << 20;
const INFLATE_CHUNK = 1 << 18;
const MAX_REASONS = 100;

function isGzipMagic(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Opens a capture file (gzip or plain NDJSON) and reads its header. */
export async function openCapture(path: string, opts: ReadOptions = {}): Promise<CaptureReader> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new CaptureError(path, 0, `cannot open: ${(e as Error).message}`);
  }
  let gzip: boolean;
  let size = 0;
  try {
    const st = await fh.stat();
    size = st.size;
    if (!st.isFile()) throw new CaptureError(path, 0, 'not a regular file');
    const probe = Buffer.alloc(2);
    const { bytesRead } = await fh.read(probe, 0, 2, 0);
    if (bytesRead === 0) throw new CaptureError(path, 0, 'empty file');
    gzip = isGzipMagic(probe.subarray(0, bytesRead));
  } catch (e) {
    await fh.close();
    throw e instanceof CaptureError ? e : new CaptureError(path, 0, `cannot read: ${(e as Error).message}`);
  }
  // The stream owns the handle from here and closes it when done or destroyed.
  const raw = createReadStream('', { fd: fh, highWaterMark: READ_CHUNK, start: 0 });
  return Reader.start(path, raw, gzip, opts, () => ({ done: raw.bytesRead, total: size }));
}

/** Reads a capture from memory (an upload). `name` is used in messages. */
export async function openCaptureBuffer(buf: Uint8Array, name: string, opts: ReadOptions = {}): Promise<CaptureReader> {
  if (buf.length === 0) throw new CaptureError(name, 0, 'empty file');
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let done = 0;
  function* slices() {
    for (let i = 0; i < b.length; i += READ_CHUNK) {
      const slice = b.subarray(i, i + READ_CHUNK);
      done += slice.length;
      yield slice;
    }
  }
  return Reader.start(name, Readable.from(slices(), { objectMode: false }), isGzipMagic(b), opts, () => ({
    done,
    total: b.length,
  }));
}

/** Everything in memory: for small files and tests. */
export async function readCapture(
  path: string,
  opts: ReadOptions = {},
): Promise<{
  header: CaptureHeader;
  events: LanternEvent[];
  trailer?: CaptureTrailer;
  warnings: string[];
  stats: CaptureStats;
  skippedReasons: CaptureError[];
}> {
  const r = await openCapture(path, opts);
  const events: LanternEvent[] = [];
  for await (const b of r.batches()) for (const e of b) events.push(e);
  return {
    header: r.header,
    events,
    trailer: r.trailer,
    warnings: r.warnings,
    stats: r.stats,
    skippedReasons: r.skippedReasons,
  };
}

type LineOutcome = 'event' | 'trailer' | 'skip';

class Reader implements CaptureReader {
  header!: CaptureHeader;
  trailer: CaptureTrailer | undefined;
  readonly warnings: string[] = [];
  readonly stats: CaptureStats = { lines: 0, events: 0, skipped: 0 };
  readonly skippedReasons: CaptureError[] = [];

  private readonly continueOnError: boolean;
  private readonly maxLine: number;
  private readonly maxHeader: number;
  private readonly chunks: AsyncIterator<Buffer>;
  /** Bytes of the current, not yet complete line. */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Inside an over-long line: bytes are dropped until the next newline. */
  private discarding = false;
  private discardedBytes = 0;
  /** Lines started so far (1-based number of the line being assembled is lineNo + 1). */
  private lineNo = 0;
  private afterTrailer = false;
  private used = false;
  private closed = false;
  private truncatedGzip = false;
  /** Events decoded while looking for the header's newline. */
  private carry: Buffer | undefined;
  progress?: () => { done: number; total: number };

  private constructor(
    readonly file: string,
    private readonly raw: Readable,
    private readonly out: Readable,
    opts: ReadOptions,
  ) {
    this.continueOnError = opts.continueOnError ?? false;
    this.maxLine = Math.max(64, opts.maxLineBytes ?? DEFAULT_MAX_LINE);
    this.maxHeader = Math.max(this.maxLine, opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER);
    this.chunks = out[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  static async start(
    file: string,
    raw: Readable,
    gzip: boolean,
    opts: ReadOptions,
    progress?: () => { done: number; total: number },
  ): Promise<Reader> {
    let out: Readable = raw;
    if (gzip) {
      const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
      // Forward read errors (EIO, EISDIR...) into the stream we iterate; do not leave either dangling.
      raw.on('error', (e) => gunzip.destroy(e));
      gunzip.on('close', () => raw.destroy());
      raw.pipe(gunzip);
      out = gunzip;
    }
    const r = new Reader(file, raw, out, opts);
    if (progress) r.progress = progress;
    try {
      await r.readHeader();
    } catch (e) {
      await r.close();
      throw e;
    }
    return r;
  }

  /** Next decompressed chunk, or undefined at the end (after noting a truncated gzip). */
  private async nextChunk(): Promise<Buffer | undefined> {
    try {
      const r = await this.chunks.next();
      return r.done ? undefined : r.value;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
        this.truncatedGzip = true;
        return undefined;
      }
      if (typeof err.code === 'string' && err.code.startsWith('Z_')) {
        const reason = `gzip data is corrupt after line ${this.lineNo}: ${err.message}`;
        if (!this.continueOnError) throw new CaptureError(this.file, this.lineNo + 1, reason);
        this.warnings.push(`${reason}; stopped reading there`);
        return undefined;
      }
      throw new CaptureError(this.file, 0, `read failed: ${err.message}`);
    }
  }

  private async readHeader(): Promise<void> {
    const parts: Buffer[] = [];
    let len = 0;
    for (;;) {
      const chunk = await this.nextChunk();
      if (chunk === undefined) {
        if (len === 0) {
          throw new CaptureError(this.file, 0, this.truncatedGzip ? 'gzip data ends before any content' : 'empty file');
        }
        // A header without its newline: the writer was killed right after creating the file.
        this.lineNo = 1;
        this.parseHeader(Buffer.concat(parts, len));
        return;
      }
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        len += chunk.length;
        if (len > this.maxHeader)
          throw new CaptureError(this.file, 1, `header line is longer than ${this.maxHeader} bytes`);
        parts.push(chunk);
        continue;
      }
      if (len + nl > this.maxHeader)
        throw new CaptureError(this.file, 1, `header line is longer than ${this.maxHeader} bytes`);
      parts.push(chunk.subarray(0, nl));
      len += nl;
      this.lineNo = 1;
      this.parseHeader(Buffer.concat(parts, len));
      if (nl + 1 < chunk.length) this.carry = chunk.subarray(nl + 1);
      return;
    }
  }

  private parseHeader(bytes: Buffer): void {
    this.stats.lines = 1;
    let b = bytes;
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3); // BOM
    if (!isUtf8(b)) throw new CaptureError(this.file, 1, 'header is not valid UTF-8 (not a Lantern capture?)');
    let o: unknown;
    try {
      o = safeJsonParse(b.toString('utf8'));
    } catch (e) {
      const msg = (e as Error).message;
      throw new CaptureError(
        this.file,
        1,
        msg.startsWith('forbidden key') ? msg : `not a Lantern capture (line 1 is not JSON: ${msg})`,
      );
    }
    const why = checkHeader(o);
    if (why) throw new CaptureError(this.file, 1, why);
    this.header = o as CaptureHeader;
  }

  private fail(line: number, reason: string): void {
    const err = new CaptureError(this.file, line, reason);
    if (!this.continueOnError) throw err;
    this.stats.skipped++;
    if (this.skippedReasons.length < MAX_REASONS) this.skippedReasons.push(err);
  }

  /** One complete line of text (no newline). Pushes accepted events onto `batch`. */
  private handleLine(line: string, lineNo: number, batch: LanternEvent[]): LineOutcome {
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      this.fail(lineNo, `not valid JSON (${(e as Error).message.slice(0, 120)})`);
      return 'skip';
    }
    if (this.afterTrailer) {
      this.fail(lineNo, 'data after the trailer');
      return 'skip';
    }
    const ev = o as LanternEvent;
    // checkEvent also refuses forbidden keys at any depth (one key walk for both jobs).
    const why = checkEvent(o);
    if (why === undefined) {
      batch.push(ev);
      return 'event';
    }
    const unsafe = unsafeKeyIn(o);
    if (unsafe !== undefined) {
      this.fail(lineNo, unsafe);
      return 'skip';
    }
    if (isObj(o) && o.lantern === 'trailer') {
      const tw = checkTrailer(o);
      if (tw) {
        this.fail(lineNo, tw);
        return 'skip';
      }
      this.trailer = o as unknown as CaptureTrailer;
      this.afterTrailer = true;
      return 'trailer';
    }
    if (isObj(o) && o.lantern === CAPTURE_FORMAT) {
      this.fail(lineNo, 'a second capture header (two captures concatenated?)');
      return 'skip';
    }
    this.fail(lineNo, why);
    return 'skip';
  }

  /** Splits complete-line bytes (no trailing newline) and handles each line. */
  private handleRegion(region: Buffer, firstLineNo: number, batch: LanternEvent[]): void {
    if (isUtf8(region)) {
      const text = region.toString('utf8');
      this.handleText(text, firstLineNo, batch);
      return;
    }
    // Rare: find which lines are bad, keep the good ones.
    let start = 0;
    let lineNo = firstLineNo;
    for (;;) {
      const nl = region.indexOf(10, start);
      const end = nl < 0 ? region.length : nl;
      const bytes = region.subarray(start, end);
      if (isUtf8(bytes)) {
        const t = bytes.toString('utf8');
        this.handleText(t, lineNo, batch);
      } else {
        this.stats.lines++;
        this.fail(lineNo, 'invalid UTF-8');
      }
      if (nl < 0) return;
      start = nl + 1;
      lineNo++;
    }
  }

  /** Hot loop: text holds one or more complete lines separated by \n. */
  private handleText(text: string, firstLineNo: number, batch: LanternEvent[]): void {
    let start = 0;
    let lineNo = firstLineNo;
    const max = this.maxLine;
    const n = text.length;
    for (;;) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = n;
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
      if (end > start) {
        this.stats.lines++;
        // Characters undercount bytes for non-ASCII text: measure bytes only when it could matter.
        if (end - start > max / 3 && Buffer.byteLength(text.slice(start, end)) > max) {
          this.fail(lineNo, `line is longer than ${max} bytes`);
        } else if (this.handleLine(text.slice(start, end), lineNo, batch) === 'event') {
          this.stats.events++;
        }
      }
      if (nl >= n) return;
      start = nl + 1;
      lineNo++;
    }
  }

  /** Takes one decompressed chunk, returns the batch of events it completed. */
  private consume(chunk: Buffer, batch: LanternEvent[]): void {
    let pos = 0;
    // Finish the line in progress (or the over-long line being dropped).
    if (this.discarding || this.pendingLen > 0) {
      const nl = chunk.indexOf(10);
      if (this.discarding) {
        if (nl < 0) {
          this.discardedBytes += chunk.length;
          return;
        }
        this.discarding = false;
        this.lineNo++;
        this.stats.lines++;
        this.fail(
          this.lineNo,
          `line is longer than ${this.maxLine} bytes (${this.discardedBytes + nl} bytes, dropped)`,
        );
        pos = nl + 1;
      } else {
        if (nl < 0) {
          this.appendPending(chunk);
          return;
        }
        if (this.pendingLen + nl > this.maxLine) {
          this.pending = [];
          this.pendingLen = 0;
          this.lineNo++;
          this.stats.lines++;
          this.fail(this.lineNo, `line is longer than ${this.maxLine} bytes`);
        } else {
          this.pending.push(chunk.subarray(0, nl));
          const line = Buffer.concat(this.pending, this.pendingLen + nl);
          this.pending = [];
          this.pendingLen = 0;
          this.lineNo++;
          this.handleRegion(line, this.lineNo, batch);
        }
        pos = nl + 1;
      }
    }
    if (pos >= chunk.length) return;
    const last = chunk.lastIndexOf(10);
    if (last >= pos) {
      const region = chunk.subarray(pos, last);
      const first = this.lineNo + 1;
      // Count the lines in the region so numbering stays exact whatever handleRegion skips.
      let count = 1;
      for (let i = region.indexOf(10); i >= 0; i = region.indexOf(10, i + 1)) count++;
      this.lineNo += count;
      this.handleRegion(region, first, batch);
      pos = last + 1;
    }
    if (pos < chunk.length) this.appendPending(chunk.subarray(pos));
  }

  private appendPending(bytes: Buffer): void {
    if (this.pendingLen + bytes.length > this.maxLine) {
      // Refuse to buffer it: drop what we have and everything up to the next newline.
      this.discarding = true;
      this.discardedBytes = this.pendingLen + bytes.length;
      this.pending = [];
      this.pendingLen = 0;
      return;
    }
    // Copy: a subarray would pin the whole decompressed chunk.
    this.pending.push(Buffer.from(bytes));
    this.pendingLen += bytes.length;
  }

  async *batches(): AsyncGenerator<EventBatch> {
    if (this.used) throw new Error('CaptureReader.batches() can be iterated only once');
    this.used = true;
    try {
      let chunk: Buffer | undefined = this.carry;
      this.carry = undefined;
      if (chunk === undefined) chunk = await this.nextChunk();
      while (chunk !== undefined) {
        const batch = [] as unknown as EventBatch;
        batch.firstIndex = this.stats.events;
        try {
          this.consume(chunk, batch);
        } catch (e) {
          // Strict mode: hand over what came before the bad line, then fail.
          if (batch.length > 0) yield batch;
          throw e;
        }
        if (batch.length > 0) yield batch;
        chunk = await this.nextChunk();
      }
      const tail = [] as unknown as EventBatch;
      tail.firstIndex = this.stats.events;
      this.finish(tail);
      if (tail.length > 0) yield tail;
    } finally {
      await this.close();
    }
  }

  /** End of data: last line without newline, and what the file is missing. */
  private finish(batch: EventBatch): void {
    let cutLine = '';
    if (this.discarding) {
      this.lineNo++;
      this.stats.lines++;
      this.fail(
        this.lineNo,
        `line is longer than ${this.maxLine} bytes (${this.discardedBytes} bytes, dropped, and cut off at the end)`,
      );
    } else if (this.pendingLen > 0) {
      const bytes = Buffer.concat(this.pending, this.pendingLen);
      this.pending = [];
      this.pendingLen = 0;
      this.lineNo++;
      // A plain NDJSON file may simply lack its final newline: keep the line if it is whole.
      let whole = false;
      if (isUtf8(bytes)) {
        try {
          JSON.parse(bytes.toString('utf8'));
          whole = true;
        } catch {
          whole = false;
        }
      }
      if (whole) this.handleRegion(bytes, this.lineNo, batch);
      else cutLine = `the last line (line ${this.lineNo}, ${bytes.length} bytes) was cut off mid-way and is ignored`;
    }
    const read = `${this.stats.events} event${this.stats.events === 1 ? '' : 's'} read`;
    if (this.truncatedGzip) this.warnings.push(`incomplete: the gzip stream ends early (file truncated); ${read}`);
    if (cutLine) this.warnings.push(`incomplete: ${cutLine}; ${read}`);
    if (!this.trailer) {
      this.warnings.push(
        `incomplete: no trailer (the capture was cut off: crash, kill or lost connection); ${read} up to line ${this.lineNo}`,
      );
    } else if (
      this.trailer.events !== this.stats.events + this.stats.skipped &&
      this.trailer.events !== this.stats.events
    ) {
      this.warnings.push(`the trailer says ${this.trailer.events} events but ${this.stats.events} were read`);
    }
    if (this.stats.skipped > 0)
      this.warnings.push(`${this.stats.skipped} bad line${this.stats.skipped === 1 ? '' : 's'} skipped`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((resolve) => {
      if (this.raw.closed || this.raw.destroyed) resolve();
      else this.raw.once('close', () => resolve());
    });
    this.out.destroy();
    this.raw.destroy();
    await done;
  }
}

// ---------------------------------------------------------------------------------------------
// Writer

export interface WriteOptions {
  /** gzip level 1..9 (default 3: as fast as 1 here, about as small as 6 on capture text). */
  level?: number;
  /** Flush to disk on this period while events arrive (live captures). */
  autoFlushMs?: number;
}

/** Strings buffered before they are handed to the compressor in one write. */
const WRITE_BATCH_BYTES = 1 << 16;

export class CaptureWriter {
  private buf: string[] = [];
  private bufLen = 0;
  private events = 0;
  private readonly counts: Partial<Record<EventKind, number>> = Object.create(null);
  private readonly lost: Record<string, number> = Object.create(null);
  private firstTime: number | undefined;
  private lastTime: number | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writeError: Error | undefined;
  /** Serialises flush/close so they never interleave on the file handle. */
  private chain: Promise<void> = Promise.resolve();
  private pendingWrites = 0;
  private fileQueue: Promise<unknown> = Promise.resolve();
  private drainWaiters: (() => void)[] = [];

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly gz: Gzip,
  ) {
    gz.on('data', (chunk: Buffer) => {
      // Writes to the file are queued in order on the handle; errors surface at flush/close.
      this.pendingWrites++;
      if (this.pendingWrites > 64) gz.pause();
      // One write at a time: concurrent FileHandle.write calls without a position may land out
      // of order (Node documents this as unsafe), which interleaved lines under load (H4b fix).
      const write = this.fileQueue.then(() => this.writeAll(chunk));
      this.fileQueue = write.catch(() => undefined);
      write
        .catch((e: Error) => {
          this.writeError ??= e;
        })
        .finally(() => {
          this.pendingWrites--;
          if (this.pendingWrites <= 16) gz.resume();
          if (this.pendingWrites === 0) for (const w of this.drainWaiters.splice(0)) w();
        });
    });
    gz.on('error', (e) => {
      this.writeError ??= e;
    });
  }

  /** write(2) may write less than asked (disk nearly full, signals): finish the chunk. */
  private async writeAll(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off);
      if (bytesWritten <= 0) throw new Error('the disk accepted no bytes');
      off += bytesWritten;
    }
  }

  static async create(path: string, header: CaptureHeader, opts: WriteOptions = {}): Promise<CaptureWriter> {
    const why = checkHeader(header);
    if (why) throw new Error(`refusing to write an invalid header: ${why}`);
    const fh = await open(path, 'w', 0o600);
    const gz = createGzip({ level: opts.level ?? 3, chunkSize: 1 << 16 });
    const w = new CaptureWriter(path, fh, gz);
    w.buf.push(JSON.stringify(header), '\n');
    w.bufLen = 1;
    await w.flush();
    if (opts.autoFlushMs && opts.autoFlushMs > 0) {
      w.timer = setInterval(() => {
        if (w.dirty) void w.flush().catch(() => undefined);
      }, opts.autoFlushMs);
      w.timer.unref();
    }
    return w;
  }

  /** Queues one event. Returns false when the caller should `await drain()` before writing more. */
  write(ev: LanternEvent): boolean {
    if (this.closed) throw new Error(`capture ${this.path} is already closed`);
    if (this.writeError) throw new Error(`writing ${this.path} failed: ${this.writeError.message}`);
    const line = JSON.stringify(ev);
    this.buf.push(line, '\n');
    this.bufLen += line.length + 1;
    this.events++;
    this.dirty = true;
    const k = ev.kind;
    this.counts[k] = (this.counts[k] ?? 0) + 1;
    const t = ev.time;
    if (this.firstTime === undefined || t < this.firstTime) this.firstTime = t;
    if (this.lastTime === undefined || t > this.lastTime) this.lastTime = t;
    if (k === 'agent.lost' && ev.agent?.lost) this.lost[ev.node] = (this.lost[ev.node] ?? 0) + ev.agent.lost;
    if (this.bufLen >= WRITE_BATCH_BYTES) return this.push();
    return true;
  }

  /** Hands the buffered text to the compressor. */
  private push(): boolean {
    if (this.bufLen === 0) return true;
    const text = this.buf.join('');
    this.buf = [];
    this.bufLen = 0;
    return this.gz.write(text);
  }

  /** Resolves when the compressor and the file have caught up. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.writeError) return;
      if (this.pendingWrites > 0) await new Promise<void>((r) => this.drainWaiters.push(r));
      else if (this.gz.writableNeedDrain) await new Promise<void>((r) => this.gz.once('drain', () => r()));
      // Compressed bytes not yet handed to us (the stream was paused): let them flow.
      else if (this.gz.readableLength > 0) await new Promise<void>((r) => setImmediate(r));
      else return;
    }
  }

  /** Everything written so far becomes a decodable prefix of the file, on disk. */
  flush(): Promise<void> {
    const run = async () => {
      if (this.gz.destroyed) return;
      this.dirty = false;
      this.push();
      await new Promise<void>((r) => this.gz.flush(zc.Z_SYNC_FLUSH, () => r()));
      await this.drain();
      if (this.writeError) throw new Error(`writing ${this.path} failed: ${this.writeError.message}`);
      await this.fh.datasync();
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Writes the trailer and closes the file. Returns the trailer written. */
  async close(fields: Partial<Omit<CaptureTrailer, 'lantern'>> = {}): Promise<CaptureTrailer> {
    if (this.closed) throw new Error(`capture ${this.path} is already closed`);
    this.closed = true;
    this.stopTimer();
    const trailer: CaptureTrailer = {
      lantern: 'trailer',
      ended: fields.ended ?? new Date().toISOString(),
      events: fields.events ?? this.events,
      counts: fields.counts ?? { ...this.counts },
      lost: fields.lost ?? { ...this.lost },
      status: fields.status ?? 'complete',
    };
    if (fields.skipped !== undefined) trailer.skipped = fields.skipped;
    const first = fields.firstTime ?? this.firstTime;
    const last = fields.lastTime ?? this.lastTime;
    if (first !== undefined) trailer.firstTime = first;
    if (last !== undefined) trailer.lastTime = last;
    this.buf.push(JSON.stringify(trailer), '\n');
    this.bufLen += 1;
    await this.end();
    return trailer;
  }

  /** Closes without a trailer: the file reads as incomplete (for a capture that failed). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    await this.end().catch(() => undefined);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async end(): Promise<void> {
    const run = async () => {
      try {
        this.push();
        // 'end' (not 'finish'): every compressed byte has been emitted to our 'data' handler.
        await new Promise<void>((resolve, reject) => {
          this.gz.once('error', reject);
          this.gz.once('end', () => resolve());
          this.gz.end();
        });
        await this.drain();
        if (this.writeError) throw new Error(`writing ${this.path} failed: ${this.writeError.message}`);
        await this.fh.datasync();
      } finally {
        await this.fh.close();
      }
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  get eventCount(): number {
    return this.events;
  }
}
