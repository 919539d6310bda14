/**
 * The baselines catalog: every baseline the analyst saved, as a portable file
 * (`<userData>/baselines/<name>.baseline.json`, to copy to a colleague or CI) and an entry in a
 * lowdb catalog (baselines.json: name, file, when, from what, how many workloads). The catalog
 * never holds the profiles themselves: the file is the source of truth, readable and diffable.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseBaseline, serializeBaseline } from '../detect/baseline';
import type { Baseline } from '../detect/types';
import { openJsonStore, type JsonStore } from './db';

export interface BaselineEntry {
  name: string;
  file: string;
  created: string;
  source?: string;
  workloads: number;
  /** The first workload keys, to show what a baseline covers without reading its file. */
  workloadKeys?: string[];
  /** Time span learned (ns). */
  from?: number;
  to?: number;
}

/** How many workload keys a catalog entry keeps. */
export const CATALOG_WORKLOAD_KEYS = 200;

interface CatalogData {
  version: 1;
  baselines: BaselineEntry[];
}

const entrySchema = z.object({
  name: z.string().min(1).max(256),
  file: z.string().min(1).max(4096),
  created: z.string().max(64),
  source: z.string().max(4096).optional(),
  workloads: z.number().int().min(0),
  workloadKeys: z.array(z.string().max(1024)).max(CATALOG_WORKLOAD_KEYS).optional(),
  from: z.number().optional(),
  to: z.number().optional(),
});
const catalogSchema = z.object({ version: z.literal(1), baselines: z.array(entrySchema).max(10_000) });

/**
 * A file name from a baseline name that came from a user or a file: letters, digits, - _ . only.
 * When that changed the name, a short hash of the real name keeps two names ("a b", "a_b") from
 * sharing one file.
 */
export function baselineFileName(name: string): string {
  const safe =
    name
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[._]+/, '')
      .slice(0, 100) || 'baseline';
  const tag = safe === name ? '' : `-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
  return `${safe}${tag}.baseline.json`;
}

function cleanName(s: string): string {
  return s
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, 256);
}

export class BaselineCatalog {
  constructor(
    private readonly db: JsonStore<CatalogData>,
    readonly dir: string,
  ) {}

  list(): BaselineEntry[] {
    return [...this.db.data.baselines].sort((a, b) => (a.created < b.created ? 1 : -1));
  }

  /** Save (or replace, by name) a baseline: portable file first, then the catalog entry. */
  async save(b: Baseline): Promise<BaselineEntry> {
    await mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, baselineFileName(b.name));
    const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
    await writeFile(tmp, serializeBaseline(b));
    await rename(tmp, file);
    const keys = Object.keys(b.workloads).sort();
    const entry: BaselineEntry = {
      name: b.name,
      file,
      created: b.created,
      workloads: keys.length,
      workloadKeys: keys.slice(0, CATALOG_WORKLOAD_KEYS),
    };
    if (b.source) entry.source = b.source;
    if (b.from !== undefined) entry.from = b.from;
    if (b.to !== undefined) entry.to = b.to;
    this.db.data.baselines = this.db.data.baselines.filter((e) => e.name !== b.name);
    this.db.data.baselines.push(entry);
    await this.db.write();
    return entry;
  }

  /** Load by catalog name. Throws in words when unknown or when the file is gone or damaged. */
  async load(name: string): Promise<Baseline> {
    const e = this.db.data.baselines.find((x) => x.name === name);
    if (!e) throw new Error(`no baseline named "${name}" in the catalog (${this.db.file})`);
    let text: string;
    try {
      text = await readFile(e.file, 'utf8');
    } catch (err) {
      throw new Error(`baseline "${name}": its file ${e.file} cannot be read (${(err as Error).message})`);
    }
    return parseBaseline(text, e.file);
  }

  has(name: string): boolean {
    return this.db.data.baselines.some((x) => x.name === name);
  }

  get(name: string): BaselineEntry | undefined {
    return this.db.data.baselines.find((x) => x.name === name);
  }

  /**
   * Import a portable baseline file's text (attacker-controlled): validated in full, saved under
   * `name` or the name it carries. Throws in words when it is not a Lantern baseline.
   */
  async importText(
    text: string,
    fileName: string,
    name?: string,
  ): Promise<{ entry: BaselineEntry; replaced: boolean }> {
    const b = parseBaseline(text, fileName);
    // The catalog's names are what the API accepts: trimmed, no control characters.
    b.name = cleanName(name ?? b.name) || cleanName(fileName.replace(/(\.baseline)?\.json$/i, '')) || 'imported';
    const replaced = this.has(b.name);
    return { entry: await this.save(b), replaced };
  }

  /** The portable file's text of a catalog baseline (re-serialised: what was validated). */
  async exportText(name: string): Promise<{ fileName: string; text: string }> {
    const b = await this.load(name);
    return { fileName: baselineFileName(b.name), text: serializeBaseline(b) };
  }

  async remove(name: string): Promise<boolean> {
    const e = this.db.data.baselines.find((x) => x.name === name);
    if (!e) return false;
    this.db.data.baselines = this.db.data.baselines.filter((x) => x.name !== name);
    await this.db.write();
    // Only delete files we made, inside our own folder.
    if (path.dirname(path.resolve(e.file)) === path.resolve(this.dir)) await rm(e.file, { force: true });
    return true;
  }
}

export async function openBaselines(
  userDataDir: string,
  opts: { warn?: (m: string) => void } = {},
): Promise<BaselineCatalog> {
  const db = await openJsonStore<CatalogData>({
    dir: userDataDir,
    name: 'baselines',
    defaults: { version: 1, baselines: [] },
    validate: (raw) => {
      const r = catalogSchema.safeParse(raw);
      if (!r.success) throw new Error(r.error.issues[0]?.message ?? 'invalid');
      return r.data as CatalogData;
    },
    ...(opts.warn ? { warn: opts.warn } : {}),
  });
  return new BaselineCatalog(db, path.join(userDataDir, 'baselines'));
}
