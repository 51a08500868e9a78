// The workspace's change stream (`GET …/stream`, server-sent events) as a React hook.
import { useEffect, useRef, useState } from 'react';
import type { ChangeEvent } from '../api/client';

export type StreamState = 'connecting' | 'live' | 'offline';

/** Calls `onChange` for every change to a group of `ws`; reconnects on its own (EventSource). */
export function useChangeStream(ws: string, onChange: (c: ChangeEvent) => void): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const cb = useRef(onChange);
  cb.current = onChange;
  useEffect(() => {
    const es = new EventSource(`/api/workspaces/${encodeURIComponent(ws)}/stream`, { withCredentials: true });
    es.onopen = () => setState('live');
    es.onerror = () => setState(es.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    es.onmessage = (m: MessageEvent<string>) => {
      try {
        const c = JSON.parse(m.data) as ChangeEvent;
        if (c && typeof c.group_id === 'string') cb.current(c);
      } catch {
        /* a heartbeat or a line we do not know */
      }
    };
    return () => es.close();
  }, [ws]);
  return state;
}
