/**
 * `npm run bench -- agent`: what capture costs the workloads on this machine.
 * Four workloads run inside a kubelet-style cgroup (so that the agent captures them):
 *   (a) exec loop, (b) TCP connect/accept loop on loopback, (c) open/close loop,
 *   (d) a small HTTP server under load,
 * each without capture, with Lantern's agent (all probes), and with Debian's libbpf-tools
 * doing the same capture (execsnoop + tcpstates + opensnoop). Rounds are interleaved and
 * repeated; medians are reported as throughput ratios against the baseline of the same run.
 * Also counts the agent's lost events at (d)'s rate and under an exec storm.
 * Needs root and bpftrace; prints why not otherwise. Options: --rounds N --seconds S.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  readFileSync,
  rmdirSync,
  mkdtempSync,
  rmSync,
  readdirSync,
  writeFileSync,
  createWriteStream,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { AgentStreamParser } from '../../main/events/agent/parse';

const here = dirname(fileURLToPath(import.meta.url));
const AGENT = join(here, '..', '..', 'native', 'agent', 'lantern-agent');
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
const pair = (out: string): Result => {
  const [a, b] = out.trim().split(/\s+/).map(Number);
  return [a!, b!];
};
const workloads: Record<string, () => Promise<Result>> = {
  '(a) exec loop': async () =>
    pair(
      await inCtr([
        'perl',
        '-e',
        `$e=time+${S}; while(time<$e){ system("/bin/true"); $n++ } @t=times; $c=$t[0]+$t[1]+$t[2]+$t[3]; print $n/${S}, " ", $n/$c`,
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
    @t=times; $c=$t[0]+$t[1]+$t[2]+$t[3]; print $n/${S}, " ", $n/$c`,
      ]),
    ),
  '(c) open/close loop': async () =>
    pair(
      await inCtr([
        'perl',
        '-e',
        `$e=time+${S}; while(time<$e){ for(1..1000){ open(F,"<","${join(work, 'f')}"); close F } $n+=1000 } @t=times; $c=$t[0]+$t[1]+$t[2]+$t[3]; print $n/${S}, " ", $n/$c`,
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

interface Capture {
  /** Lost and captured events since the previous call (parsed from the agent's output so far). */
  mark(): { lost: number; events: number };
  stop(): Promise<{ lost: number; events: number }>;
}

async function startLantern(): Promise<Capture> {
  const out = join(work, `agent-${Date.now()}.ndjson`);
  const file = createWriteStream(out);
  const p = spawn(AGENT, ['--duration', '600', '--node', 'bench'], {
    env: { ...process.env, LANTERN_CGROUP_ROOT: `${TOP}/kubepods.slice` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  p.stdout!.pipe(file);
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    const on = (d: Buffer) => {
      buf += d;
      if (buf.includes('"phase":"start"')) {
        p.stdout!.off('data', on);
        resolve();
      }
    };
    p.stdout!.on('data', on);
    p.on('exit', () => reject(new Error('agent exited before it started')));
  });
  p.removeAllListeners('exit');
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
    async stop() {
      const exited = new Promise((r) => p.on('exit', r));
      p.kill('SIGINT');
      await exited;
      await new Promise((r) => file.end(r));
      const r = mark();
      rmSync(out, { force: true });
      return r;
    },
  };
}

