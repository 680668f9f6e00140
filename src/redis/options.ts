import type { SharedCircuitOptions } from './store.js';

/** Node's timer limit: no delay may exceed it. */
const MAX_MS = 2 ** 31 - 1;

/** Renders a rejected value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) {
    return String(value);
  }
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** An integer in [min, max], else a TypeError (not a number) or RangeError (out of range). */
export function checkInteger(option: string, value: unknown, min: number, max = MAX_MS): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${option} must be an integer, got ${describeValue(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${option} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function checkRate(option: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${option} must be a number, got ${describeValue(value)}`);
  }
  if (!(value > 0 && value <= 1)) {
    throw new RangeError(`${option} must be > 0 and <= 1, got ${value}`);
  }
  return value;
}

/** A name that fits inside a Redis Cluster hash tag: non-empty, without `{` or `}`. */
export function checkTagName(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${option} must be a non-empty string, got ${describeValue(value)}`);
  }
  if (/[{}]/.test(value)) {
    throw new RangeError(`${option} must not contain '{' or '}', got ${describeValue(value)}`);
  }
  return value;
}

/** Throws a TypeError naming the first key of `value` that is not in `known`. */
export function checkKnownKeys(option: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(`${option} has an unknown option ${JSON.stringify(key)}`);
    }
  }
}

/** The shared circuit's settings with every default filled in; `0` means "off" in Lua. */
export interface ResolvedCircuitOptions {
  failureThreshold: number | null;
  failureRateThreshold: number | null;
  slowCallRateThreshold: number | null;
  minimumThroughput: number;
  windowMs: number;
  bucketMs: number;
  resetTimeout: number;
  backoffMultiplier: number;
  maxResetTimeout: number;
  halfOpenMaxCalls: number;
  halfOpenSuccessThreshold: number;
  probeLease: number;
  quorum: number;
}

const CIRCUIT_KEYS = [
  'failureThreshold',
  'failureRateThreshold',
  'slowCallRateThreshold',
  'minimumThroughput',
  'slidingWindow',
  'resetTimeout',
  'backoffMultiplier',
  'maxResetTimeout',
  'halfOpenMaxCalls',
  'halfOpenSuccessThreshold',
  'probeLease',
  'quorum',
] as const;

function resolveWindow(value: unknown): { windowMs: number; bucketMs: number } {
  if (value === undefined) return { windowMs: 60_000, bucketMs: 10_000 };
  const window = value as { type?: unknown; duration?: unknown; buckets?: unknown } | null;
  if (typeof window !== 'object' || window === null || window.type !== 'time') {
    throw new TypeError(
      `slidingWindow must be { type: 'time', duration, buckets } (only time windows can be shared), got ${describeValue(
        value,
      )}`,
    );
  }
  const duration = checkInteger('slidingWindow.duration', window.duration, 1);
  const buckets = checkInteger('slidingWindow.buckets', window.buckets, 1, 600);
  if (duration % buckets !== 0) {
    throw new RangeError(
      `slidingWindow.duration must be a multiple of slidingWindow.buckets, got ${duration} and ${buckets}`,
    );
  }
  return { windowMs: duration, bucketMs: duration / buckets };
}

/** Validates `options` (each bad value throws, naming the option) and fills in the defaults. */
export function resolveCircuitOptions(options: SharedCircuitOptions = {}): ResolvedCircuitOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`circuit options must be an object, got ${describeValue(options)}`);
  }
  checkKnownKeys('circuit options', options, CIRCUIT_KEYS);
  const rate = (name: 'failureRateThreshold' | 'slowCallRateThreshold') =>
    options[name] == null ? null : checkRate(name, options[name]);
  const failureRateThreshold = rate('failureRateThreshold');
  const slowCallRateThreshold = rate('slowCallRateThreshold');
  const anyRate = failureRateThreshold !== null || slowCallRateThreshold !== null;
  const failureThreshold =
    options.failureThreshold === null
      ? null
      : options.failureThreshold === undefined
        ? anyRate
          ? null
          : 5
        : checkInteger('failureThreshold', options.failureThreshold, 1);
  const resetTimeout = checkInteger('resetTimeout', options.resetTimeout ?? 30_000, 1);
  const backoffMultiplier = options.backoffMultiplier ?? 1;
  if (
    typeof backoffMultiplier !== 'number' ||
    !(backoffMultiplier >= 1 && backoffMultiplier < 1e6)
  ) {
    throw new RangeError(
      `backoffMultiplier must be a number >= 1, got ${describeValue(backoffMultiplier)}`,
    );
  }
  const maxResetTimeout = checkInteger(
    'maxResetTimeout',
    options.maxResetTimeout ?? resetTimeout,
    resetTimeout,
  );
  const halfOpenMaxCalls = checkInteger(
    'halfOpenMaxCalls',
    options.halfOpenMaxCalls ?? 1,
    1,
    10_000,
  );
  return {
    failureThreshold,
    failureRateThreshold,
    slowCallRateThreshold,
    minimumThroughput: checkInteger('minimumThroughput', options.minimumThroughput ?? 10, 1),
    ...resolveWindow(options.slidingWindow),
    resetTimeout,
    backoffMultiplier,
    maxResetTimeout,
    halfOpenMaxCalls,
    halfOpenSuccessThreshold: checkInteger(
      'halfOpenSuccessThreshold',
      options.halfOpenSuccessThreshold ?? halfOpenMaxCalls,
      1,
      10_000,
    ),
    probeLease: checkInteger('probeLease', options.probeLease ?? 10_000, 1),
    quorum: checkInteger('quorum', options.quorum ?? 1, 1, 10_000),
  };
}
