import { describe, expect, it, vi } from 'vitest';
import { Actor, SimulatedClock } from 'xstate';
import {
  type BreakerClock,
  CircuitBreaker,
  CircuitBreakerDisposedError,
  CircuitBreakerError,
  type CircuitBreakerOptions,
  CircuitOpenError,
} from '../src/index.js';
import { boom, deferred, failTimes, ok, settle, simulated } from './helpers.js';

describe('call', () => {
  it("returns fn's value and rethrows fn's own error unchanged", async () => {
    const { breaker } = simulated();
    const value = { id: 1 };
    await expect(
      breaker.call(async (a: number, b: string) => ({ value, a, b }), 1, 'x'),
    ).resolves.toEqual({
      value,
      a: 1,
      b: 'x',
    });
    expect(await breaker.call(async () => value)).toBe(value);
    const error = new TypeError('mine');
    await expect(breaker.call(() => Promise.reject(error))).rejects.toBe(error);
    const thrown = { not: 'an error' };
    await expect(
      breaker.call(() => {
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    expect(await breaker.call(() => 7)).toBe(7); // synchronous functions work too
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 3, totalFailures: 2 });
  });

  it('opens after failureThreshold consecutive failures and then rejects without calling fn', async () => {
    const { breaker } = simulated({ name: 'redis', failureThreshold: 3, resetTimeout: 5000 });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    const fn = vi.fn(ok);
    const error = await breaker.call(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toBeInstanceOf(CircuitBreakerError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'CircuitOpenError',
      breakerName: 'redis',
      state: 'open',
      retryAfter: 5000,
    });
    expect(breaker.getStats()).toMatchObject({
      totalFailures: 3,
      totalRejections: 1,
      timesOpened: 1,
    });
  });

  it('a success between failures starts the count again', async () => {
    const { breaker } = simulated({ failureThreshold: 2 });
    await failTimes(breaker, 1);
    await breaker.call(ok);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats().consecutiveFailures).toBe(1);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('recovers: open → halfOpen after resetTimeout → closed on a probe success', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 1000 });
    await failTimes(breaker, 1);
    clock.increment(999);
    await expect(breaker.call(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.increment(1);
    expect(breaker.state).toBe('halfOpen');
    expect(await breaker.call(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats()).toMatchObject({
      timesOpened: 1,
      timesHalfOpened: 1,
      timesClosed: 1,
    });
  });

  it('a probe failure reopens', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 1000 });
    await failTimes(breaker, 1);
    clock.increment(1000);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.timeUntilRetry()).toBe(1000);
  });

  it.each([1, 3])('100 concurrent calls in half-open run exactly %i probes', async (max) => {
    const { breaker, clock } = simulated({
      failureThreshold: 1,
      resetTimeout: 10,
      halfOpenMaxCalls: max,
    });
    await failTimes(breaker, 1);
    clock.increment(10);
    const gate = deferred<string>();
    const fn = vi.fn(() => gate.promise);
    const calls = Array.from({ length: 100 }, () => breaker.call(fn));
    expect(fn).toHaveBeenCalledTimes(max);
    gate.resolve('done');
    const results = await Promise.allSettled(calls);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(fulfilled).toHaveLength(max);
    expect(rejected).toHaveLength(100 - max);
    for (const r of rejected) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        state: 'halfOpen',
        retryAfter: null,
      });
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: max, totalRejections: 100 - max });
  });

  it('rejects in forcedOpen with retryAfter null', async () => {
    const { breaker } = simulated();
    breaker.forceOpen();
    const fn = vi.fn(ok);
    await expect(breaker.call(fn)).rejects.toMatchObject({ state: 'forcedOpen', retryAfter: null });
    expect(fn).not.toHaveBeenCalled();
  });

  it('rejects a non-function without counting anything', async () => {
    const { breaker } = simulated();
    // @ts-expect-error: checking the runtime guard
    await expect(breaker.call(42)).rejects.toThrow(/fn must be a function, got 42/);
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 0, totalFailures: 0 });
  });
});

