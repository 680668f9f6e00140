/**
 * The breaker's decisions as pure functions of context. The machine's guards call them, and so
 * does the service's fast path, which uses them to prove an outcome cannot move the machine
 * before it skips sending an event: one rule, one place.
 */
import type { CircuitBreakerConfig } from './options.js';
import type {
  BreakerMetrics,
  CircuitBreakerContext,
  CircuitBreakerStats,
  CircuitState,
  StoreLinkStatus,
  StoreRegionState,
  TripFigures,
} from './types.js';
import { countsAfter, hasMinimumThroughput, type WindowCounts, windowCounts } from './window.js';

// The window rules live in window.ts; they are re-exported so one import gives every rule.
export {
  bucketStart,
  type CountWindowState,
  cloneWindow,
  countsAfter,
  emptyWindow,
  failureRateExceeded,
  hasMinimumThroughput,
  OUTCOME_FAILURE,
  OUTCOME_SLOW,
  pushCountOutcome,
  pushOutcome,
  pushTimeOutcome,
  recordInWindow,
  slowCallRateExceeded,
  type TimeWindowState,
  type WindowBucket,
  type WindowCounts,
  type WindowState,
  windowCounts,
} from './window.js';

/** True when `consecutiveFailures` failures in a row are enough to open a closed circuit. */
export function reachesFailureThreshold(
  config: CircuitBreakerConfig,
  consecutiveFailures: number,
): boolean {
  return config.failureThreshold !== null && consecutiveFailures >= config.failureThreshold;
}

/** True when a result that began in `generation` comes from an earlier state entry. */
export function isLateResult(context: CircuitBreakerContext, generation: number): boolean {
  return generation !== context.generation;
}

/** Clock time at which an open circuit may let a probe through (openedAt + openTimeout). */
export function retryDueAt(context: CircuitBreakerContext): number {
  return (context.openedAt ?? 0) + context.openTimeout;
}

/** True when `halfOpen` can admit one more probe. */
export function hasFreeProbeSlot(context: CircuitBreakerContext): boolean {
  return context.halfOpenInFlight < context.config.halfOpenMaxCalls;
}

/** A fresh set of counters. */
export function emptyStats(): CircuitBreakerStats {
  return {
    totalSuccesses: 0,
    totalFailures: 0,
    totalRejections: 0,
    totalIgnored: 0,
    totalTimeouts: 0,
    totalFallbacks: 0,
    timesOpened: 0,
    timesHalfOpened: 0,
    timesClosed: 0,
    consecutiveFailures: 0,
    lastFailureAt: null,
    lastStateChangeAt: null,
    lastTransition: null,
    totalInputTokens: 0,
    totalOutputTokens: 0,
    totalEstimatedCost: 0,
  };
}

/** The window's totals at `at` with one more call of outcome `code`, or null without a window. */
export function countsWith(
  context: CircuitBreakerContext,
  code: number,
  at: number,
): WindowCounts | null {
  if (context.window === null) return null;
  return countsAfter(context.window, context.config, code, at);
}

/**
 * A breaker state value of any version: today's parallel `{ circuit, store }`, the compound
 * `{ automatic: 'open' }` (snapshot version 2) or a flat name (version 1).
 *
 * @example
 * ```ts
 * const value: BreakerStateValue = { circuit: { automatic: 'open' }, store: 'standalone' };
 * ```
 */
export type BreakerStateValue =
  | string
  | { circuit?: unknown; store?: unknown; automatic?: unknown }
  | Record<string, unknown>;

/**
 * The flat state of a breaker snapshot's value: the `circuit` region's, so
 * `{ circuit: { automatic: 'open' }, store: 'connected' }` is `'open'`. Older shapes
 * (`{ automatic: 'open' }`, `'open'`) read the same.
 *
 * @example
 * ```ts
 * circuitStateOf(actor.getSnapshot().value); // 'closed'
 * ```
 */
export function circuitStateOf(value: BreakerStateValue): CircuitState {
  const circuit = typeof value === 'string' || value.circuit === undefined ? value : value.circuit;
  return (
    typeof circuit === 'string' ? circuit : (circuit as { automatic?: unknown }).automatic
  ) as CircuitState;
}

/**
 * The state of the `store` region of a breaker's value: `standalone` without a store (and for
 * the older shapes, which had no such region).
 *
 * @example
 * ```ts
 * storeRegionOf(actor.getSnapshot().value); // 'standalone'
 * ```
 */
export function storeRegionOf(value: BreakerStateValue): StoreRegionState {
  const store = typeof value === 'string' ? undefined : value.store;
  return typeof store === 'string' ? (store as StoreRegionState) : 'standalone';
}

/** The rates of `counts`, null below `minimumThroughput` (and without a window). */
function rates(config: CircuitBreakerConfig, counts: WindowCounts | null) {
  if (counts === null || !hasMinimumThroughput(config, counts)) {
    return { failureRate: null, slowCallRate: null };
  }
  return {
    failureRate: counts.failures / counts.calls,
    slowCallRate: counts.slowCalls / counts.calls,
  };
}

/**
 * What the breaker measures in `state` at time `at` (see {@link BreakerMetrics}).
 *
 * @example
 * ```ts
 * measure('closed', actor.getSnapshot().context, Date.now()).bufferedCalls; // 0
 * ```
 */
export function measure(
  state: CircuitState,
  context: CircuitBreakerContext,
  at: number,
  storeStatus: StoreLinkStatus | null = null,
): BreakerMetrics {
  const counts = context.window === null ? null : windowCounts(context.window, context.config, at);
  return {
    state,
    ...rates(context.config, counts),
    bufferedCalls: counts?.calls ?? 0,
    failedCalls: counts?.failures ?? 0,
    slowCalls: counts?.slowCalls ?? 0,
    notPermittedCalls: context.notPermittedCalls,
    consecutiveFailures: context.stats.consecutiveFailures,
    probesInFlight: state === 'halfOpen' ? context.halfOpenInFlight : 0,
    retryAt: state === 'open' ? retryDueAt(context) : null,
    storeStatus,
  };
}

/**
 * The figures a trip happened on, read from the context after the tripping call was counted.
 * Rates are given whatever the minimum throughput, so a `retryAfter` trip shows them too.
 */
export function tripFigures(
  context: CircuitBreakerContext,
  at: number,
  retryAfter: number | null,
): TripFigures {
  const { config } = context;
  const counts = context.window === null ? null : windowCounts(context.window, context.config, at);
  return {
    consecutiveFailures: context.stats.consecutiveFailures,
    failureRate: counts === null || counts.calls === 0 ? null : counts.failures / counts.calls,
    slowCallRate: counts === null || counts.calls === 0 ? null : counts.slowCalls / counts.calls,
    calls: counts?.calls ?? 0,
    failureThreshold: config.failureThreshold,
    failureRateThreshold: config.failureRateThreshold,
    slowCallRateThreshold: config.slowCallRateThreshold,
    minimumThroughput: config.minimumThroughput,
    retryAfter,
  };
}

/** True when a call of `durationMs` counts as slow. */
export function isSlowCall(config: CircuitBreakerConfig, durationMs: number): boolean {
  return config.slowCallDuration !== null && durationMs >= config.slowCallDuration;
}
