/**
 * File path classes. The graph keeps one file node per distinct *behaviour*, not per distinct
 * string: volatile path parts (pids under /proc, numeric or hash-like names) are folded to `*`,
 * and sensitive paths carry a class so the analyst (and detection) can see what kind of secret
 * or escape hatch was touched. Pure: no node:*.
 */

export type SensitiveClass =
  | 'sa-token'
  | 'shadow'
  | 'accounts'
  | 'ssh'
  | 'kube-credentials'
  | 'kernel-escape'
  | 'preload'
  | 'runtime-socket'
  | 'kernel-memory'
  | 'proc-secrets'
  | 'cloud-credentials'
  | 'system-binaries'
  | 'cron';

const SENSITIVE: [RegExp, SensitiveClass][] = [
  [/^\/(?:var\/)?run\/secrets\/(?:kubernetes\.io|eks\.amazonaws\.com)\//, 'sa-token'],
  [/^\/etc\/g?shadow-?$/, 'shadow'],
  [/^\/etc\/(?:passwd|group|sudoers)(?:$|\.d\/|-$)/, 'accounts'],
  [/\/\.ssh(?:\/|$)|^\/etc\/ssh\/ssh_host_/, 'ssh'],
  [/^\/etc\/kubernetes\/|^\/var\/lib\/kubelet\/(?:pki|kubeconfig)|\/\.kube\/config$/, 'kube-credentials'],
  [
    /(?:^|\/)release_agent$|^\/proc\/sys\/kernel\/(?:core_pattern|modprobe)$|^\/sys\/kernel\/uevent_helper$/,
    'kernel-escape',
  ],
  [/^\/etc\/ld\.so\.preload$/, 'preload'],
  [/(?:docker|containerd|crio|cri-dockerd)\.sock$/, 'runtime-socket'],
  [/^\/dev\/k?mem$|^\/proc\/kcore$/, 'kernel-memory'],
  [/^\/proc\/(?:\d+|self|\*)\/(?:environ|mem|maps)$/, 'proc-secrets'],
  [/\/\.aws\/credentials$|\/\.config\/gcloud\/|\/\.azure\//, 'cloud-credentials'],
  [/^\/(?:usr\/)?s?bin\//, 'system-binaries'],
  [/^\/etc\/cron|^\/var\/spool\/cron\//, 'cron'],
];

export function sensitiveClassOf(path: string): SensitiveClass | undefined {
  for (const [re, cls] of SENSITIVE) if (re.test(path)) return cls;
  return undefined;
}

const UUID = /[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}/gi;
/** Runs of 8+ hex chars that contain a digit (container ids, mktemp suffixes, hashes). */
const HEXY = /[0-9a-f]{8,}/gi;
const DIGIT = /\d/;

/**
 * Fold volatile parts of a path so that repeats of the same behaviour land on one node:
 * all-digit segments (pids, fds, timestamps) and long hex-like runs become `*`.
 */
export function normalisePath(path: string): string {
  if (path.length > 4096) path = path.slice(0, 4096);
  // Fast path: most paths have no digits at all.
  if (!DIGIT.test(path)) return path;
  path = path.replace(UUID, '*');
  const segs = path.split('/');
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.length === 0) continue;
    if (/^\d+$/.test(s)) segs[i] = '*';
    else if (s.length >= 8) segs[i] = s.replace(HEXY, (m) => (DIGIT.test(m) ? '*' : m));
  }
  return segs.join('/');
}

export interface FileClass {
  /** What the file node is keyed on (keys.file(key)). */
  key: string;
  sensitive?: SensitiveClass;
}

export function classifyPath(path: string): FileClass {
  const key = normalisePath(path);
  const sensitive = sensitiveClassOf(key);
  return sensitive ? { key, sensitive } : { key };
}