describe('late results', () => {
  it('a call that began in closed and fails after the circuit opened is counted but cannot reopen or move it', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 2, resetTimeout: 100 });
    const slow = deferred();
    const lateCall = breaker.call(() => slow.promise).catch(() => 'late');
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
    clock.increment(100);
    expect(breaker.state).toBe('halfOpen');
    slow.reject(new Error('late'));
    await lateCall;
    expect(breaker.state).toBe('halfOpen'); // not reopened
    expect(breaker.getStats()).toMatchObject({ totalFailures: 3, timesOpened: 1 });
  });

  it('a probe from an earlier half-open cannot close the circuit', async () => {
    const { breaker, clock } = simulated({
      failureThreshold: 1,
      resetTimeout: 100,
      halfOpenMaxCalls: 2,
    });
    await failTimes(breaker, 1);
    clock.increment(100);
    const oldProbe = deferred<string>();
    const pending = breaker.call(() => oldProbe.promise);
    await failTimes(breaker, 1); // second probe fails: reopen
    clock.increment(100); // a new half-open
    expect(breaker.state).toBe('halfOpen');
    oldProbe.resolve('x');
    await pending;
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.getStats().totalSuccesses).toBe(1);
  });

  it('a call from before reset() cannot open the circuit', async () => {
    const { breaker } = simulated({ failureThreshold: 1 });
    const slow = deferred();
    const call = breaker.call(() => slow.promise).catch(() => undefined);
    breaker.reset();
    slow.reject(new Error('x'));
    await call;
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats()).toMatchObject({ totalFailures: 1, consecutiveFailures: 0 });
  });
});

describe('canExecute / recordSuccess / recordFailure', () => {
  it('follows the manual protocol through every state', () => {
    const { breaker, clock } = simulated({ failureThreshold: 2, resetTimeout: 1000 });
    expect(breaker.canExecute()).toBe(true);
    breaker.recordFailure(new Error('a'));
    expect(breaker.canExecute()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.canExecute()).toBe(false);
    expect(breaker.getStats().totalRejections).toBe(1);
    clock.increment(1000);
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.canExecute()).toBe(true); // takes the only probe slot
    expect(breaker.canExecute()).toBe(false);
    breaker.recordSuccess(); // releases it and closes
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats()).toMatchObject({
      totalSuccesses: 1,
      totalFailures: 2,
      totalRejections: 2,
    });
  });

  it('when open and the timeout passed, canExecute moves to half-open even if the timer is late', () => {
    const timers: Array<() => void> = [];
    let now = 0;
    const lazyClock: BreakerClock = {
      now: () => now,
      setTimeout: (callback) => timers.push(callback), // never fires on its own
      clearTimeout: () => undefined,
    };
    const breaker = new CircuitBreaker({ clock: lazyClock, failureThreshold: 1, resetTimeout: 50 });
    breaker.recordFailure();
    now = 49;
    expect(breaker.canExecute()).toBe(false);
    now = 50;
    expect(breaker.state).toBe('open');
    expect(breaker.canExecute()).toBe(true);
    expect(breaker.state).toBe('halfOpen');
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.timeUntilRetry()).toBe(50);
  });

  it('a record in half-open without a granted probe does not move the circuit', () => {
    const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 10 });
    breaker.recordFailure();
    clock.increment(10);
    breaker.recordFailure();
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.getStats().totalFailures).toBe(2);
  });
});

describe('timeUntilRetry', () => {
  it('is null unless open, counts down while open, and is 0 when due', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 1000 });
    expect(breaker.timeUntilRetry()).toBeNull();
    await failTimes(breaker, 1);
    expect(breaker.timeUntilRetry()).toBe(1000);
    clock.increment(400);
    expect(breaker.timeUntilRetry()).toBe(600);
    clock.increment(600);
    expect(breaker.timeUntilRetry()).toBeNull(); // half-open now
    breaker.forceOpen();
    expect(breaker.timeUntilRetry()).toBeNull();
  });
});

