/**
 * `npm run lab` — start the lab, print the kubeconfig path, run until Ctrl-C, clean up.
 *   npm run lab -- --scenario NAME     also run an attack scenario after warm-up
 *   npm run lab -- --clean-stale       remove what labs of dead processes left, then exit
 *   npm run lab -- --list              list the scenarios
 *   npm run lab -- --measure [--seconds 30]   print start/ready/idle-CPU/stop figures and exit
 *   --nodes N, --no-workloads, --no-network, --verbose
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cleanStale, labUnavailableReason, startLab, SCENARIOS_DIR, type Lab } from './index';

function fail(msg: string): never {
  process.stderr.write(`lab: ${msg}\n`);
  process.exit(1);
}

/** eBPF needs bpftrace and tracefs; mount tracefs/debugfs when missing (we are root here). */
function ebpfUnavailableReason(): string | undefined {
  try {
    execFileSync('bpftrace', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'bpftrace is not installed (apt-get install -y bpftrace); the lab exists to be captured with eBPF';
  }
  if (!existsSync('/sys/kernel/tracing/events')) {
    try {
      mkdirSync('/sys/kernel/tracing', { recursive: true });
      execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'ignore' });
    } catch {
      return 'tracefs is not mounted at /sys/kernel/tracing and mounting it failed';
    }
  }
  if (!existsSync('/sys/kernel/debug/tracing')) {
    try {
      execFileSync('mount', ['-t', 'debugfs', 'nodev', '/sys/kernel/debug'], { stdio: 'ignore' });
    } catch {
      /* debugfs is optional for tracepoints */
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (f: string) => args.includes(f);
  const value = (f: string) => {
    const i = args.indexOf(f);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (flag('--help') || flag('-h')) {
    process.stdout.write(
      'usage: npm run lab -- [--scenario NAME] [--clean-stale] [--list] [--nodes N] [--no-workloads] [--no-network] [--verbose]\n',
    );
    return;
  }
  if (flag('--list')) {
    for (const d of readdirSync(SCENARIOS_DIR).sort()) process.stdout.write(`${d}\n`);
    return;
  }
  const why = labUnavailableReason() ?? ebpfUnavailableReason();
  if (why) fail(why);
  if (flag('--clean-stale')) {
    const removed = await cleanStale();
    process.stdout.write(removed.length ? `removed:\n${removed.map((r) => `  ${r}\n`).join('')}` : 'nothing stale\n');
    return;
  }
  const scenario = value('--scenario');
  const nodes = value('--nodes') ? Number(value('--nodes')) : undefined;
  const network = !flag('--no-network');
  const workloads = network && !flag('--no-workloads');
  const verbose = flag('--verbose');
  let lab: Lab | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('lab: stopping, removing processes, cgroups, namespaces and temp files...\n');
    await lab?.stop();
    process.stderr.write('lab: stopped\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  const startedAt = Date.now();
  let started = 0;
  try {
    lab = await startLab({
      nodes,
      workloads,
      network,
      // A dead network daemon breaks every Service at once: said even without --verbose.
      log: (m) => {
        if (verbose || m.startsWith('lab network daemon')) process.stderr.write(`lab: ${m}\n`);
      },
    });
  } catch (e) {
    fail(`could not start: ${(e as Error).message}`);
  }
  started = Date.now();
  if (flag('--measure')) {
    // Figures for the report: start-up, readiness, idle CPU of everything the lab runs, stop.
    const t0 = Number(value('--t0') ?? 0) || startedAt;
    await lab.waitReady(120_000);
    const ready = Date.now() - t0;
    const cpuStat = () => {
      const t = readFileSync(`/sys/fs/cgroup/unified${lab!.cgroupRoot}/cpu.stat`, 'utf8');
      return Number(/usage_usec (\d+)/.exec(t)?.[1] ?? 0);
    };
    const c0 = cpuStat();
    const p0 = process.cpuUsage();
    const seconds = Number(value('--seconds') ?? 30);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const podsCpu = (cpuStat() - c0) / 1e6 / seconds;
    const pu = process.cpuUsage(p0);
    const labCpu = (pu.user + pu.system) / 1e6 / seconds;
    const s0 = Date.now();
    const requests = lab.requestCount();
    await lab.stop();
    process.stdout.write(
      JSON.stringify({
        startMs: started - t0,
        readyMs: ready,
        idleCpuCoresPods: +podsCpu.toFixed(3),
        idleCpuCoresLabProcess: +labCpu.toFixed(3),
        apiRequestsDuringRun: requests,
        stopMs: Date.now() - s0,
      }) + '\n',
    );
    process.exit(0);
  }
  process.stdout.write(`${lab.kubeconfigPath}\n`);
  process.stderr.write(
    `lab: API ${lab.server}, nodes ${lab.nodes.join(', ')}, contexts ${lab.contexts.admin} / ${lab.contexts.restricted}\n` +
      `lab: export KUBECONFIG=${lab.kubeconfigPath}   (Ctrl-C stops the lab and removes everything)\n`,
  );
  if (scenario) {
    try {
      await lab.waitReady(90_000);
      await new Promise((r) => setTimeout(r, 5000)); // warm-up: let benign noise establish a baseline
      const r = await lab.runScenario(scenario);
      process.stdout.write(
        JSON.stringify({ ...r, stdout: r.stdout.slice(0, 4000), stderr: r.stderr.slice(0, 4000) }, null, 2) + '\n',
      );
    } catch (e) {
      process.stderr.write(`lab: scenario ${scenario} failed: ${(e as Error).message}\n`);
      await shutdown(1);
    }
  }
  await new Promise(() => {}); // until a signal
}

void main();
