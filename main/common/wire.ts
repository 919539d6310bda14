/**
 * What crosses the two transports, beside the contract's own request/response/stream types.
 * Environment-free, types only.
 */
import type { ApiError, CallName, StreamName } from './contract';

/** Every call answers with an envelope; the renderer's API module turns `ok: false` into a thrown error. */
export type Envelope<T = unknown> = { ok: true; result: T } | { ok: false; error: ApiError };

/**
 * What the Electron preload exposes as `window.lantern` through contextBridge: one function per
 * contract call (by call name) and a stream subscription limited to the contract's stream names.
 */
export interface LanternBridge {
  readonly calls: Readonly<Record<CallName, (request: unknown) => Promise<Envelope>>>;
  /** Returns an unsubscribe function. */
  on(stream: StreamName, listener: (payload: unknown) => void): () => void;
}

/** Browser mode WebSocket messages (JSON text frames). */
export interface WsRequest {
  id: number;
  call: CallName;
  request: unknown;
}
export type WsResponse = { id: number } & Envelope;
export interface WsStreamMessage {
  stream: StreamName;
  payload: unknown;
}
