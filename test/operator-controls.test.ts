/**
 * Issue 11: the outcomes and controls operators of resilience4j, gobreaker and opossum rely
 * on: ignored errors, retry-after, timed force-open, disable, slow probes, fallback arguments.
 */
import { describe, expect, it, vi } from 'vitest';
import { CircuitOpenError } from '../src/index.js';
import { boom, failTimes, ok, simulated } from './helpers.js';

class RateLimited extends Error {
  constructor(readonly retryAfterMs: number) {
    super('429');
  }
}
class NotFound extends Error {}

describe('isIgnored', () => {
  it('passes the error through and counts it neither as success nor as failure', async () => {
    const { breaker } = simulated({
      failureThreshold: 1,
      isIgnored: (error) => error instanceof NotFound,
    });
    const error = new NotFound('no such user');
    await expect(breaker.call(() => Promise.reject(error))).rejects.toBe(error);
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats()).toMatchObject({
      totalIgnored: 1,
      totalSuccesses: 0,
      totalFailures: 0,
    });
  });

  it('releases the half-open probe slot it held', async () => {
    const { breaker, clock } = simulated({
      failureThreshold: 1,
      resetTimeout: 10,
      isIgnored: (error) => error instanceof NotFound,
    });
    await failTimes(breaker, 1);
    clock.increment(10);
    await breaker.call(() => Promise.reject(new NotFound())).catch(() => undefined);
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.getMetrics().probesInFlight).toBe(0);
    await breaker.call(ok); // the slot is free again: this probe closes the circuit
    expect(breaker.state).toBe('closed');
  });

  it('applies to recordFailure, as isFailure does (asked first)', () => {
    const { breaker } = simulated({
      failureThreshold: 1,
      isIgnored: (error) => error instanceof NotFound,
      isFailure: (error) => !(error instanceof RangeError),
    });
    breaker.recordFailure(new NotFound());
    breaker.recordFailure(new RangeError('a caller mistake'));
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats()).toMatchObject({ totalIgnored: 1, totalSuccesses: 1 });
    breaker.recordFailure(new Error('down'));
    expect(breaker.state).toBe('open');
  });

  it('is validated', () => {
    // @ts-expect-error: runtime guard
    expect(() => simulated({ isIgnored: 'NotFound' })).toThrow(
      new TypeError('isIgnored must be a function, got "NotFound"'),
    );
  });
});

describe('retryAfter', () => {
  const options = {
    failureThreshold: 5,
    resetTimeout: 1000,
    retryAfter: (error: unknown) => (error instanceof RateLimited ? error.retryAfterMs : undefined),
  };

  it('opens at once for as long as the error asked, whatever the thresholds', async () => {
    const { breaker, clock } = simulated(options);
    const opened = vi.fn();
    breaker.on('open', opened);
    await breaker.call(() => Promise.reject(new RateLimited(5000))).catch(() => undefined);
    expect(breaker.state).toBe('open');
    expect(breaker.timeUntilRetry()).toBe(5000);
    expect(opened).toHaveBeenCalledWith(
      expect.objectContaining({
        reason: 'retryAfter',
        trip: expect.objectContaining({ retryAfter: 5000 }),
      }),
    );
    const rejected = await breaker.call(ok).catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(CircuitOpenError);
    expect((rejected as CircuitOpenError).retryAfter).toBe(5000);
    clock.increment(4999);
    expect(breaker.state).toBe('open');
    clock.increment(1);
    expect(breaker.state).toBe('halfOpen');
  });

  it('a failure without an answer counts as usual; recordFailure asks too', async () => {
    const { breaker } = simulated(options);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    breaker.recordFailure(new RateLimited(200));
    expect(breaker.getStats().lastTransition?.reason).toBe('retryAfter');
    expect(breaker.timeUntilRetry()).toBe(200);
  });

  it('a bad answer is reported and ignored, never a silent default', async () => {
    const logger = { info: vi.fn(), warn: vi.fn() };
    const { breaker } = simulated({ ...options, retryAfter: () => -5, logger });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    expect(logger.warn).toHaveBeenCalledWith(
      'circuit_breaker_bad_retry_after name=default retryAfter returned -5',
    );
  });
});

