import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitOpenError,
  CircuitTimeoutError,
  exponentialBackoff,
} from '../src/index.js';
import { boom, deferred, failTimes, ok, settle, simulated } from './helpers.js';

/** A call that settles `ms` later on the simulated clock. */
async function slowCall(clock: SimulatedClock, breaker: CircuitBreaker, ms: number, fail = false) {
  const gate = deferred<string>();
  const call = breaker.call(() => gate.promise);
  clock.increment(ms);
  if (fail) gate.reject(new Error('slow failure'));
  else gate.resolve('slow ok');
  return call.catch((error: unknown) => error);
}

describe('failure rate over a count window', () => {
  const options: CircuitBreakerOptions = {
    failureRateThreshold: 0.5,
    slidingWindow: { type: 'count', size: 4 },
    minimumThroughput: 4,
  };

  it('opens when the share of failures reaches the threshold, not below', async () => {
    const { breaker } = simulated(options);
    await breaker.call(ok);
    await breaker.call(ok);
    await breaker.call(ok);
    await failTimes(breaker, 1); // 1/4
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1); // window S S F F: 2/4
    expect(breaker.state).toBe('open');
  });

  it('does not trip before minimumThroughput calls', async () => {
    const { breaker } = simulated(options);
    await failTimes(breaker, 3); // 100%, but 3 calls
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('slides: successes push old failures out', async () => {
    const { breaker } = simulated(options);
    await failTimes(breaker, 1);
    for (let i = 0; i < 4; i++) await breaker.call(ok);
    await failTimes(breaker, 1); // S S S F
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 4, totalFailures: 2 });
  });
});

describe('failure rate over a time window', () => {
  const options: CircuitBreakerOptions = {
    failureRateThreshold: 0.9,
    slidingWindow: { type: 'time', duration: 1000, buckets: 4 },
    minimumThroughput: 4,
  };

  it('successes counted locally still land in the bucket of their time', async () => {
    const { breaker, clock } = simulated(options);
    for (let i = 0; i < 3; i++) await breaker.call(ok); // t=1000, folded
    clock.increment(300);
    await breaker.call(ok); // t=1300: another bucket
    clock.increment(1000); // t=2300: everything above has expired
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('closed'); // 3 calls in the window: below minimum throughput
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open'); // 4/4; had the old successes landed now, 4/8
  });

  it('old buckets expire without any timer', async () => {
    const { breaker, clock } = simulated(options);
    const setTimeoutSpy = vi.spyOn(clock, 'setTimeout');
    await failTimes(breaker, 3);
    clock.increment(1000);
    for (let i = 0; i < 3; i++) await breaker.call(ok);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed'); // 1/4
    expect(setTimeoutSpy).not.toHaveBeenCalled();
  });
});

describe('slow calls', () => {
  const options: CircuitBreakerOptions = {
    slowCallDuration: 100,
    slowCallRateThreshold: 0.5,
    slidingWindow: { type: 'count', size: 4 },
    minimumThroughput: 4,
  };

  it('calls that succeed but are slow open the circuit, and still return their value', async () => {
    const { breaker, clock } = simulated(options);
    await breaker.call(ok);
    await breaker.call(ok);
    expect(await slowCall(clock, breaker, 100)).toBe('slow ok');
    expect(breaker.state).toBe('closed');
    expect(await slowCall(clock, breaker, 150)).toBe('slow ok');
    expect(breaker.state).toBe('open');
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 4, totalFailures: 0 });
  });

  it('calls just under the duration are not slow', async () => {
    const { breaker, clock } = simulated(options);
    for (let i = 0; i < 4; i++) await slowCall(clock, breaker, 99);
    expect(breaker.state).toBe('closed');
  });
});

