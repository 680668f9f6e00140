import { describe, expect, it } from 'vitest';
import { DEFAULT_DURATION_BUCKETS, resolveDurations, timeCalls } from '../src/metrics/durations.js';
import { readBreakerSignals, TransitionCounter } from '../src/metrics/signals.js';
import { onStoreStatus, storeStatusOf } from '../src/metrics/store-status.js';
import { fakeStoreStatus } from './fake-breaker-source.js';
import { fakeStore } from './fake-store.js';
import { failTimes, ok, settle, simulated } from './helpers.js';

describe('readBreakerSignals', () => {
  it('reads every counter and splits timeouts out of failures', () => {
    const { breaker } = simulated({ name: 'llm' });
    const stats = breaker.getStats();
    Object.assign(breaker, {
      getStats: () => ({
        ...stats,
        totalFailures: 9,
        totalTimeouts: 4,
        totalIgnored: 2,
        totalFallbacks: 1,
      }),
    });
    expect(readBreakerSignals(breaker).calls).toEqual({
      success: 0,
      failure: 5,
      rejected: 0,
      ignored: 2,
      timeout: 4,
      fallback: 1,
    });
  });

  it('turns non-finite window figures into null', () => {
    const { breaker } = simulated();
    Object.assign(breaker, {
      getMetrics: () => ({
        failureRate: Number.NaN,
        slowCallRate: 0,
        bufferedCalls: 3,
        notPermittedCalls: undefined,
      }),
    });
    expect(readBreakerSignals(breaker)).toMatchObject({
      failureRate: null,
      slowCallRate: 0,
      bufferedCalls: 3,
      notPermittedCalls: null,
    });
  });
});

describe('store status', () => {
  it('is null without a store, and follows the breaker with one', () => {
    const { breaker } = simulated({ name: 'shared' });
    expect(readBreakerSignals(breaker).storeStatus).toBeNull();
    const seen: string[] = [];
    expect(onStoreStatus(breaker, (status) => seen.push(status))).toBeTypeOf('function');
    const store = fakeStoreStatus(breaker, 'connected');
    expect(storeStatusOf(breaker)).toBe('connected');
    const stop = onStoreStatus(breaker, (status) => seen.push(status));
    store.set('degraded');
    expect(readBreakerSignals(breaker).storeStatus).toBe('degraded');
    store.set('connected');
    stop();
    store.set('degraded');
    expect(seen).toEqual(['degraded', 'connected']);
    expect(store.listenerCount).toBe(0);
  });

  it('follows a real breaker on a store: its storeStatus and storeStatus events', () => {
    const { store, circuit } = fakeStore();
    const { breaker } = simulated({ name: 'payments', store });
    const seen: string[] = [];
    const stop = onStoreStatus(breaker, (status) => seen.push(status));
    expect(readBreakerSignals(breaker).storeStatus).toBe('connected');
    circuit().setStatus('degraded');
    expect(readBreakerSignals(breaker).storeStatus).toBe('degraded');
    circuit().setStatus('connected');
    expect(seen).toEqual(['degraded', 'connected']);
    stop();
    breaker.dispose();
  });

  it('reads anything but connected or degraded as no store', () => {
    const { breaker } = simulated();
    for (const value of [undefined, null, 'standalone', 1]) {
      Object.defineProperty(breaker, 'storeStatus', { configurable: true, value });
      expect(storeStatusOf(breaker)).toBeNull();
    }
  });
});

describe('TransitionCounter', () => {
  it('counts by from, to and reason, and stops on unwatch', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 10 });
    const counter = new TransitionCounter();
    counter.watch(breaker);
    counter.watch(breaker); // watching twice counts once
    await failTimes(breaker, 1);
    clock.increment(10);
    await failTimes(breaker, 1); // the probe fails: halfOpen -> open
    clock.increment(10);
    expect(
      counter.entries(breaker).map(({ from, to, count }) => `${from}->${to}=${count}`),
    ).toEqual(['closed->open=1', 'open->halfOpen=2', 'halfOpen->open=1']);
    counter.unwatch(breaker);
    expect(counter.entries(breaker)).toEqual([]);
    breaker.forceOpen();
    counter.watch(breaker);
    expect(counter.entries(breaker)).toEqual([]);
  });

  it('takes the reason from the event, and a disposed breaker counts nothing', () => {
    const { breaker } = simulated();
    let emit: ((event: object) => void) | undefined;
    Object.assign(breaker, {
      on: (_type: string, listener: (event: object) => void) => {
        emit = listener;
        return () => {};
      },
    });
    const counter = new TransitionCounter();
    counter.watch(breaker);
    emit?.({ from: 'closed', to: 'open', at: 1, reason: 'failureRate' });
    emit?.({ from: 'closed', to: 'open', at: 2, reason: 'failureRate' });
    emit?.({ from: 'closed', to: 'open', at: 3 });
    expect(counter.entries(breaker)).toEqual([
      { from: 'closed', to: 'open', reason: 'failureRate', count: 2 },
      { from: 'closed', to: 'open', reason: 'unknown', count: 1 },
    ]);
    const { breaker: gone } = simulated();
    gone.dispose();
    counter.watch(gone);
    expect(counter.entries(gone)).toEqual([]);
    counter.unwatch(gone);
  });
});

describe('call durations', () => {
  it('resolves defaults and copies the buckets', () => {
    expect(resolveDurations(undefined)).toBeNull();
    expect(resolveDurations(false)).toBeNull();
    expect(resolveDurations(true)?.buckets).toEqual(DEFAULT_DURATION_BUCKETS);
    const buckets = [0.5, 2];
    const resolved = resolveDurations({ buckets });
    buckets.push(9);
    expect(resolved?.buckets).toEqual([0.5, 2]);
    expect(typeof resolved?.now()).toBe('number');
    expect(() => resolveDurations({ buckets: [0, 1] })).toThrow(RangeError);
    expect(() => resolveDurations({ buckets: [1, Number.POSITIVE_INFINITY] })).toThrow(RangeError);
    expect(() => resolveDurations({ buckets: ['1'] as unknown as number[] })).toThrow(RangeError);
    expect(() => resolveDurations(null as unknown as boolean)).toThrow(
      /durations must be a boolean/,
    );
  });

  it('leaves a shadow someone put on top alone, and stops timing wrapped functions once removed', async () => {
    const { breaker, clock } = simulated();
    const seen: string[] = [];
    const untime = timeCalls(
      breaker,
      () => clock.now(),
      (outcome, seconds) => seen.push(`${outcome}:${seconds}`),
    );
    const wrapped = breaker.wrap(async (x: number) => x * 2);
    const theirs = breaker.execute;
    const pending = wrapped(1);
    clock.increment(20);
    expect(await pending).toBe(2);
    Object.assign(breaker, {
      execute: (...args: Parameters<typeof theirs>) => theirs.apply(breaker, args),
    });
    untime();
    expect(Object.hasOwn(breaker, 'execute')).toBe(true); // theirs stays
    expect(Object.hasOwn(breaker, 'call')).toBe(false);
    await wrapped(2);
    await breaker.execute(ok);
    await settle();
    expect(seen).toEqual(['success:0.02']);
  });
});