describe('stats', () => {
  async function scenario(options: CircuitBreakerOptions) {
    const { breaker, clock } = simulated({ failureThreshold: 3, resetTimeout: 100, ...options });
    const log: unknown[] = [];
    for (let round = 0; round < 3; round++) {
      await breaker.call(ok);
      await failTimes(breaker, 2);
      await breaker.call(ok);
      await failTimes(breaker, 3);
      log.push(breaker.state);
      breaker.canExecute();
      await breaker.call(ok).catch(() => undefined);
      clock.increment(100);
      await breaker.call(ok);
      breaker.recordCost({ inputTokens: 10, outputTokens: 5, estimatedCost: 0.25 });
      log.push(breaker.state, breaker.getStats());
    }
    return log;
  }

  it('counts are exact and identical whether outcomes are folded or each sent as an event', async () => {
    const folded = await scenario({});
    const events: unknown[] = [];
    const observed = await scenario({ inspect: (event) => events.push(event) });
    expect(events.length).toBeGreaterThan(0);
    expect(folded).toEqual(observed);
    expect(folded.at(-1)).toEqual({
      totalSuccesses: 9,
      totalFailures: 15,
      totalRejections: 6,
      totalIgnored: 0,
      totalTimeouts: 0,
      totalFallbacks: 0,
      timesOpened: 3,
      timesHalfOpened: 3,
      timesClosed: 3,
      consecutiveFailures: 0,
      lastFailureAt: 1200,
      lastStateChangeAt: 1300,
      lastTransition: { from: 'halfOpen', to: 'closed', at: 1300, reason: 'probesSucceeded' },
      totalInputTokens: 30,
      totalOutputTokens: 15,
      totalEstimatedCost: 0.75,
    });
  });

  it('folds healthy outcomes: no machine event per success or sub-threshold failure in closed', async () => {
    const send = vi.spyOn(Actor.prototype, 'send');
    try {
      const { breaker } = simulated({ failureThreshold: 3 });
      for (let i = 0; i < 50; i++) await breaker.call(ok);
      await failTimes(breaker, 2);
      await breaker.call(ok);
      await failTimes(breaker, 2);
      expect(send).not.toHaveBeenCalled();
      expect(breaker.getStats()).toMatchObject({
        totalSuccesses: 51,
        totalFailures: 4,
        consecutiveFailures: 2,
      });
      expect(send).toHaveBeenCalledTimes(1);
      expect(send.mock.calls[0]?.[0]).toMatchObject({ type: 'TALLY', successes: 51, failures: 4 });
      await failTimes(breaker, 1); // the third failure in a row can open: the machine decides
      expect(send).toHaveBeenCalledTimes(2);
      expect(breaker.state).toBe('open');
      // Reading the actor turns on full fidelity: every outcome becomes an event.
      const snapshots = vi.fn();
      breaker.actor.subscribe(snapshots);
      breaker.forceClose();
      await breaker.call(ok);
      expect(snapshots).toHaveBeenCalledTimes(2);
      expect(breaker.actor.getSnapshot().context.stats.totalSuccesses).toBe(52);
    } finally {
      send.mockRestore();
    }
  });

  it('getStats returns a copy', () => {
    const { breaker } = simulated();
    const stats = breaker.getStats();
    stats.totalFailures = 99;
    expect(breaker.getStats().totalFailures).toBe(0);
  });

  it('stamps times from the clock', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 1 });
    clock.set(5000);
    await failTimes(breaker, 1);
    expect(breaker.getStats()).toMatchObject({ lastFailureAt: 5000, lastStateChangeAt: 5000 });
  });
});

describe('cost tracking', () => {
  it('adds up and compares against a budget', () => {
    const { breaker } = simulated();
    breaker.recordCost({ inputTokens: 100, outputTokens: 50, estimatedCost: 1.5 });
    breaker.recordCost({ inputTokens: 1, outputTokens: 2, estimatedCost: 0.5 });
    expect(breaker.getStats()).toMatchObject({
      totalInputTokens: 101,
      totalOutputTokens: 52,
      totalEstimatedCost: 2,
    });
    expect(breaker.isCostExceeded(2)).toBe(false);
    expect(breaker.isCostExceeded(1.99)).toBe(true);
  });

  it('rejects bad amounts', () => {
    const { breaker } = simulated();
    expect(() =>
      breaker.recordCost({ inputTokens: -1, outputTokens: 0, estimatedCost: 0 }),
    ).toThrow(new RangeError('inputTokens must be a non-negative integer, got -1'));
    expect(() =>
      breaker.recordCost({ inputTokens: 1.5, outputTokens: 0, estimatedCost: 0 }),
    ).toThrow(RangeError);
    expect(() =>
      // @ts-expect-error: runtime guard
      breaker.recordCost({ inputTokens: 1, outputTokens: '2', estimatedCost: 0 }),
    ).toThrow(new TypeError('outputTokens must be a number, got "2"'));
    expect(() =>
      breaker.recordCost({ inputTokens: 1, outputTokens: 2, estimatedCost: Number.NaN }),
    ).toThrow(/estimatedCost must be a finite number >= 0, got NaN/);
    // @ts-expect-error: runtime guard
    expect(() => breaker.recordCost(null)).toThrow(TypeError);
    expect(() => breaker.isCostExceeded(-1)).toThrow(/maxCost/);
    expect(breaker.getStats().totalInputTokens).toBe(0);
  });
});

