/**
 * `npm run bench -- agent`: what capture costs the workloads on this machine.
 * Four workloads run inside a kubelet-style cgroup (so that the agent captures them):
 *   (a) exec loop, (b) TCP connect/accept loop on loopback, (c) open/close loop,
 *   (d) a small HTTP server under load,
 * each without capture, with Lantern's agent (all probes), and with Debian's libbpf-tools
 * doing the same capture (execsnoop + tcpstates + opensnoop). Rounds are interleaved and
 * repeated; medians are reported as throughput ratios against the baseline of the same run.
 * Also counts the agent's lost events at (d)'s rate and under an exec storm.
 *
 * Like with like: both captures write their stdout straight into a file (as a container
 * runtime writes a pod's log), and the CPU that the capture processes themselves use during
 * each workload is measured too, so that the CPU table shows the whole cost per operation
 * (workload + capture), which the 1-minute load average (printed per round) does not move much.
 * Needs root and bpftrace; prints why not otherwise. Options: --rounds N --seconds S;
 * env LANTERN_BENCH_AGENT=path/to/lantern-agent measures another build of the agent instead;
 * LANTERN_BENCH_AGENT_B=path/to/lantern-agent adds a column "lantern-b" for a second build in
 * the same run (before/after comparisons under the same load).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  mkdtempSync,
  rmSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { AgentStreamParser } from '../../main/events/agent/parse';

const here = dirname(fileURLToPath(import.meta.url));
// LANTERN_BENCH_AGENT: another build of the agent (e.g. a checkout of an older commit) to compare against
const AGENT = process.env.LANTERN_BENCH_AGENT || join(here, '..', '..', 'native', 'agent', 'lantern-agent');
const AGENT_B = process.env.LANTERN_BENCH_AGENT_B;
const argv = process.argv.slice(2);
const opt = (k: string, d: number) => {
  const i = argv.indexOf(k);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const ROUNDS = opt('--rounds', 3);
const SECONDS = opt('--seconds', 2);

function cgroup2(): string | undefined {
  for (const l of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const f = l.split(' ');
    if (f[2] === 'cgroup2') return f[1];
  }
  return undefined;
}
const why =
  process.getuid?.() !== 0
    ? 'needs root'
    : spawnSync('bpftrace', ['--version']).status !== 0
      ? 'bpftrace missing'
      : !cgroup2()
        ? 'no cgroup2 mount'
        : undefined;
if (why) {
  console.log(`bench agent: skipped (${why})`);
  process.exit(0);
}

const MNT = cgroup2()!;
const TOP = `/lantern-bench-${randomBytes(4).toString('hex')}`;
const POD = `${TOP}/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b6d8a3e_1111_2222_3333_444455556666.slice`;
const CTR = `${POD}/cri-containerd-${'b'.repeat(64)}.scope`;
const work = mkdtempSync(join(tmpdir(), 'lantern-bench-'));
mkdirSync(MNT + CTR, { recursive: true });
writeFileSync(join(work, 'f'), 'x');

/** Run a command inside the container cgroup; resolves with its stdout. */
function inCtr(cmd: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-c', `echo $$ > '${MNT}${CTR}/cgroup.procs' && exec "$@"`, 'sh', ...cmd], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (c) => {
      clearTimeout(t);
      c === 0 ? resolve(out) : reject(new Error(`${cmd[0]} exited ${c}`));
    });
  });
}

