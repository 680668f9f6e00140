/**
 * Every check and description of user input, in one place: options, arguments and answers of
 * user callbacks are validated with these, so a bad value always fails the same way, with a
 * TypeError or RangeError naming the option and the value.
 */

/** Node's timer limit: a longer delay fires at once, so no timeout may exceed it. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * True for a delay a timer can wait: whole milliseconds in 0 … 2^31-1.
 *
 * @example
 * ```ts
 * isTimerDelay(1500); // true
 * isTimerDelay(-1); // false
 * ```
 */
export function isTimerDelay(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TIMEOUT_MS
  );
}

/** Renders a rejected value for an error message: strings quoted, everything else as it prints. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

/**
 * Checks that `value` is an integer in `[min, max]`, naming the option in the error.
 *
 * @throws TypeError when `value` is not a number, RangeError when it is out of range or fractional.
 */
export function checkInteger(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${option} must be a number, got ${describeValue(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new RangeError(`${option} must be an integer ${range}, got ${describeValue(value)}`);
  }
  return value;
}

/** Checks a share in (0, 1]. */
export function checkRate(option: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${option} must be a number, got ${describeValue(value)}`);
  }
  if (!(value > 0 && value <= 1)) {
    throw new RangeError(`${option} must be a number in (0, 1], got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Throws a TypeError naming the first key of `object` that is not in `known` (prefixed with
 * `path`, e.g. `slidingWindow.`): a typo in a nested option must not fall back to a default.
 */
export function rejectUnknownKeys(
  object: object,
  known: readonly string[],
  path = '',
  owner = '',
): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(path + key)}${owner && ` of ${owner}`}`);
    }
  }
}

/** Validates one amount of `recordCost`/`isCostExceeded`: finite, not negative. */
export function checkAmount(option: string, value: unknown, integer: boolean): void {
  if (typeof value !== 'number') {
    throw new TypeError(`${option} must be a number, got ${describeValue(value)}`);
  }
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'a non-negative integer' : 'a finite number >= 0';
    throw new RangeError(`${option} must be ${kind}, got ${describeValue(value)}`);
  }
}

/** Checks an optional callback option. */
export function checkFunction<F>(option: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${option} must be a function, got ${describeValue(value)}`);
  }
  return value;
}
