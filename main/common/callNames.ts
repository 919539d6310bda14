/**
 * The names of every call in the API contract (main/common/contract.ts), as plain strings.
 *
 * Why a second list: the Electron preload runs sandboxed and is bundled without zod; it only needs
 * the names to expose one function per call. main/api/router.ts checks at compile time that this
 * list and the contract's `calls` have exactly the same keys, and a unit test checks it at runtime.
 * Environment-free, dependency-free.
 */
export const CALL_NAMES = [
  'app.info',
  'settings.get',
  'settings.update',
  'recent.list',
  'dialog.openCapture',
  'session.openFile',
  'session.openDemo',
  'session.openUpload',
  'session.close',
  'session.info',
  'graph.snapshot',
  'graph.nodeDetails',
  'graph.events',
  'replay.control',
  'timeline.histogram',
  'findings.list',
  'findings.triage',
  'cluster.contexts',
  'cluster.connect',
  'cluster.preflight',
  'capture.start',
  'capture.stop',
  'capture.leftovers',
  'capture.cleanLeftovers',
  'export.graph',
  'diff.open',
  'op.cancel',
  'baseline.list',
  'baseline.learn',
  'baseline.import',
  'baseline.export',
  'baseline.delete',
  'session.setBaseline',
] as const;

/** Stream names, duplicated from contract.ts's STREAM_NAMES for the same reason (checked the same way). */
export const STREAM_NAME_LIST = [
  'graph.delta',
  'capture.progress',
  'findings.changed',
  'replay.state',
  'notice',
  'op.progress',
] as const;

/** IPC channel names used by the Electron transport (preload <-> main). */
export const IPC_CALL_CHANNEL = 'lantern:call';
export const IPC_STREAM_CHANNEL = 'lantern:stream';
