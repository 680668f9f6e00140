const BACKOFF_OPTION_KEYS = ['initial', 'max', 'factor', 'jitter', 'random'];

/**
 * What a `resetTimeout` function is asked: which opening this is (1 for the first since the
 * circuit last closed) and the error that opened it.
 *
 * @example
 * ```ts
 * const resetTimeout = ({ attempt }: RetryContext) => Math.min(1000 * 2 ** attempt, 60_000);
 * ```
 */
import { checkInteger, describeValue, MAX_TIMEOUT_MS, rejectUnknownKeys } from '../validate.js';
export interface RetryContext {
  attempt: number;
  lastError: unknown;
}

/**
 * A `resetTimeout` that depends on the attempt: milliseconds, an integer in 0 … 2^31-1.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ resetTimeout: exponentialBackoff({ initial: 1000, max: 60_000 }) });
 * ```
 */
export type ResetTimeoutFunction = (retry: RetryContext) => number;

/**
 * Options of {@link exponentialBackoff}.
 *
 * @example
 * ```ts
 * const options: ExponentialBackoffOptions = { initial: 500, max: 30_000, factor: 2, jitter: 0.2 };
 * ```
 */
export interface ExponentialBackoffOptions {
  /** The first open period, ms. */
  initial: number;
  /** The longest open period, ms. Default 2^31-1. */
  max?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Share of each period (0 … 1) taken off at random, so breakers do not probe in step. Default 0. */
  jitter?: number;
  /** Source of randomness for the jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * A `resetTimeout` that grows with each opening without a close: `initial * factor^(attempt-1)`,
 * capped at `max`, minus up to `jitter` of itself at random.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({
 *   resetTimeout: exponentialBackoff({ initial: 1_000, max: 60_000, factor: 2, jitter: 0.1 }),
 * });
 * // open periods: ~1 s, ~2 s, ~4 s, ... up to 60 s, back to 1 s after the circuit closes
 * ```
 */
export function exponentialBackoff(options: ExponentialBackoffOptions): ResetTimeoutFunction {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `exponentialBackoff options must be an object, got ${describeValue(options)}`,
    );
  }
  rejectUnknownKeys(options, BACKOFF_OPTION_KEYS, '', 'exponentialBackoff');
  const initial = checkInteger('initial', options.initial, 0, MAX_TIMEOUT_MS);
  const max = checkInteger(
    'max',
    options.max === undefined ? MAX_TIMEOUT_MS : options.max,
    initial,
    MAX_TIMEOUT_MS,
  );
  const factor = options.factor === undefined ? 2 : options.factor;
  if (typeof factor !== 'number') {
    throw new TypeError(`factor must be a finite number >= 1, got ${describeValue(factor)}`);
  }
  if (!Number.isFinite(factor) || factor < 1) {
    throw new RangeError(`factor must be a finite number >= 1, got ${describeValue(factor)}`);
  }
  const jitter = options.jitter === undefined ? 0 : options.jitter;
  if (typeof jitter !== 'number') {
    throw new TypeError(`jitter must be a number in [0, 1], got ${describeValue(jitter)}`);
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`jitter must be a number in [0, 1], got ${describeValue(jitter)}`);
  }
  const random = options.random === undefined ? Math.random : options.random;
  if (typeof random !== 'function') {
    throw new TypeError(`random must be a function, got ${describeValue(random)}`);
  }
  return ({ attempt }) => {
    // factor^attempt overflows to Infinity after enough openings: 0 * Infinity would be NaN.
    const growth = factor ** Math.max(0, attempt - 1);
    const period = initial === 0 ? 0 : Math.min(max, initial * growth);
    const jittered = Math.round(period * (1 - jitter * random()));
    // A random source outside [0, 1) must not push the period past max or below 0.
    return Number.isFinite(jittered) ? Math.min(max, Math.max(0, jittered)) : period;
  };
}
