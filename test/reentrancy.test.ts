/**
 * Breaker methods called from inside a breaker listener, while the machine is still processing
 * the event that emitted it. XState queues an event sent to an actor that is processing, so the
 * service's "send, then read the snapshot" steps read a snapshot the queued event has not
 * reached yet.
 *
 * Found by the test work of issue 7; the `it.fails` tests below are known bugs in `src/` (each
 * states the expected behaviour; it fails today, so `it.fails` passes). When a bug is fixed, its
 * `it.fails` starts failing: turn it into `it`.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker, type CircuitBreakerOptions } from '../src/index.js';

function breakerOnSimulatedClock(options: CircuitBreakerOptions = {}) {
  const clock = new SimulatedClock();
  clock.set(1000);
  const breaker = new CircuitBreaker({ clock, failureThreshold: 1, resetTimeout: 100, ...options });
  return { clock, breaker };
}

describe('calls from a listener', () => {
  // BUG: the REQUEST sent from inside the `halfOpen` listener is queued; `#admit` reads the
  // snapshot before it is processed and rejects the call (CircuitOpenError, fn not run, no
  // rejection counted), then the queued REQUEST takes the only probe slot. Nobody holds that
  // slot, so every later call is rejected and the circuit stays half-open for good (no timer
  // leaves halfOpen unless halfOpenMaxWait is set).
  it.fails('a call made in a halfOpen listener runs as the probe, or is turned away without keeping the slot', async () => {
    const { clock, breaker } = breakerOnSimulatedClock();
    let ran = 0;
    const probes: Array<Promise<unknown>> = [];
    breaker.on('halfOpen', () => {
      probes.push(
        breaker.call(async () => {
          ran += 1;
          return 'probe ok';
        }),
      );
    });
    breaker.recordFailure(); // open
    clock.increment(100); // half-open: the listener probes at once
    const [probe] = await Promise.allSettled(probes);
    if (ran === 1) {
      expect(probe).toEqual({ status: 'fulfilled', value: 'probe ok' });
      expect(breaker.state).toBe('closed');
    } else {
      expect(breaker.getStats().totalRejections).toBe(1);
      await expect(breaker.call(async () => 'next')).resolves.toBe('next');
    }
  });

  // BUG: the same with the manual protocol: `canExecute()` answers false while the queued
  // REQUEST takes the probe slot; no record will ever release it.
  it.fails('canExecute() in a halfOpen listener either grants the slot or leaves it free', () => {
    const { clock, breaker } = breakerOnSimulatedClock();
    const answers: boolean[] = [];
    breaker.on('halfOpen', () => answers.push(breaker.canExecute()));
    breaker.recordFailure();
    clock.increment(100);
    expect(answers).toHaveLength(1);
    if (answers[0]) {
      breaker.recordSuccess();
      expect(breaker.state).toBe('closed');
    } else {
      expect(breaker.canExecute()).toBe(true);
    }
  });

  it('a call made in an open or close listener is handled as in that state', async () => {
    const { clock, breaker } = breakerOnSimulatedClock();
    const seen: Array<Promise<unknown>> = [];
    breaker.on('open', () => seen.push(breaker.call(async () => 'x').catch((e: Error) => e.name)));
    breaker.on('close', () => seen.push(breaker.call(async () => 'y')));
    breaker.recordFailure();
    clock.increment(100);
    expect(breaker.canExecute()).toBe(true);
    breaker.recordSuccess();
    expect(await Promise.all(seen)).toEqual(['CircuitOpenError', 'y']);
    expect(breaker.getStats()).toMatchObject({ totalRejections: 1, totalSuccesses: 2 });
  });
});

describe('stats read from a listener', () => {
  // BUG: outcomes folded by the fast path are sent as a TALLY by `getStats()`; inside the
  // listener of a timer-driven transition (open -> halfOpen) that TALLY is queued, so getStats
  // returns counters without them (here 0 rejections instead of 2). "Counters must be exact
  // whenever observed" (issue 2). With full fidelity nothing is folded and the read is exact.
  it.fails('getStats() in a halfOpen listener includes the folded rejections', () => {
    const { clock, breaker } = breakerOnSimulatedClock();
    const seen: number[] = [];
    breaker.on('halfOpen', () => seen.push(breaker.getStats().totalRejections));
    breaker.recordFailure();
    breaker.canExecute();
    breaker.canExecute();
    clock.increment(100);
    expect(seen).toEqual([2]);
  });

  it('with full fidelity, getStats() in a halfOpen listener is exact', () => {
    const { clock, breaker } = breakerOnSimulatedClock({ inspect: () => undefined });
    const seen: number[] = [];
    breaker.on('halfOpen', () => seen.push(breaker.getStats().totalRejections));
    breaker.recordFailure();
    breaker.canExecute();
    breaker.canExecute();
    clock.increment(100);
    expect(seen).toEqual([2]);
  });
});
