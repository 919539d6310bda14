/**
 * findings.list / findings.triage through the real handlers, a real engine worker and a real
 * capture file: the verdict persists in the user-data folder, "benign + allow-list" hides the
 * finding in this session (published as 'findings.changed') and in the next one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureWriter } from '../../events/capture-file';
import { CAPTURE_VERSION, type CaptureHeader } from '../../common/capture';
import type { StreamName } from '../../common/contract';
import { forgetJsonStores } from '../../store/db';
import { inventoryFor, Script } from '../../detect/testkit';
import { createHandlers, type HandlerContext } from './index';

const dir = mkdtempSync(join(tmpdir(), 'lantern-findings-api-'));
const shutdown: (() => Promise<void> | void)[] = [];
const published: { name: StreamName; payload: unknown }[] = [];
const ctx: HandlerContext = {
  mode: 'browser',
  userDataDir: join(dir, 'user'),
  publish: (name, payload) => published.push({ name, payload }),
  onShutdown: (fn) => shutdown.push(fn),
};
let capture: string;

beforeAll(async () => {
  forgetJsonStores();
  const web = new Script({ name: 'web-1x', workload: 'web' });
  web
    .running(100, '/usr/sbin/nginx')
    .exec(200, '/bin/bash', ['bash'])
    .exec(210, '/bin/cat', ['cat', '/etc/shadow'], 200)
    .open(210, '/etc/shadow');
  const header: CaptureHeader = {
    lantern: 'capture',
    version: CAPTURE_VERSION,
    created: new Date().toISOString(),
    tool: { name: 'lantern', version: 'test' },
    nodes: [{ name: 'node-a' }],
    probes: ['exec', 'open'],
    source: 'lantern',
    inventory: inventoryFor([web]),
  };
  capture = join(dir, 'c.lantern');
  const w = await CaptureWriter.create(capture, header);
  // The capture file carries raw events: pods are joined from the inventory by the engine.
  for (const ev of web.events) {
    const { pod: _pod, ...raw } = ev;
    w.write(raw);
  }
  await w.close();
});

afterAll(async () => {
  for (const fn of shutdown) await fn();
  rmSync(dir, { recursive: true, force: true });
});

describe('findings handlers', () => {
  it('lists, triages with an allow-list entry, and remembers it for the next session', async () => {
    const h = createHandlers(ctx);
    const s1 = await h['session.openFile']!({ path: capture }, ctx);
    const list = await h['findings.list']!({ sessionId: s1.sessionId }, ctx);
    const ids = list.map((f) => f.ruleId);
    expect(ids).toEqual(expect.arrayContaining(['LNT-001', 'LNT-018']));
    const shell = list.find((f) => f.ruleId === 'LNT-001')!;
    expect(shell.pod).toEqual({ namespace: 'shop', name: 'web-1x', workload: 'web' });
    expect(shell.status).toBe('new');

    const confirmed = list.find((f) => f.ruleId === 'LNT-018')!;
    expect(
      (await h['findings.triage']!({ sessionId: s1.sessionId, id: confirmed.id, status: 'confirmed' }, ctx)).status,
    ).toBe('confirmed');
    await expect(
      h['findings.triage']!({ sessionId: s1.sessionId, id: confirmed.id, status: 'confirmed', allowList: true }, ctx),
    ).rejects.toThrow(/only a benign verdict/);
    await expect(h['findings.triage']!({ sessionId: s1.sessionId, id: 'nope', status: 'benign' }, ctx)).rejects.toThrow(
      /no finding nope/,
    );

    published.length = 0;
    const r = await h['findings.triage']!(
      { sessionId: s1.sessionId, id: shell.id, status: 'benign', allowList: true },
      ctx,
    );
    expect(r.status).toBe('benign');
    const pushed = published.find((p) => p.name === 'findings.changed')!.payload as {
      sessionId: string;
      findings: { ruleId: string; status: string }[];
    };
    expect(pushed.sessionId).toBe(s1.sessionId);
    expect(pushed.findings.map((f) => f.ruleId)).not.toContain('LNT-001');
    expect(pushed.findings.find((f) => f.ruleId === 'LNT-018')!.status).toBe('confirmed');
    expect((await h['findings.list']!({ sessionId: s1.sessionId }, ctx)).map((f) => f.ruleId)).not.toContain('LNT-001');

    // A restart: new handler context over the same user-data folder, a new session.
    forgetJsonStores();
    const h2 = createHandlers({ ...ctx });
    const s2 = await h2['session.openFile']!({ path: capture }, ctx);
    const list2 = await h2['findings.list']!({ sessionId: s2.sessionId }, ctx);
    expect(list2.map((f) => f.ruleId)).not.toContain('LNT-001');
    expect(list2.find((f) => f.ruleId === 'LNT-018')!.status).toBe('confirmed');
    await expect(h2['findings.list']!({ sessionId: 'missing' }, ctx)).rejects.toThrow(/no open session/);
  });
});
