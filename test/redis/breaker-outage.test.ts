import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../../src/redis/index.js';
import { type BreakerReplica, startBreaker } from './breakers.js';
import { CLIENT_KINDS, connectClient, quietLogger, waitFor } from './clients.js';
import { type RedisServer, startRedis } from './server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

let unique = 0;
const POLICIES = ['local', 'open', 'closed'] as const;
/** Commands give up fast, so a stopped Redis turns the store degraded within a few flushes. */
const STORE = { flushInterval: 50, commandTimeout: 150 };

describe.each(CLIENT_KINDS)('CircuitBreakers while Redis is stopped or restarted (%s)', (kind) => {
  let replicas: BreakerReplica[] = [];
  const start = async (count: number, options: object) => {
    const name = `outage-${kind}-${++unique}`;
    replicas = await Promise.all(
      Array.from({ length: count }, () => startBreaker(redis.url, kind, name, options, STORE)),
    );
    return { name, replicas };
  };
  const everyStatus = (status: string) =>
    waitFor(
      () => replicas.every((r) => r.statuses.at(-1) === status),
      10_000,
      `every replica's store to be ${status}`,
    );
  afterEach(async () => {
    redis.resume();
    for (const replica of replicas) expect(replica.unhandled).toEqual([]);
    await Promise.all(replicas.map((replica) => replica.kill()));
    replicas = [];
  });

  it.each(POLICIES)(
    "SIGSTOP then SIGCONT: storeStatus degraded then connected, onStoreUnavailable '%s'",
    async (policy) => {
      const { replicas } = await start(2, { failureThreshold: 2, onStoreUnavailable: policy });
      const [a, b] = replicas as [BreakerReplica, BreakerReplica];
      expect((await a.status()).storeStatus).toBe('connected');
      redis.pause();
      await everyStatus('degraded');
      const during = await a.status();
      expect(during.storeStatus).toBe('degraded');
      if (policy === 'local') {
        // Still deciding alone: calls run, and its own rule still trips it.
        expect(during.state).toBe('closed');
        expect(await a.calls(5, 'ok')).toMatchObject({ ran: 5, ok: 5 });
        await a.calls(2, 'fail');
        expect((await a.status()).state).toBe('open');
      } else if (policy === 'open') {
        expect(during).toMatchObject({ state: 'forcedOpen' });
        expect(during.lastTransition?.reason).toBe('storeUnavailable');
        expect(await a.calls(5, 'ok')).toEqual({ ran: 0, ok: 0, failed: 0, rejected: 5 });
      } else {
        expect(during).toMatchObject({ state: 'disabled' });
        expect(during.lastTransition?.reason).toBe('storeUnavailable');
        expect(await a.calls(5, 'fail')).toMatchObject({ ran: 5, failed: 5, rejected: 0 });
        expect((await a.status()).state).toBe('disabled');
      }
      redis.resume();
      await everyStatus('connected');
      if (policy !== 'open') {
        // What a saw meanwhile reaches Redis once it is back: a's failures open everyone.
        for (const replica of policy === 'local' ? [b] : [a, b]) {
          await waitFor(
            () => replica.transitions.some((t) => t.to === 'open' && t.reason === 'remote'),
            10_000,
            "a's failures to open the shared circuit",
          );
        }
      } else {
        for (const replica of [a, b]) {
          await waitFor(
            () => replica.transitions.at(-1)?.to === 'closed',
            10_000,
            'the shared state',
          );
          expect(replica.transitions.at(-1)?.reason).toBe('remote');
        }
        expect(await b.calls(3, 'ok')).toMatchObject({ ran: 3, ok: 3 });
      }
    },
  );

  // A restart can fall between two polls of a replica; its subscriber's connection still drops,
  // so every replica reports the outage (see the pub/sub test in outage.test.ts).
  it('a real restart (its data lost): degraded, connected, and trips reach everyone again', async () => {
    const { replicas } = await start(2, { failureThreshold: 3, resetTimeout: 10_000 });
    const [a, b] = replicas as [BreakerReplica, BreakerReplica];
    await redis.restart();
    await everyStatus('connected').catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(replicas.map((r) => r.statuses))}`);
    });
    expect(replicas.every((r) => r.statuses.includes('degraded'))).toBe(true);
    expect(await a.calls(5, 'ok')).toMatchObject({ ran: 5, ok: 5 });
    // Scripts loaded again, subscription made again: a trip in b reaches a through Redis.
    expect(await b.calls(3, 'fail')).toMatchObject({ ran: 3, failed: 3 });
    await waitFor(
      () => a.transitions.some((t) => t.to === 'open' && t.reason === 'remote'),
      10_000,
      "b's trip to reach a after the restart",
    );
  });

  it('every call is counted once in the shared window, across a stop in the middle', async () => {
    const options = {
      failureRateThreshold: 0.99,
      minimumThroughput: 1_000_000,
      slidingWindow: { type: 'time' as const, duration: 60_000, buckets: 6 },
    };
    const { name, replicas } = await start(3, options);
    const connection = await connectClient(kind, redis.url);
    const store = redisStore({
      client: connection.client,
      replicaId: 'observer',
      flushInterval: 60_000,
      logger: quietLogger,
    });
    const observer = store.circuit(name, { ...options, failureThreshold: null });
    try {
      await Promise.all(replicas.map((replica) => replica.calls(100, 'ok')));
      redis.pause();
      const during = await Promise.all(
        replicas.map(async (replica) => [
          await replica.calls(50, 'ok', 20),
          await replica.calls(10, 'fail', 20),
        ]),
      );
      // A call never fails because Redis did.
      for (const [oks, fails] of during) {
        expect(oks).toMatchObject({ ran: 50, ok: 50, rejected: 0 });
        expect(fails).toMatchObject({ ran: 10, failed: 10, rejected: 0 });
      }
      await everyStatus('degraded');
      redis.resume();
      await everyStatus('connected');
      for (const replica of replicas) await replica.request({ op: 'flush' });
      for (const replica of replicas) await replica.request({ op: 'flush' });
      const shared = await observer.refresh();
      expect(shared.window).toEqual({ calls: 3 * 160, failures: 3 * 10, slow: 0 });
      for (const replica of replicas) {
        expect(await replica.status()).toMatchObject({ totalSuccesses: 150, totalFailures: 10 });
      }
    } finally {
      await store.close();
      connection.close();
    }
  });
});
