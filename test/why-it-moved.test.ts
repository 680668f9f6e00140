/**
 * Issue 11: every transition says why it happened, an opening says on which figures, and
 * `getMetrics()` reports what the breaker measures, on both sides of `minimumThroughput`.
 */
import { describe, expect, it, vi } from 'vitest';
import type { CircuitBreakerEventOf, StateTransition } from '../src/index.js';
import { boom, failTimes, ok, simulated } from './helpers.js';

/** The reasons of every stateChange, as `from>to:reason`. */
function recordMoves(breaker: ReturnType<typeof simulated>['breaker']): string[] {
  const moves: string[] = [];
  breaker.on('stateChange', ({ from, to, reason }) => moves.push(`${from}>${to}:${reason}`));
  return moves;
}

describe('why it moved: a reason on every transition', () => {
  it('consecutive failures, reset timeout, probes succeeded', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 2, resetTimeout: 100 });
    const moves = recordMoves(breaker);
    await failTimes(breaker, 2);
    clock.increment(100);
    await breaker.call(ok);
    expect(moves).toEqual([
      'closed>open:consecutiveFailures',
      'open>halfOpen:resetTimeout',
      'halfOpen>closed:probesSucceeded',
    ]);
    expect(breaker.getStats().lastTransition).toEqual<StateTransition>({
      from: 'halfOpen',
      to: 'closed',
      at: 1100,
      reason: 'probesSucceeded',
    });
  });

  it('probe failure and half-open max wait', async () => {
    const { breaker, clock } = simulated({
      failureThreshold: 1,
      resetTimeout: 100,
      halfOpenMaxWait: 50,
    });
    const moves = recordMoves(breaker);
    await failTimes(breaker, 1);
    clock.increment(100);
    await breaker.call(boom).catch(() => undefined);
    clock.increment(100);
    expect(breaker.canExecute()).toBe(true); // half-open, holding the probe
    clock.increment(50);
    expect(moves).toEqual([
      'closed>open:consecutiveFailures',
      'open>halfOpen:resetTimeout',
      'halfOpen>open:probeFailure',
      'open>halfOpen:resetTimeout',
      'halfOpen>open:halfOpenMaxWait',
    ]);
  });

  it('manual controls: forced, forceClose, reset, disabled', () => {
    const { breaker } = simulated();
    const moves = recordMoves(breaker);
    breaker.forceOpen();
    breaker.forceClose();
    breaker.disable();
    breaker.reset();
    breaker.reset(); // already closed: restarts silently
    expect(moves).toEqual([
      'closed>forcedOpen:forced',
      'forcedOpen>closed:forceClose',
      'closed>disabled:disabled',
      'disabled>closed:reset',
    ]);
  });

  it('the open, halfOpen and close events and the log line carry the reason', async () => {
    const logger = { info: vi.fn(), warn: vi.fn() };
    const { breaker, clock } = simulated({
      name: 'api',
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 4 },
      minimumThroughput: 4,
      resetTimeout: 10,
      logger,
    });
    const opened: Array<CircuitBreakerEventOf<'open'>> = [];
    const others: string[] = [];
    breaker.on('open', (event) => opened.push(event));
    breaker.on('halfOpen', ({ reason }) => others.push(`halfOpen ${reason}`));
    breaker.on('close', ({ reason }) => others.push(`close ${reason}`));
    await breaker.call(ok);
    await breaker.call(ok);
    await breaker.call(boom).catch(() => undefined);
    await breaker.call(boom).catch(() => undefined);
    expect(opened).toEqual([
      {
        type: 'open',
        at: 1000,
        reason: 'failureRate',
        forced: false,
        consecutiveFailures: 2,
        trip: {
          consecutiveFailures: 2,
          failureRate: 0.5,
          slowCallRate: 0,
          calls: 4,
          failureThreshold: null,
          failureRateThreshold: 0.5,
          slowCallRateThreshold: null,
          minimumThroughput: 4,
          retryAfter: null,
        },
      },
    ]);
    clock.increment(10);
    await breaker.call(ok);
    expect(others).toEqual(['halfOpen resetTimeout', 'close probesSucceeded']);
    expect(logger.warn).toHaveBeenCalledWith(
      'circuit_breaker_open name=api reason=failureRate failures=2 failureRate=0.5 failureRateThreshold=0.5 calls=4 minimumThroughput=4',
    );
  });

  it('the window after a trip is the one that tripped: the tripping call is in it', async () => {
    const { breaker, clock } = simulated({
      slowCallRateThreshold: 0.6,
      slowCallDuration: 10,
      slidingWindow: { type: 'count', size: 10 },
      minimumThroughput: 5,
    });
    const slow = () => new Promise((resolve) => clock.setTimeout(() => resolve('slow'), 10));
    const run = async (fn: () => Promise<unknown>) => {
      const call = breaker.call(fn);
      clock.increment(10);
      await call;
    };
    await breaker.call(ok);
    await breaker.call(ok);
    await run(slow);
    await run(slow);
    expect(breaker.state).toBe('closed');
    await run(slow); // 3 of 5 slow: 60%
    expect(breaker.state).toBe('open');
    expect(breaker.getStats().lastTransition?.reason).toBe('slowCallRate');
    expect(breaker.getMetrics()).toMatchObject({
      bufferedCalls: 5,
      slowCalls: 3,
      slowCallRate: 0.6,
    });
  });

  it('toString names the reason and counts failures of the current state only', async () => {
    const { breaker } = simulated({ failureThreshold: 3, resetTimeout: 1000 });
    await failTimes(breaker, 3);
    await breaker.call(boom).catch(() => undefined); // turned away: not a failure
    expect(String(breaker)).toBe(
      'CircuitBreaker(name=default, state=open, reason=consecutiveFailures, failures=0/3, retryIn=1000ms)',
    );
  });
});

