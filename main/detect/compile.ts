/**
 * Compiles a rule pack once into plain predicate functions: per event, a rule is a few getter
 * calls and comparisons, with no parsing, lookup by name or closure allocation.
 */
import { formatValue, getter, type EvalCtx, type Getter } from './fields';
import { globToRegExp, parseDurationNs } from './classes';
import type { AllowEntry, Condition, Matcher, RuleDef, RulePack } from './types';
import type { Severity } from '../common/graph';

export type Pred = (c: EvalCtx) => boolean;

export class RuleError extends Error {}

type Lists = Record<string, (string | number)[]>;

function resolveList(v: unknown, lists: Lists, where: string): (string | number)[] {
  if (typeof v === 'string' && v.startsWith('$')) {
    const l = lists[v.slice(1)];
    if (!l) throw new RuleError(`${where}: unknown list "${v}"`);
    return l;
  }
  if (Array.isArray(v)) {
    const out: (string | number)[] = [];
    for (const x of v) {
      if (typeof x === 'string' && x.startsWith('$')) out.push(...resolveList(x, lists, where));
      else out.push(x as string | number);
    }
    return out;
  }
  return [v as string | number];
}

function strings(v: string | string[] | undefined, lists: Lists, where: string): string[] {
  if (v === undefined) return [];
  return resolveList(v, lists, where).map(String);
}

/** A test on one value (a field that yields an array matches when any element does). */
function compileValueTest(m: Matcher, lists: Lists, where: string): (v: unknown) => boolean {
  if (m === null || m === undefined) throw new RuleError(`${where}: empty matcher`);
  if (typeof m !== 'object' || Array.isArray(m)) {
    if (Array.isArray(m) || (typeof m === 'string' && m.startsWith('$'))) {
      const set = new Set<unknown>(resolveList(m, lists, where));
      return (v) => set.has(v);
    }
    return (v) => v === m;
  }
  const tests: ((v: unknown) => boolean)[] = [];
  for (const [op, arg] of Object.entries(m)) {
    switch (op) {
      case 'eq':
        tests.push((v) => v === arg);
        break;
      case 'ne':
        tests.push((v) => v !== arg);
        break;
      case 'in': {
        const set = new Set<unknown>(resolveList(arg, lists, where));
        tests.push((v) => set.has(v));
        break;
      }
      case 'notIn': {
        const set = new Set<unknown>(resolveList(arg, lists, where));
        tests.push((v) => !set.has(v));
        break;
      }
      case 'glob': {
        const res = strings(arg as string | string[], lists, where).map(globToRegExp);
        tests.push((v) => typeof v === 'string' && res.some((r) => r.test(v)));
        break;
      }
      case 'prefix': {
        const ps = strings(arg as string | string[], lists, where);
        tests.push((v) => typeof v === 'string' && ps.some((p) => v.startsWith(p)));
        break;
      }
      case 'suffix': {
        const ps = strings(arg as string | string[], lists, where);
        tests.push((v) => typeof v === 'string' && ps.some((p) => v.endsWith(p)));
        break;
      }
      case 'contains': {
        const ps = strings(arg as string | string[], lists, where);
        tests.push((v) => typeof v === 'string' && ps.some((p) => v.includes(p)));
        break;
      }
      case 'regex': {
        let re: RegExp;
        // `(?i)` at the start (as in Falco/Sigma rules) means case-insensitive.
        let src = String(arg);
        let flags = '';
        if (src.startsWith('(?i)')) {
          src = src.slice(4);
          flags = 'i';
        }
        try {
          re = new RegExp(src, flags);
        } catch (e) {
          throw new RuleError(`${where}: bad regex ${JSON.stringify(arg)}: ${(e as Error).message}`);
        }
        tests.push((v) => typeof v === 'string' && re.test(v));
        break;
      }
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const n = Number(arg);
        if (!Number.isFinite(n)) throw new RuleError(`${where}: ${op} needs a number`);
        tests.push(
          op === 'gt'
            ? (v) => typeof v === 'number' && v > n
            : op === 'gte'
              ? (v) => typeof v === 'number' && v >= n
              : op === 'lt'
                ? (v) => typeof v === 'number' && v < n
                : (v) => typeof v === 'number' && v <= n,
        );
        break;
      }
      case 'exists':
        tests.push(
          arg ? (v) => v !== undefined && v !== null && v !== '' : (v) => v === undefined || v === null || v === '',
        );
        break;
      case 'not': {
        const inner = compileValueTest(arg as Matcher, lists, where);
        tests.push((v) => !inner(v));
        break;
      }
      default:
        throw new RuleError(`${where}: unknown operator "${op}"`);
    }
  }
  if (tests.length === 1) return tests[0]!;
  return (v) => {
    for (const t of tests) if (!t(v)) return false;
    return true;
  };
}

