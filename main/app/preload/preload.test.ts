/**
 * The preload's surface, checked without Electron (its binary is absent on machines like this
 * one; e2e/foundation/electron.spec.ts checks the real thing where it exists). `electron` is
 * replaced by a recorder of what the preload hands to contextBridge and ipcRenderer.
 */
import { describe, expect, it, vi } from 'vitest';
import { CALL_NAMES, IPC_CALL_CHANNEL, IPC_STREAM_CHANNEL } from '../../common/callNames';

const exposed: Record<string, unknown> = {};
const invoked: unknown[][] = [];
const ipcListeners = new Map<string, (...args: unknown[]) => void>();

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, value: unknown) => {
      exposed[key] = value;
    },
  },
  ipcRenderer: {
    invoke: (...args: unknown[]) => {
      invoked.push(args);
      return Promise.resolve({ ok: true, result: 'answer' });
    },
    on: (channel: string, fn: (...args: unknown[]) => void) => ipcListeners.set(channel, fn),
  },
}));

describe('preload', async () => {
  await import('./preload');
  const bridge = exposed.lantern as {
    calls: Record<string, (req: unknown) => Promise<unknown>>;
    on: (s: string, f: (p: unknown) => void) => () => void;
  };

  it('exposes only `lantern`, with exactly one function per contract call and `on`', () => {
    expect(Object.keys(exposed)).toEqual(['lantern']);
    expect(Object.keys(bridge).sort()).toEqual(['calls', 'on']);
    expect(Object.keys(bridge.calls).sort()).toEqual([...CALL_NAMES].sort());
    expect(Object.isFrozen(bridge) && Object.isFrozen(bridge.calls)).toBe(true);
  });

  it('each call goes to the one IPC channel with its own name', async () => {
    expect(await bridge.calls['session.info']!({ sessionId: 's1' })).toEqual({ ok: true, result: 'answer' });
    expect(invoked.at(-1)).toEqual([IPC_CALL_CHANNEL, 'session.info', { sessionId: 's1' }]);
  });

  it('streams: only contract stream names, delivered to subscribers until they unsubscribe', () => {
    expect(() => bridge.on('not-a-stream', () => {})).toThrow(/no stream named/);
    const got: unknown[] = [];
    const off = bridge.on('notice', (p) => got.push(p));
    const emit = ipcListeners.get(IPC_STREAM_CHANNEL)!;
    emit({}, 'notice', { message: 'a' });
    emit({}, 'graph.delta', { other: true });
    off();
    emit({}, 'notice', { message: 'b' });
    expect(got).toEqual([{ message: 'a' }]);
  });
});
