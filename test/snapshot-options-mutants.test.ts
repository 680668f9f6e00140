import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
  CircuitBreakerSnapshotError,
} from '../src/index.js';
import { failTimes, simulated } from './helpers.js';

/** `breaker`'s snapshot as an older writer saved it: no `options`, only `context.config`. */
function withoutOptions(breaker: CircuitBreaker): unknown {
  const { options: _dropped, ...older } = breaker.toJSON();
  return JSON.parse(JSON.stringify(older));
}

/** A breaker restored from `saved` with `options` given now. */
function restore(saved: unknown, options: CircuitBreakerOptions = {}): CircuitBreaker {
  return simulated({ ...options, snapshot: saved as CircuitBreakerSnapshot }).breaker;
}

/** The error `new CircuitBreaker(options)` throws (fails the test when it throws none). */
function thrownBy(options: CircuitBreakerOptions): Error {
  try {
    new CircuitBreaker(options);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the constructor to throw');
}

describe('the options a snapshot saves', () => {
  it('always name the breaker, even when it has the default name', () => {
    expect(new CircuitBreaker().toJSON().options).toEqual({ name: 'default' });
    expect(new CircuitBreaker({ name: 'users' }).toJSON().options).toEqual({ name: 'users' });
  });
});

describe('an envelope that cannot be restored', () => {
  it('of another format is reported as such, before any options it carries', () => {
    const error = thrownBy({
      snapshot: { format: 'elsewhere', version: 3, options: { failureThreshold: -1 } } as never,
    });
    expect(error).toBeInstanceOf(CircuitBreakerSnapshotError);
    expect(error.message).toBe(
      'cannot restore circuit breaker snapshot: not a xstate-circuit-breaker snapshot (format is "elsewhere")',
    );
  });

  it('with neither options nor a saved actor is a snapshot error naming the missing actor', () => {
    const error = thrownBy({
      name: 'users',
      snapshot: { format: 'xstate-circuit-breaker', version: 3 } as never,
    });
    expect(error).toBeInstanceOf(CircuitBreakerSnapshotError);
    expect(error.message).toBe(
      'cannot restore circuit breaker snapshot: the saved actor was not running (status is not "active")',
    );
  });

  it('with an actor but no config is a snapshot error naming the missing config', () => {
    const { breaker } = simulated({ name: 'users' });
    const saved = withoutOptions(breaker) as { snapshot: { context: Record<string, unknown> } };
    delete saved.snapshot.context.config;
    const error = thrownBy({ name: 'users', snapshot: saved as never });
    expect(error).toBeInstanceOf(CircuitBreakerSnapshotError);
    expect(error.message).toBe(
      'cannot restore circuit breaker snapshot: context or context.config is missing',
    );
  });

  it('does not hide a misspelt option of the caller behind the snapshot', () => {
    const error = thrownBy({
      name: 'users',
      snapshot: { format: 'xstate-circuit-breaker', version: 3 } as never,
      failureTreshold: undefined,
    } as never);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('unknown option "failureTreshold"');
  });
});

describe('a snapshot without saved options restores its config', () => {
  it('keeps the minimum throughput of a failure-rate policy', async () => {
    const { breaker } = simulated({
      name: 'search',
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 20 },
      minimumThroughput: 4,
    });
    const restored = restore(withoutOptions(breaker), { name: 'search' });
    expect(restored.config.minimumThroughput).toBe(4);
    await failTimes(restored, 3);
    expect(restored.state).toBe('closed');
    await failTimes(restored, 1);
    expect(restored.state).toBe('open');
  });

  it('keeps the minimum throughput of a slow-call-rate policy', () => {
    const { breaker } = simulated({
      name: 'search',
      slowCallRateThreshold: 0.5,
      slowCallDuration: 100,
      slidingWindow: { type: 'count', size: 20 },
      minimumThroughput: 4,
    });
    const restored = restore(withoutOptions(breaker), { name: 'search' });
    expect(restored.config.minimumThroughput).toBe(4);
    expect(restored.config.slowCallRateThreshold).toBe(0.5);
  });

  it('keeps a success threshold chosen below halfOpenMaxCalls', () => {
    const { breaker } = simulated({
      name: 'api',
      halfOpenMaxCalls: 3,
      halfOpenSuccessThreshold: 2,
    });
    const restored = restore(withoutOptions(breaker), { name: 'api' });
    expect(restored.config.halfOpenMaxCalls).toBe(3);
    expect(restored.config.halfOpenSuccessThreshold).toBe(2);
  });

  it('lets a derived success threshold follow a halfOpenMaxCalls given now', () => {
    const { breaker } = simulated({ name: 'api', halfOpenMaxCalls: 3 });
    const restored = restore(withoutOptions(breaker), { name: 'api', halfOpenMaxCalls: 5 });
    expect(restored.config.halfOpenMaxCalls).toBe(5);
    expect(restored.config.halfOpenSuccessThreshold).toBe(5);
  });
});