async function startLibbpf(): Promise<Capture> {
  const procs: ChildProcess[] = ['execsnoop', 'tcpstates', 'opensnoop'].map((t) =>
    spawn(`/usr/sbin/${t}`, [], { stdio: ['ignore', 'ignore', 'ignore'] }),
  );
  await new Promise((r) => setTimeout(r, 2500)); // CO-RE load + attach
  return {
    mark: () => ({ lost: 0, events: 0 }),
    async stop() {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise((r) => {
              p.on('exit', r);
              p.kill('SIGINT');
            }),
        ),
      );
      return { lost: 0, events: 0 };
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  const hasLibbpf = spawnSync('/usr/sbin/execsnoop', ['--help']).status === 0;
  const modes = ['none', 'lantern', ...(hasLibbpf ? ['libbpf-tools'] : [])] as const;
  const results: Record<string, Record<string, Result[]>> = {};
  for (const w of Object.keys(workloads)) results[w] = Object.fromEntries(modes.map((m) => [m, [] as Result[]]));
  const lost: Record<string, number> = Object.fromEntries(Object.keys(workloads).map((w) => [w, 0]));
  for (let round = 0; round < ROUNDS; round++) {
    // rotate the order of the modes each round so that no mode always runs first
    const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
    for (const mode of order) {
      const cap = mode === 'lantern' ? await startLantern() : mode === 'libbpf-tools' ? await startLibbpf() : undefined;
      for (const [name, run] of Object.entries(workloads)) {
        results[name]![mode]!.push(await run());
        // the agent reports a loss on its next tick/flush: give it one before the next workload
        if (mode === 'lantern') {
          await new Promise((r) => setTimeout(r, 5500));
          lost[name]! += cap!.mark().lost;
        }
      }
      const st = await cap?.stop();
      process.stderr.write(
        `round ${round + 1}/${ROUNDS} ${mode} done${st && mode === 'lantern' ? ` (events ${st.events}, lost ${st.lost})` : ''}\n`,
      );
    }
  }
  // exec storm: two exec loops at full speed, with Lantern's agent
  const cap = await startLantern();
  const storm = (await Promise.all([workloads['(a) exec loop']!(), workloads['(a) exec loop']!()])).map((r) => r[0]);
  const st = await cap.stop();

  const col = (w: string, m: string, i: 0 | 1) => median(results[w]![m]!.map((r) => r[i]));
  const pad = (s: string, n: number) => s.padEnd(n);
  const table = (i: 0 | 1, title: string) => {
    console.log(`\n${title} (median of ${ROUNDS} rounds x ${SECONDS}s; ratio = with capture / without)`);
    console.log(`${pad('workload', 28)}${pad('no capture', 13)}${pad('lantern', 22)}${pad('libbpf-tools', 22)}`);
    for (const w of Object.keys(workloads)) {
      const base = col(w, 'none', i);
      const lan = col(w, 'lantern', i);
      const lib = hasLibbpf ? col(w, 'libbpf-tools', i) : NaN;
      console.log(
        `${pad(w, 28)}${pad(base.toFixed(0), 13)}${pad(`${lan.toFixed(0)} (${(lan / base).toFixed(3)})`, 22)}${pad(hasLibbpf ? `${lib.toFixed(0)} (${(lib / base).toFixed(3)})` : 'n/a', 22)}`,
      );
    }
  };
  table(0, 'Throughput, ops/s');
  table(1, 'Ops per CPU-second of the workload (robust to other load on the machine)');
  const dw = '(d) HTTP server under load';
  const d = {
    base: col(dw, 'none', 0),
    lan: col(dw, 'lantern', 0),
    cbase: col(dw, 'none', 1),
    clan: col(dw, 'lantern', 1),
  };
  console.log(
    `\nevents lost by the agent (counted and reported), all rounds: ${Object.entries(lost)
      .map(([w, n]) => `${w.slice(0, 3)} ${n}`)
      .join(', ')}`,
  );
  console.log(
    `(d) slowdown with Lantern: throughput ${((1 - d.lan / d.base) * 100).toFixed(1)}%, CPU per request ${((d.cbase / d.clan - 1) * 100).toFixed(1)}% (target <= 3%), lost at (d): ${lost[dw]}`,
  );
  console.log(
    `exec storm (2 parallel exec loops, ${(storm[0]! + storm[1]!).toFixed(0)} execs/s): agent events ${st.events}, lost (counted and reported) ${st.lost}`,
  );
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
