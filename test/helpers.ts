import { SimulatedClock } from 'xstate';
import { CircuitBreaker, type CircuitBreakerOptions } from '../src/index.js';
import type { BreakerClock } from '../src/service/clock.js';

/** A breaker on a simulated clock that starts at t=1000 (so 0 is never a valid timestamp). */
export function simulated(options: CircuitBreakerOptions = {}) {
  const clock = new SimulatedClock();
  clock.set(1000);
  const breaker = new CircuitBreaker({ clock, ...options });
  return { clock, breaker };
}

/** A promise with its resolve/reject exposed, for calls that settle when the test says. */
export function deferred<T = unknown>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every already-settled promise callback run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

export const ok = () => Promise.resolve('ok');
export const boom = () => Promise.reject(new Error('boom'));

/** Runs `n` failing calls through `breaker`, swallowing their errors. */
export async function failTimes(breaker: CircuitBreaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await breaker.call(boom).catch(() => undefined);
}

/** A simulated clock (at 1000) whose `now()` throws once `state.broken` is set. */
export function breakableClock() {
  const simulated = new SimulatedClock();
  simulated.set(1000);
  const state = { broken: false };
  const clock: BreakerClock = {
    now() {
      if (state.broken) throw new Error('clock broke');
      return simulated.now();
    },
    setTimeout: (callback, ms) => simulated.setTimeout(callback, ms),
    clearTimeout: (handle) => simulated.clearTimeout(handle as number),
  };
  return { clock, state, simulated };
}
