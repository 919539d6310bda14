/**
 * Kubeconfig discovery and merging the way kubectl does it:
 *   - an explicit file (--kubeconfig / picked in the app) wins and must exist;
 *   - else every path in $KUBECONFIG (":"-separated), missing files ignored, merged with
 *     "first file to define a name wins" and the first non-empty current-context;
 *   - else ~/.kube/config.
 * Relative certificate/key paths resolve against the directory of the file that named them.
 *
 * The file is attacker-controllable text (someone mails you a kubeconfig): we parse it ourselves
 * first to give a line number on errors and to refuse `__proto__` keys, before handing it to
 * @kubernetes/client-node.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { LineCounter, parseDocument } from 'yaml';
import type { ContextInfo } from '../common/contract';
import { ClusterError } from './errors';

/** Anything bigger is not a kubeconfig; refuse rather than parse megabytes of YAML. */
const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;

export interface KubeconfigSearch {
  /** An explicit file: --kubeconfig or the one the analyst picked. */
  path?: string;
  env?: Record<string, string | undefined>;
  home?: string;
}

export interface LoadedKubeconfig {
  kc: KubeConfig;
  /** Files that were read, in merge order. */
  sources: string[];
  contexts: ContextInfo[];
  current: string | null;
}

/** The files kubectl would read, in order, and whether their absence is an error. */
export function kubeconfigPaths(search: KubeconfigSearch = {}): { paths: string[]; mustExist: boolean } {
  if (search.path) return { paths: [resolve(search.path)], mustExist: true };
  const env = search.env ?? process.env;
  const fromEnv = env.KUBECONFIG;
  if (fromEnv && fromEnv.length > 0) {
    const seen = new Set<string>();
    const paths: string[] = [];
    for (const p of fromEnv.split(delimiter)) {
      if (!p) continue;
      const abs = resolve(p);
      if (seen.has(abs)) continue;
      seen.add(abs);
      paths.push(abs);
    }
    return { paths, mustExist: false };
  }
  return { paths: [join(search.home ?? homedir(), '.kube', 'config')], mustExist: false };
}

interface RawKubeconfig {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  current?: string;
}

function hasProtoKey(v: unknown, depth = 0): boolean {
  if (depth > 64 || !v || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((x) => hasProtoKey(x, depth + 1));
  for (const k of Object.keys(v)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return true;
    if (hasProtoKey((v as Record<string, unknown>)[k], depth + 1)) return true;
  }
  return false;
}

/** Parse one kubeconfig file's text; errors say which file and which line. */
export function parseKubeconfigText(text: string, file: string): RawKubeconfig {
  if (text.trim() === '') return { clusters: [], users: [], contexts: [] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
    const what = e.message.split('\n')[0];
    throw new ClusterError(
      'kubeconfig',
      `The kubeconfig ${file} does not parse: line ${pos.line}, column ${pos.col}: ${what}`,
    );
  }
  let obj: unknown;
  try {
    obj = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ClusterError('kubeconfig', `The kubeconfig ${file} does not parse: ${(err as Error).message}`);
  }
  if (obj === null || obj === undefined) return { clusters: [], users: [], contexts: [] };
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    throw new ClusterError(
      'kubeconfig',
      `The kubeconfig ${file} is not a kubeconfig: expected a mapping with clusters, users and contexts at the top.`,
    );
  }
  if (hasProtoKey(obj)) {
    throw new ClusterError(
      'kubeconfig',
      `The kubeconfig ${file} contains a "__proto__"/"constructor" key; refusing to load it.`,
    );
  }
  const o = obj as Record<string, unknown>;
  for (const key of ['clusters', 'users', 'contexts'] as const) {
    if (o[key] !== undefined && o[key] !== null && !Array.isArray(o[key])) {
      const line = lineOfKey(doc, lineCounter, key);
      throw new ClusterError(
        'kubeconfig',
        `The kubeconfig ${file} is malformed${line ? ` at line ${line}` : ''}: "${key}" must be a list.`,
      );
    }
  }
  // Let the client library validate the entries (missing name/server etc.); it throws in words.
  try {
    const tmp = new KubeConfig();
    tmp.loadFromString(text);
    tmp.makePathsAbsolute(dirname(file));
    return {
      clusters: tmp.clusters ?? [],
      users: tmp.users ?? [],
      contexts: tmp.contexts ?? [],
      ...(typeof o['current-context'] === 'string' && o['current-context'] ? { current: o['current-context'] } : {}),
    };
  } catch (err) {
    throw new ClusterError('kubeconfig', `The kubeconfig ${file} is malformed: ${(err as Error).message}`);
  }
}