describe('callTimeout', () => {
  it('rejects a call that has not settled in time, counts a failure and aborts the signal', async () => {
    const { breaker, clock } = simulated({ callTimeout: 500, failureThreshold: 1 });
    let signal: AbortSignal | undefined;
    const call = breaker.execute((context) => {
      signal = context.signal;
      return new Promise<string>(() => undefined); // never settles
    });
    clock.increment(499);
    expect(signal?.aborted).toBe(false);
    clock.increment(1);
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitTimeoutError);
    expect(error).toMatchObject({ timeout: 500, breakerName: 'default' });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
    expect(breaker.state).toBe('open');
  });

  it('calls that settle in time share one timer, and none is counted twice', async () => {
    const { breaker, clock } = simulated({ callTimeout: 500 });
    const timers = vi.spyOn(clock, 'setTimeout');
    for (let i = 0; i < 10; i++) expect(await breaker.call(ok)).toBe('ok');
    expect(timers).toHaveBeenCalledTimes(1);
    clock.increment(1000);
    await settle();
    expect(timers).toHaveBeenCalledTimes(1); // nothing left to wait for: not armed again
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 10, totalFailures: 0 });
  });

  it('sets no timer per call when off', async () => {
    const { breaker, clock } = simulated();
    const setTimeoutSpy = vi.spyOn(clock, 'setTimeout');
    for (let i = 0; i < 10; i++) await breaker.call(ok);
    expect(setTimeoutSpy).not.toHaveBeenCalled();
  });
});

describe("the caller's signal", () => {
  it('an abort rejects with its reason and counts neither as success nor failure', async () => {
    const { breaker } = simulated({ failureThreshold: 1 });
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const call = breaker.execute(
      ({ signal }) => {
        inner = signal;
        return new Promise<string>(() => undefined);
      },
      { signal: controller.signal },
    );
    const reason = new Error('user navigated away');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(inner?.aborted).toBe(true);
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 0, totalFailures: 0 });
  });

  it('an aborted probe gives its half-open slot back', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 10 });
    await failTimes(breaker, 1);
    clock.increment(10);
    const controller = new AbortController();
    const probe = breaker.execute(() => new Promise(() => undefined), {
      signal: controller.signal,
    });
    await expect(breaker.call(ok)).rejects.toBeInstanceOf(CircuitOpenError); // slot taken
    controller.abort();
    await probe.catch(() => undefined);
    expect(await breaker.call(ok)).toBe('ok'); // the slot was released
    expect(breaker.state).toBe('closed');
  });
});

describe('isFailure and isResultFailure', () => {
  it('an error that is not a failure passes through unchanged and counts as a success', async () => {
    const notFound = Object.assign(new Error('404'), { status: 404 });
    const { breaker } = simulated({
      failureThreshold: 1,
      isFailure: (error) => (error as { status?: number }).status !== 404,
    });
    await expect(breaker.call(() => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 1, totalFailures: 0 });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('a result judged a failure is returned to the caller but counted as a failure', async () => {
    const { breaker } = simulated({
      failureThreshold: 2,
      isResultFailure: (result) => (result as { status: number }).status >= 500,
    });
    const response = { status: 503 };
    expect(await breaker.call(async () => response)).toBe(response);
    expect(await breaker.call(async () => response)).toBe(response);
    expect(breaker.state).toBe('open');
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 0, totalFailures: 2 });
  });

  it('a classifier that throws turns the call into a failure with its error', async () => {
    const bug = new Error('classifier bug');
    const { breaker } = simulated({
      isFailure: () => {
        throw bug;
      },
    });
    await expect(breaker.call(boom)).rejects.toBe(bug);
    expect(breaker.getStats().totalFailures).toBe(1);
  });
});