describe('forceOpen({ for })', () => {
  it('opens for that long, then half-opens as usual', () => {
    const { breaker, clock } = simulated({ resetTimeout: 10 });
    breaker.forceOpen({ for: 500 });
    expect(breaker.state).toBe('open');
    expect(breaker.getStats().lastTransition).toMatchObject({ to: 'open', reason: 'forced' });
    expect(breaker.timeUntilRetry()).toBe(500);
    clock.increment(500);
    expect(breaker.state).toBe('halfOpen');
  });

  it('forceOpen() still holds', () => {
    const { breaker, clock } = simulated({ resetTimeout: 10 });
    breaker.forceOpen();
    clock.increment(1_000_000);
    expect(breaker.state).toBe('forcedOpen');
    expect(breaker.canExecute()).toBe(false);
  });

  it('validates its options', () => {
    const { breaker } = simulated();
    expect(() => breaker.forceOpen({ for: 0 })).toThrow(
      new RangeError('for must be an integer between 1 and 2147483647, got 0'),
    );
    // @ts-expect-error: runtime guard
    expect(() => breaker.forceOpen({ four: 10 })).toThrow(
      new TypeError('unknown forceOpen option "four"'),
    );
  });
});

describe('disable()', () => {
  it('admits every call, keeps counting, never trips, until reset or forceClose', async () => {
    const { breaker } = simulated({
      failureThreshold: 2,
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 4 },
      minimumThroughput: 2,
    });
    breaker.disable();
    expect(breaker.state).toBe('disabled');
    await failTimes(breaker, 5);
    expect(breaker.state).toBe('disabled');
    expect(breaker.canExecute()).toBe(true);
    expect(breaker.getMetrics()).toMatchObject({
      state: 'disabled',
      failureRate: 1,
      bufferedCalls: 4,
      consecutiveFailures: 5,
    });
    expect(breaker.getStats().totalFailures).toBe(5);
    breaker.forceClose();
    expect(breaker.state).toBe('closed');
    expect(breaker.getMetrics().bufferedCalls).toBe(0);
  });
});

describe('half-open judges probes by the rules closed uses', () => {
  it('a slow probe counts against closing under a slow-call policy', async () => {
    const { breaker, clock } = simulated({
      failureThreshold: 1,
      slowCallRateThreshold: 0.5,
      slowCallDuration: 100,
      slidingWindow: { type: 'count', size: 10 },
      resetTimeout: 10,
    });
    await failTimes(breaker, 1);
    clock.increment(10);
    const probe = breaker.call(
      () => new Promise((resolve) => clock.setTimeout(() => resolve('late'), 100)),
    );
    clock.increment(100);
    await expect(probe).resolves.toBe('late');
    expect(breaker.state).toBe('open');
    expect(breaker.getStats().lastTransition?.reason).toBe('slowProbe');
  });
});

describe('fallback(error, ...args)', () => {
  it('receives the call arguments after the error (breaker, wrap)', async () => {
    const { breaker } = simulated({
      failureThreshold: 1,
      fallback: (error: unknown, ...args: unknown[]) =>
        `${(error as Error).message} for ${args.join(',')}`,
    });
    await expect(breaker.call((id: number) => boom().then(() => id), 7)).resolves.toBe(
      'boom for 7',
    );
    const get = breaker.wrap((id: number, name: string) => Promise.resolve(`${id}${name}`), {
      fallback: (error, id, name) => `${error instanceof CircuitOpenError}:${id}:${name}`,
    });
    await expect(get(1, 'x')).resolves.toBe('true:1:x');
    expect(breaker.getStats().totalFallbacks).toBe(2);
  });
});

describe('timeouts are counted', () => {
  it('as failures and as timeouts', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 5, callTimeout: 50 });
    const call = breaker.call(() => new Promise(() => undefined));
    clock.increment(50);
    await call.catch(() => undefined);
    expect(breaker.getStats()).toMatchObject({ totalFailures: 1, totalTimeouts: 1 });
  });
});
