/**
 * The lab's pod network. A "router" network namespace (held open by a pause process, so it
 * disappears with the lab) holds a bridge; every pod sandbox gets a veth pair into it and an
 * address from the lab's pod /24. The router has no other interface and no default route, and
 * pods only get routes to the lab's own ranges: traffic never leaves the lab.
 *
 * Ranges (the middle octet X is random per lab, so parallel labs are told apart in captures;
 * they could not collide anyway, each lab's router being its own namespace):
 *   10.244.X.0/24  pods; .1 gateway (router, DNS, API endpoint :6443), .2.. nodes, .10.. pods
 *   10.96.X.0/24   Service ClusterIPs (a `local` route in the router; netd proxies them)
 *   169.254.169.254  fake cloud metadata server (in the router)
 *   203.0.113.10   fake "external" host (TEST-NET-3, only inside the router)
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import readline from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { run, spawnIn } from './proc';

const HERE = dirname(fileURLToPath(import.meta.url));

export const EXTERNAL_IP = '203.0.113.10';
export const METADATA_IP = '169.254.169.254';

export interface ServiceProxy {
  ip: string;
  port: number;
  backends: { ip?: string; port?: number; unix?: string }[];
}

export class LabNetwork {
  readonly x: number;
  readonly gateway: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  private router?: ChildProcess;
  private netd?: ChildProcess;
  private nextPod = 10;
  private freePod: number[] = [];
  private nextSvc = 2;
  private vethSeq = 0;
  private pending = new Map<number, (m: { ok: boolean; status?: number; error?: string }) => void>();
  private reqId = 0;
  private stopping = false;
  /** What went wrong in the network daemon (its stderr, its own error reports, its death). */
  errors: string[] = [];

  constructor(
    private systemCgroup: string,
    private apiSocket: string,
    private log: (msg: string) => void = () => {},
  ) {
    this.x = 1 + Math.floor(Math.random() * 250);
    this.gateway = `10.244.${this.x}.1`;
    this.podCidr = `10.244.${this.x}.0/24`;
    this.serviceCidr = `10.96.${this.x}.0/24`;
  }

  get routerPid(): number | undefined {
    return this.router?.pid;
  }
  /** The `kubernetes` Service ClusterIP (first of the range, as in real clusters). */
  get apiClusterIP(): string {
    return `10.96.${this.x}.1`;
  }
  nodeIP(i: number): string {
    return `10.244.${this.x}.${2 + i}`;
  }
  allocateServiceIP(): string {
    if (this.nextSvc > 254) throw new Error('lab service range exhausted');
    return `10.96.${this.x}.${this.nextSvc++}`;
  }

  async start(nodeCount: number): Promise<void> {
    this.router = spawnIn({
      argv: ['unshare', '-n', '--', 'cat'],
      cgroupDir: this.systemCgroup,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    await waitPid(this.router);
    // Let the stub move + exec into unshare+cat before we look at its namespace.
    await waitNetnsDiffers(this.router.pid!);
    const r = String(this.router.pid);
    const cmds = [
      'link set lo up',
      'link add br0 type bridge',
      `addr add ${this.gateway}/24 dev br0`,
      `addr add ${METADATA_IP}/32 dev br0`,
      `addr add ${EXTERNAL_IP}/24 dev br0`,
      ...Array.from({ length: nodeCount }, (_, i) => `addr add ${this.nodeIP(i)}/32 dev br0`),
      'link set br0 up',
      `route add local ${this.serviceCidr} dev lo`,
    ];
    await run('nsenter', ['-t', r, '-n', '--', 'ip', '-batch', '-'], cmds.join('\n') + '\n');
    const cfg = { gateway: this.gateway, external: EXTERNAL_IP, apiSocket: this.apiSocket };
    this.netd = spawnIn({
      argv: [process.execPath, join(HERE, 'netd.mjs'), JSON.stringify(cfg)],
      cgroupDir: this.systemCgroup,
      nsPid: this.router.pid,
      joinNet: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.netd.stderr?.on('data', (d: Buffer) => this.errors.push(d.toString()));
    this.netd.stdin?.on('error', () => {}); // a dead daemon is reported through errors/exit
    this.router.stdin?.on('error', () => {});
    const ready = new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`lab network daemon did not start: ${this.errors.join(' ')}`)),
        10_000,
      );
      readline.createInterface({ input: this.netd!.stdout! }).on('line', (line) => {
        let m: { id?: number; event?: string; message?: string; ok?: boolean };
        try {
          m = JSON.parse(line);
        } catch {
          return;
        }
        if (m.event === 'ready') {
          clearTimeout(t);
          resolve();
        } else if (m.event === 'error') this.errors.push(m.message ?? '');
        else if (m.id !== undefined) {
          this.pending.get(m.id)?.(m as never);
          this.pending.delete(m.id);
        }
      });
      this.netd!.once('exit', (c) => {
        clearTimeout(t);
        reject(new Error(`lab network daemon exited (${c}): ${this.errors.join(' ')}`));
      });
    });
    await ready;
    // netd serves every Service, DNS and the fake hosts: if it dies, pods lose all of them at
    // once (connection refused everywhere). That must be loud, never a mystery later.
    this.netd.once('exit', (code, signal) => {
      if (this.stopping) return;
      const msg = `lab network daemon exited (${signal ?? `code ${code}`}): Services, DNS and the fake hosts are gone. ${this.errors.join(' ').slice(-2000)}`;
      this.errors.push(msg);
      this.log(msg);
    });
  }

  private send(m: object): void {
    if (this.netd?.stdin?.writable) this.netd.stdin.write(JSON.stringify(m) + '\n');
  }

  setServices(list: ServiceProxy[]): void {
    this.send({ op: 'services', services: list });
  }
  setDns(names: Record<string, string>): void {
    this.send({ op: 'dns', names });
  }

  httpProbe(ip: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
    const id = ++this.reqId;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        resolve(false);
      }, timeoutMs + 1000);
      this.pending.set(id, (m) => {
        clearTimeout(t);
        resolve(m.ok);
      });
      this.send({ op: 'probe', id, ip, port, path, timeoutMs });
    });
  }

  /** Gives the sandbox (by pid) an eth0 on the lab bridge; returns its address. */
  async attach(sandboxPid: number): Promise<string> {
    const host = this.freePod.shift() ?? this.nextPod++;
    if (host > 254) throw new Error('lab pod range exhausted');
    const ip = `10.244.${this.x}.${host}`;
    const veth = `vp${++this.vethSeq}`;
    await run(
      'nsenter',
      ['-t', String(this.router!.pid), '-n', '--', 'ip', '-batch', '-'],
      [
        `link add ${veth} type veth peer name eth0 netns ${sandboxPid}`,
        `link set ${veth} master br0`,
        `link set ${veth} up`,
      ].join('\n') + '\n',
    );
    await run(
      'nsenter',
      ['-t', String(sandboxPid), '-n', '--', 'ip', '-batch', '-'],
      [
        'link set lo up',
        `addr add ${ip}/24 dev eth0`,
        'link set eth0 up',
        `route add ${this.serviceCidr} via ${this.gateway}`,
        `route add ${METADATA_IP}/32 via ${this.gateway}`,
        `route add 203.0.113.0/24 via ${this.gateway}`,
      ].join('\n') + '\n',
    );
    return ip;
  }

  release(ip: string): void {
    const host = Number(ip.split('.')[3]);
    // The veth pair vanishes with the sandbox's namespace; only the address is ours to recycle.
    if (host >= 10) setTimeout(() => this.freePod.push(host), 5000).unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const c of [this.netd, this.router]) {
      if (c && c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
      }
    }
  }
}

export function waitPid(c: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    if (c.pid) return resolve();
    c.once('spawn', () => resolve());
    c.once('error', reject);
  });
}

/** Waits until /proc/<pid>/ns/net is not ours: the child has unshared its namespace. */
export async function waitNetnsDiffers(pid: number, timeoutMs = 5000): Promise<void> {
  const { readlinkSync } = await import('node:fs');
  const mine = readlinkSync('/proc/self/ns/net');
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const comm = (await import('node:fs')).readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (readlinkSync(`/proc/${pid}/ns/net`) !== mine && comm !== 'unshare') return;
    } catch {
      throw new Error(`process ${pid} exited while creating its network namespace`);
    }
    if (Date.now() > end) throw new Error(`process ${pid} did not create its network namespace`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
