/**
 * An open circuit on the system clock reads it only every few rejections while its timeout is
 * far, and on every rejection in its last second; a late reset timer still cannot keep it open
 * for more than that many rejections. (Injected clocks are read on every rejection: the property
 * tests' lagging-timer mode checks that the very next call half-opens.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../src/index.js';
import {
  CLOCK_READ_EVERY_CALL_WITHIN_MS,
  REJECTIONS_PER_CLOCK_READ,
} from '../src/service/open-gate.js';

const START = Date.UTC(2026, 0, 1);

beforeEach(() => {
  // Mocks Date.now and the timers the default clock uses; timers fire only when told.
  vi.useFakeTimers({ now: START, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function openBreaker(resetTimeout: number): CircuitBreaker {
  const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout });
  breaker.recordFailure();
  expect(breaker.state).toBe('open');
  return breaker;
}

describe('rejections while open, on the system clock', () => {
  it('read the clock once per REJECTIONS_PER_CLOCK_READ rejections while the timeout is far', () => {
    const breaker = openBreaker(30_000);
    const reads = vi.spyOn(Date, 'now');
    const rejections = REJECTIONS_PER_CLOCK_READ * 10;
    for (let i = 0; i < rejections; i++) expect(breaker.canExecute()).toBe(false);
    expect(reads).toHaveBeenCalledTimes(10);
    expect(breaker.getStats().totalRejections).toBe(rejections);
  });

  it('read it on every rejection within the last second, so the next call after it half-opens', () => {
    const breaker = openBreaker(30_000);
    vi.setSystemTime(START + 30_000 - CLOCK_READ_EVERY_CALL_WITHIN_MS); // timers do not fire
    expect(breaker.canExecute()).toBe(false);
    expect(breaker.canExecute()).toBe(false);
    vi.setSystemTime(START + 30_000); // due, and the reset timer is late
    expect(breaker.canExecute()).toBe(true);
    expect(breaker.state).toBe('halfOpen');
  });

  it('half-open within REJECTIONS_PER_CLOCK_READ calls when a late timer left a far read behind', () => {
    for (let before = 0; before < REJECTIONS_PER_CLOCK_READ * 2; before += 5) {
      const breaker = openBreaker(30_000);
      for (let i = 0; i < before; i++) breaker.canExecute();
      vi.setSystemTime(START + 60_000); // far past due, no timer has fired
      let calls = 1;
      while (!breaker.canExecute()) calls += 1;
      expect(calls).toBeLessThanOrEqual(REJECTIONS_PER_CLOCK_READ);
      expect(breaker.state).toBe('halfOpen');
      breaker.dispose();
      vi.setSystemTime(START);
    }
  });

  it('move on time when the timer fires, whatever the count', () => {
    const breaker = openBreaker(5_000);
    for (let i = 0; i < 3; i++) breaker.canExecute();
    vi.advanceTimersByTime(5_000);
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.canExecute()).toBe(true);
  });
});
