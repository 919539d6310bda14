import { useCallback, useEffect, useRef, useState } from 'react';
import { LanternApiError, type LanternApi } from './index';
import type { OpProgress } from './types';

/** The operation running under this hook, with its latest progress (null before the first report). */
export interface RunningOp {
  opId: string;
  progress: OpProgress | null;
}

export interface LongOp {
  running: RunningOp | null;
  /**
   * Runs `fn` under a new opId (passed to the API call, which then reports `op.progress` and can
   * be cancelled). Resolves to `fn`'s result, or `undefined` when the analyst cancelled it.
   */
  run<T>(fn: (opId: string) => Promise<T>): Promise<T | undefined>;
  /** Asks the main side to cancel the running operation (its call then fails "cancelled"). */
  cancel(): void;
}

export function newOpId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  return c?.randomUUID ? c.randomUUID() : `op-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export function isCancelled(e: unknown): boolean {
  return e instanceof LanternApiError && e.code === 'cancelled';
}

/**
 * A long operation (opening a capture, a diff) the analyst can follow and cancel. One at a time
 * per hook; it is cancelled when the component that started it unmounts.
 */
export function useLongOp(api: LanternApi): LongOp {
  const [running, setRunning] = useState<RunningOp | null>(null);
  const current = useRef<string | null>(null);
  // Subscribed for the component's lifetime, so that no early report is missed.
  useEffect(
    () =>
      api.on('op.progress', (p) => {
        if (p.opId === current.current) setRunning({ opId: p.opId, progress: p });
      }),
    [api],
  );
  const run = useCallback(async <T>(fn: (opId: string) => Promise<T>): Promise<T | undefined> => {
    const opId = newOpId();
    current.current = opId;
    setRunning({ opId, progress: null });
    try {
      return await fn(opId);
    } catch (e) {
      if (isCancelled(e)) return undefined;
      throw e;
    } finally {
      if (current.current === opId) {
        current.current = null;
        setRunning(null);
      }
    }
  }, []);
  const cancel = useCallback(() => {
    const opId = current.current;
    if (opId) void api.call('op.cancel', { opId }).catch(() => undefined);
  }, [api]);
  // Whoever started it is gone (a dialog closed): so is the operation.
  useEffect(() => cancel, [cancel]);
  return { running, run, cancel };
}
