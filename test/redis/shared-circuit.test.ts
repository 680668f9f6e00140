import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CircuitStore,
  REDIS_SCRIPTS,
  redisStore,
  type SharedCircuitOptions,
  type SharedState,
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
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

let unique = 0;
const freshName = () => `c${++unique}-${Date.now()}`;

describe.each(CLIENT_KINDS)('shared circuit on Redis with %s', (kind: ClientKind) => {
  let test: TestClient;
  const stores: CircuitStore[] = [];
  const newStore = (replicaId: string, flushInterval = 60_000) => {
    const store = redisStore({
      client: test.client,
      replicaId,
      flushInterval,
      logger: quietLogger,
    });
    stores.push(store);
    return store;
  };
  /** One circuit per replica, all under one name (each replica has its own store). */
  const replicas = (count: number, options: SharedCircuitOptions, name = freshName()) =>
    Array.from({ length: count }, (_, i) => newStore(`r${i}`).circuit(name, options));

  beforeAll(async () => {
    test = await connectClient(kind, redis.url);
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    test.close();
  });

  it('trips on the failure rate of every replica together, not of any one alone', async () => {
    const [a, b] = replicas(2, {
      failureRateThreshold: 0.5,
      minimumThroughput: 20,
      slidingWindow: { type: 'time', duration: 60_000, buckets: 6 },
    });
    if (!a || !b) throw new Error('two replicas');
    a.report({ successes: 6, failures: 4 });
    const afterA = await a.flushNow();
    expect(afterA).toMatchObject({ state: 'closed', window: { calls: 10, failures: 4 } });
    b.report({ successes: 3, failures: 7 });
    const afterB = await b.flushNow();
    expect(afterB).toMatchObject({
      state: 'open',
      reason: 'failureRate',
      generation: 1,
      attempt: 0,
      window: { calls: 0, failures: 0 },
    });
    expect(afterB?.retryIn).toBeGreaterThan(29_000);
    expect(afterB?.retryIn).toBeLessThanOrEqual(30_000);
    expect(afterB?.openUntil).toBe((afterB?.now ?? 0) + (afterB?.retryIn ?? 0));
  });

  it('concurrent flushes lose no update and trip the circuit exactly once', async () => {
    // Twenty replicas, one failure each, threshold twenty: a lost update would leave it closed.
    const circuits = replicas(20, { failureThreshold: 20 });
    const seen: SharedState[] = [];
    for (const circuit of circuits) circuit.onState((state) => seen.push(state));
    for (const circuit of circuits) circuit.report({ successes: 0, failures: 1 });
    await Promise.all(circuits.map((circuit) => circuit.flushNow()));
    const final = await circuits[0]?.refresh();
    expect(final).toMatchObject({ state: 'open', reason: 'consecutiveFailures', generation: 1 });
    const opened = seen.filter((state) => state.state === 'open');
    expect(opened.length).toBeGreaterThan(0);
    expect(new Set(opened.map((state) => state.generation))).toEqual(new Set([1]));
  });

  it('a success anywhere restarts the shared consecutive run; failures add up', async () => {
    const [a, b] = replicas(2, { failureThreshold: 5 });
    if (!a || !b) throw new Error('two replicas');
    a.report({ successes: 0, failures: 3 });
    expect((await a.flushNow())?.consecutiveFailures).toBe(3);
    b.report({ successes: 1, failures: 1, trailingFailures: 1 });
    expect((await b.flushNow())?.consecutiveFailures).toBe(1);
    a.report({ successes: 0, failures: 3 });
    expect(await a.flushNow()).toMatchObject({ state: 'closed', consecutiveFailures: 4 });
    b.report({ successes: 0, failures: 1 });
    expect(await b.flushNow()).toMatchObject({ state: 'open', reason: 'consecutiveFailures' });
  });

  it('a local trip opens the shared circuit at once, and other replicas hear it', async () => {
    const [a, b] = replicas(2, { failureThreshold: 100 });
    if (!a || !b) throw new Error('two replicas');
    await b.flushNow();
    const heard: SharedState[] = [];
    b.onState((state) => heard.push(state));
    a.report({ successes: 0, failures: 2, tripped: 'failureRate' });
    await waitFor(() => heard.length > 0, 2000, 'the trip message');
    expect(heard[0]).toMatchObject({ state: 'open', reason: 'failureRate', source: 'message' });
  });

  it('probes: a due circuit turns halfOpen once, N leases, successes close, a failure backs off', async () => {
    const options = {
      resetTimeout: 30,
      backoffMultiplier: 4,
      maxResetTimeout: 100_000,
      halfOpenMaxCalls: 2,
    };
    const [a, b] = replicas(2, options);
    if (!a || !b) throw new Error('two replicas');
    a.report({ successes: 0, failures: 1, tripped: 'consecutiveFailures' });
    expect((await a.flushNow())?.state).toBe('open');
    const early = await b.acquireProbe();
    expect(early.granted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 40));
    const decisions = await Promise.all([a, b, a, b].map((circuit) => circuit.acquireProbe()));
    const granted = decisions.flatMap((d) => (d.granted ? [d.lease] : []));
    expect(granted).toHaveLength(2);
    expect(new Set(decisions.map((d) => d.state.generation))).toEqual(new Set([2]));
    const [first, second] = granted;
    if (!first || !second) throw new Error('two leases');
    expect((await a.settleProbe(first, true)).state).toBe('halfOpen');
    const failed = await b.settleProbe(second, false);
    expect(failed).toMatchObject({ state: 'open', reason: 'probeFailure', attempt: 1 });
    expect(failed.retryIn).toBeGreaterThan(100);
    expect(failed.retryIn).toBeLessThanOrEqual(120);
    // A settle for a half-open period that is over changes nothing.
    expect(await a.settleProbe(first, true)).toMatchObject({ state: 'open', generation: 3 });
    await new Promise((resolve) => setTimeout(resolve, 130));
    const again = await Promise.all([a.acquireProbe(), b.acquireProbe()]);
    for (const d of again) if (d.granted) await a.settleProbe(d.lease, true);
    expect(await a.refresh()).toMatchObject({
      state: 'closed',
      reason: 'probesSucceeded',
      attempt: 0,
      generation: 5,
    });
  });

  it('a released lease frees its slot at once and moves nothing', async () => {
    const options = {
      failureThreshold: 1,
      resetTimeout: 20,
      halfOpenMaxCalls: 1,
      probeLease: 60_000,
    };
    const [a, b] = replicas(2, options);
    if (!a || !b) throw new Error('two replicas');
    a.report({ successes: 0, failures: 1, tripped: 'consecutiveFailures' });
    expect((await a.flushNow())?.state).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 40));
    const held = await a.acquireProbe();
    if (!held.granted) throw new Error('the first probe gets the one lease');
    expect((await b.acquireProbe()).granted).toBe(false);
    const released = await a.releaseProbe?.(held.lease);
    expect(released).toMatchObject({ state: 'halfOpen', generation: held.state.generation });
    expect(released?.probesInFlight).toBe(0);
    // Without the release the slot would stay taken for the lease's 60 s.
    expect((await b.acquireProbe()).granted).toBe(true);
  });

  it('manual commands act on every replica and carry their reason', async () => {
    const [a, b] = replicas(2, {});
    if (!a || !b) throw new Error('two replicas');
    await b.flushNow();
    const heard: SharedState[] = [];
    b.onState((state) => heard.push(state));
    await a.command('forceOpen', { reason: 'maintenance' });
    await waitFor(() => heard.length === 1, 2000, 'forceOpen');
    expect(heard[0]).toMatchObject({
      state: 'forcedOpen',
      reason: 'forced',
      detail: 'maintenance',
    });
    expect(heard[0]?.openUntil).toBeNull();
    expect((await b.acquireProbe()).granted).toBe(false);
    await a.command('disable', { reason: 'incident 42' });
    b.report({ successes: 0, failures: 50 });
    expect(await b.flushNow()).toMatchObject({ state: 'disabled', consecutiveFailures: 0 });
    await a.command('reset');
    expect(await b.refresh()).toMatchObject({ state: 'closed', reason: 'reset', generation: 3 });
    const timed = await a.command('forceOpen', { for: 20 });
    expect(timed.retryIn).toBeGreaterThan(10);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await b.acquireProbe()).toMatchObject({ granted: true, state: { state: 'halfOpen' } });
    await a.command('forceClose', { reason: 'fixed' });
    expect(await b.refresh()).toMatchObject({
      state: 'closed',
      reason: 'forceClose',
      detail: 'fixed',
    });
  });

  it('ignores pub/sub messages of an older generation, takes newer ones', async () => {
    const name = freshName();
    const [a] = replicas(1, {}, name);
    if (!a) throw new Error('one replica');
    await a.command('forceOpen');
    await a.command('forceClose');
    const held = a.state;
    expect(held?.generation).toBe(2);
    const heard: SharedState[] = [];
    a.onState((state) => heard.push(state));
    const channel = `cb:{${name}}:events`;
    const message = (generation: number, state: string) =>
      JSON.stringify({ ...held, state, generation, openUntil: 0, consecutive: 0, probes: 0 });
    await test.command(['PUBLISH', channel, message(1, 'forcedOpen')]);
    await test.command(['PUBLISH', channel, message(2, 'open')]);
    await test.command(['PUBLISH', channel, message(3, 'disabled')]);
    await waitFor(() => heard.length > 0, 2000, 'the newer message');
    expect(heard.map((state) => [state.generation, state.state])).toEqual([[3, 'disabled']]);
  });

  it('drops a late report counted under an older generation, and a replayed batch', async () => {
    const name = freshName();
    const [a] = replicas(1, { failureThreshold: 3 }, name);
    if (!a) throw new Error('one replica');
    await a.command('forceOpen');
    const now = await a.command('forceClose');
    const keys = ['s', 'p', 'q', 'r'].map((k) => `cb:{${name}}:${k}`);
    const flush = (generation: number, seq: number) =>
      test
        .command([
          'EVAL',
          REDIS_SCRIPTS.flush,
          '4',
          ...keys,
          ...['late', '60000', `cb:{${name}}:events`, '30000', '1', '30000', '60000', '10000'],
          ...[now.epoch, String(generation), String(seq), '2', '2', '0', '2', '0', ''],
          ...['3', '0', '0', '10', '1'],
        ])
        .then(
          (raw) =>
            JSON.parse(String(raw)) as { stale: number; duplicate: number; consecutive: number },
        );
    expect(await flush(1, 1)).toMatchObject({ stale: 1, consecutive: 0 });
    expect(await flush(2, 2)).toMatchObject({ stale: 0, duplicate: 0, consecutive: 2 });
    expect(await flush(2, 2)).toMatchObject({ duplicate: 1, consecutive: 2 });
    expect((await a.refresh()).window).toEqual({ calls: 2, failures: 2, slow: 0 });
  });

  it('outcomes seen under a generation that has since moved on are not reported', async () => {
    const [a, b] = replicas(2, { failureThreshold: 100 });
    if (!a || !b) throw new Error('two replicas');
    await a.flushNow();
    a.report({ successes: 5, failures: 5 }); // not flushed yet (the interval is a minute)
    await b.command('forceOpen');
    await b.command('forceClose');
    await waitFor(() => a.state?.generation === 2, 2000, 'both commands');
    a.report({ successes: 1, failures: 0 });
    expect((await a.flushNow())?.window).toEqual({ calls: 1, failures: 0, slow: 0 });
  });

  it('a throwing listener is reported and the others still run; garbage messages are ignored', async () => {
    const warnings: string[] = [];
    const store = redisStore({
      client: test.client,
      flushInterval: 60_000,
      logger: { warn: (message) => warnings.push(message) },
    });
    stores.push(store);
    const name = freshName();
    const a = store.circuit(name);
    const heard: string[] = [];
    a.onState(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = a.onState((state) => heard.push(state.state));
    await a.flushNow();
    await test.command(['PUBLISH', `cb:{${name}}:events`, 'not json']);
    await a.command('forceOpen');
    unsubscribe();
    await a.command('forceClose');
    expect(heard).toEqual(['closed', 'forcedOpen']);
    expect(warnings).toEqual([
      `redisStore: a listener of circuit ${name} threw: listener bug`,
      `redisStore: a listener of circuit ${name} threw: listener bug`,
      `redisStore: a listener of circuit ${name} threw: listener bug`,
    ]);
  });

  it('Redis load does not grow with traffic: one script call per flush interval', async () => {
    const store = redisStore({ client: test.client, flushInterval: 50, logger: quietLogger });
    stores.push(store);
    const circuit = store.circuit(freshName(), { failureThreshold: null });
    await circuit.flushNow();
    const scriptCalls = async () => {
      const info = String(await test.command(['INFO', 'commandstats']));
      return [...info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
    };
    const before = await scriptCalls();
    const started = Date.now();
    let reported = 0;
    while (Date.now() - started < 500) {
      circuit.report({ successes: 100, failures: 0 }); // 10 000 calls per second
      reported += 100;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const calls = (await scriptCalls()) - before;
    console.info(`${kind}: ${reported} calls in ${Date.now() - started} ms, ${calls} script calls`);
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(calls).toBeLessThanOrEqual(14);
    expect((await circuit.flushNow())?.window.calls).toBe(reported);
  });

  it('keeps every key of a circuit under one hash tag, each expiring', async () => {
    const name = freshName();
    const [a] = replicas(1, { halfOpenMaxCalls: 1, resetTimeout: 1, quorum: 2 }, name);
    if (!a) throw new Error('one replica');
    a.report({ successes: 1, failures: 1, tripped: 'failureRate' });
    await a.flushNow();
    const keys = (await test.command(['KEYS', `cb:{${name}}*`])) as string[];
    expect(keys.sort()).toEqual([
      `cb:{${name}}:q`,
      `cb:{${name}}:r`,
      `cb:{${name}}:s`,
      expect.stringMatching(/^cb:\{[^}]+\}:w:\d+$/),
    ]);
    for (const key of keys) {
      expect(Number(await test.command(['PTTL', key])), key).toBeGreaterThan(0);
    }
  });

  it('quorum: opens only once n distinct replicas tripped within the window', async () => {
    const window = { type: 'time', duration: 300, buckets: 3 } as const;
    const [a, b, c] = replicas(3, { quorum: 2, slidingWindow: window, failureThreshold: 1 });
    if (!a || !b || !c) throw new Error('three replicas');
    a.report({ successes: 0, failures: 9, tripped: 'consecutiveFailures' });
    expect(await a.flushNow()).toMatchObject({ state: 'closed' });
    a.report({ successes: 0, failures: 9, tripped: 'consecutiveFailures' });
    expect(await a.flushNow()).toMatchObject({ state: 'closed' });
    await new Promise((resolve) => setTimeout(resolve, 320));
    b.report({ successes: 0, failures: 1, tripped: 'failureRate' });
    expect(await b.flushNow()).toMatchObject({ state: 'closed' }); // a's vote has expired
    c.report({ successes: 0, failures: 1, tripped: 'failureRate' });
    expect(await c.flushNow()).toMatchObject({
      state: 'open',
      reason: 'failureRate',
      detail: 'quorum 2/2',
    });
  });
});
