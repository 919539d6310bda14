/**
 * Baselines area of the contract (issue 7 in the app): learn a per-workload profile from an open
 * session, keep it as a portable file listed in the lowdb catalog (main/store/baselines.ts),
 * import one from a colleague or CI, hand one over (save dialog or download), delete one, and
 * hunt a session against one (`session.setBaseline`: detection re-runs in the session's worker).
 */
import { writeFile } from 'node:fs/promises';
import type { BaselineFile, BaselineInfo } from '../../common/contract';
import type { SessionDetectConfig } from '../../detect/index';
import type { Baseline } from '../../detect/types';
import { baselineFileName, openBaselines, type BaselineCatalog, type BaselineEntry } from '../../store/baselines';
import { serializeBaseline } from '../../detect/baseline';
import { overlay, sessionDetectConfig, triageStoreFor } from './findings';
import { sessionManagerFor, wrap } from './session';
import { ApiFailure, type HandlerContext, type Handlers } from './types';

const catalogs = new Map<string, Promise<BaselineCatalog>>();

export function baselineCatalogFor(userDataDir: string): Promise<BaselineCatalog> {
  let c = catalogs.get(userDataDir);
  if (!c) {
    c = openBaselines(userDataDir, { warn: (m) => console.warn(`Lantern: ${m}`) });
    catalogs.set(userDataDir, c);
    c.catch(() => catalogs.delete(userDataDir));
  }
  return c;
}

/** Tests: forget cached catalogs (with forgetJsonStores, a "restart"). */
export function forgetBaselineCatalogs(): void {
  catalogs.clear();
}

export function baselineInfo(e: BaselineEntry): BaselineInfo {
  const info: BaselineInfo = {
    name: e.name,
    created: e.created,
    workloads: e.workloads,
    workloadKeys: e.workloadKeys ?? [],
    file: e.file,
  };
  if (e.source !== undefined) info.source = e.source;
  if (e.from !== undefined) info.from = e.from;
  if (e.to !== undefined) info.to = e.to;
  return info;
}

/** Load a catalog baseline; unknown names and damaged files are errors in words. */
export async function loadCatalogBaseline(userDataDir: string, name: string): Promise<Baseline> {
  const cat = await baselineCatalogFor(userDataDir);
  if (!cat.has(name)) throw new ApiFailure('not-found', `There is no baseline named "${name}" in the catalog.`);
  try {
    return await cat.load(name);
  } catch (e) {
    throw new ApiFailure('bad-input', (e as Error).message);
  }
}

/** The portable file for the analyst: through the save dialog (Electron), else its text to download. */
async function handOver(ctx: HandlerContext, b: Baseline): Promise<BaselineFile> {
  const fileName = baselineFileName(b.name);
  const text = serializeBaseline(b);
  if (!ctx.showSaveDialog) return { download: { fileName, mime: 'application/json', data: text } };
  const to = await ctx.showSaveDialog({ title: `Save baseline "${b.name}"`, defaultName: fileName });
  if (!to) return {};
  try {
    await writeFile(to, text);
  } catch (e) {
    throw new ApiFailure('bad-input', `The baseline could not be written to ${to}: ${(e as Error).message}`);
  }
  return { savedTo: to };
}

export function createBaselineHandlers(ctx: HandlerContext): Handlers {
  const catalog = () => baselineCatalogFor(ctx.userDataDir);
  return {
    'baseline.list': async () => (await catalog()).list().map(baselineInfo),

    'baseline.learn': (req) =>
      wrap(async () => {
        const learned = await sessionManagerFor(ctx).get(req.sessionId).learnBaseline(req.name);
        const cat = await catalog();
        const replaced = cat.has(req.name);
        const entry = await cat.save(learned);
        const out: { baseline: BaselineInfo; replaced: boolean; file?: BaselineFile } = {
          baseline: baselineInfo(entry),
          replaced,
        };
        if (req.exportFile) out.file = await handOver(ctx, learned);
        return out;
      }),

    'baseline.import': async (req) => {
      const cat = await catalog();
      try {
        const { entry, replaced } = await cat.importText(req.text, req.fileName, req.name);
        return { baseline: baselineInfo(entry), replaced };
      } catch (e) {
        throw new ApiFailure('bad-input', (e as Error).message);
      }
    },

    'baseline.export': async (req) => handOver(ctx, await loadCatalogBaseline(ctx.userDataDir, req.name)),

    'baseline.delete': async (req) => ({ deleted: await (await catalog()).remove(req.name) }),

    'session.setBaseline': (req) =>
      wrap(async () => {
        const client = sessionManagerFor(ctx).get(req.sessionId);
        // Fresh verdicts and allow-list, as a new session would get them; then the baseline.
        const cfg: SessionDetectConfig = { ...(await sessionDetectConfig(ctx.userDataDir)) };
        if (req.name !== null) cfg.baseline = await loadCatalogBaseline(ctx.userDataDir, req.name);
        const info = await client.setDetectConfig(cfg);
        const findings = overlay(await client.findings(), await triageStoreFor(ctx.userDataDir));
        ctx.publish('findings.changed', { sessionId: req.sessionId, findings });
        return { info, findings };
      }),
  };
}
