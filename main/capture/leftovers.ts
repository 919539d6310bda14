/**
 * Deleting what we created, confirming it is gone, and finding what earlier sessions left behind.
 * Only objects carrying Lantern's managed-by label are ever touched: the label selector is asked
 * of the server AND checked again here, so a server that ignores selectors cannot make us delete
 * someone else's pod.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Ledger, LedgerEntry, Leftover } from '../common/contract';
import type { ClusterConnection } from '../cluster/connection';
import { describeClusterError } from '../cluster/errors';
import { CAPTURE_LABELS, isLanternPod } from './labels';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PodRef {
  namespace: string;
  name: string;
  uid?: string;
}

/**
 * Delete each pod (precondition on uid when known, so a same-named newer pod is never hit) and
 * poll until the API says 404 or the uid changed. Never throws: failures are in the entries.
 */
export async function deletePodsConfirmed(
  conn: ClusterConnection,
  pods: PodRef[],
  opts: { gracePeriodSeconds?: number; timeoutMs?: number; pollMs?: number } = {},
): Promise<LedgerEntry[]> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const pollMs = opts.pollMs ?? 500;
  return Promise.all(
    pods.map(async (p): Promise<LedgerEntry> => {
      const entry: LedgerEntry = { kind: 'Pod', namespace: p.namespace, name: p.name, created: true, deleted: false };
      try {
        await conn.core.deleteNamespacedPod({
          name: p.name,
          namespace: p.namespace,
          gracePeriodSeconds: opts.gracePeriodSeconds ?? 5,
          ...(p.uid ? { body: { preconditions: { uid: p.uid } } } : {}),
        });
      } catch (err) {
        const e = describeClusterError(err, conn.where({ verb: 'delete', resource: 'pods', namespace: p.namespace }));
        if (e.kind === 'not-found') {
          entry.deleted = true;
          entry.note = 'already gone';
          return entry;
        }
        if (e.kind !== 'conflict') {
          entry.note = e.message;
          // fall through to the wait: it may still go away by its deadline
        } else {
          entry.deleted = true;
          entry.note = 'replaced by a newer pod of the same name (not ours to delete)';
          return entry;
        }
      }
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        try {
          const cur = await conn.core.readNamespacedPod({ name: p.name, namespace: p.namespace });
          if (p.uid && cur.metadata?.uid && cur.metadata.uid !== p.uid) {
            entry.deleted = true;
            break;
          }
        } catch (err) {
          const e = describeClusterError(err, conn.where({ verb: 'get', resource: 'pods', namespace: p.namespace }));
          if (e.kind === 'not-found') {
            entry.deleted = true;
            break;
          }
        }
        await sleep(pollMs);
      }
      if (!entry.deleted)
        entry.note = `${entry.note ? `${entry.note}; ` : ''}still present after ${Math.round(timeoutMs / 1000)} s`;
      return entry;
    }),
  );
}

export function ledgerOf(entries: LedgerEntry[]): Ledger {
  const created = entries.filter((e) => e.created).length;
  const deleted = entries.filter((e) => e.deleted).length;
  const left = entries.filter((e) => !e.deleted);
  const kinds = (n: number) => `${n} pod${n === 1 ? '' : 's'}`;
  const summary =
    entries.length === 0
      ? 'nothing was created, nothing left'
      : left.length === 0
        ? `${kinds(created)} created, ${deleted} deleted, nothing left`
        : `${kinds(created)} created, ${deleted} deleted, ${left.length} NOT confirmed gone: ${left.map((e) => `${e.namespace}/${e.name}`).join(', ')}`;
  return { entries, summary, clean: left.length === 0 };
}

function toLeftover(p: V1Pod): Leftover {
  const meta = p.metadata ?? {};
  const out: Leftover = { kind: 'Pod', namespace: meta.namespace ?? '', name: meta.name ?? '' };
  const session = meta.labels?.[CAPTURE_LABELS.session];
  if (session) out.session = session;
  if (meta.creationTimestamp) out.createdAt = new Date(meta.creationTimestamp as unknown as string).toISOString();
  const exp = meta.annotations?.[CAPTURE_LABELS.expiresAnnotation];
  if (exp) out.expires = exp;
  return out;
}

/**
 * Lantern capture pods present in the cluster (all namespaces when allowed, else `namespace`),
 * excluding the sessions this process is running right now.
 */
export async function findLeftovers(
  conn: ClusterConnection,
  opts: { namespace?: string; excludeSessions?: Iterable<string> } = {},
): Promise<(Leftover & { uid?: string })[]> {
  const selector = `${CAPTURE_LABELS.managedBy}=${CAPTURE_LABELS.managedByValue}`;
  let pods: V1Pod[];
  try {
    pods = (await conn.core.listPodForAllNamespaces({ labelSelector: selector })).items;
  } catch (err) {
    const e = describeClusterError(err, conn.where({ verb: 'list', resource: 'pods' }));
    if (e.kind !== 'forbidden' || !opts.namespace) throw e;
    const ns = opts.namespace;
    pods = await conn.call(
      { verb: 'list', resource: 'pods', namespace: ns },
      async () => (await conn.core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items,
    );
  }
  const exclude = new Set(opts.excludeSessions ?? []);
  return pods
    .filter((p) => isLanternPod(p))
    .filter((p) => !exclude.has(p.metadata?.labels?.[CAPTURE_LABELS.session] ?? ''))
    .map((p) => ({ ...toLeftover(p), ...(p.metadata?.uid ? { uid: p.metadata.uid } : {}) }));
}

/** Remove leftovers (only Lantern-labelled pods) and confirm they are gone. */
export async function cleanLeftovers(
  conn: ClusterConnection,
  opts: { namespace?: string; excludeSessions?: Iterable<string>; timeoutMs?: number } = {},
): Promise<{ found: Leftover[]; ledger: Ledger }> {
  const found = await findLeftovers(conn, opts);
  const entries = await deletePodsConfirmed(
    conn,
    found.map((f) => ({ namespace: f.namespace, name: f.name, ...(f.uid ? { uid: f.uid } : {}) })),
    { gracePeriodSeconds: 0, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) },
  );
  // These were created by an earlier session, not by this call.
  for (const e of entries) e.note = e.note ? `left by an earlier session; ${e.note}` : 'left by an earlier session';
  const ledger = ledgerOf(entries);
  if (entries.length === 0) ledger.summary = 'no leftovers found';
  else ledger.summary = ledger.summary.replace(/created/, 'found');
  return { found: found.map(({ uid: _uid, ...rest }) => rest), ledger };
}
