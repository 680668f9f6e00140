import {
  checkInteger,
  checkRate,
  describeValue,
  MAX_TIMEOUT_MS,
  rejectUnknownKeys,
} from '../validate.js';

/**
 * The rolling window a rate policy is evaluated over: the last `size` calls, or the last
 * `duration` ms kept in `buckets` buckets (so no timer per call).
 *
 * @example
 * ```ts
 * const lastHundred: SlidingWindow = { type: 'count', size: 100 };
 * const lastMinute: SlidingWindow = { type: 'time', duration: 60_000, buckets: 6 };
 * ```
 */
export type SlidingWindow =
  | { type: 'count'; size: number }
  | { type: 'time'; duration: number; buckets: number };

/**
 * The options that shape the breaker machine: what trips it and how it recovers. All are plain
 * data, so they live in the machine's context. Every field is optional; see
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
  /**
   * Consecutive failures in `closed` that open the circuit. Default 5, or off when a rate
   * policy (`failureRateThreshold` or `slowCallRateThreshold`) is given without it.
   */
  failureThreshold?: number;
  /** Share of failed calls in `slidingWindow` (0 < x <= 1) that opens the circuit. */
  failureRateThreshold?: number;
  /** Share of slow calls in `slidingWindow` (0 < x <= 1) that opens the circuit. */
  slowCallRateThreshold?: number;
  /** A call that takes at least this many ms is slow (needs `slowCallRateThreshold`). */
  slowCallDuration?: number;
  /** The window the rate policies are evaluated over. */
  slidingWindow?: SlidingWindow;
  /** Calls the window must hold before a rate policy may trip. Default 10 (at most the count window's size). */
  minimumThroughput?: number;
  /** Milliseconds the circuit stays `open` before it lets probes through. Default 30 000. */
  resetTimeout?: number;
  /** Probes admitted at once in `halfOpen`. Default 1. */
  halfOpenMaxCalls?: number;
  /** Probe successes in a row that close the circuit. Default `halfOpenMaxCalls`. */
  halfOpenSuccessThreshold?: number;
  /** Milliseconds `halfOpen` may wait for its probes before reopening. Default: no limit. */
  halfOpenMaxWait?: number;
  /**
   * What the circuit does while its shared store is unreachable (the `store` region is
   * `degraded`): `'local'` keeps deciding alone, `'open'` rejects every call (`forcedOpen`),
   * `'closed'` admits every call (`disabled`), both with the reason `storeUnavailable`.
   * Default `'local'`. Without a store it never applies.
   */
  onStoreUnavailable?: StoreUnavailablePolicy;
}

/**
 * The choices of `onStoreUnavailable`, as a list.
 *
 * @example
 * ```ts
 * STORE_UNAVAILABLE_POLICIES.includes('open'); // true
 * ```
 */
export const STORE_UNAVAILABLE_POLICIES = ['local', 'open', 'closed'] as const;

/**
 * One of {@link STORE_UNAVAILABLE_POLICIES}.
 *
 * @example
 * ```ts
 * const policy: StoreUnavailablePolicy = 'open';
 * ```
 */
export type StoreUnavailablePolicy = (typeof STORE_UNAVAILABLE_POLICIES)[number];

/**
 * The resolved, validated configuration held in the machine's context: plain data, with `null`
 * for a policy that is off.
 *
 * @example
 * ```ts
 * const config: CircuitBreakerConfig = resolveBreakerConfig({ name: 'redis' });
 * ```
 */
export interface CircuitBreakerConfig {
  name: string;
  failureThreshold: number | null;
  failureRateThreshold: number | null;
  slowCallRateThreshold: number | null;
  slowCallDuration: number | null;
  slidingWindow: SlidingWindow | null;
  minimumThroughput: number;
  resetTimeout: number;
  halfOpenMaxCalls: number;
  halfOpenSuccessThreshold: number;
  halfOpenMaxWait: number | null;
  onStoreUnavailable: StoreUnavailablePolicy;
}

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
  failureRateThreshold: null,
  slowCallRateThreshold: null,
  slowCallDuration: null,
  slidingWindow: null,
  minimumThroughput: 10,
  resetTimeout: 30_000,
  halfOpenMaxCalls: 1,
  halfOpenSuccessThreshold: 1,
  halfOpenMaxWait: null,
  onStoreUnavailable: 'local',
});

/** Only `undefined` means "not given": `null` or `NaN` must fail validation, not fall back. */
function given(value: unknown): boolean {
  return value !== undefined;
}

function checkStoreUnavailable(value: unknown): StoreUnavailablePolicy {
  if (!(STORE_UNAVAILABLE_POLICIES as readonly unknown[]).includes(value)) {
    throw new TypeError(
      `onStoreUnavailable must be one of ${STORE_UNAVAILABLE_POLICIES.map((p) => `"${p}"`).join(', ')}, got ${describeValue(value)}`,
    );
  }
  return value as StoreUnavailablePolicy;
}

