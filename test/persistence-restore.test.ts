import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitBreakerSnapshotError,
  exponentialBackoff,
} from '../src/index.js';
import { failTimes, ok, simulated } from './helpers.js';

/** A breaker on a simulated clock at `at`, restored from `snapshot` with `options`. */
function restore(snapshot: CircuitBreakerOptions['snapshot'], options: CircuitBreakerOptions = {}) {
  const clock = new SimulatedClock();
  clock.set(1000);
  return new CircuitBreaker({ clock, ...options, snapshot });
}

describe('restoring keeps the saved options', () => {
  it('restored with only its name, a breaker keeps failureThreshold and resetTimeout', async () => {
    const { breaker } = simulated({ name: 'payments', failureThreshold: 2, resetTimeout: 5000 });
    const restored = restore(JSON.stringify(breaker), { name: 'payments' });
    expect(restored.toString()).toBe('CircuitBreaker(name=payments, state=closed, failures=0/2)');
    await failTimes(restored, 2);
    expect(restored.state).toBe('open');
    expect(restored.timeUntilRetry()).toBe(5000);
  });

  it('restored with no options at all, it keeps its name too', () => {
    const { breaker } = simulated({ name: 'payments', halfOpenMaxCalls: 3 });
    const restored = restore(breaker.toJSON());
    expect(restored.name).toBe('payments');
    expect(restored.toJSON().options).toEqual({ name: 'payments', halfOpenMaxCalls: 3 });
  });

  it('an option given now replaces the saved one; the others stay', async () => {
    const { breaker } = simulated({ name: 'payments', failureThreshold: 2, resetTimeout: 5000 });
    const restored = restore(breaker.toJSON(), { name: 'payments', failureThreshold: 4 });
    await failTimes(restored, 3);
    expect(restored.state).toBe('closed');
    await failTimes(restored, 1);
    expect(restored.timeUntilRetry()).toBe(5000);
    // undefined is no value: it does not replace the saved one.
    const again = restore(breaker.toJSON(), { name: 'payments', failureThreshold: undefined });
    expect(again.toString()).toContain('failures=0/2');
  });

  it('saved rate policies survive and a new window replaces the saved one', async () => {
    const { breaker } = simulated({
      name: 'search',
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 20 },
      minimumThroughput: 10,
    });
    const restored = restore(breaker.toJSON(), { name: 'search' });
    await failTimes(restored, 9);
    expect(restored.state).toBe('closed');
    await failTimes(restored, 1);
    expect(restored.state).toBe('open');
    const smaller = restore(breaker.toJSON(), {
      slidingWindow: { type: 'count', size: 10 },
      minimumThroughput: 4,
    });
    await failTimes(smaller, 4);
    expect(smaller.state).toBe('open');
  });

  it('a snapshot without saved options (an older writer) falls back to the saved config', async () => {
    const { breaker } = simulated({ name: 'payments', failureThreshold: 2, resetTimeout: 5000 });
    const { options: _dropped, ...older } = breaker.toJSON();
    const restored = restore(older, { name: 'payments' });
    await failTimes(restored, 2);
    expect(restored.timeUntilRetry()).toBe(5000);
  });

  it('corrupted saved options are a snapshot error, not the caller’s', () => {
    const { breaker } = simulated({ name: 'payments' });
    const saved = breaker.toJSON();
    const corrupted = { ...saved, options: { name: 'payments', failureThreshold: -1 } };
    expect(() => restore(corrupted)).toThrow(CircuitBreakerSnapshotError);
    expect(() => restore(corrupted)).toThrow(/saved options are invalid \(failureThreshold/);
    const typo = { ...saved, options: { name: 'payments', failureTreshold: 2 } };
    expect(() => restore(typo as never)).toThrow(/unknown option "failureTreshold"/);
  });

  it('a misspelt option is rejected with a snapshot as without one, even when undefined', () => {
    const { breaker } = simulated({ name: 'payments' });
    const snapshot = breaker.toJSON();
    const typo = { name: 'payments', failureTreshold: undefined } as CircuitBreakerOptions;
    expect(() => new CircuitBreaker(typo)).toThrow(/unknown option "failureTreshold"/);
    expect(() => new CircuitBreaker({ ...typo, snapshot })).toThrow(
      /unknown option "failureTreshold"/,
    );
  });

  it('a backoff breaker restored while open keeps the period of that opening', async () => {
    const backoff = exponentialBackoff({ initial: 700, max: 10_000 });
    const { breaker } = simulated({ name: 'api', failureThreshold: 1, resetTimeout: backoff });
    await failTimes(breaker, 1);
    const restored = restore(breaker.toJSON(), { name: 'api' });
    expect(restored.timeUntilRetry()).toBe(700);
    expect(restored.toJSON().options).toEqual({ name: 'api', failureThreshold: 1 });
  });
});

describe('a store answering null on first boot', () => {
  it.each([null, undefined])('snapshot: %s starts a fresh breaker', (nothing) => {
    const stored: string | null | undefined = nothing;
    const breaker = restore(stored, { name: 'payments', failureThreshold: 3 });
    expect(breaker.state).toBe('closed');
    expect(breaker.toString()).toBe('CircuitBreaker(name=payments, state=closed, failures=0/3)');
    expect(breaker.getStats().totalFailures).toBe(0);
  });
});

describe('toJSON is a copy', () => {
  it('editing it changes nothing in the running breaker', async () => {
    const { breaker } = simulated({ failureThreshold: 3 });
    await breaker.call(ok);
    const saved = breaker.toJSON();
    saved.snapshot.context.stats.totalFailures = 999;
    saved.snapshot.context.stats.totalSuccesses = 999;
    saved.snapshot.context.config.failureThreshold = 1;
    (saved.options as { failureThreshold: number }).failureThreshold = 1;
    expect(breaker.getStats().totalFailures).toBe(0);
    expect(breaker.getStats().totalSuccesses).toBe(1);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed'); // still opens at 3, not 1
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.toJSON()).not.toBe(breaker.toJSON());
    expect(breaker.toJSON()).toEqual(breaker.toJSON());
  });

  it('does not share the options object the breaker was given', () => {
    const slidingWindow = { type: 'count' as const, size: 20 };
    const { breaker } = simulated({ failureRateThreshold: 0.5, slidingWindow });
    const saved = breaker.toJSON();
    expect(saved.options?.slidingWindow).toEqual(slidingWindow);
    expect(saved.options?.slidingWindow).not.toBe(slidingWindow);
  });
});
