/**
 * An in-memory stand-in for the API, for the UI benchmark page only: it serves a generated graph
 * so that the benchmark measures the renderer (mirror, sigma, layout, React) and nothing else.
 */
import type { LanternApi } from '../api';
import type {
  CallName,
  CallRequest,
  CallResponse,
  SessionInfo,
  StreamName,
  StreamPayloads,
} from '../../../main/common/contract';
import type { Finding } from '../../../main/common/findings';
import type { GraphDelta } from '../../../main/common/graph';

export function memoryApi(delta: GraphDelta, session: SessionInfo, findings: Finding[]): LanternApi {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const byKey = new Map((delta.nodes ?? []).map((n) => [n.key, n]));
  const handlers: Partial<{ [N in CallName]: (r: CallRequest<N>) => CallResponse<N> }> = {
    'settings.get': () => ({ theme: 'dark', kubeconfigPath: null, lastContext: null }),
    'settings.update': () => ({ theme: 'dark', kubeconfigPath: null, lastContext: null }),
    'graph.snapshot': () => delta,
    'findings.list': () => findings,
    'session.info': () => session,
    'timeline.histogram': (r) => {
      const counts = new Array<number>(r.buckets).fill(0);
      const span = Math.max(1, session.endTime - session.startTime);
      for (const n of delta.nodes ?? []) {
        const i = Math.min(
          r.buckets - 1,
          Math.max(0, Math.floor(((n.attributes.firstSeen - session.startTime) / span) * r.buckets)),
        );
        counts[i]! += n.attributes.count;
      }
      return {
        start: session.startTime,
        end: session.endTime,
        counts,
        findings: findings.map((f) => ({ time: f.firstSeen, severity: f.severity, id: f.id })),
      };
    },
    'graph.nodeDetails': (r) => {
      const n = byKey.get(r.key);
      if (!n) throw new Error('no such node');
      return { key: r.key, attributes: n.attributes, ancestors: [], children: [], neighbours: [], findings: [] };
    },
    'graph.events': () => ({ events: [], total: 0 }),
  };
  return {
    mode: 'browser',
    async call(name, request) {
      const h = handlers[name] as ((r: unknown) => unknown) | undefined;
      if (!h) throw Object.assign(new Error(`${name} is not part of the benchmark`), { code: 'unsupported' });
      return h(request) as never;
    },
    on<S extends StreamName>(stream: S, listener: (payload: StreamPayloads[S]) => void) {
      let set = listeners.get(stream);
      if (!set) listeners.set(stream, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => set.delete(listener as (p: unknown) => void);
    },
    state: () => 'open',
    onStateChange: () => () => {},
    close: () => {},
  };
}
