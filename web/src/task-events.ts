import { useEffect, useRef } from 'preact/hooks';

export interface TaskEvent {
  key: string;
  action: 'created' | 'claimed' | 'unclaimed' | 'completed' | 'canceled';
  by?: string;
}

/** Live task changes from the server (server-sent events); reconnects by itself. */
export function useTaskEvents(onEvent: (e: TaskEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const source = new EventSource('/api/events');
    source.addEventListener('task', (m) => handler.current(JSON.parse((m as MessageEvent<string>).data) as TaskEvent));
    return () => source.close();
  }, []);
}
