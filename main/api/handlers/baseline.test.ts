/**
 * The baselines area of the contract through the real router (zod validation, errors as the
 * renderer gets them), the real handlers, real engine workers and real capture files:
 * learn → list → set active → findings change → export → import → delete, and bad input in words.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureWriter } from '../../events/capture-file';
import { CAPTURE_VERSION, type CaptureHeader } from '../../common/capture';
import type { ApiError, CallName, CallRequest, CallResponse, StreamName } from '../../common/contract';
import type { Finding } from '../../common/findings';
import { forgetJsonStores } from '../../store/db';
import { inventoryFor, merge, Script, T0 } from '../../detect/testkit';
import { createRouter } from '../router';
import { createHandlers, type HandlerContext } from './index';
import { forgetBaselineCatalogs } from './baseline';

const dir = mkdtempSync(join(tmpdir(), 'lantern-baseline-api-'));
const shutdown: (() => Promise<void> | void)[] = [];
const published: { name: StreamName; payload: unknown }[] = [];
const saved: string[] = [];

function context(extra: Partial<HandlerContext> = {}): HandlerContext {
  return {
    mode: 'browser',
    userDataDir: join(dir, 'user'),
    publish: (name, payload) => published.push({ name, payload }),
    onShutdown: (fn) => shutdown.push(fn),
    ...extra,
  };
}
const ctx = context();
const router = createRouter(createHandlers(ctx), ctx, { log: () => {} });

/** A call as the renderer makes it: through the router; failures come back as ApiError. */
async function call<N extends CallName>(name: N, req: CallRequest<N>): Promise<CallResponse<N>> {
  const r = await router.dispatch(name, req);
  if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
  return r.result as CallResponse<N>;
}
async function fails(name: CallName, req: unknown): Promise<ApiError> {
  const r = await router.dispatch(name, req);
  if (r.ok) throw new Error(`${name} should have failed`);
  return r.error;
}

/** A small shop: web replicas serving and talking to db; `extra` adds day-2 behaviour. */
async function shopCapture(file: string, t0: number, extra?: (webs: Script[]) => void): Promise<void> {
  const webs = [1, 2].map((i) => new Script({ name: `web-${i}ab`, workload: 'web', image: 'nginx:1.25' }, t0));
  const db = new Script({ name: 'db-0', workload: 'db', kind: 'StatefulSet', image: 'postgres:16' }, t0);
  webs.forEach((w) => w.running(100, '/usr/sbin/nginx', ['nginx']).listen(100, 80));
  db.running(100, '/usr/lib/postgresql/16/bin/postgres').listen(100, 5432);
  for (let s = 0; s < 60; s += 5) {
    for (const w of webs) w.wait(5).connect(100, '10.244.0.50', 5432).open(100, '/usr/share/nginx/html/index.html');
    db.wait(5).open(100, '/var/lib/postgresql/data/base/1');
  }
  extra?.(webs);
  const inventory = inventoryFor([...webs, db]);
  inventory.pods.find((p) => p.name === 'db-0')!.ips = ['10.244.0.50'];
  const header: CaptureHeader = {
    lantern: 'capture',
    version: CAPTURE_VERSION,
    created: new Date(t0 / 1e6).toISOString(),
    tool: { name: 'lantern', version: 'test' },
    nodes: [{ name: 'node-a' }],
    probes: ['exec', 'open', 'tcp'],
    source: 'lantern',
    inventory,
  };
  const w = await CaptureWriter.create(file, header);
  // A capture file carries raw events: the engine joins pods from the inventory.
  for (const ev of merge(...webs, db)) {
    const { pod: _pod, ...raw } = ev;
    w.write(raw);
  }
  await w.close();
}

const monday = join(dir, 'monday.lantern');
const tuesday = join(dir, 'tuesday.lantern');

beforeAll(async () => {
  forgetJsonStores();
  forgetBaselineCatalogs();
  await shopCapture(monday, T0);
  await shopCapture(tuesday, T0 + 86_400e9, (webs) =>
    webs[1]!.exec(900, '/usr/bin/curl', ['curl', 'http://203.0.113.9/x'], 100).connect(900, '203.0.113.9', 80),
  );
});

afterAll(async () => {
  for (const fn of shutdown.splice(0)) await fn();
  forgetJsonStores();
  forgetBaselineCatalogs();
  rmSync(dir, { recursive: true, force: true });
});

const baselineFindings = (fs: Finding[]) => fs.filter((f) => f.method === 'baseline');

