import type { DashboardMessage } from '../src/dashboard/index.js';

/** A Server-Sent Events reader over fetch: waits for the message a test expects, bounded. */
export async function openEvents(url: string) {
  const controller = new AbortController();
  const response = await fetch(new URL('/api/events', url), { signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const received: DashboardMessage[] = [];
  let buffer = '';
  let ended = false;
  let wake: (() => void) | undefined;
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of frame.split('\n')) {
            if (line.startsWith('data: ')) received.push(JSON.parse(line.slice(6)));
          }
          end = buffer.indexOf('\n\n');
        }
        wake?.();
      }
    } catch {
      // aborted by close()
    }
    ended = true;
    wake?.();
  })();

  return {
    received,
    response,
    /** Whether the server ended the stream. */
    get ended() {
      return ended;
    },
    /** The first message (seen already or to come) matching `predicate`, within `timeout` ms. */
    async next<T extends DashboardMessage>(
      predicate: (message: DashboardMessage) => message is T,
      timeout = 3_000,
    ): Promise<T> {
      const deadline = Date.now() + timeout;
      for (;;) {
        const found = received.find(predicate);
        if (found) return found;
        if (ended) throw new Error('the event stream ended');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching message within ${timeout} ms`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, left).unref();
        });
      }
    },
    /** Resolves when the server has ended the stream. */
    async whenEnded(timeout = 3_000): Promise<void> {
      const deadline = Date.now() + timeout;
      while (!ended && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50).unref();
        });
      }
      if (!ended) throw new Error('the event stream is still open');
    },
    async close(): Promise<void> {
      controller.abort();
      await pump;
    },
  };
}

/** Type guard for messages of one type, e.g. `is('transition')`. */
export const is =
  <K extends DashboardMessage['type']>(
    type: K,
    where: (m: Extract<DashboardMessage, { type: K }>) => boolean = () => true,
  ) =>
  (message: DashboardMessage): message is Extract<DashboardMessage, { type: K }> =>
    message.type === type && where(message as Extract<DashboardMessage, { type: K }>);
