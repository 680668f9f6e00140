/**
 * An error of the breaker's own bookkeeping while it records an asynchronous call's outcome (here
 * a clock that throws) is not lost: the call still settles as `fn`'s promise did, and the error is
 * rethrown from a timer, where the host reports it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../src/index.js';
import { breakableClock, deferred } from './helpers.js';

describe('internal errors while settling a call', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const outcome of ['success', 'failure'] as const) {
    it(`reports a throwing clock on a ${outcome} from a timer, not through the call`, async () => {
      const { clock, state } = breakableClock();
      // A time window reads the clock for every outcome it records.
      const breaker = new CircuitBreaker({
        clock,
        failureRateThreshold: 0.5,
        slidingWindow: { type: 'time', duration: 10_000, buckets: 10 },
      });
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const pending = deferred<string>();
      const call = breaker.call(() => pending.promise);
      state.broken = true;
      if (outcome === 'success') {
        pending.resolve('ok');
        await expect(call).resolves.toBe('ok');
      } else {
        pending.reject(new Error('down'));
        await expect(call).rejects.toThrow('down');
      }
      expect(() => vi.runAllTimers()).toThrow('clock broke');
    });
  }
});
