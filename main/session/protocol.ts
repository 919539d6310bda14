/** Messages between the session manager (main thread) and an engine worker. */
import type { EngineMessage } from './engine';
import type { SessionDetectConfig } from '../detect/index';

export interface WorkerInit {
  sessionId: string;
  /** Plug in detection (main/detect) as a sink. Default true. */
  detect?: boolean;
  /** Detection configuration (triage verdicts, allow-list, user rules, baseline), plain data. */
  detectConfig?: SessionDetectConfig;
  checkpointEvery?: number;
  tickMs?: number;
}

export type EngineMethod =
  | 'open'
  | 'openDiff'
  | 'startLive'
  | 'appendLive'
  | 'info'
  | 'snapshot'
  | 'nodeDetails'
  | 'events'
  | 'control'
  | 'histogram'
  | 'exportGraph'
  | 'findings'
  | 'setDetectConfig'
  | 'learnBaseline'
  | 'endLive'
  | 'diff'
  | 'seekToIndex'
  | 'replayMemory'
  | 'memory'
  | 'close';

export interface WorkerRequest {
  id: number;
  method: EngineMethod;
  args: unknown[];
}

export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string } }
  | { event: EngineMessage };