describe('resetTimeout as a backoff', () => {
  it('grows with each opening without a close, is capped, and starts over after a close', async () => {
    const { breaker, clock } = simulated({
      failureThreshold: 1,
      resetTimeout: exponentialBackoff({ initial: 100, max: 400, factor: 2 }),
    });
    const periods: Array<number | null> = [];
    await failTimes(breaker, 1);
    for (let i = 0; i < 4; i++) {
      periods.push(breaker.timeUntilRetry());
      clock.increment(breaker.timeUntilRetry() ?? 0);
      await failTimes(breaker, 1); // the probe fails
    }
    expect(periods).toEqual([100, 200, 400, 400]);
    clock.increment(400);
    await breaker.call(ok);
    await failTimes(breaker, 1);
    expect(breaker.timeUntilRetry()).toBe(100);
  });

  it('is asked with the attempt and the error that opened the circuit', async () => {
    const resetTimeout = vi.fn(({ attempt }: { attempt: number }) => 1000 * attempt);
    const { breaker } = simulated({ failureThreshold: 1, resetTimeout });
    const error = new Error('down');
    await breaker.call(() => Promise.reject(error)).catch(() => undefined);
    expect(resetTimeout).toHaveBeenCalledWith({ attempt: 1, lastError: error });
    expect(breaker.timeUntilRetry()).toBe(1000);
  });

  it('a backoff answer out of range falls back to 30 s and says so in the log', async () => {
    const logger = { info: vi.fn(), warn: vi.fn() };
    const { breaker } = simulated({ failureThreshold: 1, resetTimeout: () => -5, logger });
    await failTimes(breaker, 1);
    expect(breaker.timeUntilRetry()).toBe(30_000);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/resetTimeout returned -5/));
  });

  it('a backoff that throws falls back to 30 s too, and the breaker keeps working', async () => {
    const logger = { info: vi.fn(), warn: vi.fn() };
    const { breaker, clock } = simulated({
      failureThreshold: 1,
      logger,
      resetTimeout: () => {
        throw new Error('backoff bug');
      },
    });
    await failTimes(breaker, 1);
    expect(breaker.timeUntilRetry()).toBe(30_000);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/resetTimeout threw Error: backoff bug/),
    );
    clock.increment(30_000);
    expect(await breaker.call(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('exponentialBackoff applies jitter and validates its options', () => {
    const backoff = exponentialBackoff({ initial: 1000, jitter: 0.5, random: () => 0.5 });
    expect(backoff({ attempt: 1, lastError: undefined })).toBe(750);
    expect(backoff({ attempt: 3, lastError: undefined })).toBe(3000);
    expect(() => exponentialBackoff({ initial: -1 })).toThrow(/initial must be an integer/);
    expect(() => exponentialBackoff({ initial: 10, max: 5 })).toThrow(
      /max must be an integer between 10/,
    );
    expect(() => exponentialBackoff({ initial: 10, factor: 0.5 })).toThrow(
      /factor must be a finite number >= 1, got 0.5/,
    );
    expect(() => exponentialBackoff({ initial: 10, jitter: 2 })).toThrow(
      /jitter must be a number in \[0, 1\], got 2/,
    );
  });
});

describe('half-open policies', () => {
  it('halfOpenSuccessThreshold successes are needed to close', async () => {
    const { breaker, clock } = simulated({
      failureThreshold: 1,
      resetTimeout: 10,
      halfOpenSuccessThreshold: 2,
    });
    await failTimes(breaker, 1);
    clock.increment(10);
    await breaker.call(ok);
    expect(breaker.state).toBe('halfOpen');
    await breaker.call(ok);
    expect(breaker.state).toBe('closed');
  });

  it('halfOpenMaxWait reopens when a canExecute() caller never records', () => {
    const { breaker, clock } = simulated({
      failureThreshold: 1,
      resetTimeout: 10,
      halfOpenMaxWait: 100,
    });
    breaker.recordFailure();
    clock.increment(10);
    expect(breaker.canExecute()).toBe(true); // ...and the caller forgets to record
    clock.increment(100);
    expect(breaker.state).toBe('open');
    clock.increment(10);
    expect(breaker.canExecute()).toBe(true);
  });
});

