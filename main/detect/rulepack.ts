/**
 * Rule packs as data: parse (YAML or JSON), validate, compile-check. A user's rule file is
 * attacker-adjacent input too (it may come from a colleague): every problem is an error naming
 * the file, the rule and what is wrong, never a crash.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { compilePack, RuleError } from './compile';
import type { RulePack } from './types';

const severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);
const allowEntry = z.strictObject({
  rule: z.string().max(128).optional(),
  namespace: z.string().max(253).optional(),
  workload: z.string().max(253).optional(),
  pod: z.string().max(253).optional(),
  image: z.string().max(1024).optional(),
  exe: z.string().max(4096).optional(),
  reason: z.string().max(1024).optional(),
});
const ruleSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'ids are letters, digits, . _ - (e.g. LNT-001)'),
  title: z.string().min(1).max(200),
  severity,
  technique: z.string().regex(/^T\d{4}(?:\.\d{3})?$/, 'a MITRE ATT&CK technique id such as T1059.004'),
  description: z.string().min(1).max(4000),
  events: z.array(z.string().max(32)).min(1).max(20),
  when: z.record(z.string(), z.unknown()),
  threshold: z
    .strictObject({
      within: z.union([z.string().max(16), z.number().positive()]),
      by: z.enum(['process', 'pod', 'node', 'workload']),
      distinct: z.string().max(64).optional(),
      atLeast: z.number().int().min(1).max(1_000_000),
    })
    .optional(),
  explain: z.string().min(1).max(2000),
  group: z.array(z.string().max(64)).max(8).optional(),
  allow: z.array(allowEntry).max(1000).optional(),
  enabled: z.boolean().optional(),
  tags: z.array(z.string().max(64)).max(32).optional(),
});
const packSchema = z.strictObject({
  format: z.literal('lantern-rules'),
  version: z.number().int().min(1),
  name: z.string().min(1).max(128),
  description: z.string().max(4000).optional(),
  lists: z.record(z.string().max(64), z.array(z.union([z.string().max(4096), z.number()])).max(10_000)).optional(),
  rules: z.array(ruleSchema).max(10_000),
});

export const ALLOW_ENTRY_SCHEMA = allowEntry;

/** Parse a rule pack's text (YAML, which includes JSON). Validates and compiles every rule. */
export function parseRulePack(text: string, fileName = 'rules'): RulePack {
  if (text.length > 16 * 1024 * 1024) throw new Error(`${fileName}: rule file larger than 16 MiB`);
  let raw: unknown;
  try {
    // uniqueKeys and a small alias budget: no billion-laughs, no silently duplicated keys.
    raw = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100, prettyErrors: true });
  } catch (e) {
    throw new Error(`${fileName}: not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (
    raw &&
    typeof raw === 'object' &&
    Array.isArray((raw as { rules?: unknown }).rules) &&
    !(raw as { format?: unknown }).format
  ) {
    // A bare list of rules is allowed for user files: wrap it.
    raw = { format: 'lantern-rules', version: 1, name: fileName, ...(raw as object) };
  }
  const r = packSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path;
    let where = path.join('.');
    if (path[0] === 'rules' && typeof path[1] === 'number') {
      const id = (raw as { rules: { id?: unknown }[] }).rules[path[1]]?.id;
      where = `rule ${typeof id === 'string' ? id : `#${path[1] + 1}`}: ${path.slice(2).join('.')}`;
    }
    throw new Error(`${fileName}: ${where || '(top)'}: ${issue.message}`);
  }
  const pack = r.data as RulePack;
  const ids = new Set<string>();
  for (const rule of pack.rules) {
    if (ids.has(rule.id)) throw new Error(`${fileName}: rule ${rule.id} is defined twice`);
    ids.add(rule.id);
  }
  try {
    compilePack(pack);
  } catch (e) {
    if (e instanceof RuleError) throw new Error(`${fileName}: ${e.message}`);
    throw e;
  }
  return pack;
}