function checkWindow(value: unknown): SlidingWindow {
  const window = value as Record<string, unknown> | null;
  if (typeof window !== 'object' || window === null) {
    throw new TypeError(`slidingWindow must be an object, got ${describeValue(value)}`);
  }
  if (window.type === 'count') {
    rejectUnknownKeys(window, ['type', 'size'], 'slidingWindow.');
    const size = checkInteger('slidingWindow.size', window.size, 1, 1_000_000);
    return { type: 'count', size };
  }
  if (window.type === 'time') {
    rejectUnknownKeys(window, ['type', 'duration', 'buckets'], 'slidingWindow.');
    const duration = checkInteger('slidingWindow.duration', window.duration, 1, MAX_TIMEOUT_MS);
    const buckets = checkInteger('slidingWindow.buckets', window.buckets, 1, 1000);
    if (duration % buckets !== 0) {
      throw new RangeError(
        `slidingWindow.duration must be a multiple of slidingWindow.buckets, got duration ${duration} and buckets ${buckets}`,
      );
    }
    return { type: 'time', duration, buckets };
  }
  throw new TypeError(
    `slidingWindow.type must be "count" or "time", got ${describeValue(window.type)}`,
  );
}

const CONFIG_KEYS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_BREAKER_CONFIG));

/**
 * Validates machine options and fills in defaults. The machine and the service share it, so a
 * bad option fails the same way whichever door it comes through. Combinations that make no
 * sense (a rate without a window, a slow-call duration without its rate) are rejected too.
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
  const d = DEFAULT_BREAKER_CONFIG;
  const name = given(input.name) ? input.name : d.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`name must be a non-empty string, got ${describeValue(name)}`);
  }
  const failureRateThreshold = given(input.failureRateThreshold)
    ? checkRate('failureRateThreshold', input.failureRateThreshold)
    : null;
  const slowCallRateThreshold = given(input.slowCallRateThreshold)
    ? checkRate('slowCallRateThreshold', input.slowCallRateThreshold)
    : null;
  const slowCallDuration = given(input.slowCallDuration)
    ? checkInteger('slowCallDuration', input.slowCallDuration, 1, MAX_TIMEOUT_MS)
    : null;
  const slidingWindow = given(input.slidingWindow) ? checkWindow(input.slidingWindow) : null;
  const ratePolicy = failureRateThreshold !== null || slowCallRateThreshold !== null;
  if (ratePolicy && slidingWindow === null) {
    throw new TypeError(
      `${failureRateThreshold !== null ? 'failureRateThreshold' : 'slowCallRateThreshold'} needs a slidingWindow`,
    );
  }
  if (!ratePolicy && slidingWindow !== null) {
    throw new TypeError('slidingWindow needs failureRateThreshold or slowCallRateThreshold');
  }
  if ((slowCallDuration === null) !== (slowCallRateThreshold === null)) {
    throw new TypeError('slowCallDuration and slowCallRateThreshold must be given together');
  }
  let minimumThroughput = d.minimumThroughput;
  if (given(input.minimumThroughput)) {
    if (!ratePolicy)
      throw new TypeError(
        'minimumThroughput needs a rate policy (failureRateThreshold or slowCallRateThreshold)',
      );
    minimumThroughput = checkInteger(
      'minimumThroughput',
      input.minimumThroughput,
      1,
      Number.MAX_SAFE_INTEGER,
    );
  }
  if (slidingWindow?.type === 'count') {
    if (given(input.minimumThroughput) && minimumThroughput > slidingWindow.size) {
      throw new RangeError(
        `minimumThroughput must be at most slidingWindow.size (${slidingWindow.size}), got ${minimumThroughput}`,
      );
    }
    minimumThroughput = Math.min(minimumThroughput, slidingWindow.size);
  }
  const failureThreshold = given(input.failureThreshold)
    ? checkInteger('failureThreshold', input.failureThreshold, 1, Number.MAX_SAFE_INTEGER)
    : ratePolicy
      ? null
      : d.failureThreshold;
  const halfOpenMaxCalls = given(input.halfOpenMaxCalls)
    ? checkInteger('halfOpenMaxCalls', input.halfOpenMaxCalls, 1, Number.MAX_SAFE_INTEGER)
    : d.halfOpenMaxCalls;
  return {
    name,
    failureThreshold,
    failureRateThreshold,
    slowCallRateThreshold,
    slowCallDuration,
    slidingWindow,
    minimumThroughput,
    resetTimeout: checkInteger(
      'resetTimeout',
      given(input.resetTimeout) ? input.resetTimeout : d.resetTimeout,
      0,
      MAX_TIMEOUT_MS,
    ),
    halfOpenMaxCalls,
    halfOpenSuccessThreshold: given(input.halfOpenSuccessThreshold)
      ? checkInteger(
          'halfOpenSuccessThreshold',
          input.halfOpenSuccessThreshold,
          1,
          Number.MAX_SAFE_INTEGER,
        )
      : halfOpenMaxCalls,
    halfOpenMaxWait: given(input.halfOpenMaxWait)
      ? checkInteger('halfOpenMaxWait', input.halfOpenMaxWait, 1, MAX_TIMEOUT_MS)
      : null,
    onStoreUnavailable: given(input.onStoreUnavailable)
      ? checkStoreUnavailable(input.onStoreUnavailable)
      : d.onStoreUnavailable,
  };
}
