import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHost } from './host';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function host() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lantern-host-'));
  dirs.push(dir);
  const logs: string[] = [];
  return { h: createHost({ mode: 'browser', userDataDir: dir, assetsDir: dir, log: (m) => logs.push(m) }), logs };
}

describe('host', () => {
  it('runs shutdown callbacks newest first, survives failures and hangs, and only once', async () => {
    const { h, logs } = host();
    const order: string[] = [];
    h.ctx.onShutdown(() => {
      order.push('first');
    });
    h.ctx.onShutdown(async () => {
      order.push('throws');
      throw new Error('boom');
    });
    h.ctx.onShutdown(() => new Promise<void>(() => order.push('hangs')));
    h.ctx.onShutdown(async () => {
      order.push('last');
    });
    const started = Date.now();
    await Promise.all([h.shutdown(200), h.shutdown(200)]);
    await h.shutdown(200);
    expect(order).toEqual(['last', 'hangs', 'throws', 'first']);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(logs.some((l) => l.includes('did not finish within 200 ms'))).toBe(true);
    expect(logs.some((l) => l.includes('shutdown step failed'))).toBe(true);
  });

  it('fans published stream messages out to every subscriber until detached', () => {
    const { h } = host();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const detachA = h.subscribe((name, payload) => a.push([name, payload]));
    h.subscribe((name, payload) => b.push([name, payload]));
    h.ctx.publish('notice', { level: 'info', message: 'one' });
    detachA();
    h.ctx.publish('notice', { level: 'info', message: 'two' });
    expect(a).toEqual([['notice', { level: 'info', message: 'one' }]]);
    expect(b).toHaveLength(2);
  });

  it('routes app calls to the real app handlers', async () => {
    const { h } = host();
    const info = await h.router.dispatch('app.info', {});
    expect(info).toMatchObject({ ok: true, result: { name: 'Lantern', mode: 'browser' } });
    const dialog = await h.router.dispatch('dialog.openCapture', {});
    expect(dialog).toMatchObject({ ok: false, error: { code: 'unsupported' } });
  });
});