const S = SECONDS;
/** [ops per second, ops per CPU-second of the workload's own processes] */
type Result = [number, number];
/** "ops/s ops-per-CPU-second"; a starved run can show 0 CPU ticks: its CPU figure is then NaN and left out */
const pair = (out: string): Result => {
  const [a, b] = out.trim().split(/\s+/).map(Number);
  return [a!, b! > 0 ? b! : NaN];
};
const workloads: Record<string, () => Promise<Result>> = {
  '(a) exec loop': async () =>
    pair(
      await inCtr([
        'perl',
        '-e',
        `$e=time+${S}; while(time<$e){ system("/bin/true"); $n++ } @t=times; $c=$t[0]+$t[1]+$t[2]+$t[3]; print $n/${S}, " ", ($c > 0 ? $n/$c : 0)`,
      ]),
    ),
  '(b) TCP connect/accept': async () =>
    pair(
      await inCtr([
        'perl',
        '-MSocket',
        '-e',
        `
    socket(S,PF_INET,SOCK_STREAM,0); setsockopt(S,SOL_SOCKET,SO_REUSEADDR,1); bind(S,sockaddr_in(0,INADDR_LOOPBACK)) or die; listen(S,128);
    my ($port) = sockaddr_in(getsockname(S)); my $a = sockaddr_in($port, INADDR_LOOPBACK); $e = time + ${S};
    while (time < $e) { for (1..100) { socket(C,PF_INET,SOCK_STREAM,0); setsockopt(C,SOL_SOCKET,SO_LINGER,pack("ii",1,0)); connect(C,$a) or die; accept(A,S); close A; close C; $n++ } }
    @t=times; $c=$t[0]+$t[1]+$t[2]+$t[3]; print $n/${S}, " ", ($c > 0 ? $n/$c : 0)`,
      ]),
    ),
  '(c) open/close loop': async () =>
    pair(
      await inCtr([
        'perl',
        '-e',
        `$e=time+${S}; while(time<$e){ for(1..1000){ open(F,"<","${join(work, 'f')}"); close F } $n+=1000 } @t=times; $c=$t[0]+$t[1]+$t[2]+$t[3]; print $n/${S}, " ", ($c > 0 ? $n/$c : 0)`,
      ]),
    ),
  '(d) HTTP server under load': async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const server = spawn(
      'sh',
      [
        '-c',
        `echo $$ > '${MNT}${CTR}/cgroup.procs' && exec node -e 'require("http").createServer((q, r) => r.end("ok")).listen(${port}, "127.0.0.1", () => console.log("up"))'`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((r) => server.stdout!.once('data', () => r()));
    try {
      // 8 keep-alive clients plus one new connection every 50 requests (a mix seen in front of services)
      const cpu0 = procCpu(server.pid!);
      const [rps, clientCpu] = pair(
        await inCtr([
          'node',
          '-e',
          `
        const http = require("http"); const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
        let n = 0; const end = Date.now() + ${S} * 1000;
        const one = () => new Promise((ok) => { const a = n % 50 === 0 ? undefined : agent;
          http.get({ host: "127.0.0.1", port: ${port}, path: "/", agent: a }, (r) => { r.resume(); r.on("end", ok); }).on("error", ok); });
        const loop = async () => { while (Date.now() < end) { await one(); n++; } };
        Promise.all(Array.from({ length: 8 }, loop)).then(() => { const u = process.cpuUsage(); console.log(n / ${S}, (u.user + u.system) / 1e6); agent.destroy(); });`,
        ]),
      );
      const serverCpu = procCpu(server.pid!) - cpu0;
      return [rps, (rps * S) / (clientCpu + serverCpu)];
    } finally {
      server.kill('SIGKILL');
    }
  },
};

/** CPU seconds (user+sys) a process has used, from /proc/<pid>/stat. */
function procCpu(pid: number): number {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds (user+sys) used so far by a process and all its live descendants. */
function treeCpu(root: number): number {
  const kids = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(d)]);
    } catch {
      /* exited meanwhile */
    }
  }
  let sum = 0;
  const unvisited = [root];
  while (unvisited.length) {
    const p = unvisited.pop()!;
    sum += procCpu(p);
    unvisited.push(...(kids.get(p) ?? []));
  }
  return sum;
}

interface Capture {
  /** Lost and captured events since the previous call (parsed from the capture's output so far). */
  mark(): { lost: number; events: number };
  /** CPU seconds used so far by the capture's own processes. */
  cpu(): number;
  stop(): Promise<{ lost: number; events: number }>;
}

