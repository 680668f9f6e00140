/**
 * One replica of `npm run bench:redis`, in its own Node process, driven by the parent over IPC.
 * It holds one breaker named like every other replica's, on a store over a real Redis, and
 * answers: trip it here, tell when it rejects, reset it, run calls at a given rate.
 */
import { pathToFileURL } from 'node:url';
import type * as Core from '../src/index.js';
import type * as RedisEntry from '../src/redis/index.js';
import { REDIS_BUILD_DIR } from './library.js';

/** What the parent asks. */
export type ReplicaRequest =
  | { op: 'arm'; round: number }
  | { op: 'trip' }
  | { op: 'reset' }
  | { op: 'waitClosed'; timeoutMs: number }
  | { op: 'load'; rate: number; ms: number };

/** What a replica sends back. */
export type ReplicaMessage =
  | { event: 'ready'; pid: number }
  | { event: 'rejecting'; round: number; at: number; reason: string }
  | { event: 'reply'; id: number; result: unknown };

/** Wall-clock ms with sub-ms precision, comparable across processes of one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

const OPTIONS = { failureThreshold: 5, resetTimeout: 60_000 } as const;

async function main(): Promise<void> {
  const [url, name, flushInterval] = process.argv.slice(2);
  if (url === undefined || name === undefined || flushInterval === undefined) {
    throw new TypeError('usage: redis-replica.ts <redis url> <breaker name> <flushInterval>');
  }
  const core = (await import(pathToFileURL(`${REDIS_BUILD_DIR}/index.js`).href)) as typeof Core;
  const redisEntry = (await import(
    pathToFileURL(`${REDIS_BUILD_DIR}/redis.js`).href
  )) as typeof RedisEntry;
  const { createClient } = await import('redis');
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', () => undefined);
  await client.connect();
  const store = redisEntry.redisStore({
    client,
    flushInterval: Number(flushInterval),
    replicaId: `bench${process.pid}`,
    logger: { warn: () => undefined },
  });
  const send = (message: ReplicaMessage) => process.send?.(message);

  const breaker = new core.CircuitBreaker({ name, store, ...OPTIONS });

  let armed: number | null = null;
  const rejectingNow = (reason: string) => {
    if (armed === null) return;
    // After the transition's step: the breaker must now turn a call away.
    queueMicrotask(() => {
      if (armed === null || breaker.canExecute()) return;
      send({ event: 'rejecting', round: armed, at: wallNow(), reason });
      armed = null;
    });
  };
  breaker.on('stateChange', ({ to, reason }) => {
    if (to === 'open' || to === 'forcedOpen') rejectingNow(reason);
  });
  const fail = async () => {
    throw new Error('down');
  };
  const ok = async () => true;

  async function handle(request: ReplicaRequest): Promise<unknown> {
    switch (request.op) {
      case 'arm':
        armed = request.round;
        return true;
      case 'trip': {
        const startedAt = wallNow();
        // The last failure trips the breaker here, which reports the trip to the store at once.
        for (let i = 0; i < OPTIONS.failureThreshold; i++) await breaker.call(fail).catch(() => 0);
        return { startedAt, state: breaker.state };
      }
      case 'reset':
        breaker.reset();
        return breaker.state;
      case 'waitClosed': {
        const deadline = Date.now() + request.timeoutMs;
        while (breaker.state !== 'closed' && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        return breaker.state;
      }
      case 'load':
        return load(request.rate, request.ms);
    }
  }

  /** Runs `rate` successful calls per second for `ms`, in 10 ms ticks, paced by the clock. */
  async function load(rate: number, ms: number): Promise<{ calls: number; ms: number }> {
    const started = performance.now();
    let calls = 0;
    for (;;) {
      const elapsed = performance.now() - started;
      if (elapsed >= ms) break;
      const due = Math.floor((elapsed * rate) / 1000) - calls;
      for (let i = 0; i < due; i++) await breaker.call(ok);
      calls += due;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { calls, ms: performance.now() - started };
  }

  process.on('message', (message: ReplicaRequest & { id: number }) => {
    handle(message).then(
      (result) => send({ event: 'reply', id: message.id, result }),
      (error: unknown) =>
        send({ event: 'reply', id: message.id, result: { error: String(error) } }),
    );
  });
  process.on('disconnect', () => {
    breaker.dispose();
    void store.close().then(() => client.destroy());
  });
  send({ event: 'ready', pid: process.pid });
}

await main();
