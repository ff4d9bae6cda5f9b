import { useEffect, useRef } from 'preact/hooks';

export interface TaskEvent {
  key: string;
  /** `resync`: the server may have missed changes (its database was away); every list looks again. */
  action: 'created' | 'claimed' | 'unclaimed' | 'completed' | 'canceled' | 'resync';
  by?: string;
}

/** Live task changes from the server (server-sent events); reconnects by itself. */
export function useTaskEvents(onEvent: (e: TaskEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const source = new EventSource('/api/events');
    source.addEventListener('task', (m) => handler.current(JSON.parse((m as MessageEvent<string>).data) as TaskEvent));
    // Connected again after the server went away (another API process now, perhaps): what
    // changed meanwhile was not heard, so the page looks again.
    let opened = false;
    source.addEventListener('open', () => {
      if (opened) handler.current({ key: '', action: 'resync' });
      opened = true;
    });
    return () => source.close();
  }, []);
}