describe('getMetrics()', () => {
  it('rates are null without a window', async () => {
    const { breaker } = simulated({ failureThreshold: 2 });
    await failTimes(breaker, 1);
    expect(breaker.getMetrics()).toEqual({
      state: 'closed',
      failureRate: null,
      slowCallRate: null,
      bufferedCalls: 0,
      failedCalls: 0,
      slowCalls: 0,
      notPermittedCalls: 0,
      consecutiveFailures: 1,
      probesInFlight: 0,
      retryAt: null,
      storeStatus: null,
    });
  });

  it('rates are null below minimumThroughput and measured from it on', async () => {
    const { breaker } = simulated({
      failureRateThreshold: 0.9,
      slidingWindow: { type: 'count', size: 10 },
      minimumThroughput: 3,
    });
    await breaker.call(ok);
    await breaker.call(boom).catch(() => undefined);
    expect(breaker.getMetrics()).toMatchObject({
      failureRate: null,
      slowCallRate: null,
      bufferedCalls: 2,
      failedCalls: 1,
    });
    await breaker.call(ok);
    expect(breaker.getMetrics()).toMatchObject({
      failureRate: 1 / 3,
      slowCallRate: 0,
      bufferedCalls: 3,
      failedCalls: 1,
    });
  });

  it('counts rejections since the state was entered, probes in flight and when it retries', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 100 });
    await failTimes(breaker, 1);
    expect(breaker.canExecute()).toBe(false);
    await breaker.call(ok).catch(() => undefined);
    expect(breaker.getMetrics()).toMatchObject({
      state: 'open',
      notPermittedCalls: 2,
      retryAt: 1100,
    });
    clock.increment(100);
    expect(breaker.canExecute()).toBe(true);
    expect(breaker.canExecute()).toBe(false);
    expect(breaker.getMetrics()).toMatchObject({
      state: 'halfOpen',
      notPermittedCalls: 1,
      probesInFlight: 1,
      retryAt: null,
    });
    expect(breaker.getStats().totalRejections).toBe(3);
  });
});
