/**
 * The service's options: their types, the keys it accepts, and their validation. The machine's
 * own options are validated by `resolveBreakerConfig` in `src/machine/options.ts`.
 */

import type { InspectionEvent, Observer } from 'xstate';
import {
  type CircuitBreakerConfig,
  type CircuitBreakerInput,
  DEFAULT_BREAKER_CONFIG,
} from '../machine/options.js';
import {
  checkAmount,
  checkFunction,
  checkInteger,
  describeValue,
  MAX_TIMEOUT_MS,
} from '../validate.js';
import type { ResetTimeoutFunction } from './backoff.js';
import type { BreakerClock } from './clock.js';
import type { GuardedCallPolicy } from './guarded-call.js';
import type { BreakerLogger } from './logger.js';
import type { CircuitBreakerSnapshot } from './snapshot.js';
import type { CircuitStore } from './store-seam.js';

/**
 * Options of `new CircuitBreaker(options)`: the machine's options plus where time, logs and
 * inspection go. Every option is validated; a bad value throws a TypeError or RangeError.
 *
 * @example
 * ```ts
 * const options: CircuitBreakerOptions = { name: 'redis', failureThreshold: 3, logger: console };
 * ```
 */
export interface CircuitBreakerOptions extends Omit<CircuitBreakerInput, 'resetTimeout'> {
  /**
   * Milliseconds in `open` before probes are let through (default 30 000), or a function of
   * `{ attempt, lastError }` such as {@link exponentialBackoff}.
   */
  resetTimeout?: number | ResetTimeoutFunction;
  /** A call not settled within this many ms rejects with `CircuitTimeoutError`. Default: off. */
  callTimeout?: number;
  /** Which errors count as failures. Default: all. Others pass through and count as successes. */
  isFailure?: (error: unknown) => boolean;
  /**
   * Errors that count neither as success nor as failure (resilience4j's `ignoreExceptions`,
   * gobreaker's `IsExcluded`): they pass through unchanged and a half-open probe slot is
   * released. Asked before `isFailure`. Default: none.
   */
  isIgnored?: (error: unknown) => boolean;
  /**
   * How long a failure asks the circuit to stay away, in ms (an HTTP 429/503 `Retry-After`, a
   * rate limiter's ban), or `undefined`. A failure with an answer opens the circuit at once for
   * that long, whatever the thresholds (reason `retryAfter`). Default: none.
   */
  retryAfter?: (error: unknown) => number | undefined;
  /** Which results count as failures (they are still returned). Default: none. */
  isResultFailure?: (result: unknown) => boolean;
  /**
   * Answers instead of a rejection by the circuit or a counted failure, given the error and
   * the call's own arguments (`execute` has none). Default: none.
   */
  fallback?: (error: unknown, ...args: never[]) => unknown;
  /** Time and timers. Default: real time, timers that do not keep the process alive. */
  clock?: BreakerClock;
  /**
   * Capture stack traces in the breaker's per-call errors (`CircuitOpenError`,
   * `CircuitTimeoutError`). Default false: a rejection then costs no stack of the breaker's own
   * frames (a few µs); turn it on while debugging.
   */
  errorStacks?: boolean;
  /** Receives a structured line on every transition. Default: silent. */
  logger?: BreakerLogger;
  /**
   * Passed to XState's `createActor`, e.g. `createBrowserInspector().inspect`. With an
   * inspector attached every call becomes a visible XState event.
   */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * A breaker's `toJSON()` (object or JSON text) to start from; `null` or `undefined` (a store's
   * answer on first boot) starts fresh. Saved options are kept unless given again here; the
   * `name` must match. A bad snapshot throws {@link CircuitBreakerSnapshotError}.
   */
  snapshot?: CircuitBreakerSnapshot | string | null | undefined;
  /**
   * Shared state for many replicas: what `redisStore({ client })` from
   * `xstate-circuit-breaker/redis` returns. Every breaker with the same `name` (required with a
   * store) and store shares one circuit; each replica still decides locally, with no round
   * trip on the hot path. See `onStoreUnavailable`, `probeLease` and `quorum`.
   */
  store?: CircuitStore;
  /**
   * Milliseconds a half-open probe's cluster-wide lease lives before it lapses on its own (so a
   * replica that died mid-probe cannot wedge the circuit). Default `callTimeout` + 1000 with a
   * `callTimeout`, else the store's default (10 000). Needs `store`.
   */
  probeLease?: number;
  /**
   * Distinct replicas whose local rule must trip within the window before the shared circuit
   * opens, so one sick replica cannot open everyone's circuit. Default 1. Needs `store`.
   */
  quorum?: number;
}

