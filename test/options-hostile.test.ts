import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  type BreakerClock,
  CircuitBreaker,
  CircuitOpenError,
  exponentialBackoff,
  resolveBreakerConfig,
} from '../src/index.js';
import { boom, failTimes } from './helpers.js';

describe('unknown nested option keys are rejected, never ignored', () => {
  it('names the unknown key of a count window', () => {
    expect(
      () =>
        new CircuitBreaker({
          failureRateThreshold: 0.5,
          // @ts-expect-error a count window has no duration
          slidingWindow: { type: 'count', size: 10, duration: 5 },
        }),
    ).toThrow(new TypeError('unknown option "slidingWindow.duration"'));
  });

  it('names the unknown key of a time window, through the machine too', () => {
    const input = {
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'time', duration: 1000, buckets: 10, size: 3 },
    } as never;
    expect(() => new CircuitBreaker(input)).toThrow(
      new TypeError('unknown option "slidingWindow.size"'),
    );
    // The machine validates its input with the same function.
    expect(() => resolveBreakerConfig(input)).toThrow('unknown option "slidingWindow.size"');
  });

  it('exponentialBackoff blames the typo, not the option it meant', () => {
    // @ts-expect-error `inital` is a typo of `initial`
    expect(() => exponentialBackoff({ inital: 1000 })).toThrow(
      new TypeError('unknown option "inital" of exponentialBackoff'),
    );
    expect(() => exponentialBackoff({ initial: 1000, maximum: 5 } as never)).toThrow(
      /unknown option "maximum"/,
    );
  });
});

describe('exponentialBackoff edges', () => {
  it('an initial of 0 stays 0 at any attempt (no 0 * Infinity)', () => {
    const backoff = exponentialBackoff({ initial: 0, max: 5000 });
    for (const attempt of [1, 2, 1025, 5000, Number.MAX_SAFE_INTEGER]) {
      expect(backoff({ attempt, lastError: undefined })).toBe(0);
    }
  });

  it('never exceeds max, however far the attempts grow, and never answers NaN', () => {
    const backoff = exponentialBackoff({ initial: 1, max: 7000, factor: 3 });
    for (const attempt of [1, 10, 1025, 1_000_000]) {
      const period = backoff({ attempt, lastError: undefined });
      expect(Number.isInteger(period)).toBe(true);
      expect(period).toBeLessThanOrEqual(7000);
    }
    expect(backoff({ attempt: 1025, lastError: undefined })).toBe(7000);
  });

  it('a random source outside [0, 1) cannot push a period past max or below 0', () => {
    const high = exponentialBackoff({ initial: 1000, max: 1000, jitter: 1, random: () => -5 });
    expect(high({ attempt: 3, lastError: undefined })).toBe(1000);
    const low = exponentialBackoff({ initial: 1000, jitter: 1, random: () => 5 });
    expect(low({ attempt: 1, lastError: undefined })).toBe(0);
  });

  it('a breaker backing off from 0 opens for max at most, never for the 30 s default', async () => {
    const clock = new SimulatedClock();
    clock.set(1000);
    const warnings: string[] = [];
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 1,
      resetTimeout: exponentialBackoff({ initial: 0, max: 50 }),
      logger: { info: () => undefined, warn: (line) => warnings.push(line) },
    });
    // Every call is a probe that fails and reopens: over 1,025 openings, where factor^attempt
    // overflows to Infinity.
    await failTimes(breaker, 1100);
    expect(breaker.getStats().timesOpened).toBe(1100);
    expect(breaker.timeUntilRetry()).toBe(0);
    expect(warnings.filter((line) => line.includes('bad_reset_timeout'))).toEqual([]);
    expect(warnings).toHaveLength(1100); // one circuit_breaker_open line per opening
    breaker.dispose();
  });
});

/** A clock whose `now()` can be stepped back (an NTP correction) while its timers run on. */
function steppableClock() {
  const simulated = new SimulatedClock();
  simulated.set(1_000_000);
  let offset = 0;
  const clock: BreakerClock = {
    now: () => simulated.now() + offset,
    setTimeout: (callback, ms) => simulated.setTimeout(callback, ms),
    clearTimeout: (handle) => simulated.clearTimeout(handle as number),
  };
  return {
    clock,
    simulated,
    stepBack: (ms: number) => {
      offset -= ms;
    },
  };
}

describe('a clock that steps backwards', () => {
  it('never announces more than the open period in force', async () => {
    const { clock, simulated, stepBack } = steppableClock();
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, resetTimeout: 1000 });
    await failTimes(breaker, 1);
    expect(breaker.timeUntilRetry()).toBe(1000);
    stepBack(3_600_000); // an hour back
    expect(breaker.timeUntilRetry()).toBe(1000);
    const rejection = await breaker.call(boom).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(CircuitOpenError);
    expect((rejection as CircuitOpenError).retryAfter).toBe(1000);
    expect((rejection as CircuitOpenError).message).toContain('retry in 1000ms');
    expect(breaker.toString()).toContain('retryIn=1000ms');
    simulated.increment(1000); // the timer half-opens after 1 s, as announced
    expect(breaker.state).toBe('halfOpen');
    breaker.dispose();
  });

  it('with a backoff, the clamp is the period of this opening', async () => {
    const { clock, stepBack } = steppableClock();
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 1,
      resetTimeout: exponentialBackoff({ initial: 250, max: 10_000 }),
    });
    await failTimes(breaker, 1);
    stepBack(60_000);
    expect(breaker.timeUntilRetry()).toBe(250);
    breaker.dispose();
  });
});
