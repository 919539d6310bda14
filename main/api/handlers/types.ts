/**
 * Handler side of the API contract, shared by both transports (Electron IPC and the browser-mode
 * WebSocket). A transport validates the request with the contract's zod schema, then calls the
 * handler; a handler throws `ApiFailure` (or any Error, reported as 'internal') to fail.
 */
import type {
  ApiError,
  CallName,
  CallRequest,
  CallResponse,
  ErrorCode,
  StreamName,
  StreamPayloads,
} from '../../common/contract';

export interface HandlerContext {
  mode: 'electron' | 'browser';
  /** Where lowdb files, recent captures and exports live. */
  userDataDir: string;
  /** The start screen opens the demo capture by itself when no kubeconfig context is found. */
  demoWhenNoCluster?: boolean;
  /** The repo's assets/ folder (bundled demo capture, rule pack, icons), resolved for both front doors. */
  assetsDir?: string;
  /** Push a stream message to every connected renderer. */
  publish<S extends StreamName>(name: S, payload: StreamPayloads[S]): void;
  /** Register cleanup that must run before the app exits (capture pods, workers, watches). */
  onShutdown(fn: () => Promise<void> | void): void;
  /** Electron only: native open-file dialog. Absent in browser mode. */
  showOpenDialog?: () => Promise<string | null>;
  /** Electron only: native save-file dialog (null when cancelled). Absent in browser mode: files are downloaded. */
  showSaveDialog?: (o: { title: string; defaultName: string }) => Promise<string | null>;
}

export type Handler<N extends CallName> = (req: CallRequest<N>, ctx: HandlerContext) => Promise<CallResponse<N>>;
export type Handlers = { [N in CallName]?: Handler<N> };

export class ApiFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
  toApiError(): ApiError {
    return { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) };
  }
}
