/**
 * Word-level classes that rules and baselines talk about: file classes (what a path means to an
 * attacker) and executable families. Kept here, not in the graph, because they are detection
 * semantics: "read a service-account token" matters, "opened /var/run/secrets/.../token" is data.
 */

/** File classes, most specific first. `other` is everything that is not interesting by itself. */
export type FileClass =
  | 'sa-token'
  | 'k8s-creds'
  | 'k8s-pki'
  | 'shadow'
  | 'passwd'
  | 'sudoers'
  | 'ssh'
  | 'cloud-creds'
  | 'release-agent'
  | 'core-pattern'
  | 'proc-sys'
  | 'proc-mem'
  | 'proc-environ'
  | 'kcore'
  | 'runtime-socket'
  | 'ld-preload'
  | 'cron'
  | 'shell-config'
  | 'shell-history'
  | 'bin'
  | 'lib'
  | 'etc'
  | 'root-home'
  | 'dev-shm'
  | 'tmp'
  | 'proc'
  | 'sys'
  | 'dev'
  | 'log'
  | 'other';

const RULES: [RegExp, FileClass][] = [
  [
    /^\/(?:var\/)?run\/secrets\/(?:kubernetes\.io|eks\.amazonaws\.com|tokens)\/|\/secrets\/kubernetes\.io\/serviceaccount\//,
    'sa-token',
  ],
  [
    /(?:^\/etc\/kubernetes\/.*\.conf$|\/\.kube\/config$|^\/var\/lib\/kubelet\/(?:kubeconfig|config\.yaml|.*\.kubeconfig)|^\/etc\/kubernetes\/kubelet\.conf)/,
    'k8s-creds',
  ],
  [/^\/(?:etc\/kubernetes\/pki|var\/lib\/kubelet\/pki)\//, 'k8s-pki'],
  [/^\/etc\/g?shadow-?$/, 'shadow'],
  [/^\/etc\/(?:passwd|group)-?$/, 'passwd'],
  [/^\/etc\/sudoers(?:$|\.d\/)/, 'sudoers'],
  [/(?:^|\/)\.ssh(?:\/|$)|^\/etc\/ssh\/ssh_host_/, 'ssh'],
  [/(?:\/\.aws\/credentials|\/\.config\/gcloud\/|\/\.azure\/)/, 'cloud-creds'],
  [/(?:^|\/)release_agent$|(?:^|\/)notify_on_release$/, 'release-agent'],
  [/^\/proc\/sys\/kernel\/(?:core_pattern|modprobe)$/, 'core-pattern'],
  [/^\/proc\/(?:\d+|self|thread-self)\/mem$/, 'proc-mem'],
  [/^\/proc\/(?:\d+|self|thread-self)\/environ$/, 'proc-environ'],
  [/^\/proc\/kcore$/, 'kcore'],
  [/^\/proc\/sys\//, 'proc-sys'],
  [/(?:docker|containerd|crio|cri-dockerd)\.sock$/, 'runtime-socket'],
  [/^\/etc\/ld\.so\.(?:preload|conf)/, 'ld-preload'],
  [/^\/(?:etc\/cron|var\/spool\/cron|etc\/anacrontab)/, 'cron'],
  [/(?:^|\/)\.(?:bashrc|bash_profile|profile|zshrc)$|^\/etc\/(?:profile|bash\.bashrc)/, 'shell-config'],
  [/(?:^|\/)\.(?:bash|ash|zsh|sh)_history$/, 'shell-history'],
  [/^\/(?:usr\/)?(?:local\/)?s?bin(?:\/|$)/, 'bin'],
  [/^\/(?:usr\/)?lib(?:32|64|x32)?\//, 'lib'],
  [/^\/etc(?:\/|$)/, 'etc'],
  [/^\/root(?:\/|$)/, 'root-home'],
  [/^\/(?:dev\/shm|run\/shm)(?:\/|$)/, 'dev-shm'],
  [/^\/(?:tmp|var\/tmp)(?:\/|$)/, 'tmp'],
  [/^\/proc(?:\/|$)/, 'proc'],
  [/^\/sys(?:\/|$)/, 'sys'],
  [/^\/dev(?:\/|$)/, 'dev'],
  [/^\/var\/log(?:\/|$)/, 'log'],
];

const fileClassCache = new Map<string, FileClass>();

/** Class of a path; old Tetragon exports print paths without the leading '/'. Cached. */
export function fileClass(path: string): FileClass {
  const hit = fileClassCache.get(path);
  if (hit !== undefined) return hit;
  let p = path;
  if (p.length > 0 && p[0] !== '/' && /^(?:etc|var|run|proc|sys|usr|bin|sbin|lib|root|tmp|dev|home)\//.test(p))
    p = '/' + p;
  // Collapse ../ so /etc/../etc/shadow is still the shadow file.
  if (p.includes('/.')) p = normalisePath(p);
  let out: FileClass = 'other';
  for (const [re, cls] of RULES) {
    if (re.test(p)) {
      out = cls;
      break;
    }
  }
  if (fileClassCache.size > 100_000) fileClassCache.clear();
  fileClassCache.set(path, out);
  return out;
}

export function normalisePath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/** Process names of runtimes that start processes in containers (probe and exec parents). */
export const RUNTIME_PARENTS = new Set([
  'runc',
  'runc:[2:INIT]',
  'runc:[1:CHILD]',
  'runc:[0:PARENT]',
  'crun',
  'containerd-shim',
  'containerd-shim-runc-v2',
  'conmon',
  'kubelet',
  'containerd',
  'dockerd',
]);

/** Shannon entropy (bits per character) of a string, for DNS names that look generated. */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Parse "10s", "2m", "1h", "500ms" or a number of seconds into ns. */
export function parseDurationNs(v: string | number): number {
  if (typeof v === 'number') return v * 1e9;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new Error(`not a duration: "${v}" (use e.g. 10s, 2m, 1h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1e6 : unit === 's' ? 1e9 : unit === 'm' ? 60e9 : 3600e9);
}

/** Glob with * and ? only (no brace or class syntax: allow-list entries are typed by humans). */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

/** FNV-1a 32-bit twice with different seeds: a short stable id for findings. */
export function shortHash(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 13);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