function isNegating(m: Matcher): boolean {
  return (
    typeof m === 'object' &&
    m !== null &&
    !Array.isArray(m) &&
    ('not' in m || 'ne' in m || 'notIn' in m || m.exists === false)
  );
}

function compileField(field: string, m: Matcher, lists: Lists, where: string): Pred {
  const g = getter(field);
  if (!g) throw new RuleError(`${where}: unknown field "${field}"`);
  const test = compileValueTest(m, lists, `${where}.${field}`);
  // A negating matcher over an array field means "no element matches"; otherwise "any element".
  const negating = isNegating(m);
  return (c) => {
    const v = g(c);
    if (Array.isArray(v)) {
      if (negating) {
        for (const x of v) if (!test(x)) return false;
        return true;
      }
      for (const x of v) if (test(x)) return true;
      return false;
    }
    return test(v);
  };
}

export function compileCondition(cond: Condition, lists: Lists, where: string): Pred {
  if (cond === null || typeof cond !== 'object' || Array.isArray(cond))
    throw new RuleError(`${where}: a condition must be a map`);
  const parts: Pred[] = [];
  for (const [k, v] of Object.entries(cond)) {
    if (v === undefined) continue;
    if (k === 'any') {
      if (!Array.isArray(v)) throw new RuleError(`${where}: any must be a list`);
      const subs = (v as Condition[]).map((s, i) => compileCondition(s, lists, `${where}.any[${i}]`));
      parts.push((c) => {
        for (const s of subs) if (s(c)) return true;
        return false;
      });
    } else if (k === 'all') {
      if (!Array.isArray(v)) throw new RuleError(`${where}: all must be a list`);
      const subs = (v as Condition[]).map((s, i) => compileCondition(s, lists, `${where}.all[${i}]`));
      parts.push((c) => {
        for (const s of subs) if (!s(c)) return false;
        return true;
      });
    } else if (k === 'not') {
      const sub = compileCondition(v as Condition, lists, `${where}.not`);
      parts.push((c) => !sub(c));
    } else {
      parts.push(compileField(k, v as Matcher, lists, where));
    }
  }
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0]!;
  return (c) => {
    for (const p of parts) if (!p(c)) return false;
    return true;
  };
}

/** Explanation template: "{exe} in {where}" → a function over the context. Unknown fields fail at load. */
export function compileTemplate(tpl: string, where: string): (c: EvalCtx) => string {
  const pieces: (string | Getter)[] = [];
  let last = 0;
  for (const m of tpl.matchAll(/\{([a-zA-Z0-9_.:-]+)\}/g)) {
    pieces.push(tpl.slice(last, m.index));
    if (m[1] === 'count' || m[1] === 'window') continue; // filled in by the engine for thresholds
    const g = getter(m[1]!);
    if (!g) throw new RuleError(`${where}: explanation names unknown field "{${m[1]}}"`);
    pieces.push(g);
    last = m.index! + m[0].length;
  }
  pieces.push(tpl.slice(last));
  return (c) => {
    let s = '';
    for (const p of pieces) s += typeof p === 'string' ? p : formatValue(p(c));
    return s;
  };
}

export interface AllowMatcher {
  rule: string;
  test: (
    ns: string | undefined,
    workload: string | undefined,
    pod: string | undefined,
    image: string | undefined,
    exe: string | undefined,
  ) => boolean;
  entry: AllowEntry;
}

