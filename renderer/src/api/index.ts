/**
 * THE one renderer module that talks to Lantern's main side. Everything else in the renderer
 * calls `api.call(name, request)` and `api.on(stream, listener)`, typed from the contract
 * (main/common/contract.ts, imported type-only), and never knows which transport is underneath:
 *
 * - Electron: the preload's `window.lantern` bridge (one function per call, contextBridge).
 * - Browser mode: a WebSocket to /api on the serving origin, authenticated with the per-run
 *   token that arrives in the URL fragment (`#token=...`) and is kept in sessionStorage so a
 *   reload still works; the token is removed from the address bar.
 *
 * Failures are thrown as `LanternApiError` (code + message in words + optional details).
 */
import type {
  ApiError,
  CallName,
  CallRequest,
  CallResponse,
  ErrorCode,
  StreamName,
  StreamPayloads,
} from '../../../main/common/contract';
import type { Envelope, LanternBridge, WsResponse, WsStreamMessage } from '../../../main/common/wire';

export type { ApiError, CallName, CallRequest, CallResponse, StreamName, StreamPayloads };

export class LanternApiError extends Error implements ApiError {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'LanternApiError';
    this.code = error.code;
    if (error.details !== undefined) this.details = error.details;
  }
}

/** 'no-token': browser mode opened without the token (e.g. the URL was copied without its #token part). */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'no-token';

export interface LanternApi {
  readonly mode: 'electron' | 'browser';
  call<N extends CallName>(name: N, request: CallRequest<N>): Promise<CallResponse<N>>;
  /** Subscribe to a server-pushed stream; returns an unsubscribe function. */
  on<S extends StreamName>(stream: S, listener: (payload: StreamPayloads[S]) => void): () => void;
  state(): ConnectionState;
  onStateChange(listener: (state: ConnectionState) => void): () => void;
  /** Stop the transport (tests, page unload). */
  close(): void;
}

function unwrap<T>(envelope: Envelope): T {
  if (envelope && envelope.ok === true) return envelope.result as T;
  if (envelope && envelope.ok === false && envelope.error) throw new LanternApiError(envelope.error);
  throw new LanternApiError({ code: 'internal', message: 'Lantern answered with something unexpected.' });
}

/** Electron: everything goes through the preload bridge. */
export function createElectronApi(bridge: LanternBridge): LanternApi {
  return {
    mode: 'electron',
    async call(name, request) {
      const fn = bridge.calls[name];
      if (typeof fn !== 'function') {
        throw new LanternApiError({ code: 'unknown-call', message: `There is no API call named ${name}.` });
      }
      return unwrap(await fn(request));
    },
    on(stream, listener) {
      return bridge.on(stream, listener as (payload: unknown) => void);
    },
    state: () => 'open',
    onStateChange: () => () => {},
    close: () => {},
  };
}

// Must match main/api/wsServer.ts (WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX); the e2e tests connect through both.
const WS_PATH = '/api';
const WS_PROTOCOL = 'lantern.v1';
const WS_TOKEN_PREFIX = 'lantern.token.';

