import { useEffect, useRef } from 'react';
import { api, type StreamName, type StreamPayloads } from './index';

/** React hook: subscribe to a server-pushed stream for the component's lifetime. */
export function useStream<S extends StreamName>(stream: S, listener: (payload: StreamPayloads[S]) => void): void {
  const ref = useRef(listener);
  useEffect(() => {
    ref.current = listener;
  });
  useEffect(() => api.on(stream, (payload) => ref.current(payload)), [stream]);
}
