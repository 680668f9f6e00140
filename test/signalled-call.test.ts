/**
 * `execute(fn, { signal })` without a per-call policy (`src/service/signalled-call.ts`): how it
 * takes each kind of result `fn` can give, and what happens when the breaker's own bookkeeping
 * throws while it records the outcome.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../src/index.js';
import { breakableClock, simulated } from './helpers.js';

describe('execute with a signal and no per-call policy', () => {
  it('counts a plain value as a success before execute returns', async () => {
    const { breaker } = simulated();
    const { signal } = new AbortController();
    const call = breaker.execute(() => 42, { signal });
    // Recorded synchronously, as a plain call records it: no microtask in between.
    expect(breaker.getStats().totalSuccesses).toBe(1);
    await expect(call).resolves.toBe(42);
  });

  it('adopts a thenable that is not a promise and counts its rejection as a failure', async () => {
    const { breaker } = simulated();
    const { signal } = new AbortController();
    const thenable: PromiseLike<string> = {
      // biome-ignore lint/suspicious/noThenProperty: a hand-made thenable is the point
      then: (_onFulfilled, onRejected) => {
        onRejected?.(new Error('remote down'));
        return Promise.resolve() as never;
      },
    };
    await expect(breaker.execute(() => thenable, { signal })).rejects.toThrow('remote down');
    const { totalSuccesses, totalFailures } = breaker.getStats();
    expect({ totalSuccesses, totalFailures }).toEqual({ totalSuccesses: 0, totalFailures: 1 });
  });

  it('rejects with the bookkeeping error when recording a success throws', async () => {
    const { clock, state } = breakableClock();
    // A time window reads the clock for every success it records.
    const breaker = new CircuitBreaker({
      clock,
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'time', duration: 10_000, buckets: 10 },
    });
    const { signal } = new AbortController();
    const call = breaker.execute(
      () => {
        state.broken = true;
        return 'ok';
      },
      { signal },
    );
    await expect(call).rejects.toThrow('clock broke');
  });

  it('rejects with the bookkeeping error when recording a failure throws', async () => {
    const { clock, state } = breakableClock();
    const breaker = new CircuitBreaker({ clock });
    const { signal } = new AbortController();
    const call = breaker.execute(
      () => {
        state.broken = true; // every failure reads the clock (lastFailureAt)
        throw new Error('down');
      },
      { signal },
    );
    await expect(call).rejects.toThrow('clock broke');
  });
});
