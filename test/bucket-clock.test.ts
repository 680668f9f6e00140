/**
 * A time window's folded successes on the system clock: they read it only every few successes
 * while their bucket lasts (a timer marks its end), and every success of a new bucket lands in
 * it; a late timer lets at most that many successes land in the bucket before. Failures, and
 * any injected clock, are read every time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../src/index.js';
import { SUCCESSES_PER_CLOCK_READ } from '../src/service/bucket-clock.js';

const START = Date.UTC(2026, 0, 1); // a bucket boundary: whole seconds
const BUCKET = 1_000;

beforeEach(() => {
  vi.useFakeTimers({ now: START, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function timeWindowed(): CircuitBreaker {
  return new CircuitBreaker({
    failureRateThreshold: 0.5,
    minimumThroughput: 1_000,
    slidingWindow: { type: 'time', duration: 10 * BUCKET, buckets: 10 },
  });
}

/**
 * The machine's buckets as [offset from START, calls, failures]. Read from a snapshot, which
 * folds what was counted and, unlike the actor, leaves the service folding.
 */
function buckets(breaker: CircuitBreaker): Array<[number, number, number]> {
  const window = breaker.toJSON().snapshot.context.window;
  if (window?.type !== 'time') throw new Error('expected a time window');
  return window.buckets.map((b) => [b.start - START, b.calls, b.failures]);
}

describe('successes of a time window, on the system clock', () => {
  it('read the clock once per SUCCESSES_PER_CLOCK_READ successes while the bucket lasts', () => {
    const breaker = timeWindowed();
    const reads = vi.spyOn(Date, 'now');
    const successes = SUCCESSES_PER_CLOCK_READ * 4 + 1;
    for (let i = 0; i < successes; i++) breaker.recordSuccess();
    expect(reads).toHaveBeenCalledTimes(5);
    expect(buckets(breaker)).toEqual([[0, successes, 0]]);
    breaker.dispose();
  });

  it('land in the next bucket from the first success after its timer fires', () => {
    const breaker = timeWindowed();
    vi.advanceTimersByTime(BUCKET - 100);
    breaker.recordSuccess(); // reads the clock, then waits 100 ms for the bucket's end
    breaker.recordSuccess();
    vi.advanceTimersByTime(100);
    breaker.recordSuccess();
    breaker.recordSuccess();
    expect(buckets(breaker)).toEqual([
      [0, 2, 0],
      [BUCKET, 2, 0],
    ]);
    breaker.dispose();
  });

  it('land in the bucket before for fewer than SUCCESSES_PER_CLOCK_READ calls of a late timer', () => {
    let worst = 0;
    for (let before = 0; before < SUCCESSES_PER_CLOCK_READ * 2; before += 1) {
      const breaker = timeWindowed();
      for (let i = 0; i < before + 1; i++) breaker.recordSuccess();
      vi.setSystemTime(START + BUCKET); // the next bucket, and its timer has not fired
      let late = 0;
      while (buckets(breaker).length === 1) {
        breaker.recordSuccess();
        late += 1;
      }
      expect(late).toBeLessThanOrEqual(SUCCESSES_PER_CLOCK_READ);
      worst = Math.max(worst, late);
      const [, ours] = buckets(breaker);
      expect(ours).toEqual([BUCKET, 1, 0]);
      breaker.dispose();
      vi.setSystemTime(START);
    }
    expect(worst).toBe(SUCCESSES_PER_CLOCK_READ); // the 16th call reads the clock
  });

  it('a read that finds a new bucket sets the timer for that bucket, not the late one', () => {
    const breaker = timeWindowed();
    breaker.recordSuccess();
    vi.setSystemTime(START + BUCKET + 500); // the first bucket's timer is late
    for (let i = 0; i < SUCCESSES_PER_CLOCK_READ; i++) breaker.recordSuccess(); // the last reads
    const reads = vi.spyOn(Date, 'now');
    vi.advanceTimersByTime(1); // the late timer is gone, so nothing fires
    breaker.recordSuccess();
    expect(reads).not.toHaveBeenCalled();
    vi.advanceTimersByTime(499); // this bucket's end
    breaker.recordSuccess();
    expect(reads).toHaveBeenCalledTimes(1);
    breaker.dispose();
  });

  it('a timer that fires before its bucket ends by the clock is set again', () => {
    const breaker = timeWindowed();
    vi.setSystemTime(START + BUCKET - 10);
    breaker.recordSuccess();
    vi.advanceTimersByTime(10); // fires; the clock then reads a little behind the timers
    vi.setSystemTime(START + BUCKET - 4);
    breaker.recordSuccess();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(4);
    expect(vi.getTimerCount()).toBe(0);
    breaker.dispose();
  });

  it('after a failure of a newer bucket, a success timed by an older read joins that bucket', () => {
    const breaker = timeWindowed();
    breaker.recordSuccess(); // read at START: the next successes take START
    vi.setSystemTime(START + BUCKET + 10); // the timer is late
    breaker.recordFailure(new Error('down')); // a failure reads the clock
    breaker.recordSuccess();
    expect(buckets(breaker)).toEqual([
      [0, 1, 0],
      [BUCKET, 2, 1],
    ]);
    breaker.dispose();
  });

  it('leave no timer behind: none once a bucket ends without calls, none after dispose', () => {
    const breaker = timeWindowed();
    breaker.recordSuccess();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(BUCKET * 5);
    expect(vi.getTimerCount()).toBe(0);
    breaker.recordSuccess();
    expect(vi.getTimerCount()).toBe(1);
    breaker.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still announce each success at the time it happened', () => {
    const breaker = timeWindowed();
    const times: number[] = [];
    breaker.on('success', (event) => times.push(event.at));
    breaker.recordSuccess();
    vi.setSystemTime(START + 40);
    breaker.recordSuccess();
    expect(times).toEqual([START, START + 40]);
    breaker.dispose();
  });
});

describe('an injected clock', () => {
  it('is read on every success, so simulated time is exact call by call', () => {
    let now = 0;
    const clock = {
      now: vi.fn(() => now),
      setTimeout: () => 0,
      clearTimeout: () => {},
    };
    const breaker = new CircuitBreaker({
      clock,
      failureRateThreshold: 0.5,
      minimumThroughput: 1_000,
      slidingWindow: { type: 'time', duration: 10 * BUCKET, buckets: 10 },
    });
    clock.now.mockClear();
    breaker.recordSuccess();
    now = BUCKET;
    breaker.recordSuccess();
    expect(clock.now).toHaveBeenCalledTimes(2);
    const window = breaker.actor.getSnapshot().context.window;
    expect(window?.type === 'time' && window.buckets.map((b) => [b.start, b.calls])).toEqual([
      [0, 1],
      [BUCKET, 1],
    ]);
    breaker.dispose();
  });
});