export interface BrowserApiOptions {
  /** ws://host:port/api */
  url: string;
  token: string | null;
  /** Injected in unit tests running in Node (the `ws` package); defaults to the global WebSocket. */
  WebSocketImpl?: typeof WebSocket;
  /** Reconnect delays grow up to this (ms). */
  maxBackoffMs?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Browser mode: one WebSocket, requests matched by id, streams fanned out to listeners. */
export function createBrowserApi(opts: BrowserApiOptions): LanternApi {
  const WS = opts.WebSocketImpl ?? globalThis.WebSocket;
  const maxBackoff = opts.maxBackoffMs ?? 5_000;
  const pending = new Map<number, Pending>();
  const queue: string[] = [];
  const streamListeners = new Map<string, Set<(payload: unknown) => void>>();
  const stateListeners = new Set<(s: ConnectionState) => void>();
  let state: ConnectionState = opts.token ? 'connecting' : 'no-token';
  let socket: WebSocket | null = null;
  let nextId = 1;
  let backoff = 250;
  let closedByUs = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function setState(s: ConnectionState) {
    if (s === state) return;
    state = s;
    for (const l of stateListeners) l(s);
  }

  function connect() {
    if (!opts.token || closedByUs) return;
    setState('connecting');
    const ws = new WS(opts.url, [WS_PROTOCOL, WS_TOKEN_PREFIX + opts.token]);
    socket = ws;
    ws.onopen = () => {
      backoff = 250;
      setState('open');
      for (const text of queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (ev: MessageEvent) => {
      let msg: Partial<WsResponse & WsStreamMessage>;
      try {
        msg = JSON.parse(String(ev.data)) as Partial<WsResponse & WsStreamMessage>;
      } catch {
        return;
      }
      if (typeof msg.stream === 'string') {
        for (const l of streamListeners.get(msg.stream) ?? []) {
          try {
            l(msg.payload);
          } catch (err) {
            console.error(`Lantern: a ${msg.stream} listener failed`, err);
          }
        }
        return;
      }
      if (typeof msg.id === 'number') {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        try {
          p.resolve(unwrap(msg as Envelope));
        } catch (err) {
          p.reject(err);
        }
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(
          new LanternApiError({
            code: 'internal',
            message: 'The connection to Lantern was lost before it answered. Is Lantern still running?',
          }),
        );
      }
      if (closedByUs) return;
      setState('closed');
      retryTimer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, maxBackoff);
    };
    ws.onerror = () => {
      // onclose follows and handles it
    };
  }

  connect();

  return {
    mode: 'browser',
    call(name, request) {
      if (!opts.token) {
        return Promise.reject(
          new LanternApiError({
            code: 'forbidden',
            message: 'This page was opened without its access token. Open the full URL that Lantern printed.',
          }),
        );
      }
      const id = nextId++;
      const text = JSON.stringify({ id, call: name, request });
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        if (socket && socket.readyState === WS.OPEN) socket.send(text);
        else queue.push(text);
      });
    },
    on(stream, listener) {
      let set = streamListeners.get(stream);
      if (!set) streamListeners.set(stream, (set = new Set()));
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
    state: () => state,
    onStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    close() {
      closedByUs = true;
      clearTimeout(retryTimer);
      socket?.close();
      socket = null;
      setState('closed');
    },
  };
}

const TOKEN_KEY = 'lantern.token';

/** Reads the token from #token=… (or ?token=…), keeps it for reloads, and removes it from the address bar. */
export function takeTokenFromLocation(loc: Location = window.location, storage: Storage = window.sessionStorage) {
  const fromHash = new URLSearchParams(loc.hash.replace(/^#/, '')).get('token');
  const fromQuery = new URLSearchParams(loc.search).get('token');
  const token = fromHash ?? fromQuery;
  if (token) {
    storage.setItem(TOKEN_KEY, token);
    try {
      window.history.replaceState(null, '', loc.pathname);
    } catch {
      // not fatal: the token just stays visible
    }
    return token;
  }
  return storage.getItem(TOKEN_KEY);
}

declare global {
  interface Window {
    lantern?: LanternBridge;
  }
}

let instance: LanternApi | null = null;

/** The app-wide API, picking the transport once. */
export function getApi(): LanternApi {
  if (instance) return instance;
  const bridge = window.lantern;
  if (bridge && typeof bridge === 'object' && bridge.calls) {
    instance = createElectronApi(bridge);
  } else {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    instance = createBrowserApi({
      url: `${scheme}://${window.location.host}${WS_PATH}`,
      token: takeTokenFromLocation(),
    });
  }
  return instance;
}

/** Shorthand used across the renderer: `api.call('app.info', {})`. Lazily picks the transport. */
export const api: LanternApi = {
  get mode() {
    return getApi().mode;
  },
  call: (name, request) => getApi().call(name, request),
  on: (stream, listener) => getApi().on(stream, listener),
  state: () => getApi().state(),
  onStateChange: (listener) => getApi().onStateChange(listener),
  close: () => getApi().close(),
};

/** A message in words for any thrown value (for the UI). */
export function errorMessage(err: unknown): string {
  if (err instanceof LanternApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
