import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BREAKER_STATES,
  CALL_OUTCOMES,
  registerPrometheusMetrics,
} from '../src/metrics/prometheus.js';
import { FakeBreakerSource, fakeStoreStatus } from './fake-breaker-source.js';
import { boom, deferred, failTimes, ok, settle, simulated } from './helpers.js';
import { parseExposition, sampleValue, select } from './prometheus-text.js';

const disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

function breakerOn(name: string, options: Parameters<typeof simulated>[0] = {}) {
  const made = simulated({ name, failureThreshold: 2, resetTimeout: 1_000, ...options });
  disposers.push(() => made.breaker.dispose());
  return made;
}

async function scrape(register: Registry) {
  return parseExposition(await register.metrics());
}

function stateOf(exposition: ReturnType<typeof parseExposition>, name: string): string[] {
  return select(exposition, 'circuit_breaker_state', { name })
    .filter((s) => s.value === 1)
    .map((s) => String(s.labels.state));
}

describe('registerPrometheusMetrics', () => {
  it('reports state, outcomes, transitions, tokens and cost through every state', async () => {
    const register = new Registry();
    const { breaker, clock } = breakerOn('users');
    disposers.push(registerPrometheusMetrics({ breakers: [breaker], register }));

    let text = await scrape(register);
    expect(stateOf(text, 'users')).toEqual(['closed']);
    expect(
      select(text, 'circuit_breaker_state', { name: 'users' }).map((s) => s.labels.state),
    ).toEqual([...BREAKER_STATES]);
    expect(text.types.get('circuit_breaker_state')).toBe('gauge');
    expect(text.types.get('circuit_breaker_calls_total')).toBe('counter');

    for (let i = 0; i < 3; i++) await breaker.call(ok);
    await failTimes(breaker, 2);
    text = await scrape(register);
    expect(stateOf(text, 'users')).toEqual(['open']);
    expect(
      sampleValue(text, 'circuit_breaker_calls_total', { name: 'users', outcome: 'success' }),
    ).toBe(3);
    expect(
      sampleValue(text, 'circuit_breaker_calls_total', { name: 'users', outcome: 'failure' }),
    ).toBe(2);

    await expect(breaker.call(ok)).rejects.toThrow(/open/);
    clock.increment(1_000);
    text = await scrape(register);
    expect(stateOf(text, 'users')).toEqual(['halfOpen']);
    expect(
      sampleValue(text, 'circuit_breaker_calls_total', { name: 'users', outcome: 'rejected' }),
    ).toBe(1);

    await breaker.call(ok);
    breaker.forceOpen();
    text = await scrape(register);
    expect(stateOf(text, 'users')).toEqual(['forcedOpen']);
    await expect(breaker.call(ok)).rejects.toThrow();
    breaker.forceClose();
    breaker.recordCost({ inputTokens: 1_200, outputTokens: 300, estimatedCost: 0.25 });
    breaker.recordCost({ inputTokens: 800, outputTokens: 200, estimatedCost: 0.5 });

    text = await scrape(register);
    expect(stateOf(text, 'users')).toEqual(['closed']);
    const calls = Object.fromEntries(
      CALL_OUTCOMES.map((outcome) => [
        outcome,
        sampleValue(text, 'circuit_breaker_calls_total', { name: 'users', outcome }),
      ]),
    );
    expect(calls).toEqual({
      success: 4,
      failure: 2,
      rejected: 2,
      ignored: 0,
      timeout: 0,
      fallback: 0,
    });
    const moves = select(text, 'circuit_breaker_transitions_total', { name: 'users' }).map(
      (s) => `${s.labels.from}->${s.labels.to}=${s.value}`,
    );
    expect(moves).toEqual([
      'closed->open=1',
      'open->halfOpen=1',
      'halfOpen->closed=1',
      'closed->forcedOpen=1',
      'forcedOpen->closed=1',
    ]);
    for (const s of select(text, 'circuit_breaker_transitions_total')) {
      expect(typeof s.labels.reason).toBe('string');
    }
    expect(
      sampleValue(text, 'circuit_breaker_tokens_total', { name: 'users', kind: 'input' }),
    ).toBe(2_000);
    expect(
      sampleValue(text, 'circuit_breaker_tokens_total', { name: 'users', kind: 'output' }),
    ).toBe(500);
    expect(sampleValue(text, 'circuit_breaker_cost_usd_total', { name: 'users' })).toBe(0.75);
    // Pull only: no histogram unless asked for, and nothing but this exporter's metrics.
    expect(select(text, 'circuit_breaker_call_duration_seconds_count')).toEqual([]);
    for (const s of text.samples) expect(s.name).toMatch(/^circuit_breaker_/);
  });

  it('leaves window rates out while unknown and reports them once the breaker knows them', async () => {
    const register = new Registry();
    const { breaker } = breakerOn('search');
    let window = {
      failureRate: null as number | null,
      slowCallRate: null as number | null,
      bufferedCalls: 0,
      notPermittedCalls: 0,
    };
    Object.assign(breaker, { getMetrics: () => ({ state: breaker.state, ...window }) });
    let config = { failureRateThreshold: null as number | null, slowCallRateThreshold: 0.8 };
    Object.defineProperty(breaker, 'config', { get: () => config });
    disposers.push(registerPrometheusMetrics({ breakers: [breaker], register }));

    let text = await scrape(register);
    expect(select(text, 'circuit_breaker_failure_rate_threshold')).toEqual([]);
    expect(sampleValue(text, 'circuit_breaker_slow_call_rate_threshold', { name: 'search' })).toBe(
      0.8,
    );
    expect(select(text, 'circuit_breaker_failure_rate')).toEqual([]);
    expect(select(text, 'circuit_breaker_slow_call_rate')).toEqual([]);
    expect(sampleValue(text, 'circuit_breaker_buffered_calls', { name: 'search' })).toBe(0);

    window = { failureRate: 0.25, slowCallRate: 0.5, bufferedCalls: 8, notPermittedCalls: 3 };
    config = { failureRateThreshold: 0.5, slowCallRateThreshold: 0.8 };
    text = await scrape(register);
    expect(sampleValue(text, 'circuit_breaker_failure_rate_threshold', { name: 'search' })).toBe(
      0.5,
    );
    expect(sampleValue(text, 'circuit_breaker_failure_rate', { name: 'search' })).toBe(0.25);
    expect(sampleValue(text, 'circuit_breaker_slow_call_rate', { name: 'search' })).toBe(0.5);
    expect(sampleValue(text, 'circuit_breaker_buffered_calls', { name: 'search' })).toBe(8);
    expect(sampleValue(text, 'circuit_breaker_not_permitted_calls', { name: 'search' })).toBe(3);
  });

  it('follows a source: breakers added later appear, removed ones disappear', async () => {
    const register = new Registry();
    const { breaker: first } = breakerOn('first');
    const source = new FakeBreakerSource([first]);
    disposers.push(registerPrometheusMetrics({ breakers: source, register }));
    expect(source.listenerCount).toBe(2);

    const { breaker: later } = breakerOn('later');
    source.add(later);
    await failTimes(later, 2);
    let text = await scrape(register);
    expect(stateOf(text, 'first')).toEqual(['closed']);
    expect(stateOf(text, 'later')).toEqual(['open']);
    expect(
      sampleValue(text, 'circuit_breaker_transitions_total', { name: 'later', to: 'open' }),
    ).toBe(1);

    source.remove(first);
    text = await scrape(register);
    expect(text.samples.filter((s) => s.labels.name === 'first')).toEqual([]);
    expect(stateOf(text, 'later')).toEqual(['open']);
  });

  it('reports store_connected 1/0 for breakers with a store only, following a source', async () => {
    const register = new Registry();
    const { breaker: local } = breakerOn('local');
    const { breaker: shared } = breakerOn('shared');
    const store = fakeStoreStatus(shared, 'connected');
    const source = new FakeBreakerSource([local, shared]);
    disposers.push(registerPrometheusMetrics({ breakers: source, register }));

    let text = await scrape(register);
    expect(text.types.get('circuit_breaker_store_connected')).toBe('gauge');
    expect(select(text, 'circuit_breaker_store_connected')).toEqual([
      expect.objectContaining({ labels: { name: 'shared' }, value: 1 }),
    ]);
    store.set('degraded');
    text = await scrape(register);
    expect(sampleValue(text, 'circuit_breaker_store_connected', { name: 'shared' })).toBe(0);
    // The breaker itself still reports: degraded means deciding locally, not gone.
    expect(stateOf(text, 'shared')).toEqual(['closed']);

    const { breaker: later } = breakerOn('later');
    fakeStoreStatus(later, 'degraded');
    source.add(later);
    store.set('connected');
    text = await scrape(register);
    expect(
      select(text, 'circuit_breaker_store_connected').map((s) => [s.labels.name, s.value]),
    ).toEqual([
      ['shared', 1],
      ['later', 0],
    ]);
    source.remove(shared);
    text = await scrape(register);
    expect(select(text, 'circuit_breaker_store_connected', { name: 'shared' })).toEqual([]);
  });

  it('reports one breaker per name, and a removed breaker not watched is ignored', async () => {
    const register = new Registry();
    const { breaker: a } = breakerOn('same');
    const { breaker: b } = breakerOn('same');
    await failTimes(b, 2);
    const source = new FakeBreakerSource([a, b]);
    disposers.push(registerPrometheusMetrics({ breakers: source, register }));
    source.remove(b); // never watched: the first of the name is kept
    const text = await scrape(register);
    expect(stateOf(text, 'same')).toEqual(['closed']);
    expect(select(text, 'circuit_breaker_state', { state: 'closed' })).toHaveLength(1);
  });

  it('unregister removes every metric and listener, and allows registering again', async () => {
    const register = new Registry();
    const { breaker } = breakerOn('users');
    const source = new FakeBreakerSource([breaker]);
    const unregister = registerPrometheusMetrics({ breakers: source, register, durations: true });
    expect(register.getMetricsAsArray()).toHaveLength(13);
    expect(Object.hasOwn(breaker, 'call')).toBe(true);

    unregister();
    unregister(); // a second call does nothing
    expect(register.getMetricsAsArray()).toHaveLength(0);
    expect(await register.metrics()).toBe('\n');
    expect(source.listenerCount).toBe(0);
    expect(Object.hasOwn(breaker, 'call')).toBe(false);
    expect(Object.hasOwn(breaker, 'wrap')).toBe(false);

    // No stateChange listener is left behind: transitions made now are not counted later.
    await failTimes(breaker, 2);
    disposers.push(registerPrometheusMetrics({ breakers: source, register }));
    const text = await scrape(register);
    expect(select(text, 'circuit_breaker_transitions_total')).toEqual([]);
    expect(stateOf(text, 'users')).toEqual(['open']);
  });

  it('refuses to register the same prefix twice into one registry, with a clear error', () => {
    const register = new Registry();
    const { breaker } = breakerOn('users');
    disposers.push(registerPrometheusMetrics({ breakers: [breaker], register }));
    expect(() => registerPrometheusMetrics({ breakers: [breaker], register })).toThrow(
      /circuit_breaker_state is already registered in this registry/,
    );
    disposers.push(registerPrometheusMetrics({ breakers: [breaker], register, prefix: 'other_' }));
    expect(register.getSingleMetric('other_calls_total')).toBeDefined();
  });

  it('uses the global registry by default and never adds default metrics', async () => {
    const { register: global } = await import('prom-client');
    const before = global.getMetricsAsArray().length;
    const { breaker } = breakerOn('global');
    const unregister = registerPrometheusMetrics({ breakers: [breaker], prefix: 'globaltest_' });
    expect(global.getMetricsAsArray().length).toBe(before + 12);
    expect(global.getSingleMetric('process_cpu_user_seconds_total')).toBeUndefined();
    unregister();
    expect(global.getMetricsAsArray().length).toBe(before);
  });

  it('keeps label values bounded whatever the errors say', async () => {
    const register = new Registry();
    const { breaker } = breakerOn('bounded', { failureThreshold: 1_000_000 });
    disposers.push(registerPrometheusMetrics({ breakers: [breaker], register }));
    const before = (await scrape(register)).samples.length;
    for (let i = 0; i < 200; i++) {
      await breaker
        .call(() => Promise.reject(new Error(`user ${i} not found`)))
        .catch(() => undefined);
    }
    const text = await scrape(register);
    expect(text.samples.length).toBe(before);
    const allowed = new Set<string>([
      'bounded',
      ...BREAKER_STATES,
      ...CALL_OUTCOMES,
      'input',
      'output',
    ]);
    for (const s of text.samples) {
      for (const value of Object.values(s.labels)) expect(allowed.has(value), value).toBe(true);
    }
    expect(sampleValue(text, 'circuit_breaker_calls_total', { outcome: 'failure' })).toBe(200);
  });

  it('times calls into a histogram only with durations on, by outcome', async () => {
    const register = new Registry();
    const { breaker, clock } = breakerOn('timed', { callTimeout: 5_000 });
    const now = () => clock.now();
    disposers.push(
      registerPrometheusMetrics({
        breakers: [breaker],
        register,
        durations: { buckets: [0.1, 1], now },
      }),
    );
    const slow = deferred<string>();
    const call = breaker.call(() => slow.promise);
    clock.increment(250);
    slow.resolve('done');
    await call;
    await breaker.execute(() => 'sync');
    await breaker
      .wrap(boom)()
      .catch(() => undefined);
    const hanging = breaker.call(() => new Promise<never>(() => {}));
    clock.increment(5_000);
    await hanging.catch(() => undefined);
    await settle();

    const text = await scrape(register);
    const bucket = (outcome: string, le: string) =>
      sampleValue(text, 'circuit_breaker_call_duration_seconds_bucket', {
        name: 'timed',
        outcome,
        le,
      });
    expect(bucket('success', '0.1')).toBe(1);
    expect(bucket('success', '1')).toBe(2);
    expect(
      sampleValue(text, 'circuit_breaker_call_duration_seconds_sum', { outcome: 'success' }),
    ).toBe(0.25);
    expect(bucket('failure', '0.1')).toBe(1);
    expect(bucket('timeout', '1')).toBe(0);
    expect(bucket('timeout', '+Inf')).toBe(1);
    expect(
      sampleValue(text, 'circuit_breaker_call_duration_seconds_sum', { outcome: 'timeout' }),
    ).toBe(5);
  });

  it('times breakers a source adds later, and stops timing removed ones', async () => {
    const register = new Registry();
    const { breaker, clock } = breakerOn('late');
    const source = new FakeBreakerSource();
    disposers.push(
      registerPrometheusMetrics({
        breakers: source,
        register,
        durations: { now: () => clock.now() },
      }),
    );
    expect(Object.hasOwn(breaker, 'call')).toBe(false);
    source.add(breaker);
    await breaker.call(ok);
    await settle();
    let text = await scrape(register);
    expect(sampleValue(text, 'circuit_breaker_call_duration_seconds_count', { name: 'late' })).toBe(
      1,
    );
    source.remove(breaker);
    expect(Object.hasOwn(breaker, 'call')).toBe(false);
    text = await scrape(register);
    expect(select(text, 'circuit_breaker_call_duration_seconds_count')).toEqual([]);
  });

  it('does not time calls the circuit turned away', async () => {
    const register = new Registry();
    const { breaker, clock } = breakerOn('turned', { failureThreshold: 1 });
    disposers.push(
      registerPrometheusMetrics({
        breakers: [breaker],
        register,
        durations: { now: () => clock.now() },
      }),
    );
    await failTimes(breaker, 1);
    await breaker.call(ok).catch(() => undefined);
    await settle();
    const text = await scrape(register);
    expect(
      sampleValue(text, 'circuit_breaker_call_duration_seconds_count', { outcome: 'failure' }),
    ).toBe(1);
    expect(select(text, 'circuit_breaker_call_duration_seconds_count')).toHaveLength(1);
  });

  it('validates its options', () => {
    const register = new Registry();
    const { breaker } = breakerOn('v');
    const breakers = [breaker];
    const bad = (options: unknown) => () =>
      registerPrometheusMetrics(options as Parameters<typeof registerPrometheusMetrics>[0]);
    expect(bad(null)).toThrow(new TypeError('options must be an object, got null'));
    expect(bad({ breakers, register, prefix: '1x' })).toThrow(/prefix must match .* got "1x"/);
    expect(bad({ breakers, register: {} })).toThrow(
      /register must be a prom-client Registry, got \{\}/,
    );
    expect(bad({ breakers: 5, register })).toThrow(
      /breakers must be an array of breakers or an iterable/,
    );
    expect(bad({ breakers: [{}], register })).toThrow(
      /breakers must hold circuit breakers, got \{\}/,
    );
    expect(bad({ breakers, register, durations: 'yes' })).toThrow(/durations must be a boolean/);
    expect(bad({ breakers, register, durations: { buckets: [1, 0.5] } })).toThrow(RangeError);
    expect(bad({ breakers, register, durations: { buckets: [] } })).toThrow(/durations.buckets/);
    expect(bad({ breakers, register, durations: { now: 3 } })).toThrow(
      /durations.now must be a function, got 3/,
    );
    expect(bad({ breakers: [breaker, 7], register, durations: true })).toThrow(/got 7/);
    const source = new FakeBreakerSource([breaker, 7 as unknown as typeof breaker]);
    expect(bad({ breakers: source, register, durations: true })).toThrow(/got 7/);
    expect(source.listenerCount).toBe(0);
    expect(Object.hasOwn(breaker, 'call')).toBe(false);
    expect(register.getMetricsAsArray()).toHaveLength(0);
  });
});
