/**
 * The session area of the contract through the real handlers, a real engine worker and the
 * bundled demo capture: open, snapshot, replay control with published streams, details, events,
 * histogram, export, diff refusal, close, and shutdown terminating the workers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallName, CallRequest, CallResponse, StreamName } from '../../common/contract';
import { generateCapture } from '../../graph/generate';
import { forgetJsonStores } from '../../store/db';
import { createHandlers, type HandlerContext } from './index';
import { ApiFailure } from './types';
import { sample } from '../../events/importers/samples.test-util';

const dir = mkdtempSync(join(tmpdir(), 'lantern-session-api-'));
const shutdown: (() => Promise<void> | void)[] = [];
const published: { name: StreamName; payload: unknown }[] = [];
const ctx: HandlerContext = {
  mode: 'browser',
  userDataDir: join(dir, 'user'),
  publish: (name, payload) => published.push({ name, payload }),
  onShutdown: (fn) => shutdown.push(fn),
};
const handlers = createHandlers(ctx);
async function call<N extends CallName>(name: N, req: CallRequest<N>): Promise<CallResponse<N>> {
  const h = handlers[name] as ((r: CallRequest<N>, c: HandlerContext) => Promise<CallResponse<N>>) | undefined;
  if (!h) throw new Error(`no handler for ${name}`);
  return h(req, ctx);
}

afterAll(async () => {
  for (const fn of shutdown.splice(0)) await fn();
  forgetJsonStores();
  rmSync(dir, { recursive: true, force: true });
});

describe('session handlers', () => {
  it('opens the demo and drives it through the contract', async () => {
    forgetJsonStores();
    const info = await call('session.openDemo', {});
    expect(info).toMatchObject({ kind: 'demo', complete: true });
    expect(info.events).toBeGreaterThan(1000);
    const sessionId = info.sessionId;

    const snap = await call('graph.snapshot', { sessionId });
    expect(snap.reset).toBe(true);
    const pods = await call('graph.snapshot', { sessionId, collapse: 'pod' });
    expect(pods.nodes!.length).toBeLessThan(snap.nodes!.length);

    published.length = 0;
    const st = await call('replay.control', {
      sessionId,
      action: 'seek',
      time: info.startTime + (info.endTime - info.startTime) / 4,
    });
    expect(st.playing).toBe(false);
    expect(st.time).toBeLessThanOrEqual(info.startTime + (info.endTime - info.startTime) / 4);
    expect(published.some((p) => p.name === 'replay.state')).toBe(true);
    const delta = published.find((p) => p.name === 'graph.delta')?.payload as
      { sessionId: string; delta: { reset?: boolean } } | undefined;
    expect(delta?.sessionId).toBe(sessionId);
    expect(delta?.delta.reset).toBe(true); // backwards from the end: the mirror starts over

    const proc = snap.nodes!.find((n) => n.attributes.kind === 'process' && n.attributes.detail === '/usr/bin/curl')!;
    const details = await call('graph.nodeDetails', { sessionId, key: proc.key });
    expect(details.neighbours.length).toBeGreaterThan(0);
    const evs = await call('graph.events', { sessionId, nodeKey: proc.key, offset: 0, limit: 3 });
    expect(evs.events).toHaveLength(3);
    expect(evs.total).toBeGreaterThan(3);

    const hist = await call('timeline.histogram', { sessionId, buckets: 20 });
    expect(hist.counts).toHaveLength(20);

    const md = await call('export.graph', { sessionId, format: 'md' });
    expect(md.fileName).toMatch(/\.md$/);
    expect(md.data).toContain('# Lantern summary');

    await expect(call('graph.nodeDetails', { sessionId, key: 'proc:nope' })).rejects.toMatchObject({
      code: 'not-found',
    });
    expect(await call('session.close', { sessionId })).toEqual({ closed: true });
    await expect(call('session.info', { sessionId })).rejects.toBeInstanceOf(ApiFailure);
  });

  it('opens an upload, refuses an incomparable diff in words, and shutdown stops every worker', async () => {
    const a = join(dir, 'a.lantern');
    const b = join(dir, 'b.lantern');
    await generateCapture({ events: 2000, seed: 3 }, a);
    await generateCapture({ events: 2000, seed: 3, probes: ['exec', 'tcp'] }, b);
    const { readFile } = await import('node:fs/promises');
    const up = await call('session.openUpload', {
      name: 'a.lantern',
      dataBase64: (await readFile(a)).toString('base64'),
    });
    expect(up.events).toBe(2000);
    const garbage = call('session.openUpload', {
      name: 'x.lantern',
      dataBase64: Buffer.from('not a capture').toString('base64'),
    });
    await expect(garbage).rejects.toMatchObject({ code: 'bad-input' });
    const d = await call('diff.open', { a, b });
    expect(d.comparable).toBe(false);
    expect(d.reason).toMatch(/different probes/);
    for (const fn of shutdown.splice(0)) await fn();
    await expect(call('session.info', { sessionId: up.sessionId })).rejects.toBeInstanceOf(ApiFailure);
  });
});

describe('long operations: progress and cancel', () => {
  it('an open and a diff report their progress under the opId; a cancelled open fails "cancelled" and leaves nothing open', async () => {
    const big = join(dir, 'big.lantern');
    await generateCapture({ events: 150_000, seed: 9 }, big);
    const progressOf = (opId: string) =>
      published
        .filter((p) => p.name === 'op.progress' && (p.payload as { opId: string }).opId === opId)
        .map((p) => p.payload as { message: string; events: number; fraction?: number });

    // Followed to the end: events grow, the fraction of the file read grows towards 1.
    published.length = 0;
    const info = await call('session.openFile', { path: big, opId: 'open-1' });
    const seen = progressOf('open-1');
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)!.message).toMatch(/^reading: [\d.]+k events$/);
    const fractions = seen.map((p) => p.fraction!);
    expect(fractions.every((f, i) => f > 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!))).toBe(true);
    expect(seen.at(-1)!.events).toBeLessThanOrEqual(info.events);
    await call('session.close', { sessionId: info.sessionId });

    // Cancelled once it has started reading.
    published.length = 0;
    const pending = call('session.openFile', { path: big, opId: 'open-2' });
    const failed = pending.then(
      () => null,
      (e: unknown) => e,
    );
    await expect.poll(() => progressOf('open-2').length, { timeout: 30_000, interval: 20 }).toBeGreaterThan(0);
    expect(await call('op.cancel', { opId: 'open-2' })).toEqual({ cancelled: true });
    expect(await failed).toMatchObject({ code: 'cancelled', message: 'Cancelled: nothing was opened.' });
    // Nothing of it is left: no pending operation to cancel, and no session.
    expect(await call('op.cancel', { opId: 'open-2' })).toEqual({ cancelled: false });
    const { sessionManagerFor } = await import('./session');
    expect(sessionManagerFor(ctx).ids()).toEqual([]);

    // A diff: A is the first half of the way, B the second.
    published.length = 0;
    const d = await call('diff.open', { a: big, b: big, opId: 'diff-1' });
    expect(d.comparable).toBe(true);
    const diffSeen = progressOf('diff-1');
    expect(diffSeen.some((p) => p.message.startsWith('reading A') && p.fraction! <= 0.5)).toBe(true);
    expect(diffSeen.some((p) => p.message.startsWith('reading B') && p.fraction! > 0.5)).toBe(true);
    await call('session.close', { sessionId: d.sessionId });
  }, 120_000);
});

describe('opening another tool export', () => {
  it('opens a Tetragon export as a session (imported on the fly) and lists it among recent captures', async () => {
    const path = sample('tetragon/testdata_events.json');
    const info = await call('session.openFile', { path });
    expect(info.source).toBe('tetragon');
    expect(info.events).toBeGreaterThan(0);
    const snap = await call('graph.snapshot', { sessionId: info.sessionId });
    expect(snap.nodes!.some((n) => n.attributes.kind === 'process')).toBe(true);
    const recent = await call('recent.list', {});
    expect(recent.captures[0]).toMatchObject({ path, events: info.events });
    await call('session.close', { sessionId: info.sessionId });
  });
});
