/**
 * Application settings and the recent-items list, each its own small lowdb file in the user-data
 * folder (settings.json, recents.json) on top of main/store/db.ts (atomic, corruption-tolerant).
 * Session code records opened captures with `addRecentCapture`, cluster code with `addRecentCluster`.
 */
import type { RecentItems, Settings } from '../common/contract';
import { openJsonStore, type JsonStore } from './db';

export const DEFAULT_SETTINGS: Settings = { theme: 'dark', kubeconfigPath: null, lastContext: null };
const MAX_RECENTS = 20;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function strOrNull(v: unknown, max: number): string | null | undefined {
  if (v === null) return null;
  if (typeof v === 'string' && v.length <= max) return v;
  return undefined;
}

/** Keeps known fields with the right types; a wrong field falls back to its default, unknown fields are dropped. */
export function normaliseSettings(raw: unknown): Settings | undefined {
  if (!isRecord(raw)) return undefined;
  return {
    theme: raw.theme === 'light' || raw.theme === 'dark' ? raw.theme : DEFAULT_SETTINGS.theme,
    kubeconfigPath: strOrNull(raw.kubeconfigPath, 4096) ?? DEFAULT_SETTINGS.kubeconfigPath,
    lastContext: strOrNull(raw.lastContext, 512) ?? DEFAULT_SETTINGS.lastContext,
  };
}

export interface StoreOptions {
  warn?: (message: string) => void;
}

export function openSettings(userDataDir: string, opts: StoreOptions = {}): Promise<JsonStore<Settings>> {
  return openJsonStore<Settings>({
    dir: userDataDir,
    name: 'settings',
    defaults: DEFAULT_SETTINGS,
    validate: normaliseSettings,
    ...opts,
  });
}

export async function getSettings(userDataDir: string, opts: StoreOptions = {}): Promise<Settings> {
  const db = await openSettings(userDataDir, opts);
  return structuredClone(db.data);
}

export async function updateSettings(
  userDataDir: string,
  patch: Partial<Settings>,
  opts: StoreOptions = {},
): Promise<Settings> {
  const db = await openSettings(userDataDir, opts);
  const next = normaliseSettings({ ...db.data, ...stripUndefined(patch) }) ?? DEFAULT_SETTINGS;
  db.data = next;
  await db.write();
  return structuredClone(next);
}

const EMPTY_RECENTS: RecentItems = { captures: [], clusters: [] };

export function normaliseRecents(raw: unknown): RecentItems | undefined {
  if (!isRecord(raw)) return undefined;
  const captures = Array.isArray(raw.captures) ? raw.captures : [];
  const clusters = Array.isArray(raw.clusters) ? raw.clusters : [];
  return {
    captures: captures
      .filter(
        (c): c is RecentItems['captures'][number] =>
          isRecord(c) && typeof c.path === 'string' && typeof c.name === 'string' && typeof c.openedAt === 'string',
      )
      .map((c) => ({
        path: c.path,
        name: c.name,
        openedAt: c.openedAt,
        ...(typeof c.events === 'number' ? { events: c.events } : {}),
      }))
      .slice(0, MAX_RECENTS),
    clusters: clusters
      .filter(
        (c): c is RecentItems['clusters'][number] =>
          isRecord(c) && typeof c.context === 'string' && typeof c.usedAt === 'string',
      )
      .map((c) => ({
        context: c.context,
        usedAt: c.usedAt,
        ...(typeof c.server === 'string' ? { server: c.server } : {}),
      }))
      .slice(0, MAX_RECENTS),
  };
}

export function openRecents(userDataDir: string, opts: StoreOptions = {}): Promise<JsonStore<RecentItems>> {
  return openJsonStore<RecentItems>({
    dir: userDataDir,
    name: 'recents',
    defaults: EMPTY_RECENTS,
    validate: normaliseRecents,
    ...opts,
  });
}

export async function listRecents(userDataDir: string): Promise<RecentItems> {
  return structuredClone((await openRecents(userDataDir)).data);
}

/** Records an opened capture file at the top of the list (deduplicated by path). */
export async function addRecentCapture(
  userDataDir: string,
  item: { path: string; name: string; events?: number },
): Promise<void> {
  const db = await openRecents(userDataDir);
  const entry = { ...item, openedAt: new Date().toISOString() };
  db.data.captures = [entry, ...db.data.captures.filter((c) => c.path !== item.path)].slice(0, MAX_RECENTS);
  await db.write();
}

/** Records a used kube context at the top of the list (deduplicated by context name). */
export async function addRecentCluster(userDataDir: string, item: { context: string; server?: string }): Promise<void> {
  const db = await openRecents(userDataDir);
  const entry = { ...item, usedAt: new Date().toISOString() };
  db.data.clusters = [entry, ...db.data.clusters.filter((c) => c.context !== item.context)].slice(0, MAX_RECENTS);
  await db.write();
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