describe('fallback', () => {
  it('answers for a rejected call and for a failed one (per breaker)', async () => {
    const fallback = vi.fn((error: unknown) => `fallback for ${(error as Error).name}`);
    const { breaker } = simulated({ failureThreshold: 1, fallback });
    expect(await breaker.call(boom)).toBe('fallback for Error');
    expect(await breaker.call(ok)).toBe('fallback for CircuitOpenError');
    expect(fallback).toHaveBeenCalledTimes(2);
  });

  it('per call on execute and wrap, and its own errors reach the caller', async () => {
    const { breaker } = simulated({ failureThreshold: 5 });
    expect(await breaker.execute(boom, { fallback: () => 'cached' })).toBe('cached');
    const wrapped = breaker.wrap(boom, { fallback: () => 'wrapped fallback' });
    expect(await wrapped()).toBe('wrapped fallback');
    const broken = new Error('fallback broke');
    await expect(
      breaker.execute(boom, {
        fallback: () => {
          throw broken;
        },
      }),
    ).rejects.toBe(broken);
    await expect(breaker.execute(boom, { fallback: () => Promise.reject(broken) })).rejects.toBe(
      broken,
    );
  });

  it('is not used for errors that are not failures, nor for caller aborts', async () => {
    const notFailure = new Error('not mine');
    const { breaker } = simulated({
      isFailure: (e) => e !== notFailure,
      fallback: () => 'fallback',
    });
    await expect(breaker.call(() => Promise.reject(notFailure))).rejects.toBe(notFailure);
    const reason = new Error('gone');
    await expect(breaker.execute(ok, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});

describe('option validation', () => {
  const cases: Array<[CircuitBreakerOptions, typeof TypeError | typeof RangeError, RegExp]> = [
    [{ failureRateThreshold: 0.5 }, TypeError, /failureRateThreshold needs a slidingWindow/],
    [
      { slowCallRateThreshold: 0.5, slowCallDuration: 10 },
      TypeError,
      /slowCallRateThreshold needs a slidingWindow/,
    ],
    [
      { slidingWindow: { type: 'count', size: 5 } },
      TypeError,
      /slidingWindow needs failureRateThreshold or slowCallRateThreshold/,
    ],
    [
      { failureRateThreshold: 0, slidingWindow: { type: 'count', size: 5 } },
      RangeError,
      /failureRateThreshold must be a number in \(0, 1\], got 0/,
    ],
    [
      { failureRateThreshold: 1.5, slidingWindow: { type: 'count', size: 5 } },
      RangeError,
      /got 1.5/,
    ],
    [
      { failureRateThreshold: 0.5, slidingWindow: { type: 'count', size: 0 } },
      RangeError,
      /slidingWindow.size must be an integer between 1 and 1000000, got 0/,
    ],
    [
      { failureRateThreshold: 0.5, slidingWindow: { type: 'time', duration: 1000, buckets: 3 } },
      RangeError,
      /slidingWindow.duration must be a multiple of slidingWindow.buckets/,
    ],
    [
      { failureRateThreshold: 0.5, slidingWindow: { type: 'sliding' } as never },
      TypeError,
      /slidingWindow.type must be "count" or "time", got "sliding"/,
    ],
    [
      {
        failureRateThreshold: 0.5,
        slidingWindow: { type: 'count', size: 5 },
        minimumThroughput: 6,
      },
      RangeError,
      /minimumThroughput must be at most slidingWindow.size \(5\), got 6/,
    ],
    [{ minimumThroughput: 3 }, TypeError, /minimumThroughput needs a rate policy/],
    [
      {
        slowCallDuration: 100,
        failureRateThreshold: 0.5,
        slidingWindow: { type: 'count', size: 5 },
      },
      TypeError,
      /slowCallDuration and slowCallRateThreshold must be given together/,
    ],
    [
      { callTimeout: 0 },
      RangeError,
      /callTimeout must be an integer between 1 and 2147483647, got 0/,
    ],
    [{ callTimeout: '5s' as never }, TypeError, /callTimeout must be a number, got "5s"/],
    [{ halfOpenMaxWait: -1 }, RangeError, /halfOpenMaxWait must be an integer between 1/],
    [
      { halfOpenSuccessThreshold: 0 },
      RangeError,
      /halfOpenSuccessThreshold must be an integer >= 1, got 0/,
    ],
    [{ isFailure: true as never }, TypeError, /isFailure must be a function, got true/],
    [{ isResultFailure: 'x' as never }, TypeError, /isResultFailure must be a function, got "x"/],
    [{ fallback: 1 as never }, TypeError, /fallback must be a function, got 1/],
    [
      { resetTimeout: null as never },
      TypeError,
      /resetTimeout must be a number or a function, got null/,
    ],
  ];

  it.each(cases)('rejects %o', (options, error, message) => {
    expect(() => new CircuitBreaker(options)).toThrow(error);
    expect(() => new CircuitBreaker(options)).toThrow(message);
  });

  it('keeps the consecutive rule as default only when no rate policy is given', () => {
    const plain = new CircuitBreaker();
    expect(String(plain)).toContain('failures=0/5');
    const rate = new CircuitBreaker({
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 10 },
    });
    expect(String(rate)).toBe('CircuitBreaker(name=default, state=closed, failures=0)');
  });

  it('rejects a bad per-call fallback', async () => {
    const breaker = new CircuitBreaker({ clock: new SimulatedClock() });
    await expect(breaker.execute(ok, { fallback: 5 as never })).rejects.toThrow(
      /fallback must be a function, got 5/,
    );
    expect(() => breaker.wrap(ok, { fallback: 5 as never })).toThrow(
      /fallback must be a function, got 5/,
    );
  });
});
