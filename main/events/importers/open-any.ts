/**
 * Open a Lantern capture, or, when the file is another tool's export, import it on the fly:
 * what an analyst expects when they drop a Tetragon/IG/Falco/Tracee JSON file on the app.
 *
 *   const { reader, imported } = await openCaptureOrImport(path, opts);
 *   const { reader, imported } = await openCaptureOrImportBuffer(bytes, name, opts);
 *
 * The import goes to a private temp directory that is removed when the reader is closed or its
 * batches() loop ends. A file that is neither a capture nor a recognisable export gets the
 * capture reader's error (it names the file and what is wrong with line 1).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureError, openCapture, openCaptureBuffer, type CaptureReader, type ReadOptions } from '../capture-file';
import { detectTool, importFile, type ImportSummary, type InputSource } from './index';

export interface OpenedCapture {
  reader: CaptureReader;
  /** Set when the input was another tool's export, converted on the fly. */
  imported?: ImportSummary;
}

/** Line-1 reasons that mean "this is not a capture at all" (as opposed to a damaged capture). */
function notACapture(e: unknown): boolean {
  return e instanceof CaptureError && e.line === 1 && /not a Lantern capture|not valid UTF-8/.test(e.reason);
}

async function importAndOpen(src: InputSource, original: CaptureError, opts: ReadOptions): Promise<OpenedCapture> {
  const found = await detectTool(src).catch(() => undefined);
  if (!found) throw original;
  const dir = await mkdtemp(join(tmpdir(), 'lantern-import-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const out = join(dir, 'imported.lantern');
    const imported = await importFile(src, out, { from: found.tool });
    const inner = await openCapture(out, opts);
    const reader: CaptureReader = {
      get file() {
        return typeof src === 'string' ? src : src.name;
      },
      get header() {
        return inner.header;
      },
      get trailer() {
        return inner.trailer;
      },
      get warnings() {
        return inner.warnings;
      },
      get stats() {
        return inner.stats;
      },
      get skippedReasons() {
        return inner.skippedReasons;
      },
      async *batches() {
        try {
          yield* inner.batches();
        } finally {
          await cleanup();
        }
      },
      async close() {
        await inner.close();
        await cleanup();
      },
    };
    return { reader, imported };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

export async function openCaptureOrImport(path: string, opts: ReadOptions = {}): Promise<OpenedCapture> {
  try {
    return { reader: await openCapture(path, opts) };
  } catch (e) {
    if (!notACapture(e)) throw e;
    return importAndOpen(path, e as CaptureError, opts);
  }
}

export async function openCaptureOrImportBuffer(
  buf: Uint8Array,
  name: string,
  opts: ReadOptions = {},
): Promise<OpenedCapture> {
  try {
    return { reader: await openCaptureBuffer(buf, name, opts) };
  } catch (e) {
    if (!notACapture(e)) throw e;
    return importAndOpen({ name, data: buf }, e as CaptureError, opts);
  }
}
