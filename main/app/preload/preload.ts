/**
 * Electron preload (sandboxed; bundled by esbuild to dist/main/app/preload.cjs; may only require
 * 'electron'). Exposes `window.lantern` through contextBridge: one function per contract call and
 * `on(stream, listener)` limited to the contract's stream names. ipcRenderer itself never crosses.
 * The main side validates every payload and checks the sender frame regardless.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { CALL_NAMES, IPC_CALL_CHANNEL, IPC_STREAM_CHANNEL, STREAM_NAME_LIST } from '../../common/callNames';
import type { Envelope, LanternBridge } from '../../common/wire';
import type { StreamName } from '../../common/contract';

const calls = Object.fromEntries(
  CALL_NAMES.map((name) => [
    name,
    (request: unknown) => ipcRenderer.invoke(IPC_CALL_CHANNEL, name, request) as Promise<Envelope>,
  ]),
) as unknown as LanternBridge['calls'];

const listeners = new Map<string, Set<(payload: unknown) => void>>();
const streamNames: readonly string[] = STREAM_NAME_LIST;

ipcRenderer.on(IPC_STREAM_CHANNEL, (_event, name: unknown, payload: unknown) => {
  if (typeof name !== 'string') return;
  for (const listener of listeners.get(name) ?? []) {
    try {
      listener(payload);
    } catch (err) {
      console.error(`Lantern: a ${name} listener failed`, err);
    }
  }
});

const bridge: LanternBridge = {
  calls: Object.freeze(calls),
  on(stream: StreamName, listener: (payload: unknown) => void) {
    if (!streamNames.includes(stream)) throw new Error(`There is no stream named ${String(stream)}.`);
    if (typeof listener !== 'function') throw new Error('A stream listener must be a function.');
    let set = listeners.get(stream);
    if (!set) listeners.set(stream, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  },
};

contextBridge.exposeInMainWorld('lantern', Object.freeze(bridge));