function lineOfKey(doc: ReturnType<typeof parseDocument>, lc: LineCounter, key: string): number | undefined {
  const node = doc.contents as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null;
  const item = node?.items?.find((i) => i.key?.value === key);
  const start = item?.key?.range?.[0];
  return start === undefined ? undefined : lc.linePos(start).line;
}

/** Load, merge and describe the kubeconfig(s) kubectl would use. */
export function loadKubeconfig(search: KubeconfigSearch = {}): LoadedKubeconfig {
  const { paths, mustExist } = kubeconfigPaths(search);
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let current: string | undefined;
  const sources: string[] = [];
  for (const file of paths) {
    if (!existsSync(file)) {
      if (mustExist) throw new ClusterError('kubeconfig', `The kubeconfig ${file} does not exist.`);
      continue;
    }
    const st = statSync(file);
    if (!st.isFile()) throw new ClusterError('kubeconfig', `The kubeconfig ${file} is not a file.`);
    if (st.size > MAX_KUBECONFIG_BYTES) {
      throw new ClusterError(
        'kubeconfig',
        `The kubeconfig ${file} is ${st.size} bytes; that is too big to be a kubeconfig.`,
      );
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ClusterError('kubeconfig', `The kubeconfig ${file} cannot be read: ${(err as Error).message}`);
    }
    const raw = parseKubeconfigText(text, file);
    sources.push(file);
    // kubectl: the first file to define a name wins; later duplicates are ignored.
    for (const c of raw.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of raw.users) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of raw.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!current && raw.current) current = raw.current;
  }
  if (sources.length === 0) {
    const where = paths.length === 1 ? paths[0] : paths.join(', ');
    throw new ClusterError(
      'kubeconfig',
      `No kubeconfig found (looked at ${where}). Pick a kubeconfig file or set $KUBECONFIG.`,
    );
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext: current,
  });
  return {
    kc,
    sources,
    contexts: [...contexts.values()].map((c) => contextInfo(c, clusters.get(c.cluster), users.get(c.user))),
    current: current && contexts.has(current) ? current : null,
  };
}

function contextInfo(c: Context, cluster: Cluster | undefined, _user: User | undefined): ContextInfo {
  return {
    name: c.name,
    cluster: c.cluster,
    server: cluster?.server ?? '',
    user: c.user,
    ...(c.namespace ? { namespace: c.namespace } : {}),
  };
}

/**
 * A KubeConfig pointed at one context (the current one when none is named), checked to be
 * usable: the context names a cluster with a server and a user that exists.
 */
export function kubeConfigFor(
  loaded: LoadedKubeconfig,
  contextName?: string,
): { kc: KubeConfig; context: ContextInfo } {
  const name = contextName ?? loaded.current;
  if (!name) {
    throw new ClusterError(
      'no-context',
      `The kubeconfig (${loaded.sources.join(', ')}) has no current context; choose one of: ${loaded.contexts.map((c) => c.name).join(', ') || '(none)'}.`,
    );
  }
  const info = loaded.contexts.find((c) => c.name === name);
  if (!info) {
    throw new ClusterError(
      'no-context',
      `There is no context "${name}" in ${loaded.sources.join(', ')}; known contexts: ${loaded.contexts.map((c) => c.name).join(', ') || '(none)'}.`,
      { context: name },
    );
  }
  const cluster = loaded.kc.getCluster(info.cluster);
  if (!cluster || !cluster.server) {
    throw new ClusterError(
      'kubeconfig',
      `Context "${name}" refers to cluster "${info.cluster}", which is not defined (or has no server) in the kubeconfig.`,
      {
        context: name,
      },
    );
  }
  if (!loaded.kc.getUser(info.user)) {
    throw new ClusterError(
      'kubeconfig',
      `Context "${name}" refers to user "${info.user}", which is not defined in the kubeconfig.`,
      {
        context: name,
        server: cluster.server,
      },
    );
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: loaded.kc.getClusters(),
    users: loaded.kc.getUsers(),
    contexts: loaded.kc.getContexts(),
    currentContext: name,
  });
  return { kc, context: info };
}