export function compileAllow(e: AllowEntry, rule?: string): AllowMatcher {
  const mk = (g: string | undefined) => (g === undefined ? undefined : globToRegExp(g));
  const ns = mk(e.namespace);
  const wl = mk(e.workload);
  const pod = mk(e.pod);
  const img = mk(e.image);
  const exe = mk(e.exe);
  const ok = (re: RegExp | undefined, v: string | undefined) => re === undefined || (v !== undefined && re.test(v));
  return {
    rule: rule ?? e.rule ?? '*',
    entry: e,
    test: (n, w, p, i, x) => ok(ns, n) && ok(wl, w) && ok(pod, p) && ok(img, i) && ok(exe, x),
  };
}

/** Fields a rule can be indexed on: when its top-level condition pins one to literal values. */
export const GUARD_FIELDS = ['file.class', 'exe.base', 'dest.class'] as const;
export type GuardField = (typeof GUARD_FIELDS)[number];

function literalSet(m: unknown, lists: Lists, where: string): Set<string | number> | undefined {
  if (typeof m === 'string' || typeof m === 'number') {
    if (typeof m === 'string' && m.startsWith('$')) return new Set(resolveList(m, lists, where));
    return new Set([m]);
  }
  if (Array.isArray(m)) return new Set(resolveList(m, lists, where));
  if (m && typeof m === 'object' && !Array.isArray(m)) {
    const keys = Object.keys(m);
    if (keys.length === 1 && keys[0] === 'in') return new Set(resolveList((m as { in: unknown }).in, lists, where));
    if (
      keys.length === 1 &&
      keys[0] === 'eq' &&
      (typeof (m as { eq: unknown }).eq === 'string' || typeof (m as { eq: unknown }).eq === 'number')
    )
      return new Set([(m as { eq: string | number }).eq]);
  }
  return undefined;
}

export interface CompiledRule {
  def: RuleDef;
  id: string;
  severity: Severity;
  kinds: string[];
  pred: Pred;
  explain: (c: EvalCtx) => string;
  group: Getter[];
  groupNames: string[];
  allow: AllowMatcher[];
  threshold?: {
    withinNs: number;
    by: 'process' | 'pod' | 'node' | 'workload';
    distinct?: Getter;
    distinctName?: string;
    atLeast: number;
  };
  /** The rule can only match when this field has one of these values (index, not semantics). */
  guard?: { field: GuardField; values: Set<string | number> };
  /** Position in the pack (windows and per-process state are keyed by it). */
  index: number;
}

export function compilePack(pack: RulePack): CompiledRule[] {
  const lists = pack.lists ?? {};
  const out: CompiledRule[] = [];
  for (const def of pack.rules) {
    if (def.enabled === false) continue;
    const where = `rule ${def.id}`;
    const groupNames = def.group ?? ['pod', 'exe'];
    const group = groupNames.map((f) => {
      const g = getter(f);
      if (!g) throw new RuleError(`${where}: group names unknown field "${f}"`);
      return g;
    });
    let threshold: CompiledRule['threshold'];
    if (def.threshold) {
      const t = def.threshold;
      const distinct = t.distinct ? getter(t.distinct) : undefined;
      if (t.distinct && !distinct) throw new RuleError(`${where}: threshold counts unknown field "${t.distinct}"`);
      let withinNs: number;
      try {
        withinNs = parseDurationNs(t.within);
      } catch (e) {
        throw new RuleError(`${where}: ${(e as Error).message}`);
      }
      threshold = {
        withinNs,
        by: t.by,
        ...(distinct ? { distinct, distinctName: t.distinct } : {}),
        atLeast: t.atLeast,
      };
    }
    let guard: CompiledRule['guard'];
    for (const gf of GUARD_FIELDS) {
      const vals = def.when[gf] === undefined ? undefined : literalSet(def.when[gf], lists, where);
      if (vals) {
        guard = { field: gf, values: vals };
        break;
      }
    }
    out.push({
      index: out.length,
      ...(guard ? { guard } : {}),
      def,
      id: def.id,
      severity: def.severity,
      kinds: def.events,
      pred: compileCondition(def.when, lists, where),
      explain: compileTemplate(def.explain, where),
      group,
      groupNames,
      allow: (def.allow ?? []).map((a) => compileAllow(a, def.id)),
      ...(threshold ? { threshold } : {}),
    });
  }
  return out;
}
