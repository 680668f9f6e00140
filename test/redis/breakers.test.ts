import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, type SharedCircuitOptions } from '../../src/redis/index.js';
import { type BreakerReplica, startBreaker } from './breakers.js';
import { CLIENT_KINDS, type ClientKind, connectClient, quietLogger, waitFor } from './clients.js';
import { type RedisServer, startRedis } from './server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let unique = 0;

/** Reads the shared circuit from the test process (its own store, with the same rules). */
async function observe(kind: ClientKind, name: string, options: SharedCircuitOptions) {
  const connection = await connectClient(kind, redis.url);
  const store = redisStore({
    client: connection.client,
    replicaId: 'observer',
    flushInterval: 60_000,
    logger: quietLogger,
  });
  const circuit = store.circuit(name, options);
  return {
    read: () => circuit.refresh(),
    close: async () => {
      await store.close();
      connection.close();
    },
  };
}

describe.each(CLIENT_KINDS)(
  'CircuitBreakers in separate processes sharing one circuit (%s)',
  (kind) => {
    let replicas: BreakerReplica[] = [];
    const start = async (count: number, options: object, storeOptions: object = {}) => {
      const name = `breakers-${kind}-${++unique}`;
      replicas = await Promise.all(
        Array.from({ length: count }, () =>
          startBreaker(
            redis.url,
            kind,
            name,
            { ...options },
            { flushInterval: 50, ...storeOptions },
          ),
        ),
      );
      return { name, replicas };
    };
    afterEach(async () => {
      // No replica ever saw an unhandled rejection, whatever the test did.
      for (const replica of replicas) expect(replica.unhandled).toEqual([]);
      await Promise.all(replicas.map((replica) => replica.kill()));
      replicas = [];
    });

    it('a trip in one process opens the others (reason remote); their calls never run', async () => {
      const { replicas } = await start(3, { failureThreshold: 5, resetTimeout: 10_000 });
      const [a, b, c] = replicas as [BreakerReplica, BreakerReplica, BreakerReplica];
      const tripped = await a.calls(5, 'fail');
      expect(tripped).toEqual({ ran: 5, ok: 0, failed: 5, rejected: 0 });
      expect((await a.status()).lastTransition).toMatchObject({
        to: 'open',
        reason: 'consecutiveFailures',
      });
      const openedRemotely = (r: BreakerReplica) =>
        r.transitions.some((t) => t.to === 'open' && t.reason === 'remote');
      await waitFor(
        () => openedRemotely(b) && openedRemotely(c),
        10_000,
        'the trip to reach b and c',
      );
      for (const other of [b, c]) {
        expect(await other.calls(10, 'ok')).toEqual({ ran: 0, ok: 0, failed: 0, rejected: 10 });
        expect((await other.status()).state).toBe('open');
      }
    });

    // Skipped: on a loaded machine one replica's probe success sometimes never closes the shared
    // circuit (three probes succeed, the shared circuit stays halfOpen until the leases lapse).
    // A known bug of the lease settling, not yet found; the count of probes itself holds.
    it('exactly halfOpenMaxCalls probes run cluster-wide under 50 concurrent callers each', async () => {
      const options = { failureThreshold: 5, resetTimeout: 10_000, halfOpenMaxCalls: 3 };
      const { replicas } = await start(3, options);
      const [a] = replicas as [BreakerReplica];
      await a.request({ op: 'forceOpen', for: 300 });
      await waitFor(
        () => replicas.every((r) => r.transitions.some((t) => t.to === 'halfOpen')),
        10_000,
        'every replica to half-open on the shared deadline',
      );
      const results = await Promise.all(replicas.map((replica) => replica.calls(50, 'ok', 150)));
      expect(results.reduce((sum, result) => sum + result.ran, 0)).toBe(3);
      expect(results.reduce((sum, result) => sum + result.ok, 0)).toBe(3);
      expect(results.reduce((sum, result) => sum + result.rejected, 0)).toBe(147);
      // The three successes close the shared circuit, and every replica with it.
      await waitFor(
        () => replicas.every((r) => r.transitions.at(-1)?.to === 'closed'),
        10_000,
        'every replica to close',
      );
    });

    it('a prober killed mid-call holds its leases until they lapse, then others probe', async () => {
      const options = { failureThreshold: 5, resetTimeout: 10_000, probeLease: 400 };
      const { replicas } = await start(2, options);
      const [a, b] = replicas as [BreakerReplica, BreakerReplica];
      await a.request({ op: 'forceOpen', for: 100 });
      await waitFor(
        () => [a, b].every((r) => r.transitions.some((t) => t.to === 'halfOpen')),
        10_000,
        'both replicas to half-open',
      );
      // Timed from before the request: the lease starts when `a` takes it, before its reply
      // arrives (a slow reply on a loaded machine would otherwise eat into the 400 ms).
      const leasedAt = Date.now();
      expect((await a.calls(1, 'hang')).ran).toBe(1);
      await a.kill();
      expect(await b.calls(1, 'ok')).toEqual({ ran: 0, ok: 0, failed: 0, rejected: 1 });
      let probed = { ran: 0 };
      while (probed.ran === 0 && Date.now() - leasedAt < 5000) {
        await sleep(25);
        probed = await b.calls(1, 'ok');
      }
      const waited = Date.now() - leasedAt;
      expect(probed).toEqual({ ran: 1, ok: 1, failed: 0, rejected: 0 });
      expect(waited).toBeGreaterThanOrEqual(350);
      expect(waited).toBeLessThan(4000);
      expect((await b.status()).state).toBe('closed');
      replicas.splice(0, 1); // a is gone: it has nothing left to check
    });

    it('quorum: one sick replica opens only itself; the second opens everyone', async () => {
      const options = { failureThreshold: 3, resetTimeout: 10_000, quorum: 2 };
      const { name, replicas } = await start(3, options);
      const [a, b, c] = replicas as [BreakerReplica, BreakerReplica, BreakerReplica];
      const observer = await observe(kind, name, { failureThreshold: 3, quorum: 2 });
      try {
        await a.calls(3, 'fail');
        expect((await a.status()).state).toBe('open');
        await a.request({ op: 'flush' });
        expect((await observer.read()).state).toBe('closed');
        await sleep(150);
        expect((await c.status()).state).toBe('closed');
        expect(await c.calls(5, 'ok')).toMatchObject({ ran: 5, ok: 5 });
        await b.calls(3, 'fail');
        await waitFor(
          () => c.transitions.some((t) => t.to === 'open' && t.reason === 'remote'),
          10_000,
          'the quorum to open c',
        );
        const opened = await observer.read();
        expect(opened).toMatchObject({ state: 'open', detail: 'quorum 2/2' });
      } finally {
        await observer.close();
      }
    });

    it("a stale replica's late report, and the late messages it hears, move nothing", async () => {
      const options = { failureThreshold: 5, resetTimeout: 10_000 };
      const { name, replicas } = await start(2, options, { flushInterval: 200 });
      const [a, b] = replicas as [BreakerReplica, BreakerReplica];
      const observer = await observe(kind, name, { failureThreshold: 5 });
      try {
        await a.request({ op: 'flush' });
        // a sees 4 failures (below its threshold, not reported yet), then stalls.
        await a.calls(4, 'fail');
        a.pause();
        await b.request({ op: 'forceOpen' });
        await b.request({ op: 'reset', reason: 'recovered' });
        await b.calls(3, 'ok');
        await b.request({ op: 'flush' });
        const before = await observer.read();
        a.resume();
        await sleep(500); // a's flush timer and the messages it missed both arrive now
        await a.request({ op: 'flush' });
        const after = await observer.read();
        // a's failures belonged to a generation that is over: not counted, nothing moved.
        expect(after).toMatchObject({ state: 'closed', generation: before.generation });
        expect(after.consecutiveFailures).toBe(0);
        // a followed the newest shared state, whatever order it heard things in.
        expect((await a.status()).state).toBe('closed');
        expect(a.transitions.every((t) => t.reason === 'remote' && t.to !== 'open')).toBe(true);
      } finally {
        await observer.close();
      }
    });
  },
);
