import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../common/graph';
import { loadCapture } from '../../graph/load';
import { readCapture } from '../capture-file';
import { detectTool, ImportError, importFile, importToMemory } from './index';
import { haveData, sample } from './samples.test-util';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lantern-importtest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const tmp = (name: string) => join(dir, `${Math.random().toString(36).slice(2)}-${name}`);

/** Sample directories and the tool auto-detection must name for every file in them. */
const DETECT: [dir: string, tool: string, exclude?: RegExp][] = [
  ['tetragon', 'tetragon'],
  ['tetragon/docs-md', 'tetragon'],
  ['inspektor-gadget', 'ig'],
  ['falco/website', 'falco'],
  ['falco/falco-repo-legacy-tests', 'falco', /\.(yaml|in|txt)$|k8s_audit_trace_files/],
  ['tracee/main', 'tracee'],
  ['tracee/v0.14.0', 'tracee'],
  ['tracee/v0.22.0', 'tracee'],
];

describe.skipIf(!haveData)('import: detection, capture output, CLI', () => {
  it('auto-detects the tool of every claimed sample', async () => {
    let n = 0;
    for (const [d, tool, exclude] of DETECT) {
      for (const f of await readdir(sample(d))) {
        const path = join(sample(d), f);
        if (!(await stat(path)).isFile() || exclude?.test(f) || !/\.(json|jsonl|txt)$/.test(f)) continue;
        expect((await detectTool(path))?.tool, path).toBe(tool);
        n++;
      }
    }
    // tetragon 1 + 17, IG 13, Falco 11 + 1, Tracee 3 + 5 + 19
    expect(n).toBe(70);
  });

  it('writes a capture that reads back to the same events, with inventory, probes and trailer', async () => {
    const src = sample('tetragon/testdata_events.json');
    const out = tmp('t.lantern');
    const res = await importFile(src, out, { baseTimeNs: 1e18 });
    const mem = await importToMemory(src, { baseTimeNs: 1e18 });
    const back = await readCapture(out);
    expect(back.warnings).toEqual([]);
    expect(back.events).toEqual(JSON.parse(JSON.stringify(mem.events)));
    expect(back.header).toMatchObject({
      lantern: 'capture',
      version: 1,
      source: 'tetragon',
      probes: ['tetragon:exec'],
      nodes: [{ name: 'my-node' }],
    });
    expect(back.header.inventory!.pods.map((p) => p.name).sort()).toEqual([
      'deathstar-6f87496b94-gjf74',
      'deathstar-6f87496b94-qdlh8',
      'tiefighter',
    ]);
    expect(back.trailer).toMatchObject({ events: 3, counts: { exec: 3 }, status: 'complete', skipped: 0 });
    expect(res).toMatchObject({ tool: 'tetragon', records: 3, events: 3, skipped: 0 });
    // The graph joins the imported pods: namespace → workload → pod → container → process.
    const g = (await loadCapture(out)).builder.graph;
    expect(g.hasNode(keys.pod('default', 'tiefighter'))).toBe(true);
    expect(g.hasNode(keys.workload('default', 'Deployment', 'deathstar'))).toBe(true);
    expect(g.hasNode(keys.process(keys.container('default', 'tiefighter', 'spaceship'), '/usr/bin/netserver'))).toBe(
      true,
    );
  });

  it("every tool's import loads into the graph with its pods joined", async () => {
    const cases: [string, string, string][] = [
      [
        'falco/website/blog__falcosidekick-response-engine-part-2-openfass.jsonl',
        'openfaas-fn',
        'falco-pod-delete-7dc9f5fbb8-gbfk7',
      ],
      ['inspektor-gadget/trace_tcp_kubectl_gadget_json.jsonl', 'default', 'mypod2'],
      ['tracee/v0.14.0/getting-started__kubernetes-quickstart.json', 'tracee-system', 'tracee-wk8wh'],
      ['tetragon/docs-md/use-cases__filename-access__block6.json', 'default', 'file-access'],
    ];
    for (const [file, ns, pod] of cases) {
      const out = tmp('g.lantern');
      await importFile(sample(file), out, { baseTimeNs: 1e18 });
      const g = (await loadCapture(out)).builder.graph;
      expect(g.hasNode(keys.pod(ns, pod)), file).toBe(true);
      expect(g.hasNode(keys.namespace(ns)), file).toBe(true);
    }
    const api = (
      await loadCapture(
        await (async () => {
          const out = tmp('api.lantern');
          await importFile(sample(cases[0]![0]), out);
          return out;
        })(),
      )
    ).builder.graph;
    expect(api.hasNode(keys.endpoint('10.96.0.1', 443))).toBe(true);
  });

  it('takes gzip input and JSON arrays; sorts out-of-order input by time and says so', async () => {
    const lines = [
      { rule: 'r', output: 'late', priority: 'Notice', time: '2024-01-01T00:00:02Z', output_fields: {} },
      { rule: 'r', output: 'early', priority: 'Notice', time: '2024-01-01T00:00:01Z', output_fields: {} },
    ];
    const gz = tmp('falco.json.gz');
    await writeFile(gz, gzipSync(JSON.stringify(lines, null, 2)));
    const out = tmp('f.lantern');
    const res = await importFile(gz, out);
    expect(res.tool).toBe('falco');
    expect(res.warnings).toEqual(['the input was not in time order: events were sorted by time']);
    const back = await readCapture(out);
    expect(back.events.map((e) => e.alert?.output)).toEqual(['early', 'late']);
  });

  it('hostile records are skipped with reasons; the capture stays readable', async () => {
    const good = JSON.stringify({
      comm: 'cat',
      pid: 1,
      fname: '/etc/x',
      k8s: { node: 'n', namespace: 'a', podName: 'p', podLabels: 'constructor=1,app=x' },
      runtime: { containerId: 'ab'.repeat(32) },
    });
    const text = [
      good,
      '{"comm":"x","pid":2,"fname":"/y","__proto__":{"polluted":1}}',
      'not json at all',
      '{"comm":"x","pid":"2","fname":3}',
      good,
    ].join('\n');
    const path = tmp('ig.jsonl');
    await writeFile(path, text);
    const out = tmp('ig.lantern');
    const res = await importFile(path, out, { from: 'ig' });
    expect(res.events).toBe(2);
    expect(res.skipped).toBe(3);
    expect(res.reasons.map((r) => r.line)).toEqual([2, 3, 4]);
    expect(res.reasons[0]!.reason).toMatch(/forbidden key "__proto__"/);
    expect(res.reasons[1]!.reason).toMatch(/not JSON/);
    expect(res.reasons[2]!.reason).toMatch(/not a recognised Inspektor Gadget record/);
    const back = await readCapture(out);
    expect(back.header.inventory!.pods[0]!.labels).toEqual({ app: 'x' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses clearly: nothing convertible (no output left behind), unknown format, missing file', async () => {
    const out = tmp('none.lantern');
    await expect(
      importFile(sample('tracee/v0.22.0/docs__events__builtin__network__net_packet_icmp.jsonl'), out),
    ).rejects.toThrow(
      /nothing to import .* 6 records, none convertible \(6× net_packet_icmp: a packet, not a connection\)/,
    );
    await expect(stat(out)).rejects.toThrow();
    const junk = tmp('junk.txt');
    await writeFile(junk, 'hello\nworld\n');
    await expect(importFile(junk, out)).rejects.toBeInstanceOf(ImportError);
    await expect(importFile(junk, out)).rejects.toThrow(/cannot tell which tool wrote/);
    await expect(importFile(tmp('missing.json'), out)).rejects.toThrow(/cannot open .*ENOENT/);
    const input = tmp('self.json');
    await writeFile(input, '{"rule":"r","output":"o","priority":"Notice","output_fields":{}}\n');
    await expect(importFile(input, input)).rejects.toThrow(/is the input file itself/);
    expect((await stat(input)).size).toBeGreaterThan(0);
  });

  it('lantern import: summary and exit codes 0, 1, 2', async () => {
    const cli = fileURLToPath(new URL('../../cli/lantern.mjs', import.meta.url));
    const run = async (...args: string[]) => {
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, 'import', ...args], {
          timeout: 200_000,
        });
        return { code: 0, stdout, stderr };
      } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        return { code: err.code, stdout: err.stdout, stderr: err.stderr };
      }
    };
    const out = tmp('cli.lantern');
    // Each run compiles the CLI through tsx: run them side by side, the machine may be busy.
    const [ok, none, usage, forced] = await Promise.all([
      run(sample('tracee/v0.14.0/docs__forensics__index.jsonl'), '--out', out),
      run(sample('tracee/v0.22.0/docs__events__builtin__network__net_packet_icmp.jsonl'), '--out', tmp('x.lantern')),
      run('--from', 'splunk', 'x', '--out', 'y'),
      run('--from', 'falco', sample('tetragon/testdata_events.json'), '--out', tmp('y.lantern'), '--json'),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Tracee (detected): 4 records read, 2 events written to');
    expect(ok.stdout).toContain('events: open 2');
    expect(ok.stdout).toMatch(/skipped 2 records:\n {4}1× clone has no Lantern equivalent \(first at line \d\)/);
    expect((await readCapture(out)).events).toHaveLength(2);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^lantern import: nothing to import/);
    expect(usage.code).toBe(2);
    expect(forced.code).toBe(1); // a Tetragon file read as Falco alerts has nothing Falco in it
  }, 240_000);
});
