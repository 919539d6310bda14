/**
 * Streaming JSON value splitter for other tools' exports, which come as NDJSON, one
 * pretty-printed object, several pretty-printed objects one after another, or a JSON array of
 * objects. It finds where each top-level value (or each element of a top-level array) ends by
 * tracking string/escape state and bracket depth, so memory is bounded by the largest value, and
 * values longer than `maxValueBytes` are skipped (counted, not buffered) rather than held.
 *
 * Text between values that is not JSON (a log prefix, a stray line) is reported as a skipped
 * line and the splitter resynchronises at the next `{` or `[` at the start of a value.
 * Parsing refuses `__proto__`/`constructor`/`prototype` keys (see safeJsonParse).
 */
import { mayHoldForbiddenKey, safeJsonParse } from '../capture-file';

export type JsonItem = { value: unknown; line: number } | { error: string; line: number };

export interface SplitOptions {
  /** Longest single value kept (characters; default 16 Mi). */
  maxValueChars?: number;
}

const DEFAULT_MAX_VALUE = 16 << 20;

const enum St {
  Between, // outside any value
  InValue, // inside an object/array (depth > 0), not in a string
  InString,
  InStringEscape,
  Garbage, // skipping non-JSON text up to the end of the line
  Scalar, // a bare top-level scalar (number, true, null): skipped up to a delimiter
}

export async function* jsonValues(
  chunks: AsyncIterable<Uint8Array | string>,
  opts: SplitOptions = {},
): AsyncGenerator<JsonItem> {
  const max = opts.maxValueChars ?? DEFAULT_MAX_VALUE;
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  let st = St.Between as St;
  let depth = 0;
  /** Inside a top-level array: its elements are the values. */
  let topArray = false;
  /** Depth at which a value starts (1 inside a top-level array). */
  let base = 0;
  let parts: string[] = [];
  let partLen = 0;
  let tooLong = false;
  let valueLine = 1;
  let line = 1;
  let garbageLine = 0;

  const out: JsonItem[] = [];
  const finishValue = () => {
    if (tooLong) out.push({ error: `value longer than ${max} characters (skipped)`, line: valueLine });
    else {
      const text = parts.join('');
      try {
        out.push({ value: safeJsonParse(text), line: valueLine });
      } catch (e) {
        const msg = (e as Error).message;
        out.push({
          error: msg.startsWith('forbidden key') ? msg : `not valid JSON (${msg.slice(0, 120)})`,
          line: valueLine,
        });
      }
    }
    parts = [];
    partLen = 0;
    tooLong = false;
  };

  const process = (s: string) => {
    // Start of the current value's text within s: 0 when a value continues from the last chunk.
    let start = st === St.InValue || st === St.InString || st === St.InStringEscape ? 0 : -1;
    const keep = (end: number) => {
      if (start < 0) return;
      if (!tooLong) {
        partLen += end - start;
        if (partLen > max) {
          tooLong = true;
          parts = [];
        } else parts.push(s.slice(start, end));
      }
    };
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 10) line++;
      switch (st) {
        case St.Between:
          if (c === 123 && !topArray) {
            // Fast path for NDJSON: a whole line that parses is one value, no char scanning.
            const nl = s.indexOf('\n', i);
            if (nl > i && nl - i <= max) {
              const lineText = s.slice(i, nl);
              let v: unknown;
              let ok = false;
              try {
                v = mayHoldForbiddenKey(lineText) ? safeJsonParse(lineText) : JSON.parse(lineText);
                ok = true;
              } catch {
                // pretty-printed, or bad: the scanner below decides
              }
              if (ok) {
                out.push({ value: v, line });
                line++;
                i = nl;
                break;
              }
            }
          }
          if (c === 123 /* { */ || (c === 91 /* [ */ && (topArray || depth !== 0))) {
            st = St.InValue;
            depth = base + 1;
            start = i;
            valueLine = line;
          } else if (c === 91 && !topArray) {
            // A top-level array: its elements are the events.
            topArray = true;
            base = 1;
          } else if (c === 93 /* ] */ && topArray) {
            topArray = false;
            base = 0;
          } else if (c === 34 /* " */) {
            st = St.Garbage; // a bare string is not an event
            garbageLine = line;
          } else if (c === 44 /* , */ && topArray) {
            // element separator
          } else if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) {
            // whitespace, BOM
          } else if ((c >= 48 && c <= 57) || c === 45 || c === 116 || c === 102 || c === 110) {
            st = St.Scalar;
            garbageLine = line;
          } else {
            st = St.Garbage;
            garbageLine = line;
          }
          break;
        case St.InValue:
          if (c === 34) st = St.InString;
          else if (c === 123 || c === 91) depth++;
          else if (c === 125 || c === 93) {
            depth--;
            if (depth === base) {
              keep(i + 1);
              start = -1;
              finishValue();
              st = St.Between;
            }
          }
          break;
        case St.InString:
          if (c === 92 /* \ */) st = St.InStringEscape;
          else if (c === 34) st = St.InValue;
          break;
        case St.InStringEscape:
          st = St.InString;
          break;
        case St.Garbage:
          if (c === 10) {
            out.push({ error: 'not JSON (skipped text up to the end of the line)', line: garbageLine });
            st = St.Between;
          }
          break;
        case St.Scalar:
          // Inside a top-level array a scalar element ends at , or ]; elsewhere the line goes.
          if (c === 10 || (topArray && (c === 44 || c === 93))) {
            out.push({
              error: 'not JSON, or a bare value that is not an event object (skipped to the end of the line)',
              line: garbageLine,
            });
            st = St.Between;
            if (c === 93 && topArray) {
              topArray = false;
              base = 0;
            }
          }
          break;
      }
    }
    if (start >= 0) keep(s.length);
  };

  for await (const chunk of chunks) {
    process(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    if (out.length) yield* out.splice(0);
  }
  process(decoder.decode());
  if (st === St.InValue || st === St.InString || st === St.InStringEscape) {
    out.push({ error: 'the input ends inside a JSON value (file cut off?)', line: valueLine });
  } else if (st === St.Garbage) {
    out.push({ error: 'not JSON (skipped text up to the end of the input)', line: garbageLine });
  } else if (st === St.Scalar) {
    out.push({
      error: 'not JSON, or a bare value that is not an event object (skipped to the end of the line)',
      line: garbageLine,
    });
  }
  if (out.length) yield* out.splice(0);
}
