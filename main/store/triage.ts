/**
 * Triage: the analyst's verdict on each finding (new / confirmed / benign, with an optional note)
 * and the allow-list that "benign, don't show me this again" adds to. One lowdb file
 * (triage.json) in the user-data folder, on top of main/store/db.ts (atomic, corruption-tolerant).
 *
 * Finding ids are derived from what was seen (rule + pod + executable ...), so a verdict given
 * in one session applies to the same finding when the capture is opened again or re-analysed.
 */
import { z } from 'zod';
import type { TriageStatus } from '../common/findings';
import type { AllowEntry } from '../detect/types';
import { openJsonStore, type JsonStore } from './db';

export interface TriageRecord {
  status: TriageStatus;
  /** ISO time of the verdict. */
  at: string;
  note?: string;
  /** Title of the finding when triaged, so the list makes sense without the capture. */
  title?: string;
}

export interface TriageData {
  version: 1;
  findings: Record<string, TriageRecord>;
  allow: (AllowEntry & { added: string })[];
}

const DEFAULTS: TriageData = { version: 1, findings: {}, allow: [] };

const glob = z.string().max(1024);
const allowSchema = z.object({
  rule: z.string().max(128).optional(),
  namespace: glob.optional(),
  workload: glob.optional(),
  pod: glob.optional(),
  image: glob.optional(),
  exe: z.string().max(4096).optional(),
  reason: z.string().max(1024).optional(),
  added: z.string().max(64),
});
const recordSchema = z.object({
  status: z.enum(['new', 'confirmed', 'benign']),
  at: z.string().max(64),
  note: z.string().max(4096).optional(),
  title: z.string().max(1024).optional(),
});
const dataSchema = z.object({
  version: z.literal(1),
  findings: z.record(z.string().max(512), recordSchema),
  allow: z.array(allowSchema).max(100_000),
});

function validate(raw: unknown): TriageData | undefined {
  const r = dataSchema.safeParse(raw);
  if (!r.success) throw new Error(r.error.issues[0]?.message ?? 'invalid');
  // No prototype on a map keyed by ids from files.
  const findings = Object.create(null) as Record<string, TriageRecord>;
  for (const [k, v] of Object.entries(r.data.findings)) findings[k] = v as TriageRecord;
  return { version: 1, findings, allow: r.data.allow as TriageData['allow'] };
}

export class TriageStore {
  constructor(private readonly db: JsonStore<TriageData>) {}

  get file(): string {
    return this.db.file;
  }

  /** Synchronous, for the detector's `triage` lookup. */
  get(id: string): TriageStatus | undefined {
    return Object.prototype.hasOwnProperty.call(this.db.data.findings, id)
      ? this.db.data.findings[id]!.status
      : undefined;
  }

  /** Every verdict other than "new", as id → status (for a new session's detector). */
  statuses(): Record<string, TriageStatus> {
    const out = Object.create(null) as Record<string, TriageStatus>;
    for (const [id, r] of Object.entries(this.db.data.findings)) out[id] = r.status;
    return out;
  }

  record(id: string): TriageRecord | undefined {
    return Object.prototype.hasOwnProperty.call(this.db.data.findings, id) ? this.db.data.findings[id] : undefined;
  }

  async set(id: string, status: TriageStatus, extra: { note?: string; title?: string } = {}): Promise<TriageRecord> {
    if (!id || id.length > 512) throw new Error('a finding id is 1 to 512 characters');
    const rec: TriageRecord = {
      status,
      at: new Date().toISOString(),
      ...(extra.note ? { note: extra.note } : {}),
      ...(extra.title ? { title: extra.title } : {}),
    };
    // "new" is the default: forgetting the verdict keeps the file small.
    if (status === 'new') delete this.db.data.findings[id];
    else this.db.data.findings[id] = rec;
    await this.db.write();
    return rec;
  }

  allowList(): AllowEntry[] {
    return this.db.data.allow.map(({ added: _added, ...e }) => e);
  }

  /** Adds an allow-list entry unless an identical one exists. Returns whether it was added. */
  async addAllow(entry: AllowEntry): Promise<boolean> {
    const same = (a: AllowEntry) =>
      a.rule === entry.rule &&
      a.namespace === entry.namespace &&
      a.workload === entry.workload &&
      a.pod === entry.pod &&
      a.image === entry.image &&
      a.exe === entry.exe;
    if (this.db.data.allow.some(same)) return false;
    this.db.data.allow.push({ ...entry, added: new Date().toISOString() });
    await this.db.write();
    return true;
  }

  async removeAllow(index: number): Promise<void> {
    if (!Number.isInteger(index) || index < 0 || index >= this.db.data.allow.length)
      throw new Error(`no allow-list entry #${index}`);
    this.db.data.allow.splice(index, 1);
    await this.db.write();
  }
}

export async function openTriage(userDataDir: string, opts: { warn?: (m: string) => void } = {}): Promise<TriageStore> {
  const db = await openJsonStore<TriageData>({
    dir: userDataDir,
    name: 'triage',
    defaults: DEFAULTS,
    validate,
    ...(opts.warn ? { warn: opts.warn } : {}),
  });
  return new TriageStore(db);
}
