/**
 * Breaker methods called from inside a breaker listener, while the machine is still processing
 * the event that emitted it. XState queues an event sent to an actor that is processing, so the
 * service's "send, then read the snapshot" steps would read a snapshot the queued event has not
 * reached yet. Found by the test work of issue 7; fixed by the service's `#busy` guard and by
 * folding the local counts in before a timer moves the machine.
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
  // Was: the REQUEST sent from inside the `halfOpen` listener was queued and took the only
  // probe slot after the call had been turned away, so the circuit stayed half-open for good.
  it('a call made in a halfOpen listener runs as the probe, or is turned away without keeping the slot', async () => {
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

  // Was: the same with the manual protocol: `canExecute()` answered false while the queued
  // REQUEST took the probe slot; no record would ever release it.
  it('canExecute() in a halfOpen listener either grants the slot or leaves it free', () => {
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
  // Was: inside the listener of a timer-driven transition (open -> halfOpen) the TALLY sent by
  // getStats() was queued, so it returned counters without the folded rejections.
  it('getStats() in a halfOpen listener includes the folded rejections', () => {
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
