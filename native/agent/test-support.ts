/**
 * What the agent's real-kernel tests share: where cgroup2 is mounted, why a test cannot run
 * here (said in words, for the skip message), and removing the test's own cgroups afterwards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

export function cgroup2Mount(): string | undefined {
  try {
    for (const l of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const f = l.split(' ');
      if (f[2] === 'cgroup2') return f[1];
    }
  } catch {
    /* no /proc */
  }
  return undefined;
}

/** Undefined when the agent can run here (root, bpftrace, cgroup2, tracefs mounted or mountable). */
export function whyAgentCannotRun(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root (bpftrace attaches tracepoints)';
  if (spawnSync('bpftrace', ['--version']).status !== 0) return 'bpftrace is not installed';
  if (!cgroup2Mount()) return 'no cgroup2 mount';
  for (const [fs, dir] of [
    ['tracefs', '/sys/kernel/tracing'],
    ['debugfs', '/sys/kernel/debug'],
  ] as const) {
    if (
      !existsSync(join(dir, fs === 'tracefs' ? 'events' : 'tracing')) &&
      spawnSync('mount', ['-t', fs, 'nodev', dir]).status !== 0 &&
      fs === 'tracefs'
    )
      return `cannot mount ${fs} at ${dir}`;
  }
  return undefined;
}

/**
 * Kills what is left in the test's cgroups, then removes them bottom-up (`dirs` deepest first,
 * relative to the cgroup2 mount `mnt`). Only the cgroups the test created: never anything else.
 */
export function removeTestCgroups(mnt: string, dirs: string[]): void {
  for (const d of dirs) {
    try {
      for (const pid of readFileSync(`${mnt}${d}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    } catch {
      /* not there */
    }
  }
  spawnSync('sleep', ['0.3']);
  for (const d of dirs) {
    try {
      for (const sub of readdirSync(`${mnt}${d}`, { withFileTypes: true }))
        if (sub.isDirectory()) rmdirSync(`${mnt}${d}/${sub.name}`);
      rmdirSync(`${mnt}${d}`);
    } catch {
      /* best effort */
    }
  }
}