/**
 * The validated `store`, `probeLease` and `quorum` options.
 *
 * @example
 * ```ts
 * declare const store: CircuitStore;
 * const setup: StoreSetup = { store, probeLease: null, quorum: 1 };
 * ```
 */
export interface StoreSetup {
  store: CircuitStore;
  /** The lease asked for, or null for the default. */
  probeLease: number | null;
  quorum: number;
}

/**
 * Validates the shared-store options: a store needs a name of its own (the circuit is shared
 * under it), and `probeLease` and `quorum` need a store. Null without a store.
 */
export function resolveStoreSetup(options: CircuitBreakerOptions): StoreSetup | null {
  const { store, probeLease, quorum } = options;
  if (store === undefined) {
    for (const [option, value] of [
      ['probeLease', probeLease],
      ['quorum', quorum],
    ] as const) {
      if (value !== undefined) throw new TypeError(`${option} needs a store`);
    }
    return null;
  }
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof (store as Partial<CircuitStore>).circuit !== 'function'
  ) {
    throw new TypeError(
      `store must be a circuit store (such as redisStore()), got ${describeValue(store)}`,
    );
  }
  if (options.name === undefined) {
    throw new TypeError('a breaker with a store needs a name: the circuit is shared under it');
  }
  return {
    store,
    probeLease:
      probeLease === undefined ? null : checkInteger('probeLease', probeLease, 1, MAX_TIMEOUT_MS),
    quorum: quorum === undefined ? 1 : checkInteger('quorum', quorum, 1, 10_000),
  };
}

/**
 * What `execute` hands to the function it runs.
 *
 * @example
 * ```ts
 * await breaker.execute(({ signal }) => fetch(url, { signal }));
 * ```
 */
export interface ExecuteContext {
  /** Aborted when the caller's signal aborts. */
  signal: AbortSignal;
}

/**
 * Options of a single `execute`.
 *
 * @example
 * ```ts
 * await breaker.execute(work, { signal: AbortSignal.timeout(1_000) });
 * ```
 */
export interface ExecuteOptions {
  /**
   * The caller's signal. Aborting it rejects the call with its reason, aborts the signal `fn`
   * received, and counts neither as success nor failure. An already aborted signal runs nothing.
   */
  signal?: AbortSignal;
  /** Answers instead of a rejection by the circuit or a counted failure, for this call. */
  fallback?: (error: unknown) => unknown;
}

/**
 * Options of `forceOpen`.
 *
 * @example
 * ```ts
 * breaker.forceOpen({ for: 60_000 }); // open for a minute, then half-open as usual
 * ```
 */
export interface ForceOpenOptions extends ControlOptions {
  /** Milliseconds to stay open before half-opening as usual. Default: held until closed. */
  for?: number;
}

/**
 * Options of `reset`, `forceClose` and `disable` (and `forceOpen`).
 *
 * @example
 * ```ts
 * breaker.disable({ reason: 'load test' });
 * ```
 */
export interface ControlOptions {
  /** Why: with a shared store it travels with the command to every replica. Default `''`. */
  reason?: string;
}

/** Validates a manual control's options (`name` is the method); the reason, or undefined. */
export function checkControl(
  name: string,
  options: ControlOptions | undefined,
  known: readonly string[] = ['reason'],
): string | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${name} options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`unknown ${name} option ${JSON.stringify(key)}`);
  }
  const { reason } = options;
  if (reason !== undefined && typeof reason !== 'string') {
    throw new TypeError(`reason must be a string, got ${describeValue(reason)}`);
  }
  return reason;
}

