/**
 * The lowdb base every small JSON store of the app uses (settings, recents, triage notes,
 * baselines catalog): one file in the user-data folder, written atomically, and tolerant of
 * corruption.
 *
 * - Atomic: lowdb's node adapter writes through steno (temp file + rename), so a crash mid-write
 *   leaves the old file or the new one, never half of each.
 * - Corruption-tolerant: a file that does not parse as JSON (or that `validate` rejects) is moved
 *   aside to `<name>.json.corrupt-<time>`, a warning in words is reported, and defaults are used.
 *   The app never crashes on its own state.
 * - Not lowdb's presets: `JSONFilePreset` silently switches to an in-memory adapter when
 *   NODE_ENV=test, which would make tests lie. We construct `Low` with a DataFile ourselves.
 * - One instance per file per process (memoised by absolute path), so two modules opening the same
 *   store do not race each other's writes.
 * - `__proto__`/`constructor`/`prototype` keys are dropped while parsing: the file may have been
 *   edited or planted by someone else.
 */
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';

export interface JsonStoreOptions<T> {
  /** Folder that holds the file (created if missing), usually ctx.userDataDir. */
  dir: string;
  /** Base name without extension, e.g. 'settings' → settings.json. Letters, digits, '-', '_', '.'. */
  name: string;
  /** Used when the file is missing or unusable. Deep-copied; never mutated. */
  defaults: T;
  /**
   * Checks/normalises what was read. Return the data to use, or throw/return undefined when the
   * content is unusable (the file is then treated as corrupt). Default: accept any JSON value.
   */
  validate?: (data: unknown) => T | undefined;
  /** Where warnings in words go. Default: console.warn. */
  warn?: (message: string) => void;
}

export type JsonStore<T> = Low<T> & { readonly file: string };

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const open = new Map<string, Promise<JsonStore<unknown>>>();

/** JSON.parse that drops prototype-polluting keys. */
export function safeJsonParse(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) => (FORBIDDEN_KEYS.has(key) ? undefined : value));
}

class CorruptData extends Error {}

export function openJsonStore<T>(opts: JsonStoreOptions<T>): Promise<JsonStore<T>> {
  if (!SAFE_NAME.test(opts.name)) throw new Error(`Invalid store name ${JSON.stringify(opts.name)}`);
  const file = path.resolve(opts.dir, `${opts.name}.json`);
  let pending = open.get(file);
  if (!pending) {
    pending = load(file, opts as JsonStoreOptions<unknown>);
    open.set(file, pending);
    // a failed open (e.g. unwritable folder) may be retried later
    pending.catch(() => open.delete(file));
  }
  return pending as Promise<JsonStore<T>>;
}

/** Forget memoised stores (tests that reuse a folder after deleting it). */
export function forgetJsonStores(): void {
  open.clear();
}

async function load(file: string, opts: JsonStoreOptions<unknown>): Promise<JsonStore<unknown>> {
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const validate = opts.validate ?? ((d: unknown) => d);
  await mkdir(path.dirname(file), { recursive: true });
  const adapter = new DataFile<unknown>(file, {
    parse: (text) => {
      let raw: unknown;
      try {
        raw = safeJsonParse(text);
      } catch (err) {
        throw new CorruptData(`it is not valid JSON (${(err as Error).message})`);
      }
      let data: unknown;
      try {
        data = validate(raw);
      } catch (err) {
        throw new CorruptData(`its content is not what Lantern expects (${(err as Error).message})`);
      }
      if (data === undefined) throw new CorruptData('its content is not what Lantern expects');
      return data;
    },
    stringify: (data) => `${JSON.stringify(data, null, 2)}\n`,
  });
  const db = new Low<unknown>(adapter, structuredClone(opts.defaults)) as JsonStore<unknown>;
  Object.defineProperty(db, 'file', { value: file, enumerable: true });
  try {
    await db.read();
  } catch (err) {
    if (err instanceof CorruptData) {
      const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        await rename(file, aside);
        warn(`Lantern: ${file} could not be used because ${err.message}. It was moved to ${aside}; using defaults.`);
      } catch (renameErr) {
        warn(
          `Lantern: ${file} could not be used because ${err.message}, and it could not be moved aside ` +
            `(${(renameErr as Error).message}); using defaults.`,
        );
      }
    } else {
      warn(`Lantern: ${file} could not be read (${(err as Error).message}); using defaults.`);
    }
    db.data = structuredClone(opts.defaults);
  }
  return db;
}
