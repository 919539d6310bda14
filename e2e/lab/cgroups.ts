/**
 * cgroup v2 helpers for the lab: kubelet-style paths under the lab's own root, kill and remove.
 * All names here are built from uids and hex ids, never from attacker-chosen pod names.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CGROUP2_MOUNT = '/sys/fs/cgroup/unified';

export type Qos = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** Path of a pod's slice relative to the node root, as the kubelet's systemd driver names it. */
export function podSliceRel(qos: Qos, podUid: string): string {
  const u = podUid.replace(/-/g, '_');
  if (qos === 'Guaranteed') return `kubepods.slice/kubepods-pod${u}.slice`;
  const q = qos.toLowerCase();
  return `kubepods.slice/kubepods-${q}.slice/kubepods-${q}-pod${u}.slice`;
}
export function containerScope(containerId: string): string {
  return `cri-containerd-${containerId}.scope`;
}

export function mkdirp(abs: string): void {
  mkdirSync(abs, { recursive: true });
}

function procsOf(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(dir, d.name));
  } catch {
    return [];
  }
}

/** Every pid in the subtree. */
export function pidsIn(dir: string): number[] {
  const out = procsOf(dir);
  for (const s of subdirs(dir)) out.push(...pidsIn(s));
  return out;
}

/** SIGKILL everything in the subtree (cgroup.kill where the kernel has it, else per pid). */
export function killTree(dir: string): void {
  if (!existsSync(dir)) return;
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    return;
  } catch {
    /* older kernels: fall through */
  }
  for (const pid of pidsIn(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Removes the subtree bottom-up; returns false if something is still populated. */
export function removeTree(dir: string): boolean {
  if (!existsSync(dir)) return true;
  let ok = true;
  for (const s of subdirs(dir)) ok = removeTree(s) && ok;
  try {
    rmdirSync(dir);
  } catch {
    ok = false;
  }
  return ok;
}

/** Kill, wait until the subtree is empty (bounded), remove. */
export async function destroyTree(dir: string, timeoutMs = 5000): Promise<boolean> {
  killTree(dir);
  const end = Date.now() + timeoutMs;
  while (pidsIn(dir).length && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  for (let i = 0; i < 20; i++) {
    if (removeTree(dir)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return removeTree(dir);
}

/** Synchronous best effort, for process-exit hooks. */
export function destroyTreeSync(dir: string): void {
  killTree(dir);
  const end = Date.now() + 2000;
  while (pidsIn(dir).length && Date.now() < end) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  removeTree(dir);
}