async function startLantern(agent = AGENT): Promise<Capture> {
  const out = join(work, `agent-${Date.now()}.ndjson`);
  const fd = openSync(out, 'w');
  const p = spawn(agent, ['--duration', '600', '--node', 'bench'], {
    env: { ...process.env, LANTERN_CGROUP_ROOT: `${TOP}/kubepods.slice` },
    stdio: ['ignore', fd, 'inherit'],
  });
  closeSync(fd);
  let exited = false;
  const exit = new Promise((r) => p.on('exit', r)).then(() => (exited = true));
  for (let i = 0; !readFileSync(out, 'utf8').includes('"phase":"start"'); i++) {
    if (exited || i > 600) throw new Error('agent did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const parser = new AgentStreamParser({ node: 'bench' });
  let done = 0;
  let lineNo = 0;
  const mark = () => {
    // agent lines are written whole by one writer; parse what is complete so far
    const text = readFileSync(out, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    let lost = 0,
      events = 0;
    for (const l of text.slice(done, end).split('\n')) {
      if (!l) continue;
      for (const e of parser.parseLine(l, ++lineNo).events) {
        if (e.kind === 'agent.lost') lost += e.agent?.lost ?? 0;
        else if (!e.kind.startsWith('agent.')) events++;
      }
    }
    done = end;
    return { lost, events };
  };
  return {
    mark,
    cpu: () => treeCpu(p.pid!),
    async stop() {
      p.kill('SIGINT');
      await exit;
      const r = mark();
      rmSync(out, { force: true });
      return r;
    },
  };
}

async function startLibbpf(): Promise<Capture> {
  const tools = ['execsnoop', 'tcpstates', 'opensnoop'].map((t) => {
    const out = join(work, `${t}-${Date.now()}.txt`);
    const err = `${out}.err`;
    const [o, e] = [openSync(out, 'w'), openSync(err, 'w')];
    // execsnoop can be scoped to a cgroup like Lantern; tcpstates and opensnoop cannot
    const args = t === 'execsnoop' ? ['--cgroup', `${MNT}${TOP}/kubepods.slice`] : [];
    const p = spawn(`/usr/sbin/${t}`, args, { stdio: ['ignore', o, e] });
    closeSync(o);
    closeSync(e);
    return { p, out, err, lines: 0, lost: 0 };
  });
  await new Promise((r) => setTimeout(r, 2500)); // CO-RE load + attach
  const mark = () => {
    let lost = 0,
      events = 0;
    for (const t of tools) {
      const lines = readFileSync(t.out, 'utf8').split('\n').length - 1;
      // libbpf-tools report a perf buffer overflow on stderr: "lost N events on CPU #C"
      const l = [...readFileSync(t.err, 'utf8').matchAll(/lost (\d+) events/gi)].reduce((a, m) => a + Number(m[1]), 0);
      events += lines - t.lines;
      lost += l - t.lost;
      t.lines = lines;
      t.lost = l;
    }
    return { lost, events };
  };
  return {
    mark,
    cpu: () => tools.reduce((a, t) => a + procCpu(t.p.pid!), 0),
    async stop() {
      await Promise.all(
        tools.map(
          (t) =>
            new Promise((r) => {
              t.p.on('exit', r);
              t.p.kill('SIGINT');
            }),
        ),
      );
      const r = mark();
      for (const t of tools) {
        rmSync(t.out, { force: true });
        rmSync(t.err, { force: true });
      }
      return r;
    },
  };
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

async function main(): Promise<void> {
  const hasLibbpf = spawnSync('/usr/sbin/execsnoop', ['--help']).status === 0;
  const modes = ['none', 'lantern', ...(AGENT_B ? ['lantern-b'] : []), ...(hasLibbpf ? ['libbpf-tools'] : [])];
  const names = Object.keys(workloads);
  const results: Record<string, Record<string, Result[]>> = {};
  /** per workload and mode: CPU microseconds per operation, workload + capture processes */
  const whole: Record<string, Record<string, number[]>> = {};
  for (const w of names) {
    results[w] = Object.fromEntries(modes.map((m) => [m, [] as Result[]]));
    whole[w] = Object.fromEntries(modes.map((m) => [m, [] as number[]]));
  }
  const lost: Record<string, Record<string, number>> = Object.fromEntries(
    modes.map((m) => [m, Object.fromEntries(names.map((w) => [w, 0]))]),
  );
  const events: Record<string, Record<string, number>> = JSON.parse(JSON.stringify(lost));
  const loads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // rotate the order of the modes each round so that no mode always runs first
    const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
    for (const mode of order) {
      const cap =
        mode === 'lantern'
          ? await startLantern()
          : mode === 'lantern-b'
            ? await startLantern(AGENT_B)
            : mode === 'libbpf-tools'
              ? await startLibbpf()
              : undefined;
      const load0 = loadavg()[0]!;
      cap?.mark();
      for (const [name, run] of Object.entries(workloads)) {
        const c0 = cap?.cpu() ?? 0;
        const r = await run();
        results[name]![mode]!.push(r);
        // the capture drains what the workload left in its buffers: count that CPU too
        if (cap) await new Promise((res) => setTimeout(res, 1000));
        const capCpu = (cap?.cpu() ?? 0) - c0;
        const ops = r[0] * SECONDS;
        whole[name]![mode]!.push(((ops / r[1] + capCpu) / ops) * 1e6);
        // the agent reports a loss on its next tick/flush: give it one before the next workload
        if (mode.startsWith('lantern')) await new Promise((res) => setTimeout(res, 4500));
        const m = cap?.mark();
        lost[mode]![name]! += m?.lost ?? 0;
        events[mode]![name]! += m?.events ?? 0;
      }
      const st = await cap?.stop();
      loads.push(load0, loadavg()[0]!);
      process.stderr.write(
        `round ${round + 1}/${ROUNDS} ${mode} done${st ? ` (events ${Object.values(events[mode]!).reduce((a, b) => a + b, 0)}, lost ${Object.values(lost[mode]!).reduce((a, b) => a + b, 0)})` : ''}, load average ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}\n`,
      );
    }
  }
  // exec storm: two exec loops at full speed, with Lantern's agent
  const cap = await startLantern();
  const storm = (await Promise.all([workloads['(a) exec loop']!(), workloads['(a) exec loop']!()])).map((r) => r[0]);
  const st = await cap.stop();

  const col = (w: string, m: string, i: 0 | 1) => median(results[w]![m]!.map((r) => r[i]));
  const pad = (s: string, n: number) => s.padEnd(n);
  const row = (w: string, f: (m: string) => number, digits: number) => {
    const base = f('none');
    const cell = (m: string) => {
      const v = f(m);
      return `${v.toFixed(digits)} (${(v / base).toFixed(3)})`;
    };
    console.log(
      `${pad(w, 28)}${pad(base.toFixed(digits), 13)}${modes
        .slice(1)
        .map((m) => pad(cell(m), 22))
        .join('')}`,
    );
  };
  const head = (title: string, ratio: string) => {
    console.log(`\n${title}, median of ${ROUNDS} rounds x ${SECONDS}s; (ratio) = ${ratio}, same run`);
    console.log(
      `${pad('workload', 28)}${pad('no capture', 13)}${modes
        .slice(1)
        .map((m) => pad(`${m} (ratio)`, 22))
        .join('')}`,
    );
  };
  const sorted = [...loads].sort((a, b) => a - b);
  console.log(
    `\nload average (1 min) during the rounds: min ${sorted[0]!.toFixed(1)}, median ${median(loads).toFixed(1)}, max ${sorted[sorted.length - 1]!.toFixed(1)} on ${availableCpus()} CPUs`,
  );
  head('Throughput, ops/s (higher is better)', 'with capture / without');
  for (const w of names) row(w, (m) => col(w, m, 0), 0);
  head('Ops per CPU-second of the workload processes alone (in-kernel probe cost; higher is better)', 'with / without');
  for (const w of names) row(w, (m) => col(w, m, 1), 0);
  head(
    "CPU us per op, workload + the capture's own processes (whole cost, robust to other load; lower is better)",
    'with / without',
  );
  for (const w of names) row(w, (m) => median(whole[w]![m]!), 1);
  console.log(
    `\nlines/events written by each capture, all rounds: ${modes
      .filter((m) => m !== 'none')
      .map((m) => `${m}: ${names.map((w) => `${w.slice(0, 3)} ${events[m]![w]}`).join(', ')}`)
      .join('; ')}`,
  );
  console.log(
    `events lost (counted and reported), all rounds: ${modes
      .filter((m) => m !== 'none')
      .map((m) => `${m}: ${names.map((w) => `${w.slice(0, 3)} ${lost[m]![w]}`).join(', ')}`)
      .join('; ')}`,
  );
  console.log(
    'scope: Lantern and execsnoop capture the bench cgroup (kubepods); tcpstates and opensnoop have no cgroup filter and capture the whole machine',
  );
  const dw = '(d) HTTP server under load';
  const d = {
    base: col(dw, 'none', 0),
    lan: col(dw, 'lantern', 0),
    cbase: col(dw, 'none', 1),
    clan: col(dw, 'lantern', 1),
  };
  console.log(
    `(d) slowdown with Lantern: throughput ${((1 - d.lan / d.base) * 100).toFixed(1)}%, CPU per request ${((d.cbase / d.clan - 1) * 100).toFixed(1)}% (target <= 3%), lost at (d): ${lost.lantern![dw]}`,
  );
  console.log(
    `exec storm (2 parallel exec loops, ${(storm[0]! + storm[1]!).toFixed(0)} execs/s): agent events ${st.events}, lost (counted and reported) ${st.lost}`,
  );
}

function availableCpus(): number {
  return readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('processor')).length;
}

main()
  .catch((e) => {
    console.error(`bench agent failed: ${(e as Error).message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const d of [CTR, POD, `${TOP}/kubepods.slice/kubepods-besteffort.slice`, `${TOP}/kubepods.slice`, TOP]) {
      try {
        for (const pid of readFileSync(`${MNT}${d}/cgroup.procs`, 'utf8').split('\n').filter(Boolean))
          process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    spawnSync('sleep', ['0.3']);
    for (const d of [CTR, POD, `${TOP}/kubepods.slice/kubepods-besteffort.slice`, `${TOP}/kubepods.slice`, TOP]) {
      try {
        for (const s of readdirSync(MNT + d, { withFileTypes: true }))
          if (s.isDirectory()) rmdirSync(`${MNT}${d}/${s.name}`);
        rmdirSync(MNT + d);
      } catch {
        /* best effort */
      }
    }
    rmSync(work, { recursive: true, force: true });
  });
