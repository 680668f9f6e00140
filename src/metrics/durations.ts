/**
 * The opt-in call-duration hook. A breaker keeps no per-call timings (that is what makes a healthy
 * call cheap), so measuring them means wrapping: while attached, the breaker's own `call`,
 * `execute` and `wrap` are shadowed on the instance by versions that read the clock before and
 * after and observe the outcome. That costs two clock reads, one `then` on the call's promise and
 * one histogram observation per call. Calls made through `canExecute()` + `recordSuccess()` are
 * not timed (the breaker never sees them start).
 */

import type { CircuitBreaker } from '../service/circuit-breaker.js';
import { CircuitBreakerError, CircuitTimeoutError } from '../service/errors.js';
import { describeValue } from '../validate.js';

/**
 * The outcome a call's duration is recorded under: what the caller saw. A fallback's answer is a
 * `success`; calls the circuit turned away are not timed.
 *
 * @example
 * ```ts
 * const outcome: TimedOutcome = 'timeout';
 * ```
 */
export type TimedOutcome = 'success' | 'failure' | 'timeout';

/**
 * Options of the call-duration histogram (`durations: { ... }`).
 *
 * @example
 * ```ts
 * const durations: DurationOptions = { buckets: [0.01, 0.1, 1], now: () => performance.now() };
 * ```
 */
export interface DurationOptions {
  /** Upper bounds in seconds. Default: 0.005 … 10, as prom-client's defaults. */
  buckets?: readonly number[];
  /** Milliseconds now, for measuring (default `performance.now()`); a test passes a fake clock's. */
  now?: () => number;
}

/** Default histogram buckets in seconds. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The validated `durations` option, or null when durations are off. */
export interface ResolvedDurations {
  buckets: number[];
  now: () => number;
}

/** Validates the `durations` option. */
export function resolveDurations(
  durations: boolean | DurationOptions | undefined,
): ResolvedDurations | null {
  if (durations === undefined || durations === false) return null;
  if (durations === true) return { buckets: [...DEFAULT_DURATION_BUCKETS], now: defaultNow };
  if (typeof durations !== 'object' || durations === null) {
    throw new TypeError(
      `durations must be a boolean or { buckets?, now? }, got ${describeValue(durations)}`,
    );
  }
  const { buckets = DEFAULT_DURATION_BUCKETS, now = defaultNow } = durations;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some(
      (bound, i) =>
        typeof bound !== 'number' ||
        !Number.isFinite(bound) ||
        bound <= 0 ||
        (i > 0 && bound <= (buckets[i - 1] as number)),
    )
  ) {
    throw new RangeError(
      `durations.buckets must be increasing positive numbers of seconds, got ${describeValue(buckets)}`,
    );
  }
  if (typeof now !== 'function') {
    throw new TypeError(`durations.now must be a function, got ${describeValue(now)}`);
  }
  return { buckets: [...buckets], now };
}

const defaultNow = (): number => performance.now();

/**
 * Receives one timed call. `errorType` names the error's class (`CircuitTimeoutError` for a
 * timeout): bounded by the program's code, unlike messages; null for a success.
 */
type Record = (outcome: TimedOutcome, seconds: number, errorType: string | null) => void;
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Shadows `breaker.call`, `execute` and `wrap` with timed versions; returns a function that
 * removes them. Functions `wrap` returned while attached stop timing once it is removed.
 */
export function timeCalls(breaker: CircuitBreaker, now: () => number, record: Record): () => void {
  let active = true;
  const timed = (run: () => unknown): unknown => {
    if (!active) return run();
    const started = now();
    const promise = run() as Promise<unknown>;
    promise.then(
      () => record('success', (now() - started) / 1000, null),
      (error: unknown) => {
        if (error instanceof CircuitTimeoutError) {
          record('timeout', (now() - started) / 1000, 'CircuitTimeoutError');
        } else if (!(error instanceof CircuitBreakerError)) {
          record('failure', (now() - started) / 1000, errorTypeOf(error));
        }
      },
    );
    return promise;
  };
  const target = breaker as unknown as { [key: string]: AnyFunction };
  const original = {
    call: target.call as AnyFunction,
    execute: target.execute as AnyFunction,
    wrap: target.wrap as AnyFunction,
  };
  const shadows: { [key: string]: AnyFunction } = {
    call(...args) {
      return timed(() => original.call.apply(breaker, args));
    },
    execute(...args) {
      return timed(() => original.execute.apply(breaker, args));
    },
    wrap(...args) {
      const wrapped = original.wrap.apply(breaker, args) as AnyFunction;
      return function (this: unknown, ...callArgs: unknown[]) {
        return timed(() => wrapped.apply(this, callArgs));
      };
    },
  };
  Object.assign(target, shadows);
  return () => {
    active = false;
    for (const [key, shadow] of Object.entries(shadows)) {
      // Someone may have shadowed it again on top of ours: leave theirs, ours passes through.
      if (target[key] === shadow) delete target[key];
    }
  };
}

/** The class name of what was thrown (`_OTHER` for a non-object), as OpenTelemetry's `error.type` wants. */
function errorTypeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '_OTHER';
  const name = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : '_OTHER';
}
