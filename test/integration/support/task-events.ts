/** The live task stream (`/api/events`) as a browser holds it: the events heard so far, and a way to close it. */
export async function listenToTaskEvents(
  baseUrl: string,
  cookie: string,
): Promise<{ events: { key: string; action: string }[]; status: number; close: () => Promise<void> }> {
  const stream = new AbortController();
  const res = await fetch(`${baseUrl}/api/events`, { headers: { cookie }, signal: stream.signal });
  const events: { key: string; action: string }[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      const end = buffer.lastIndexOf('\n');
      for (const m of buffer.slice(0, end + 1).matchAll(/^data: (.+)$/gm))
        events.push(JSON.parse(m[1] ?? '{}') as never);
      buffer = buffer.slice(end + 1);
    }
  })().catch(() => undefined);
  return {
    events,
    status: res.status,
    close: async () => {
      stream.abort();
      await reading;
    },
  };
}