describe('baseline handlers', () => {
  it('learn → list → set active → findings change → unset → delete', async () => {
    expect(await call('baseline.list', {})).toEqual([]);
    const mon = await call('session.openFile', { path: monday });
    expect(mon.baseline).toBeUndefined();

    const learned = await call('baseline.learn', { sessionId: mon.sessionId, name: '  shop monday ' });
    expect(learned.replaced).toBe(false);
    expect(learned.file).toBeUndefined();
    expect(learned.baseline).toMatchObject({ name: 'shop monday', source: 'monday.lantern', workloads: 2 });
    expect(learned.baseline.workloadKeys).toEqual(['shop/Deployment/web', 'shop/StatefulSet/db']);
    expect(learned.baseline.from).toBeGreaterThanOrEqual(T0);
    // The portable file is in the catalog folder and parses as a baseline.
    const onDisk = JSON.parse(readFileSync(learned.baseline.file, 'utf8')) as { format: string; name: string };
    expect(onDisk).toMatchObject({ format: 'lantern-baseline', name: 'shop monday' });

    const list = await call('baseline.list', {});
    expect(list.map((b) => b.name)).toEqual(['shop monday']);

    const tue = await call('session.openFile', { path: tuesday });
    const before = await call('findings.list', { sessionId: tue.sessionId });
    expect(baselineFindings(before)).toEqual([]);

    published.length = 0;
    const set = await call('session.setBaseline', { sessionId: tue.sessionId, name: 'shop monday' });
    expect(set.info.baseline).toBe('shop monday');
    const novel = baselineFindings(set.findings);
    expect(novel.map((f) => f.ruleId).sort()).toEqual(['BASE-C', 'BASE-X']);
    for (const f of novel) {
      expect(f.title).toContain('never seen in baseline shop monday');
      expect(f.pod?.name).toBe('web-2ab');
    }
    // The findings panel hears about it, and findings.list answers the same.
    const pushed = published.filter((p) => p.name === 'findings.changed').at(-1)!.payload as {
      sessionId: string;
      findings: Finding[];
    };
    expect(pushed.sessionId).toBe(tue.sessionId);
    expect(baselineFindings(pushed.findings)).toHaveLength(2);
    expect(baselineFindings(await call('findings.list', { sessionId: tue.sessionId }))).toHaveLength(2);
    expect((await call('session.info', { sessionId: tue.sessionId })).baseline).toBe('shop monday');
    // The rules still run beside the baseline: the curl finding is there too.
    expect(set.findings.some((f) => f.method === 'rule')).toBe(before.some((f) => f.method === 'rule'));

    // Monday hunted against itself: nothing is new.
    const self = await call('session.setBaseline', { sessionId: mon.sessionId, name: 'shop monday' });
    expect(baselineFindings(self.findings)).toEqual([]);

    const unset = await call('session.setBaseline', { sessionId: tue.sessionId, name: null });
    expect(unset.info.baseline).toBeUndefined();
    expect(baselineFindings(unset.findings)).toEqual([]);
    expect(unset.findings.map((f) => f.id).sort()).toEqual(before.map((f) => f.id).sort());

    expect(await call('baseline.delete', { name: 'shop monday' })).toEqual({ deleted: true });
    expect(await call('baseline.list', {})).toEqual([]);
    expect(() => readFileSync(learned.baseline.file)).toThrow();
    expect(await call('baseline.delete', { name: 'shop monday' })).toEqual({ deleted: false });
    const gone = await fails('session.setBaseline', { sessionId: tue.sessionId, name: 'shop monday' });
    expect(gone).toMatchObject({
      code: 'not-found',
      message: 'There is no baseline named "shop monday" in the catalog.',
    });

    await call('session.close', { sessionId: mon.sessionId });
    await call('session.close', { sessionId: tue.sessionId });
  });

  it('exports for download (browser) or through the save dialog (Electron), imports, survives a restart', async () => {
    const mon = await call('session.openFile', { path: monday });
    const r = await call('baseline.learn', { sessionId: mon.sessionId, name: 'monday', exportFile: true });
    expect(r.file?.download?.fileName).toBe('monday.baseline.json');
    expect(r.file?.download?.mime).toBe('application/json');
    const text = r.file!.download!.data;
    expect(JSON.parse(text)).toMatchObject({ format: 'lantern-baseline', name: 'monday' });
    // Learning again under the same name replaces it, and says so.
    expect((await call('baseline.learn', { sessionId: mon.sessionId, name: 'monday' })).replaced).toBe(true);

    const imported = await call('baseline.import', { fileName: 'from-ci.baseline.json', text, name: 'from CI' });
    expect(imported).toMatchObject({ replaced: false, baseline: { name: 'from CI', workloads: 2 } });
    // Two names that make the same safe file name do not share (and later delete) one file.
    expect(imported.baseline.file).not.toBe(r.baseline.file);
    const asIs = await call('baseline.import', { fileName: 'x.json', text });
    expect(asIs).toMatchObject({ replaced: true, baseline: { name: 'monday' } });

    // Electron: the save dialog's path is written; a cancelled dialog writes nothing.
    const target = join(dir, 'saved.baseline.json');
    let answer: string | null = target;
    const ectx = context({
      mode: 'electron',
      showSaveDialog: async (o) => {
        saved.push(o.defaultName);
        return answer;
      },
    });
    const erouter = createRouter(createHandlers(ectx), ectx, { log: () => {} });
    const ex = await erouter.dispatch('baseline.export', { name: 'from CI' });
    expect(ex).toEqual({ ok: true, result: { savedTo: target } });
    expect(saved[0]).toMatch(/^from_CI-[0-9a-f]{8}\.baseline\.json$/);
    expect(JSON.parse(readFileSync(target, 'utf8'))).toMatchObject({ name: 'from CI' });
    answer = null;
    expect(await erouter.dispatch('baseline.export', { name: 'from CI' })).toEqual({ ok: true, result: {} });

    // A restart: the catalog is read back from disk.
    forgetJsonStores();
    forgetBaselineCatalogs();
    expect((await call('baseline.list', {})).map((b) => b.name).sort()).toEqual(['from CI', 'monday']);
    await call('session.close', { sessionId: mon.sessionId });
  });

  it('refuses bad input in words: foreign files, garbage, bad names, unknown sessions', async () => {
    const garbage = await fails('baseline.import', { fileName: 'x.json', text: 'not json at all' });
    expect(garbage.code).toBe('bad-input');
    expect(garbage.message).toMatch(/^x\.json: not JSON/);
    const foreign = await fails('baseline.import', {
      fileName: 'rules.yaml',
      text: JSON.stringify({ format: 'lantern-rules', version: 1, rules: [] }),
    });
    expect(foreign.message).toMatch(/rules\.yaml: not a Lantern baseline: format/);
    const huge = await fails('baseline.import', {
      fileName: 'b.json',
      text: JSON.stringify({
        format: 'lantern-baseline',
        version: 1,
        name: 'x',
        created: 'now',
        workloads: { w: { exes: ['a'.repeat(5000)] } },
      }),
    });
    expect(huge.message).toMatch(/workloads\.w\.exes\.0/);

    // __proto__ as a workload key (attacker-controlled JSON) is dropped, never becomes a prototype.
    const proto = `{"format":"lantern-baseline","version":1,"name":"evil\\u0007name","created":"now","workloads":{"__proto__":{"exes":["/bin/sh"],"spawns":[],"connects":[],"listens":[],"files":[],"privs":[],"dns":[],"pods":1,"events":1}}}`;
    const ok = await call('baseline.import', { fileName: 'evil.json', text: proto });
    expect(ok.baseline.name).toBe('evil name');
    expect(ok.baseline.workloadKeys).toEqual([]);
    const stored = JSON.parse(readFileSync(ok.baseline.file, 'utf8')) as { workloads: object };
    expect(Object.keys(stored.workloads)).toEqual([]);
    expect(({} as Record<string, unknown>).exes).toBeUndefined();
    expect(await call('baseline.delete', { name: 'evil name' })).toEqual({ deleted: true });

    const ctl = await fails('baseline.learn', { sessionId: 's-x', name: 'bad\u0000name' });
    expect(ctl).toMatchObject({ code: 'invalid-request' });
    expect(ctl.message).toContain('control characters');
    expect(await fails('baseline.learn', { sessionId: 's-x', name: '   ' })).toMatchObject({ code: 'invalid-request' });
    expect(await fails('baseline.learn', { sessionId: 's-missing', name: 'x' })).toMatchObject({
      code: 'not-found',
      message: 'no open session s-missing',
    });
    expect(await fails('baseline.import', { fileName: 'x', text: 'y', extra: 1 })).toMatchObject({
      code: 'invalid-request',
    });
    expect(await fails('baseline.export', { name: 'nope' })).toMatchObject({ code: 'not-found' });

    // A diff session has no single capture to learn from or to hunt.
    const diff = await call('diff.open', { a: monday, b: tuesday });
    expect(diff.comparable).toBe(true);
    expect(await fails('baseline.learn', { sessionId: diff.sessionId, name: 'x' })).toMatchObject({
      code: 'unsupported',
      message: 'a diff has nothing to learn a baseline from: open one of its captures',
    });
    expect(await fails('session.setBaseline', { sessionId: diff.sessionId, name: null })).toMatchObject({
      code: 'unsupported',
    });
    await call('session.close', { sessionId: diff.sessionId });

    // capture.start: an unknown baseline fails before anything touches a cluster; learning is 1..1440 min.
    const start = { context: 'no-such-context', targets: {}, durationSec: 60 };
    expect(await fails('capture.start', { ...start, baseline: 'nope' })).toMatchObject({
      code: 'not-found',
      message: 'There is no baseline named "nope" in the catalog.',
    });
    expect(await fails('capture.start', { ...start, learnMinutes: 0 })).toMatchObject({ code: 'invalid-request' });
    expect(await fails('capture.start', { ...start, learnMinutes: 1.5 })).toMatchObject({ code: 'invalid-request' });
  });
});
