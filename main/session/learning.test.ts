/**
 * Baselines in sessions, through the session manager and real engine workers: a live session in
 * learning mode (the first minute learned, later novelty hunted, the end announced, the learned
 * part saved as a baseline), and detection re-run with another baseline while the capture file is
 * still being written (the re-read waits for the writer's next flush).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureWriter } from '../events/capture-file';
import { CAPTURE_VERSION, type CaptureHeader } from '../common/capture';
import type { StreamName, StreamPayloads } from '../common/contract';
import type { LanternEvent } from '../common/events';
import { inventoryFor, merge, Script, T0 } from '../detect/testkit';
import { SessionManager } from './manager';

type Msg = { [S in StreamName]: { name: S; payload: StreamPayloads[S] } }[StreamName];

let dir: string;
let mgr: SessionManager;
const msgs: Msg[] = [];
let header: CaptureHeader;
let events: LanternEvent[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lantern-learning-'));
  mgr = new SessionManager({ publish: (name, payload) => msgs.push({ name, payload } as Msg) });
  // Three minutes of a web pod; in the third it runs a shell.
  const web = new Script({ name: 'web-1ab', workload: 'web', image: 'nginx:1.25' }, T0);
  web.running(100, '/usr/sbin/nginx', ['nginx']).listen(100, 80);
  for (let s = 0; s < 180; s += 5) {
    web.wait(5).open(100, '/usr/share/nginx/html/index.html');
    if (s === 150) web.exec(700, '/bin/sh', ['sh', '-c', 'id'], 100);
  }
  header = {
    lantern: 'capture',
    version: CAPTURE_VERSION,
    created: new Date(T0 / 1e6).toISOString(),
    tool: { name: 'lantern', version: 'test' },
    nodes: [{ name: 'node-a' }],
    probes: ['exec', 'open'],
    source: 'lantern',
    inventory: inventoryFor([web]),
  };
  events = merge(web).map((ev) => {
    const { pod: _pod, ...raw } = ev;
    return raw;
  });
});
afterAll(async () => {
  await mgr?.closeAll();
  await rm(dir, { recursive: true, force: true });
});

describe('learning mode and re-detection in a live session', () => {
  it('learns the first minute, hunts the rest, says when learning ends, re-runs with a baseline mid-capture', async () => {
    const path = join(dir, 'live.lantern');
    const w = await CaptureWriter.create(path, header);
    const info = await mgr.startLive(header, 'live: lab', path, { learnMinutes: 1 });
    // Counted from the first event (the agents attach after the capture starts): unknown yet.
    expect(info.learning).toEqual({ minutes: 1, done: false });
    const c = mgr.get(info.sessionId);

    // The first half arrives (written and flushed first, as the capture module does).
    const half = Math.floor(events.length / 2);
    for (const ev of events.slice(0, half)) w.write(structuredClone(ev));
    await w.flush();
    await mgr.appendLive(
      info.sessionId,
      events.slice(0, half).map((e) => structuredClone(e)),
    );
    // The rest is written but not flushed yet when the session gets it.
    for (const ev of events.slice(half)) w.write(structuredClone(ev));
    await mgr.appendLive(
      info.sessionId,
      events.slice(half).map((e) => structuredClone(e)),
    );

    const live = await c.info();
    expect(live.learning).toEqual({ minutes: 1, until: events[0]!.time + 60e9, done: true });
    const notice = msgs.find((m) => m.name === 'notice');
    expect(notice?.payload).toMatchObject({ level: 'info' });
    expect((notice?.payload as { message: string }).message).toMatch(/^Learning finished after 1 min/);
    const hunted = (await c.findings()).filter((f) => f.method === 'baseline');
    expect(hunted.map((f) => f.title)).toEqual([expect.stringContaining('ran /bin/sh')]);

    // What was learned is the first minute only: no shell in it.
    const learned = await c.learnBaseline('first minute');
    expect(learned).toMatchObject({ name: 'first minute', source: 'live: lab', format: 'lantern-baseline' });
    const web = learned.workloads['shop/Deployment/web']!;
    expect(web.exes).toContain('/usr/sbin/nginx');
    expect(web.exes).not.toContain('/bin/sh');

    // Another baseline while the capture runs: the re-read finds the file short of what the
    // session holds, waits for the flush, then re-runs. Learning mode stays on.
    const other = { ...learned, name: 'monday' };
    const redone = c.setDetectConfig({ baseline: other });
    setTimeout(() => void w.flush(), 300);
    const after = await redone;
    expect(after).toMatchObject({ baseline: 'monday', learning: { minutes: 1, done: true } });
    const now = (await c.findings()).filter((f) => f.method === 'baseline');
    expect(now.map((f) => f.title)).toEqual([expect.stringContaining('never seen in baseline monday')]);
    // The learning end is not announced a second time.
    expect(msgs.filter((m) => m.name === 'notice')).toHaveLength(1);
    await w.close();

    // Raw events of a live session are read back from its file.
    const evs = await c.events({ offset: 0, limit: 5 });
    expect(evs.total).toBe(events.length);
    expect(evs.events).toHaveLength(5);
  });

  it('refuses to re-run detection when the file never catches up, and keeps the old findings', async () => {
    const path = join(dir, 'short.lantern');
    const w = await CaptureWriter.create(path, header);
    await w.flush();
    const info = await mgr.startLive(header, 'live: short', path);
    const c = mgr.get(info.sessionId);
    await mgr.appendLive(
      info.sessionId,
      events.slice(0, 20).map((e) => structuredClone(e)),
    );
    const before = await c.findings();
    await expect(c.setDetectConfig({})).rejects.toThrow(/now holds 0 of the 20 events/);
    expect(await c.findings()).toEqual(before);
    expect((await c.info()).baseline).toBeUndefined();
    await w.close();
  }, 20_000);
});
