import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CircuitStore,
  redisStore,
  type SharedCircuit,
  type StoreStatus,
  StoreUnavailableError,
} from '../../src/redis/index.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  connectClient,
  quietLogger,
  type TestClient,
  waitFor,
} from './clients.js';
import { type RedisServer, startRedis } from './server.js';

let redis: RedisServer;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await startRedis();
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await redis?.stop();
});

/** Resolves with how long `promise` took to settle, and how it settled. */
async function timed(promise: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await promise;
    return { ms: Date.now() - started, error: null };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

describe.each(CLIENT_KINDS)('Redis unreachable (%s)', (kind: ClientKind) => {
  let test: TestClient;
  let store: CircuitStore;
  let other: CircuitStore;
  let circuit: SharedCircuit;
  let statuses: StoreStatus[];
  let unique = 0;

  beforeEach(async () => {
    test = await connectClient(kind, redis.url);
    const options = { client: test.client, flushInterval: 50, commandTimeout: 150 };
    store = redisStore({ ...options, replicaId: 'a', logger: quietLogger });
    other = redisStore({ ...options, replicaId: 'b', logger: quietLogger });
    circuit = store.circuit(`outage-${kind}-${++unique}`, { failureThreshold: 100 });
    statuses = [];
    circuit.onStatus((status) => statuses.push(status));
    await circuit.flushNow();
  });
  afterEach(async () => {
    await Promise.all([store.close(), other.close()]);
    test.close();
    expect(unhandled).toEqual([]);
  });

  it('SIGSTOP: fails fast and turns degraded; SIGCONT: connected, every outcome counted once', async () => {
    expect(circuit.status).toBe('connected');
    redis.pause();
    try {
      circuit.report({ successes: 3, failures: 2 });
      const flush = await timed(circuit.flushNow());
      expect(flush.ms).toBeLessThan(600);
      expect(circuit.status).toBe('degraded');
      const read = await timed(circuit.refresh());
      expect(read.error).toBeInstanceOf(StoreUnavailableError);
      expect(read.ms).toBeLessThan(600);
      const probe = await timed(circuit.acquireProbe());
      expect(probe.error).toBeInstanceOf(StoreUnavailableError);
      expect(probe.ms).toBeLessThan(600);
      circuit.report({ successes: 1, failures: 0 });
    } finally {
      redis.resume();
    }
    await waitFor(() => circuit.status === 'connected', 3000, 'connected again');
    expect(statuses).toEqual(['degraded', 'connected']);
    // The batch that timed out ran late and was then sent again: Redis counted it once.
    await waitFor(() => circuit.state?.window.calls === 6, 3000, 'the outage counts');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await circuit.refresh()).window).toEqual({ calls: 6, failures: 2, slow: 0 });
  });

  it('a dropped pub/sub connection is degraded even when no command failed, then connected', async () => {
    // What a replica sees of a restart that falls between two of its polls: only its
    // subscriber's connection closing. Commands keep working throughout.
    await waitFor(() => circuit.state !== null, 3000, 'the first reply');
    const killed = await test.command(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    expect(Number(killed)).toBeGreaterThanOrEqual(1);
    await waitFor(() => statuses.length >= 2, 3000, 'degraded, then connected');
    expect(statuses).toEqual(['degraded', 'connected']);
    // And the shared state still reaches it.
    const peer = other.circuit(circuit.name);
    await peer.command('forceOpen', { reason: 'after the drop' });
    await waitFor(() => circuit.state?.detail === 'after the drop', 3000, 'the new state');
  });

  it('a real restart: degraded and fast, then resynced with the new Redis and resubscribed', async () => {
    const peer = other.circuit(circuit.name);
    await circuit.command('forceOpen');
    const before = circuit.state;
    expect(before).toMatchObject({ state: 'forcedOpen', generation: 1 });
    await redis.stop();
    try {
      circuit.report({ successes: 2, failures: 0 });
      const flush = await timed(circuit.flushNow());
      expect(flush.ms).toBeLessThan(600);
      const read = await timed(circuit.refresh());
      expect(read.error).toBeInstanceOf(StoreUnavailableError);
      expect(read.ms).toBeLessThan(600);
      expect(circuit.status).toBe('degraded');
    } finally {
      await redis.start();
    }
    // The new Redis knows nothing: a new epoch, closed; the replica takes that reply as the truth.
    await waitFor(
      () => circuit.status === 'connected' && circuit.state?.epoch !== before?.epoch,
      5000,
      'a resync with the new Redis',
    );
    expect(circuit.state).toMatchObject({ state: 'closed', reason: 'created', generation: 0 });
    expect(statuses).toEqual(['degraded', 'connected']);
    // Scripts were loaded again (NOSCRIPT, then EVAL) and the subscription came back.
    await waitFor(() => peer.state !== null, 3000, 'the peer');
    await peer.command('forceOpen', { reason: 'after restart' });
    await waitFor(() => circuit.state?.detail === 'after restart', 3000, 'the message');
    expect(circuit.state).toMatchObject({ state: 'forcedOpen' });
  });
});
