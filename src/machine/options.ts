/** Node's timer limit: a longer delay fires at once, so no timeout may exceed it. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The options that shape the breaker machine. Every field is optional; see
 * {@link DEFAULT_BREAKER_CONFIG} for the defaults.
 *
 * @example
 * ```ts
 * const input: CircuitBreakerInput = { name: 'redis', failureThreshold: 3, resetTimeout: 10_000 };
 * ```
 */
export interface CircuitBreakerInput {
  /** Name used in logs, errors and `toString()`. Default `'default'`. */
  name?: string;
  /** Consecutive failures in `closed` that open the circuit. Default 5. */
  failureThreshold?: number;
  /** Milliseconds the circuit stays `open` before it lets probes through. Default 30 000. */
  resetTimeout?: number;
  /**
   * Probes admitted at once in `halfOpen`; that many consecutive probe successes close the
   * circuit and any probe failure reopens it. Default 1.
   */
  halfOpenMaxCalls?: number;
}

/**
 * The resolved, validated configuration held in the machine's context: plain data.
 *
 * @example
 * ```ts
 * const config: CircuitBreakerConfig = resolveBreakerConfig({ name: 'redis' });
 * ```
 */
export type CircuitBreakerConfig = Required<CircuitBreakerInput>;

/**
 * The defaults of every machine option.
 *
 * @example
 * ```ts
 * DEFAULT_BREAKER_CONFIG.failureThreshold; // 5
 * ```
 */
export const DEFAULT_BREAKER_CONFIG: Readonly<CircuitBreakerConfig> = Object.freeze({
  name: 'default',
  failureThreshold: 5,
  resetTimeout: 30_000,
  halfOpenMaxCalls: 1,
});

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

/** Only `undefined` means "not given": `null` or `NaN` must fail validation, not fall back. */
function orDefault<T>(value: T | undefined, fallback: T): unknown {
  return value === undefined ? fallback : value;
}

const CONFIG_KEYS = new Set(Object.keys(DEFAULT_BREAKER_CONFIG));

/**
 * Validates machine options and fills in defaults. The machine and the service share it, so a
 * bad option fails the same way whichever door it comes through.
 *
 * @example
 * ```ts
 * resolveBreakerConfig({ failureThreshold: 0 }); // RangeError: failureThreshold must be ...
 * ```
 */
export function resolveBreakerConfig(
  input: CircuitBreakerInput | undefined,
  knownKeys: ReadonlySet<string> = CONFIG_KEYS,
): CircuitBreakerConfig {
  if (input === undefined) return { ...DEFAULT_BREAKER_CONFIG };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError(`options must be an object, got ${describeValue(input)}`);
  }
  for (const key of Object.keys(input)) {
    if (!knownKeys.has(key)) throw new TypeError(`unknown option ${JSON.stringify(key)}`);
  }
  const name = orDefault(input.name, DEFAULT_BREAKER_CONFIG.name);
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`name must be a non-empty string, got ${describeValue(name)}`);
  }
  return {
    name,
    failureThreshold: checkInteger(
      'failureThreshold',
      orDefault(input.failureThreshold, DEFAULT_BREAKER_CONFIG.failureThreshold),
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    resetTimeout: checkInteger(
      'resetTimeout',
      orDefault(input.resetTimeout, DEFAULT_BREAKER_CONFIG.resetTimeout),
      0,
      MAX_TIMEOUT_MS,
    ),
    halfOpenMaxCalls: checkInteger(
      'halfOpenMaxCalls',
      orDefault(input.halfOpenMaxCalls, DEFAULT_BREAKER_CONFIG.halfOpenMaxCalls),
      1,
      Number.MAX_SAFE_INTEGER,
    ),
  };
}
