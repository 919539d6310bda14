/**
 * How the lab starts every process it owns: `setpriv --pdeathsig KILL` (so a crashed lab takes
 * its direct children with it), optionally `nsenter` into a pod sandbox's namespaces, then a tiny
 * /bin/sh stub that writes its own pid into the target cgroup's cgroup.procs *before* it execs the
 * real command, so the command's exec event already carries the pod's cgroup path.
 * Arguments are passed as argv, never interpolated into a shell string.
 */
import { spawn, execFile, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';

/** The stub: $1 = cgroup.procs file, $2 = working dir, rest = command. */
const STUB = 'echo $$ > "$1" || exit 126; cd "$2" 2>/dev/null || cd /; shift 2; exec "$@"';

export interface SpawnSpec {
  argv: string[];
  /** Absolute cgroup dir to place the process in before exec. */
  cgroupDir: string;
  cwd?: string;
  env?: Record<string, string>;
  /** pid of a sandbox process whose namespaces to join */
  nsPid?: number;
  joinNet?: boolean;
  joinMount?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  stdio?: SpawnOptions['stdio'];
}

export function spawnIn(s: SpawnSpec): ChildProcess {
  const pre: string[] = ['setpriv', '--pdeathsig', 'KILL', '--'];
  if (s.nsPid && (s.joinNet || s.joinMount)) {
    pre.push('nsenter');
    if (s.joinMount) pre.push(`--mount=/proc/${s.nsPid}/ns/mnt`);
    if (s.joinNet) pre.push(`--net=/proc/${s.nsPid}/ns/net`);
    pre.push('--');
  }
  const user: string[] =
    s.runAsUser !== undefined
      ? ['setpriv', `--reuid=${s.runAsUser}`, `--regid=${s.runAsGroup ?? s.runAsUser}`, '--clear-groups', '--']
      : [];
  const argv = [
    ...pre,
    '/bin/sh',
    '-c',
    STUB,
    'lab-init',
    join(s.cgroupDir, 'cgroup.procs'),
    s.cwd ?? '/',
    ...user,
    ...s.argv,
  ];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: s.env ?? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    stdio: s.stdio ?? ['pipe', 'pipe', 'pipe'],
    detached: false,
  });
  // A failed spawn shows up as an exit with a code; never as an unhandled 'error' that kills the lab.
  child.on('error', () => {});
  return child;
}

/** Runs a short helper (ip, nsenter) and resolves with stdout; rejects with stderr in words. */
export function run(cmd: string, args: string[], input?: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
    c.stdin?.on('error', () => {}); // the helper may exit before reading (its error is reported above)
    if (input !== undefined) c.stdin?.end(input);
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
