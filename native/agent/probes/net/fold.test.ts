/**
 * Folding of repeated connections, on the real kernel: the agent (net probe only) runs as
 * root while a process in a kubelet-style cgroup (created here, removed afterwards)
 * connects 200 times to one loopback listener, then once to each of 5 other listeners.
 * The first connect/accept of a key is printed in full, the repeats only come as counts.
 * A second run with tiny maps checks that a full "seen" map never loses a connection: the
 * keys that do not fit are printed in full every time.
 * Skips (saying why) when not root, without bpftrace, or without a cgroup2 mount.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, randomUUID } from 'node:crypto';
import { cgroup2Mount, removeTestCgroups, whyAgentCannotRun } from '../../test-support';
import { AgentStreamParser } from '../../../../main/events/agent/parse';
import type { LanternEvent } from '../../../../main/common/events';

const AGENT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lantern-agent');

const skip = whyAgentCannotRun();
if (skip)
  console.warn(
    `native/agent/probes/net/fold.test.ts skipped: ${skip}. Turning fold counts into events is covered on recorded lines in main/events/agent/parse.net.test.ts; CI runs this as root.`,
  );

interface Run {
  lines: string[];
  events: LanternEvent[];
  errors: string[];
  exitCode: number | null;
}

describe.skipIf(!!skip)('net probe: repeated connections folded in the kernel', () => {
  const mnt = cgroup2Mount() ?? '/sys/fs/cgroup';
  const top = `/lantern-fold-${randomBytes(4).toString('hex')}`;
  const podUid = randomUUID();
  const ctrId = randomBytes(32).toString('hex');
  const podDir = `${top}/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${podUid.replace(/-/g, '_')}.slice`;
  const ctrDir = `${podDir}/cri-containerd-${ctrId}.scope`;
  const dirs = [ctrDir, podDir, `${top}/kubepods.slice/kubepods-besteffort.slice`, `${top}/kubepods.slice`, top];
  const started: ReturnType<typeof spawn>[] = [];

  /** Run the agent (net only, one long flush interval: END flushes), do `script` in the container, stop it. */
  async function capture(script: string, env: Record<string, string> = {}): Promise<Run> {
    const run: Run = { lines: [], events: [], errors: [], exitCode: null };
    const parser = new AgentStreamParser({ node: 'fold-node' });
    const agent = spawn(AGENT, ['--probes', 'net', '--duration', '90', '--tick', '2', '--flush', '60'], {
      env: { ...process.env, ...env, LANTERN_CGROUP_ROOT: `${top}/kubepods.slice` },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    started.push(agent);
    const exited = new Promise<void>((ok) => agent.on('exit', (c) => ((run.exitCode = c), ok())));
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      agent.stdout!.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          run.lines.push(line);
          const r = parser.parseLine(line, run.lines.length);
          if (r.error) run.errors.push(r.error);
          run.events.push(...r.events);
          if (r.events.some((e) => e.kind === 'agent.status' && e.agent?.phase === 'start')) resolve();
        }
      });
      void exited.then(() => reject(new Error(`agent exited early: ${run.lines.slice(-3).join(' | ')}`)));
      setTimeout(() => reject(new Error('agent did not start within 60 s')), 60_000);
    });
    const r = spawnSync('sh', ['-c', `echo $$ > '${mnt}${ctrDir}/cgroup.procs' && exec node -e '${script}'`], {
      timeout: 30_000,
    });
    if (r.status !== 0) throw new Error(`workload failed: ${r.stderr?.toString().slice(0, 300)}`);
    agent.kill('SIGINT');
    await exited;
    return run;
  }

  // node: listeners that accept and close; connect times[i] times in a row to listener i
  // (each connect waits for the close)
  const loop = (times: number[]) => `
    const net = require("net");
    const one = (port) => new Promise((ok) => { const c = net.connect(port, "127.0.0.1"); c.on("close", ok); c.on("error", ok); c.resume(); });
    const srv = () => new Promise((ok) => { const s = net.createServer((c) => c.end()); s.listen(0, "127.0.0.1", () => ok(s)); });
    (async () => {
      const times = ${JSON.stringify(times)};
      const ss = []; for (const _ of times) ss.push(await srv());
      for (let i = 0; i < ss.length; i++) for (let k = 0; k < times[i]; k++) await one(ss[i].address().port);
      for (const s of ss) s.close();
    })();`;

  let folded: Run;
  let tiny: Run;

  beforeAll(async () => {
    mkdirSync(`${mnt}${ctrDir}`, { recursive: true });
    folded = await capture(loop([200, 1, 1, 1, 1, 1]));
    // 8 keys per map: the scope map takes 4-5, the seen maps fill after a few destinations
    tiny = await capture(loop(Array(12).fill(3)), { LANTERN_MAP_KEYS: '8' });
  }, 180_000);

  afterAll(() => {
    for (const a of started) if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
    removeTestCgroups(mnt, dirs);
  });

  const mine = (r: Run, kind: 'connect' | 'accept') =>
    r.events.filter((e) => e.kind === kind && e.container?.id === ctrId && e.net?.daddr === '127.0.0.1');
  /** per port (connect: remote, accept: local): [full events, connections in all] */
  const perPort = (r: Run, kind: 'connect' | 'accept') => {
    const m = new Map<number, [number, number]>();
    for (const e of mine(r, kind)) {
      const port = kind === 'connect' ? e.net!.dport : e.net!.sport;
      const c = m.get(port) ?? [0, 0];
      const isFull = !r.lines[e.seq! - 1]!.includes('"type": "map"');
      c[0] += isFull ? 1 : 0;
      c[1] += 1 + (e.net!.repeats ?? 0);
      m.set(port, c);
    }
    return [...m.values()].sort((a, b) => b[1] - a[1]);
  };

  it('prints the first connect and accept of a key in full and only counts the 199 repeats', () => {
    expect(folded.exitCode).toBe(0);
    expect(folded.errors).toEqual([]);
    for (const kind of ['connect', 'accept'] as const) {
      const ports = perPort(folded, kind);
      // one key with 200 connections (1 full + 199 counted), five keys with one each
      expect(ports, kind).toEqual([
        [1, 200],
        [1, 1],
        [1, 1],
        [1, 1],
        [1, 1],
        [1, 1],
      ]);
      const rep = mine(folded, kind).find((e) => e.net!.repeats)!;
      const first = mine(folded, kind).find(
        (e) =>
          e.net!.repeats === undefined &&
          (kind === 'connect' ? e.net!.dport : e.net!.sport) === (kind === 'connect' ? rep.net!.dport : rep.net!.sport),
      )!;
      // the counted ones look like the first one: same process, pod, connection
      expect(rep.proc).toEqual(first.proc);
      expect(rep.container?.podUid).toBe(podUid);
      expect({ ...rep.net, repeats: 0 }).toEqual({ ...first.net, repeats: 0 });
    }
    // in the raw output: 1 + 5 connect lines of ours, and counts summing to 199
    const c4 = folded.lines.filter((l) => l.includes('"c4"') && l.includes('"node"'));
    expect(c4.length).toBeGreaterThanOrEqual(6);
    const counts = folded.lines
      .filter((l) => l.includes('"@cc0"') || l.includes('"@cc1"'))
      .flatMap((l) =>
        Object.values(JSON.parse(l).data as Record<string, Record<string, number>>).flatMap((o) => Object.values(o)),
      );
    expect(counts).toContain(199);
  });

  it('never loses a connection when the seen map is full: the keys that do not fit are printed in full', () => {
    expect(tiny.exitCode).toBe(0);
    expect(tiny.errors).toEqual([]);
    for (const kind of ['connect', 'accept'] as const) {
      const ports = perPort(tiny, kind);
      // every connection accounted for
      expect(ports, kind).toHaveLength(12);
      expect(
        ports.every((p) => p[1] === 3),
        kind,
      ).toBe(true);
      // keys that found room were folded; the others were printed in full each time
      expect(
        ports.some((p) => p[0] === 1),
        kind,
      ).toBe(true);
      expect(
        ports.some((p) => p[0] === 3),
        kind,
      ).toBe(true);
    }
  });
});
