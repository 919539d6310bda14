/**
 * Test helpers: where the real samples are, and an independent (naive, quadratic, but obviously
 * right) reader of them, so the tests compute expected values from the source without going
 * through the importer's own JSON splitter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// shared/ sits beside the repository (as CI lays it out); LANTERN_SHARED_DATA overrides.
const BESIDE_REPO = fileURLToPath(new URL('../../../../shared/data', import.meta.url));
export const DATA =
  process.env.LANTERN_SHARED_DATA ??
  [BESIDE_REPO, '/work/shared/data'].find((d) => existsSync(join(d, 'SCHEMAS.md'))) ??
  BESIDE_REPO;
export const haveData = existsSync(join(DATA, 'SCHEMAS.md'));
export const sample = (rel: string) => join(DATA, rel);

/** Every top-level JSON value of a sample file (NDJSON, one pretty object, or several). */
export function sourceRecords(rel: string): Record<string, unknown>[] {
  const text = readFileSync(sample(rel), 'utf8');
  const out: Record<string, unknown>[] = [];
  let acc = '';
  for (const line of text.split('\n')) {
    acc += `${line}\n`;
    if (!acc.trim()) {
      acc = '';
      continue;
    }
    try {
      out.push(JSON.parse(acc) as Record<string, unknown>);
      acc = '';
    } catch {
      // not complete yet
    }
  }
  if (acc.trim()) throw new Error(`${rel}: trailing text that is not JSON`);
  return out;
}

export const get = (o: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
