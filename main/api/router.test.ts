import { describe, expect, it } from 'vitest';
import { calls, STREAM_NAMES } from '../common/contract';
import { CALL_NAMES, STREAM_NAME_LIST } from '../common/callNames';
import { createRouter } from './router';
import { ApiFailure, type HandlerContext, type Handlers } from './handlers/types';

const ctx: HandlerContext = {
  mode: 'browser',
  userDataDir: '/nonexistent',
  publish: () => {},
  onShutdown: () => {},
};

function router(handlers: Handlers, log: (m: string, e: unknown) => void = () => {}) {
  return createRouter(handlers, ctx, { log });
}

describe('router', () => {
  it('the zod-free name lists match the contract exactly', () => {
    expect([...CALL_NAMES].sort()).toEqual(Object.keys(calls).sort());
    expect([...STREAM_NAME_LIST].sort()).toEqual([...STREAM_NAMES].sort());
  });

  it('runs the handler with the validated request', async () => {
    let seen: unknown;
    const r = router({
      'settings.update': async (req) => {
        seen = req;
        return { theme: req.theme ?? 'dark', kubeconfigPath: null, lastContext: null };
      },
    });
    const out = await r.dispatch('settings.update', { theme: 'light' });
    expect(out).toEqual({ ok: true, result: { theme: 'light', kubeconfigPath: null, lastContext: null } });
    expect(seen).toEqual({ theme: 'light' });
  });

  it('refuses names that are not calls, including inherited property names', async () => {
    const r = router({});
    for (const name of [
      'nope',
      'toString',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      '',
      42,
      null,
      undefined,
      {},
    ]) {
      const out = await r.dispatch(name, {});
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.error.code).toBe('unknown-call');
    }
  });

  it('rejects bad payloads before the handler runs, with the reason in words', async () => {
    let ran = false;
    const r = router({
      'graph.events': async () => {
        ran = true;
        return { events: [], total: 0 };
      },
      'session.openFile': async () => {
        ran = true;
        throw new Error('unreachable');
      },
    });
    const bad: [string, unknown][] = [
      ['graph.events', { sessionId: 's', offset: -1, limit: 10 }],
      ['graph.events', { sessionId: 's', offset: 0, limit: 100_000 }],
      ['graph.events', { sessionId: 's', offset: 0, limit: 10, extra: true }],
      ['graph.events', 'not an object'],
      ['graph.events', [1, 2]],
      ['session.openFile', { path: '' }],
      ['session.openFile', { path: 'x'.repeat(5000) }],
      ['session.openFile', JSON.parse('{"path":"/a","__proto__":{"polluted":true}}')],
    ];
    for (const [name, payload] of bad) {
      const out = await r.dispatch(name, payload);
      expect(out.ok, `${name} ${JSON.stringify(payload)}`).toBe(false);
      if (!out.ok) {
        expect(out.error.code).toBe('invalid-request');
        expect(out.error.message).toMatch(new RegExp(`^The request for ${name.replace('.', '\\.')} is not valid`));
        expect(Array.isArray((out.error.details as { issues: unknown[] }).issues)).toBe(true);
      }
    }
    expect(ran).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('treats a missing payload as an empty request', async () => {
    const r = router({ 'app.info': async () => ({ name: 'Lantern', version: '0', mode: 'browser', platform: 'x' }) });
    expect((await r.dispatch('app.info', undefined)).ok).toBe(true);
  });

  it('answers unsupported for calls without a handler', async () => {
    const out = await router({}).dispatch('capture.stop', { captureId: 'c1' });
    expect(out).toEqual({
      ok: false,
      error: { code: 'unsupported', message: 'capture.stop is not available in this version of Lantern.' },
    });
  });

  it('passes ApiFailure codes and details through as plain objects', async () => {
    const r = router({
      'session.info': async () => {
        throw new ApiFailure('not-found', 'No session s1.', { sessionId: 's1' });
      },
    });
    const out = await r.dispatch('session.info', { sessionId: 's1' });
    expect(out).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'No session s1.', details: { sessionId: 's1' } },
    });
    // plain: survives structured clone and JSON
    expect(JSON.parse(JSON.stringify(out))).toEqual(structuredClone(out));
  });

  it('hides unexpected errors behind a safe internal message and logs the real one', async () => {
    const logged: unknown[] = [];
    const r = router(
      {
        'session.info': async () => {
          throw new Error('ENOENT /home/analyst/secret/path');
        },
      },
      (_m, e) => logged.push(e),
    );
    const out = await r.dispatch('session.info', { sessionId: 's1' });
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error.code).toBe('internal');
      expect(out.error.message).not.toContain('secret');
    }
    expect(logged).toHaveLength(1);
  });
});
