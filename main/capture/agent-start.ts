/**
 * What a node's agent says about its own coverage when it starts: which probes are attached and
 * which are not (and why, in words). A node counts as watched only from that report on; until
 * then it is "starting", however many lines (snapshot, cgroups) have already arrived.
 *
 * Read from the agent's own `status` line (native/README.md, "Output"), not from the parsed
 * event: the parser keeps only a message in words, and the capture needs the lists.
 */

export interface ProbeFailure {
  /** A probe folder (exec, net, file, priv) or, where the agent names one, a kernel tracepoint. */
  probe: string;
  /** Why it is not attached, in words. */
  reason: string;
}

export interface AgentStartReport {
  /** Probes the agent reports attached. */
  attached: string[];
  /** Probes (or tracepoints) not attached, each with its reason. */
  failed: ProbeFailure[];
  /** Set when the node is watched only in part: what is not seen, in words. */
  degraded?: string;
}

export type AgentStatusLine =
  { phase: 'start'; report: AgentStartReport } | { phase: 'error'; message: string } | { phase: 'other' };

/** Status lines are small; anything bigger is not one the agent wrote. */
const MAX_STATUS_CHARS = 256 * 1024;
const MAX_LIST = 256;
const STATUS_TYPE = /^\s*\{\s*"seq"\s*:\s*\d{1,15}\s*,\s*"type"\s*:\s*"status"/;

function words(v: unknown, max = 300): string {
  if (typeof v !== 'string') return '';
  // Agent text is attacker-influenced (a node's kernel can be anything): no control characters.
  return v.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, max);
}

function names(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const x of v.slice(0, MAX_LIST)) {
    const s = words(x, 128).trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Kernel module syscalls, which the agent can watch through raw_syscalls instead. */
const MODULE_TRACEPOINT = /(^|:)sys_(enter|exit)_(init|finit|delete)_module$/;

/**
 * The coverage report of a `status` line's data (phase "start"). Understands what the agent
 * writes today — `probes` (asked for), `missing` (tracepoints this kernel lacks, left out of the
 * program), `modules` (how module loads are watched) — and, when an agent sends them, explicit
 * `attached` / `failed` lists.
 */
export function startReportOf(data: Record<string, unknown>): AgentStartReport {
  const failed: ProbeFailure[] = [];
  if (Array.isArray(data.failed)) {
    for (const f of data.failed.slice(0, MAX_LIST)) {
      if (typeof f === 'string') {
        const probe = words(f, 128).trim();
        if (probe) failed.push({ probe, reason: 'did not attach' });
      } else if (f && typeof f === 'object') {
        const o = f as Record<string, unknown>;
        const probe = words(o.probe ?? o.name ?? o.tracepoint, 128).trim();
        if (probe) failed.push({ probe, reason: words(o.reason ?? o.error ?? o.message) || 'did not attach' });
      }
    }
  }
  const modules = data.modules;
  // Missing module tracepoints are covered when the agent watches module loads another way.
  const modulesCovered = modules === 'raw_syscalls' || modules === 'tracepoints';
  for (const tp of names(data.missing)) {
    if ((modulesCovered || (modules === 'none' && data.moduleSyscalls === 'absent')) && MODULE_TRACEPOINT.test(tp))
      continue;
    if (failed.some((f) => f.probe === tp)) continue;
    failed.push({ probe: tp, reason: 'tracepoint missing on this kernel' });
  }
  // A kernel without module support cannot load one: not watching its (failing) attempts is a choice, not a gap.
  const noModuleSupport = modules === 'none' && data.moduleSyscalls === 'absent';
  for (let i = failed.length - 1; i >= 0; i--)
    if (noModuleSupport && MODULE_TRACEPOINT.test(failed[i]!.probe)) failed.splice(i, 1);
  if (
    modules === 'none' &&
    !noModuleSupport &&
    names(data.probes).includes('priv') &&
    !failed.some((f) => /module/.test(f.probe))
  )
    failed.push({ probe: 'kernel modules', reason: 'module loads are not watched on this kernel' });
  const failedNames = new Set(failed.map((f) => f.probe));
  const attached = (Array.isArray(data.attached) ? names(data.attached) : names(data.probes)).filter(
    (p) => !failedNames.has(p),
  );
  const report: AgentStartReport = { attached, failed };
  if (failed.length) {
    const list = failed.map((f) => `${f.probe} (${f.reason})`).join(', ');
    report.degraded = attached.length
      ? `watched in part: ${list}; attached: ${attached.join(', ')}`
      : `no probe attached: ${list}`;
  } else if (!attached.length) {
    report.degraded = 'the agent reported no attached probe';
  }
  return report;
}

/** A raw agent line that is a `status` line, read for the capture's state; undefined otherwise. */
export function agentStatusLine(text: string): AgentStatusLine | undefined {
  if (text.length > MAX_STATUS_CHARS || !STATUS_TYPE.test(text)) return undefined;
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch {
    return undefined;
  }
  const data = (rec as { data?: unknown }).data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { phase: 'other' };
  const d = data as Record<string, unknown>;
  if (d.phase === 'start') return { phase: 'start', report: startReportOf(d) };
  if (d.phase === 'error')
    return { phase: 'error', message: `the agent could not start: ${words(d.message) || 'no reason given'}` };
  return { phase: 'other' };
}
