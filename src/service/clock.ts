/**
 * Where a breaker gets its time and timers. XState's `SimulatedClock` fits, as does any object
 * with these three methods.
 *
 * @example
 * ```ts
 * import { SimulatedClock } from 'xstate';
 * const clock = new SimulatedClock();
 * const breaker = new CircuitBreaker({ clock });
 * clock.increment(30_000); // the reset timeout passes at once
 * ```
 */
import { describeValue } from '../validate.js';
export interface BreakerClock {
  /** Current time in milliseconds. */
  now(): number;
  /** Schedules `callback` after `ms` milliseconds and returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a handle returned by `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/**
 * Real time (`Date.now()`) with timers that never keep a Node process alive: a breaker waiting
 * to half-open is not a reason for a program to keep running.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ clock: systemClock }); // the same as the default
 * ```
 */
export const systemClock: BreakerClock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle: unknown = setTimeout(callback, ms);
    if (typeof handle === 'object' && handle !== null && 'unref' in handle) {
      (handle as { unref(): void }).unref();
    }
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  },
};

/** Validates the `clock` option. */
export function checkClock(clock: unknown): BreakerClock {
  const candidate = clock as Partial<Record<keyof BreakerClock, unknown>> | null;
  if (
    // A function with the three methods is a clock too, as a function can be a logger.
    (typeof candidate !== 'object' && typeof candidate !== 'function') ||
    candidate === null ||
    typeof candidate.now !== 'function' ||
    typeof candidate.setTimeout !== 'function' ||
    typeof candidate.clearTimeout !== 'function'
  ) {
    throw new TypeError(
      `clock must have now(), setTimeout() and clearTimeout() methods, got ${describeValue(clock)}`,
    );
  }
  return clock as BreakerClock;
}

/**
 * Milliseconds from `now` until `dueAt`, kept within `[0, period]`. A clock stepped backwards
 * (an NTP correction) would otherwise announce far more than the `period` the timer waits.
 */
export function remainingWithin(dueAt: number, now: number, period: number): number {
  return Math.min(period, Math.max(0, dueAt - now));
}
