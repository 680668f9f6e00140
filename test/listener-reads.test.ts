/**
 * Reads and calls from inside a breaker listener. The machine's events reach listeners once the
 * machine is done with the event that caused them, so a listener sees the breaker as it is:
 * counters are exact whenever observed, and a call it makes gets the machine's real answer.
 */
import { expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../src/index.js';

it('getStats() in a listener counts the outcomes recorded just before in that listener', () => {
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
  expect(seen).toEqual([1]);
  expect(breaker.getStats().totalSuccesses).toBe(1);
});

it('a probe asked for in the halfOpen listener is admitted, and its outcome closes the circuit', () => {
  const clock = new SimulatedClock();
  const breaker = new CircuitBreaker({ clock, failureThreshold: 1, resetTimeout: 1000 });
  const answers: boolean[] = [];
  breaker.on('halfOpen', () => {
    const admitted = breaker.canExecute();
    answers.push(admitted);
    if (admitted) breaker.recordSuccess();
  });
  breaker.recordFailure();
  clock.increment(1000);
  expect(answers).toEqual([true]);
  expect(breaker.state).toBe('closed');
  expect(breaker.getStats().lastTransition?.reason).toBe('probesSucceeded');
});

it('events a listener causes come after the events already announced, in order', () => {
  const clock = new SimulatedClock();
  const breaker = new CircuitBreaker({ clock, failureThreshold: 1 });
  const seen: string[] = [];
  breaker.on('stateChange', ({ to }) => {
    seen.push(`stateChange:${to}`);
    if (to === 'open') breaker.forceClose();
  });
  breaker.on('open', () => seen.push('open'));
  breaker.on('close', ({ reason }) => seen.push(`close:${reason}`));
  breaker.recordFailure();
  expect(seen).toEqual(['stateChange:open', 'open', 'stateChange:closed', 'close:forceClose']);
});
