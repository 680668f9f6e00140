/**
 * Reads from inside a breaker listener after recording an outcome there. Listeners run while the
 * machine is still processing (README, "Listeners run while the machine is still deciding"), so
 * an outcome recorded in a listener is queued behind the current event.
 *
 * Known bug (`it.fails`): issue 2 asks that "counters must be exact whenever observed", but a
 * `getStats()` right after `recordSuccess()`/`recordFailure()` in the same listener does not see
 * that outcome yet. When it is fixed, this `it.fails` starts failing: turn it into `it`.
 */
import { expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../src/index.js';

it.fails('getStats() in a listener counts the outcomes recorded just before in that listener', () => {
  const clock = new SimulatedClock();
  const breaker = new CircuitBreaker({ clock, failureThreshold: 3 });
  const seen: number[] = [];
  breaker.on('open', () => {
    breaker.recordSuccess();
    seen.push(breaker.getStats().totalSuccesses);
  });
  breaker.recordFailure();
  breaker.recordFailure();
  breaker.recordFailure(); // opens; the listener records a success and reads the stats
  expect(breaker.getStats().totalSuccesses).toBe(1); // counted in the end...
  expect(seen).toEqual([1]); // ...but not yet when read in the listener (today: [0])
});