/**
 * Options of `wrap`.
 *
 * @example
 * ```ts
 * const getUser = breaker.wrap(fetchUser, { fallback: () => anonymousUser });
 * ```
 */
export interface WrapOptions<A extends unknown[] = unknown[]> {
  /** Answers instead of a rejection by the circuit or a counted failure, for every call. */
  fallback?: (error: unknown, ...args: A) => unknown;
}

/**
 * The options of the service itself (beyond the machine's), listed once: the compiler checks
 * the list against {@link CircuitBreakerOptions}, so a new option cannot be forgotten here.
 */
const SERVICE_ONLY_OPTIONS = [
  'clock',
  'logger',
  'inspect',
  'snapshot',
  'callTimeout',
  'isFailure',
  'isIgnored',
  'retryAfter',
  'isResultFailure',
  'fallback',
  'errorStacks',
  'store',
  'probeLease',
  'quorum',
] as const satisfies readonly (keyof CircuitBreakerOptions)[];

/** Options of `CircuitBreakerOptions` missing from both lists: must be none. */
type UnlistedOption = Exclude<
  keyof CircuitBreakerOptions,
  keyof typeof DEFAULT_BREAKER_CONFIG | (typeof SERVICE_ONLY_OPTIONS)[number]
>;
const everyOptionListed: [UnlistedOption] extends [never] ? true : UnlistedOption = true;

/** Every option key `new CircuitBreaker` accepts. */
export const SERVICE_OPTION_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(DEFAULT_BREAKER_CONFIG),
  ...(everyOptionListed ? SERVICE_ONLY_OPTIONS : []),
]);

/** Validates `recordCost`'s argument: token counts and a cost, none negative. */
export function checkCost(cost: unknown): {
  inputTokens: number;
  outputTokens: number;
  estimatedCost: number;
} {
  if (typeof cost !== 'object' || cost === null) {
    throw new TypeError(`cost must be an object, got ${describeValue(cost)}`);
  }
  const { inputTokens, outputTokens, estimatedCost } = cost as Record<string, unknown>;
  checkAmount('inputTokens', inputTokens, true);
  checkAmount('outputTokens', outputTokens, true);
  checkAmount('estimatedCost', estimatedCost, false);
  return { inputTokens, outputTokens, estimatedCost } as {
    inputTokens: number;
    outputTokens: number;
    estimatedCost: number;
  };
}

/** Every per-call policy off: what `#guarded` starts from when only a per-call option is given. */
export const NO_POLICY: GuardedCallPolicy = {
  callTimeout: null,
  slowCallDuration: null,
  isFailure: undefined,
  isIgnored: undefined,
  isResultFailure: undefined,
  fallback: undefined,
};

/** Validates the per-call options; null when none is on (the breaker then takes its plain path). */
export function resolvePolicy(
  options: CircuitBreakerOptions,
  config: CircuitBreakerConfig,
): GuardedCallPolicy | null {
  // `retryAfter` is not a per-call option: the controller asks it for every failure, whatever
  // path the call took.
  const { callTimeout, isFailure, isIgnored, isResultFailure, fallback } = options ?? {};
  if (
    callTimeout === undefined &&
    config.slowCallDuration === null &&
    isFailure === undefined &&
    isIgnored === undefined &&
    isResultFailure === undefined &&
    fallback === undefined
  ) {
    return null; // the common case, checked without building anything
  }
  return {
    callTimeout:
      callTimeout === undefined
        ? null
        : checkInteger('callTimeout', callTimeout, 1, MAX_TIMEOUT_MS),
    slowCallDuration: config.slowCallDuration,
    isFailure: checkFunction('isFailure', isFailure),
    isIgnored: checkFunction('isIgnored', isIgnored),
    isResultFailure: checkFunction('isResultFailure', isResultFailure),
    fallback: checkFunction('fallback', fallback),
  };
}

/** Validates `forceOpen`'s options: the `for` period, in ms, or nothing. */
export function checkForceOpen(options: ForceOpenOptions | undefined): number | undefined {
  checkControl('forceOpen', options, ['for', 'reason']);
  return options?.for === undefined
    ? undefined
    : checkInteger('for', options.for, 1, MAX_TIMEOUT_MS);
}
