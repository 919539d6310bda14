/**
 * What the `capture`, `preflight` and `clean` commands share: flag parsing, exit codes, and the
 * words and progress lines they print. Kept here (not in the commands) so tests can use them.
 *
 * Exit codes (see main/cli/index.ts): 0 ok, 1 failure, 2 usage error, 4 refused by preflight
 * (nothing was created), 5 cluster unreachable / kubeconfig / authentication (401) or authorisation
 * (403) error, 130 stopped by Ctrl-C
 * (after the pods were removed).
 */
import type { CaptureProgress, Ledger, NodeProgress, PreflightResult } from '../common/contract';
import { captureClock } from '../common/capture';
import { ClusterError } from '../cluster/errors';
import { checkLabel } from '../cluster/preflight';

export const EXIT = { ok: 0, failure: 1, usage: 2, refused: 4, cluster: 5, interrupted: 130 } as const;

export class UsageError extends Error {}

/** "90s", "2m", "1h30m", "120" (seconds). */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(h|m|s)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(t))) {
    total += Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
    consumed = re.lastIndex;
  }
  if (consumed !== t.length || total <= 0)
    throw new UsageError(`cannot read the duration "${text}" (use e.g. 90s, 2m, 1h)`);
  return Math.round(total);
}

export function splitList(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const parts = (Array.isArray(v) ? v : [v])
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);
  return parts.length ? parts : undefined;
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof ClusterError) {
    switch (err.kind) {
      case 'refused':
        return EXIT.refused;
      case 'kubeconfig':
      case 'no-context':
      case 'credential-plugin':
      case 'unreachable':
      case 'tls':
      case 'cert-expired':
      case 'unauthorized':
      case 'forbidden':
      case 'too-old':
        return EXIT.cluster;
      default:
        return EXIT.failure;
    }
  }
  return EXIT.failure;
}

export function formatPreflight(r: PreflightResult): string {
  const out: string[] = [];
  out.push(`Preflight for context "${r.context}" (${r.server}): ${r.ok ? 'OK, a capture can run' : 'REFUSED'}`);
  if (r.targetNodes.length) out.push(`  target nodes: ${r.targetNodes.join(', ')}`);
  for (const c of r.checks) {
    const mark = c.allowed ? 'ok  ' : c.optional ? 'warn' : 'MISS';
    out.push(`  [${mark}] ${checkLabel(c)}${!c.allowed && c.reason ? ` — ${c.reason}` : ''}`);
  }
  if (r.podSecurity) out.push(`  [${r.podSecurity.ok ? 'ok  ' : 'MISS'}] Pod Security: ${r.podSecurity.message}`);
  if (r.missing.length) {
    out.push('');
    out.push(`Missing permissions (${r.missing.length}): ${r.missing.map((m) => checkLabel(m)).join('; ')}`);
  }
  if (r.grantYaml) {
    out.push('');
    out.push('# A Role/ClusterRole granting what is missing (review, then: kubectl apply -f -):');
    out.push(r.grantYaml.trimEnd());
  }
  return out.join('\n');
}

function nodeLine(n: NodeProgress): string {
  // A degraded node says what it does not watch, as a failed one says why.
  const state = n.state === 'failed' || n.state === 'degraded' ? `${n.state}: ${n.reason ?? '?'}` : n.state;
  return `${n.node.padEnd(20)} ${state.padEnd(13)} events ${String(n.events).padStart(8)}  ${n.eventsPerSec.toFixed(1).padStart(7)}/s  lost ${n.lost}${n.reconnects ? `  reconnects ${n.reconnects}` : ''}`;
}

/** Live progress on stderr: redrawn in place on a TTY, a line every `everyMs` otherwise. */
export class ProgressPrinter {
  private drawn = 0;
  private lastPrint = 0;
  private lastStates = '';
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly everyMs = 5000,
  ) {}

  update(p: CaptureProgress): void {
    const clock = captureClock(p);
    const header = `capture ${p.sessionId ?? p.captureId}  ${clock}  → ${p.out}`;
    const lines = [header, ...p.nodes.map(nodeLine)];
    if (this.stream.isTTY) {
      if (this.drawn) this.stream.write(`\x1b[${this.drawn}A`);
      for (const l of lines) this.stream.write(`\x1b[2K${l.slice(0, (this.stream.columns || 200) - 1)}\n`);
      this.drawn = lines.length;
      return;
    }
    const states = p.nodes.map((n) => `${n.node}:${n.state}`).join(',');
    const now = Date.now();
    if (!p.done && states === this.lastStates && now - this.lastPrint < this.everyMs) return;
    this.lastStates = states;
    this.lastPrint = now;
    const total = p.nodes.reduce((a, n) => a + n.events, 0);
    const lost = p.nodes.reduce((a, n) => a + n.lost, 0);
    this.stream.write(
      `[${captureClock(p)}] ${total} events, ${lost} lost | ${p.nodes.map((n) => `${n.node} ${n.state}${(n.state === 'failed' || n.state === 'degraded') && n.reason ? ` (${n.reason})` : ''} ${n.events}`).join(' | ')}\n`,
    );
  }
}

export function formatLedger(l: Ledger): string {
  const out = [`Cleanup: ${l.summary}`];
  for (const e of l.entries) {
    out.push(
      `  ${e.deleted ? 'deleted' : 'NOT DELETED'}  ${e.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name}${e.note ? `  (${e.note})` : ''}`,
    );
  }
  return out.join('\n');
}
