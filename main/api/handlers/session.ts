import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HandlerContext, Handlers } from './types';
import { ApiFailure } from './types';
import type { ErrorCode } from '../../common/contract';
import { SessionManager } from '../../session/manager';
import { EngineCallError } from '../../session/client';
import { SessionError } from '../../session/manager';
import { sessionDetectConfig } from './findings';
import { addRecentCapture } from '../../store/settings';

const managers = new WeakMap<HandlerContext, SessionManager>();

/** The session manager behind a handler context (findings handlers reach session detectors through it). */
export function sessionManagerFor(ctx: HandlerContext): SessionManager {
  let m = managers.get(ctx);
  if (!m) {
    const mgr = new SessionManager({
      publish: (name, payload) => ctx.publish(name, payload),
      // H6: new sessions start with the analyst's verdicts and allow-list (main/api/handlers/findings.ts).
      detectConfig: () => sessionDetectConfig(ctx.userDataDir),
    });
    managers.set(ctx, mgr);
    ctx.onShutdown(() => mgr.closeAll());
    m = mgr;
  }
  return m;
}

/** The bundled demo capture: $LANTERN_DEMO_CAPTURE, assets/ next to the sources, or under the cwd. */
export function demoCapturePath(): string {
  const candidates: string[] = [];
  if (process.env.LANTERN_DEMO_CAPTURE) candidates.push(process.env.LANTERN_DEMO_CAPTURE);
  try {
    candidates.push(fileURLToPath(new URL('../../../assets/demo.lantern', import.meta.url)));
  } catch {
    // bundled without a file: URL
  }
  candidates.push(resolve(process.cwd(), 'assets/demo.lantern'));
  for (const c of candidates) if (existsSync(c)) return c;
  throw new ApiFailure('not-found', 'the bundled demo capture is missing from this installation');
}

const CODES = new Set<ErrorCode>([
  'invalid-request',
  'unknown-call',
  'forbidden',
  'not-found',
  'unsupported',
  'bad-input',
  'cluster-error',
  'cancelled',
  'internal',
]);

/** Engine and session errors become API errors with the same code and words. */
export async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiFailure) throw e;
    if (e instanceof EngineCallError || e instanceof SessionError) {
      throw new ApiFailure(CODES.has(e.code as ErrorCode) ? (e.code as ErrorCode) : 'internal', e.message);
    }
    throw e;
  }
}

/** Handlers for the session area of the contract. */
export function createSessionHandlers(ctx: HandlerContext): Handlers {
  const mgr = () => sessionManagerFor(ctx);
  return {
    'session.openFile': (req) =>
      wrap(async () => {
        const info = await mgr().open({ path: req.path }, { continueOnError: req.continueOnError, opId: req.opId });
        // The start screen lists recent captures; a failure to record one must not fail the open.
        await addRecentCapture(ctx.userDataDir, { path: req.path, name: info.name, events: info.events }).catch(
          () => {},
        );
        return info;
      }),
    'session.openDemo': (req) =>
      wrap(() => mgr().open({ path: demoCapturePath(), name: 'Demo capture' }, { kind: 'demo', opId: req.opId })),
    'session.openUpload': (req) =>
      wrap(async () => {
        const buf = Buffer.from(req.dataBase64, 'base64');
        if (buf.length === 0) throw new ApiFailure('bad-input', `${req.name}: the uploaded file is empty`);
        return mgr().open({ buffer: buf, name: req.name }, { opId: req.opId });
      }),
    'session.close': (req) => wrap(async () => ({ closed: await mgr().close(req.sessionId) })),
    'session.info': (req) => wrap(() => mgr().get(req.sessionId).info()),
    'graph.snapshot': (req) => wrap(() => mgr().get(req.sessionId).snapshot(req.collapse)),
    'graph.nodeDetails': (req) => wrap(() => mgr().get(req.sessionId).nodeDetails(req.key)),
    'graph.events': (req) =>
      wrap(() => {
        const q: { nodeKey?: string; edgeKey?: string; offset: number; limit: number } = {
          offset: req.offset,
          limit: req.limit,
        };
        if (req.nodeKey !== undefined) q.nodeKey = req.nodeKey;
        if (req.edgeKey !== undefined) q.edgeKey = req.edgeKey;
        return mgr().get(req.sessionId).events(q);
      }),
    'replay.control': (req) =>
      wrap(() => {
        const r: { action: typeof req.action; time?: number; speed?: number } = { action: req.action };
        if (req.time !== undefined) r.time = req.time;
        if (req.speed !== undefined) r.speed = req.speed;
        return mgr().get(req.sessionId).control(r);
      }),
    'timeline.histogram': (req) => wrap(() => mgr().get(req.sessionId).histogram(req.buckets)),
    'export.graph': (req) => wrap(() => mgr().get(req.sessionId).exportGraph(req.format, req.collapse)),
    'diff.open': (req) => wrap(() => mgr().diff(req.a, req.b, { opId: req.opId })),
    'op.cancel': (req) => wrap(async () => ({ cancelled: await mgr().cancelOp(req.opId) })),
  };
}
