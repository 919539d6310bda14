/**
 * Findings area of the contract: `findings.list` and `findings.triage`. The session's detector
 * runs in its engine worker; verdicts and the allow-list live in the triage store (lowdb, main
 * thread). New sessions get both at open (sessionDetectConfig); for a session already open, the
 * handler overlays later verdicts and allow-list entries on what the worker reports, and
 * publishes 'findings.changed' with the result.
 */
import type { Finding } from '../../common/findings';
import type { SessionDetectConfig } from '../../detect/index';
import type { AllowEntry } from '../../detect/types';
import { openTriage, type TriageStore } from '../../store/triage';
import { sessionManagerFor } from './session';
import { ApiFailure, type HandlerContext, type Handlers } from './types';
import { globToRegExp } from '../../detect/classes';

const stores = new Map<string, Promise<TriageStore>>();

export function triageStoreFor(userDataDir: string): Promise<TriageStore> {
  let s = stores.get(userDataDir);
  if (!s) {
    s = openTriage(userDataDir);
    stores.set(userDataDir, s);
    s.catch(() => stores.delete(userDataDir));
  }
  return s;
}

/** What a new session's detector starts with: every verdict and allow-list entry so far. */
export async function sessionDetectConfig(userDataDir: string): Promise<SessionDetectConfig> {
  const t = await triageStoreFor(userDataDir);
  const statuses = t.statuses();
  return { statuses, allow: t.allowList() };
}

/** The executable a finding is about, from its process evidence id ("proc:<scope>|<exe>"). */
function findingExe(f: Finding): string | undefined {
  const n = f.evidence.nodes.find((k) => k.startsWith('proc:'));
  return n ? n.slice(n.indexOf('|') + 1) : undefined;
}

function allowMatches(a: AllowEntry, f: Finding): boolean {
  if (a.rule && a.rule !== '*' && a.rule !== f.ruleId) return false;
  const ok = (g: string | undefined, v: string | undefined) =>
    g === undefined || (v !== undefined && globToRegExp(g).test(v));
  // Images are not part of a finding: an image-only entry applies from the next session on.
  if (a.image !== undefined) return false;
  return (
    ok(a.namespace, f.pod?.namespace) &&
    ok(a.workload, f.pod?.workload) &&
    ok(a.pod, f.pod?.name) &&
    ok(a.exe, findingExe(f))
  );
}

/** The allow-list entry "benign, and don't show me this again" adds: this rule, this workload. */
export function allowEntryFor(f: Finding): AllowEntry {
  const e: AllowEntry = { rule: f.ruleId, reason: `marked benign: ${f.title}`.slice(0, 1024) };
  if (f.pod) {
    e.namespace = f.pod.namespace;
    if (f.pod.workload) e.workload = f.pod.workload;
    else e.pod = f.pod.name;
  } else {
    const exe = findingExe(f);
    if (exe) e.exe = exe;
  }
  return e;
}

export function overlay(findings: Finding[], t: TriageStore): Finding[] {
  const allow = t.allowList();
  const out: Finding[] = [];
  for (const f of findings) {
    if (allow.some((a) => allowMatches(a, f))) continue;
    const st = t.get(f.id);
    out.push(st && st !== f.status ? { ...f, status: st } : f);
  }
  return out;
}

/** Handlers for the findings area of the contract. */
export function createFindingsHandlers(ctx: HandlerContext): Handlers {
  const sessionFindings = async (sessionId: string): Promise<Finding[]> => {
    const mgr = sessionManagerFor(ctx);
    if (!mgr.has(sessionId)) throw new ApiFailure('not-found', `no open session ${sessionId}`);
    return mgr.get(sessionId).findings();
  };
  return {
    'findings.list': async (req) =>
      overlay(await sessionFindings(req.sessionId), await triageStoreFor(ctx.userDataDir)),
    'findings.triage': async (req) => {
      const t = await triageStoreFor(ctx.userDataDir);
      const all = await sessionFindings(req.sessionId);
      const f = all.find((x) => x.id === req.id);
      if (!f) throw new ApiFailure('not-found', `no finding ${req.id} in session ${req.sessionId}`);
      if (req.allowList && req.status !== 'benign')
        throw new ApiFailure('invalid-request', 'only a benign verdict can add an allow-list entry');
      await t.set(f.id, req.status, { title: f.title });
      if (req.allowList) await t.addAllow(allowEntryFor(f));
      ctx.publish('findings.changed', { sessionId: req.sessionId, findings: overlay(all, t) });
      return { ...f, status: req.status };
    },
  };
}