describe('reset, forceOpen, forceClose', () => {
  it('reset closes, zeroes the failures and keeps the stats', async () => {
    const { breaker } = simulated({ failureThreshold: 2 });
    await failTimes(breaker, 2);
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats()).toMatchObject({
      consecutiveFailures: 0,
      totalFailures: 2,
      timesClosed: 1,
    });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('forceOpen holds past any timeout; forceClose closes and clears the failures', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 3, resetTimeout: 10 });
    await failTimes(breaker, 2);
    breaker.forceOpen();
    clock.increment(1_000_000);
    expect(breaker.state).toBe('forcedOpen');
    expect(breaker.canExecute()).toBe(false);
    breaker.forceClose();
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats().consecutiveFailures).toBe(0);
    expect(breaker.canExecute()).toBe(true);
  });
});

describe('execute and wrap', () => {
  it('execute hands fn the caller signal, or one that never aborts', async () => {
    const { breaker } = simulated();
    const controller = new AbortController();
    expect(await breaker.execute(({ signal }) => signal, { signal: controller.signal })).toBe(
      controller.signal,
    );
    const own = await breaker.execute(({ signal }) => signal);
    expect(own).toBeInstanceOf(AbortSignal);
    expect(own.aborted).toBe(false);
  });

  it('execute with an aborted signal rejects with its reason and runs nothing', async () => {
    const { breaker } = simulated();
    const fn = vi.fn(ok);
    const reason = new Error('caller gave up');
    await expect(breaker.execute(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    // @ts-expect-error: runtime guard
    await expect(breaker.execute(fn, { signal: 'nope' })).rejects.toThrow(
      /signal must be an AbortSignal/,
    );
  });

  it('execute rejects with CircuitOpenError when open', async () => {
    const { breaker } = simulated({ failureThreshold: 1 });
    await failTimes(breaker, 1);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it("wrap keeps fn's arguments and this", async () => {
    const { breaker } = simulated({ failureThreshold: 1 });
    const service = {
      base: 10,
      add: breaker.wrap(async function (this: { base: number }, n: number) {
        return this.base + n;
      }),
    };
    expect(await service.add(5)).toBe(15);
    const failing = breaker.wrap(boom);
    await expect(failing()).rejects.toThrow('boom');
    await expect(service.add(1)).rejects.toBeInstanceOf(CircuitOpenError);
    // @ts-expect-error: runtime guard
    expect(() => breaker.wrap('x')).toThrow(/fn must be a function/);
  });
});

describe('events', () => {
  it('on() delivers each event type and its unsubscribe stops it', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 10 });
    const seen: string[] = [];
    const offs = [
      breaker.on('stateChange', ({ from, to }) => seen.push(`${from}->${to}`)),
      breaker.on('open', () => seen.push('open')),
      breaker.on('halfOpen', () => seen.push('halfOpen')),
      breaker.on('close', () => seen.push('close')),
      breaker.on('success', ({ late }) => seen.push(`success${late ? ' late' : ''}`)),
      breaker.on('failure', ({ error }) => seen.push(`failure ${(error as Error).message}`)),
      breaker.on('reject', ({ state }) => seen.push(`reject ${state}`)),
    ];
    await breaker.call(ok);
    await failTimes(breaker, 1);
    await breaker.call(ok).catch(() => undefined);
    clock.increment(10);
    await breaker.call(ok);
    expect(seen).toEqual([
      'success',
      'failure boom',
      'closed->open',
      'open',
      'reject open',
      'open->halfOpen',
      'halfOpen',
      'success',
      'halfOpen->closed',
      'close',
    ]);
    for (const off of offs) off();
    seen.length = 0;
    await failTimes(breaker, 1);
    expect(seen).toEqual([]);
    expect(breaker.state).toBe('open');
  });

  it('a throwing listener does not break the breaker; its error goes to logger.warn', async () => {
    const logger = { info: vi.fn(), warn: vi.fn() };
    const { breaker } = simulated({ failureThreshold: 1, logger });
    breaker.on('open', () => {
      throw new Error('listener bug');
    });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'));
  });

  it('rejects unknown event types and non-function listeners', () => {
    const { breaker } = simulated();
    // @ts-expect-error: runtime guard
    expect(() => breaker.on('opened', () => undefined)).toThrow(
      /type must be one of .*got "opened"/,
    );
    // @ts-expect-error: runtime guard
    expect(() => breaker.on('open', null)).toThrow(/listener must be a function, got null/);
  });

  it('logs a structured line on every transition', async () => {
    const logger = { info: vi.fn(), warn: vi.fn() };
    const { breaker, clock } = simulated({
      name: 'redis',
      failureThreshold: 2,
      resetTimeout: 10,
      logger,
    });
    await failTimes(breaker, 2);
    clock.increment(10);
    await breaker.call(ok);
    breaker.forceOpen();
    expect(logger.warn.mock.calls).toEqual([
      ['circuit_breaker_open name=redis reason=consecutiveFailures failures=2/2'],
      ['circuit_breaker_forced_open name=redis reason=forced'],
    ]);
    expect(logger.info.mock.calls).toEqual([
      ['circuit_breaker_half_open name=redis reason=resetTimeout'],
      ['circuit_breaker_closed name=redis reason=probesSucceeded'],
    ]);
  });
});

describe('toString', () => {
  it('shows name, state, failures and the retry countdown', async () => {
    const { breaker, clock } = simulated({
      name: 'redis',
      failureThreshold: 5,
      resetTimeout: 30_000,
    });
    await failTimes(breaker, 2);
    expect(String(breaker)).toBe('CircuitBreaker(name=redis, state=closed, failures=2/5)');
    await failTimes(breaker, 3);
    clock.increment(18_000);
    expect(`${breaker}`).toBe(
      'CircuitBreaker(name=redis, state=open, reason=consecutiveFailures, failures=0/5, retryIn=12000ms)',
    );
  });
});

describe('dispose', () => {
  it('stops the actor and its timers; later calls reject with a clear error', async () => {
    const clock = new SimulatedClock();
    const cleared = vi.spyOn(clock, 'clearTimeout');
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, resetTimeout: 100 });
    await failTimes(breaker, 1);
    breaker.dispose();
    expect(cleared).toHaveBeenCalledTimes(1);
    clock.increment(1000);
    expect(breaker.state).toBe('open');
    expect(breaker.actor.getSnapshot().status).toBe('stopped');
    const fn = vi.fn(ok);
    await expect(breaker.call(fn)).rejects.toBeInstanceOf(CircuitBreakerDisposedError);
    await expect(breaker.call(fn)).rejects.toThrow('circuit breaker "default" has been disposed');
    expect(fn).not.toHaveBeenCalled();
    expect(() => breaker.canExecute()).toThrow(CircuitBreakerDisposedError);
    expect(() => breaker.recordSuccess()).toThrow(CircuitBreakerDisposedError);
    expect(() => breaker.reset()).toThrow(CircuitBreakerDisposedError);
    expect(() => breaker.on('open', () => undefined)).toThrow(CircuitBreakerDisposedError);
    breaker.dispose(); // idempotent
  });

  it('a call in flight when disposed still returns its result to the caller', async () => {
    const { breaker } = simulated();
    const gate = deferred<string>();
    const call = breaker.call(() => gate.promise);
    breaker[Symbol.dispose]();
    gate.resolve('still mine');
    await expect(call).resolves.toBe('still mine');
  });

  it('works with using', async () => {
    let outer: CircuitBreaker | undefined;
    {
      using breaker = new CircuitBreaker();
      outer = breaker;
      expect(await breaker.call(ok)).toBe('ok');
    }
    await expect(outer.call(ok)).rejects.toBeInstanceOf(CircuitBreakerDisposedError);
  });
});

describe('the default clock', () => {
  it('uses real time and unref-ed timers', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 60_000 });
    const before = Date.now();
    await failTimes(breaker, 1);
    const stats = breaker.getStats();
    expect(stats.lastFailureAt).toBeGreaterThanOrEqual(before);
    expect(stats.lastFailureAt).toBeLessThanOrEqual(Date.now());
    const retry = breaker.timeUntilRetry() ?? -1;
    expect(retry).toBeGreaterThan(59_000);
    expect(retry).toBeLessThanOrEqual(60_000);
    breaker.dispose();
    await settle();
  });
});
