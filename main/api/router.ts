/**
 * Transport-independent dispatch of one API call: the Electron IPC transport and the browser-mode
 * WebSocket transport both hand every incoming (name, payload) pair to `dispatch`, which
 *   1. refuses names that are not in the contract ('unknown-call'),
 *   2. validates the payload with the contract's zod schema ('invalid-request'),
 *   3. runs the handler ('unsupported' when none is registered for the call),
 *   4. turns failures into a plain, serialisable ApiError: ApiFailure keeps its code, anything
 *      else becomes 'internal' with a safe message (the real error is logged on the main side only,
 *      since it may carry paths or cluster details the renderer has no business seeing).
 */
import { calls, STREAM_NAMES, type ApiError, type CallName, type StreamName } from '../common/contract';
import { CALL_NAMES, STREAM_NAME_LIST } from '../common/callNames';
import { ApiFailure, type HandlerContext, type Handlers } from './handlers/types';

// Compile-time guard: callNames.ts (used by the zod-free preload) must list exactly the contract's calls
// and streams. If this fails to compile, add the new call/stream name to main/common/callNames.ts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const callNamesMatchContract: Same<(typeof CALL_NAMES)[number], CallName> = true;
const streamNamesMatchContract: Same<(typeof STREAM_NAME_LIST)[number], StreamName> = true;
void callNamesMatchContract;
void streamNamesMatchContract;

export type { Envelope } from '../common/wire';
import type { Envelope } from '../common/wire';

export interface RouterOptions {
  /** Where to report unexpected handler errors (defaults to console.error). */
  log?: (message: string, err: unknown) => void;
}

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(calls, name);
}

export function isStreamName(name: unknown): name is StreamName {
  return typeof name === 'string' && (STREAM_NAMES as readonly string[]).includes(name);
}

const MAX_ISSUES = 20;

export function createRouter(handlers: Handlers, ctx: HandlerContext, opts: RouterOptions = {}) {
  const log = opts.log ?? ((message: string, err: unknown) => console.error(message, err));

  async function dispatch(name: unknown, payload: unknown): Promise<Envelope> {
    if (!isCallName(name)) {
      const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 100)) : typeof name;
      return fail({ code: 'unknown-call', message: `There is no API call named ${shown}.` });
    }
    const parsed = calls[name].request.safeParse(payload ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, MAX_ISSUES).map((i) => ({
        path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)).join('.'),
        message: i.message,
      }));
      const first = issues[0];
      return fail({
        code: 'invalid-request',
        message: `The request for ${name} is not valid${first ? `: ${first.path ? `${first.path}: ` : ''}${first.message}` : ''}.`,
        details: { issues },
      });
    }
    const handler = handlers[name] as ((req: unknown, ctx: HandlerContext) => Promise<unknown>) | undefined;
    if (typeof handler !== 'function') {
      return fail({ code: 'unsupported', message: `${name} is not available in this version of Lantern.` });
    }
    try {
      const result = await handler(parsed.data, ctx);
      return { ok: true, result };
    } catch (err) {
      if (err instanceof ApiFailure) return fail(err.toApiError());
      log(`Lantern: unexpected error in ${name}:`, err);
      return fail({ code: 'internal', message: `Something went wrong inside Lantern while handling ${name}.` });
    }
  }

  return { dispatch };
}

export type Router = ReturnType<typeof createRouter>;

function fail(error: ApiError): Envelope {
  return { ok: false, error };
}
