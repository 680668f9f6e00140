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

/** Outcome codes stored in a count window: bit 1 = failure, bit 2 = slow. */
export const OUTCOME_FAILURE = 1;
export const OUTCOME_SLOW = 2;

/**
 * Totals of a sliding window.
 *
 * @example
 * ```ts
 * const { calls, failures, slowCalls } = windowCounts(context.window, context.config, now);
 * ```
 */
export interface WindowCounts {
  calls: number;
  failures: number;
  slowCalls: number;
}

/**
 * One bucket of a time window: the calls whose time falls in `[start, start + duration / buckets)`.
 *
 * @example
 * ```ts
 * const bucket: WindowBucket = { start: 60_000, calls: 12, failures: 3, slowCalls: 0 };
 * ```
 */
export interface WindowBucket extends WindowCounts {
  start: number;
}

/**
 * The sliding window's state in context: plain data. A count window is a ring of outcome codes
 * with running totals; a time window is a short list of buckets, so no timer runs per call.
 *
 * @example
 * ```ts
 * const window = breaker.actor.getSnapshot().context.window; // null without a rate policy
 * if (window?.type === 'count') console.log(window.failures, 'of', window.calls);
 * ```
 */
export type WindowState = CountWindowState | TimeWindowState;

/**
 * A count window: the last calls' outcome codes in a ring (`next`: the slot the next call takes).
 *
 * @example
 * ```ts
 * const ring: CountWindowState = { type: 'count', outcomes: [0, 1], next: 0, calls: 2, failures: 1, slowCalls: 0 };
 * ```
 */
export type CountWindowState = { type: 'count'; outcomes: number[]; next: number } & WindowCounts;

/**
 * A time window: the calls of each live bucket, oldest first.
 *
 * @example
 * ```ts
 * const recent: TimeWindowState = { type: 'time', buckets: [{ start: 0, calls: 3, failures: 1, slowCalls: 0 }] };
 * ```
 */
export type TimeWindowState = { type: 'time'; buckets: WindowBucket[] };

/** An empty window for `config`, or null when no rate policy is configured. */
export function emptyWindow(config: CircuitBreakerConfig): WindowState | null {
  const window = config.slidingWindow;
  if (window === null) return null;
  if (window.type === 'count')
    return { type: 'count', outcomes: [], next: 0, calls: 0, failures: 0, slowCalls: 0 };
  return { type: 'time', buckets: [] };
}

/** Start of the time-window bucket that `at` falls in (0 when the window counts calls). */
export function bucketStart(config: CircuitBreakerConfig, at: number): number {
  const window = config.slidingWindow;
  if (window?.type !== 'time') return 0;
  const width = window.duration / window.buckets;
  return Math.floor(at / width) * width;
}

/** Start of the oldest time-window bucket still inside the window at time `at`. */
function oldestLiveBucket(config: CircuitBreakerConfig, at: number): number {
  const window = config.slidingWindow;
  if (window?.type !== 'time') return Number.NEGATIVE_INFINITY;
  return bucketStart(config, at) - (window.duration - window.duration / window.buckets);
}

/** A copy of a window state that shares nothing with it. */
export function cloneWindow(state: WindowState): WindowState {
  if (state.type === 'time') {
    return { type: 'time', buckets: state.buckets.map((bucket) => ({ ...bucket })) };
  }
  return { ...state, outcomes: state.outcomes.slice() };
}

/**
 * Adds `times` calls with outcome `code` at time `at` to `state`, in place. The one rule of how
 * a window moves: the machine applies it to a copy (`recordInWindow`), the service's folder to
 * its mirror of the machine's window, and a `TALLY` replays the folded outcomes through it.
 * Each window type's half is its own small function, so the hot path can inline it.
 */
export function pushOutcome(
  state: WindowState,
  config: CircuitBreakerConfig,
  code: number,
  at: number,
  times = 1,
): void {
  if (state.type === 'time') pushTimeOutcome(state, config, code, at, times);
  else pushCountOutcome(state, config, code, times);
}

/** {@link pushOutcome} for a count window: a ring of the last `size` outcomes. */
export function pushCountOutcome(
  state: CountWindowState,
  config: CircuitBreakerConfig,
  code: number,
  times = 1,
): void {
  const size = config.slidingWindow?.type === 'count' ? config.slidingWindow.size : 1;
  const { outcomes } = state;
  const failure = code & OUTCOME_FAILURE ? 1 : 0;
  const slow = code & OUTCOME_SLOW ? 1 : 0;
  if (times === 1 && outcomes.length === size) {
    // The common case, one call into a full ring: it overwrites the oldest outcome.
    const slot = state.next;
    const evicted = outcomes[slot] ?? 0;
    outcomes[slot] = code;
    state.failures += failure - (evicted & OUTCOME_FAILURE ? 1 : 0);
    state.slowCalls += slow - (evicted & OUTCOME_SLOW ? 1 : 0);
    state.next = slot + 1 === size ? 0 : slot + 1;
    return;
  }
  pushCountRun(state, size, code, times);
}

/** Pushes `times` calls of outcome `code` into a ring of `size` that may not be full yet. */
function pushCountRun(state: CountWindowState, size: number, code: number, times: number): void {
  const { outcomes } = state;
  const failure = code & OUTCOME_FAILURE ? 1 : 0;
  const slow = code & OUTCOME_SLOW ? 1 : 0;
  // Past `size` pushes the ring holds only this outcome, so later pushes only move `next`.
  const pushes = Math.min(times, size);
  for (let i = 0; i < pushes; i++) {
    if (outcomes.length < size) {
      outcomes.push(code);
      state.calls += 1;
    } else {
      const evicted = outcomes[state.next] ?? 0;
      state.failures -= evicted & OUTCOME_FAILURE ? 1 : 0;
      state.slowCalls -= evicted & OUTCOME_SLOW ? 1 : 0;
      outcomes[state.next] = code;
    }
    state.failures += failure;
    state.slowCalls += slow;
    state.next = (state.next + 1) % size;
  }
  state.next = (state.next + (times - pushes)) % size;
}

/**
 * {@link pushOutcome} for a time window: buckets of `duration / buckets` ms, oldest first.
 * Returns the start of the bucket the calls landed in.
 */
export function pushTimeOutcome(
  state: TimeWindowState,
  config: CircuitBreakerConfig,
  code: number,
  at: number,
  times = 1,
): number {
  const { buckets } = state;
  const start = bucketStart(config, at);
  let last = buckets[buckets.length - 1];
  if (last === undefined || last.start < start) {
    // A new bucket: the ones it pushes out of the window go.
    const oldest = oldestLiveBucket(config, at);
    let expired = 0;
    while (expired < buckets.length && (buckets[expired]?.start ?? 0) < oldest) expired += 1;
    if (expired > 0) buckets.splice(0, expired);
    last = { start, calls: 0, failures: 0, slowCalls: 0 };
    buckets.push(last);
  }
  // Otherwise the newest bucket takes the calls, so nothing new expires. That is also where a
  // time that runs backwards lands (a wall clock set back, a success timed by its bucket's last
  // clock read), so the buckets stay in order.
  last.calls += times;
  last.failures += code & OUTCOME_FAILURE ? times : 0;
  last.slowCalls += code & OUTCOME_SLOW ? times : 0;
  return last.start;
}

/** Adds `times` calls with outcome `code` at time `at`; returns a new window state. */
export function recordInWindow(
  state: WindowState,
  config: CircuitBreakerConfig,
  code: number,
  at: number,
  times = 1,
): WindowState {
  const next = cloneWindow(state);
  pushOutcome(next, config, code, at, times);
  return next;
}

/**
 * The window's totals at `at` as they would be with one more call of outcome `code`, computed
 * without changing or copying the window (the guards and the folder ask it on every outcome).
 */
export function countsAfter(
  state: WindowState,
  config: CircuitBreakerConfig,
  code: number,
  at: number,
): WindowCounts {
  const failure = code & OUTCOME_FAILURE ? 1 : 0;
  const slow = code & OUTCOME_SLOW ? 1 : 0;
  if (state.type === 'count') {
    const size = config.slidingWindow?.type === 'count' ? config.slidingWindow.size : 1;
    if (state.outcomes.length < size) {
      return {
        calls: state.calls + 1,
        failures: state.failures + failure,
        slowCalls: state.slowCalls + slow,
      };
    }
    const evicted = state.outcomes[state.next] ?? 0;
    return {
      calls: state.calls,
      failures: state.failures + failure - (evicted & OUTCOME_FAILURE ? 1 : 0),
      slowCalls: state.slowCalls + slow - (evicted & OUTCOME_SLOW ? 1 : 0),
    };
  }
  const totals = windowCounts(state, config, at);
  totals.calls += 1;
  totals.failures += failure;
  totals.slowCalls += slow;
  return totals;
}

/** The window's totals at time `at`. */
export function windowCounts(
  state: WindowState,
  config: CircuitBreakerConfig,
  at: number,
): WindowCounts {
  if (state.type === 'count')
    return { calls: state.calls, failures: state.failures, slowCalls: state.slowCalls };
  const totals = { calls: 0, failures: 0, slowCalls: 0 };
  const oldest = oldestLiveBucket(config, at);
  for (const bucket of state.buckets) {
    if (bucket.start < oldest) continue;
    totals.calls += bucket.calls;
    totals.failures += bucket.failures;
    totals.slowCalls += bucket.slowCalls;
  }
  return totals;
}

/** True when the window holds enough calls for a rate to mean something. */
export function hasMinimumThroughput(config: CircuitBreakerConfig, counts: WindowCounts): boolean {
  return counts.calls > 0 && counts.calls >= config.minimumThroughput;
}

/** True when the failure-rate policy says the window's calls should open the circuit. */
export function failureRateExceeded(config: CircuitBreakerConfig, counts: WindowCounts): boolean {
  const threshold = config.failureRateThreshold;
  return (
    threshold !== null &&
    hasMinimumThroughput(config, counts) &&
    counts.failures / counts.calls >= threshold
  );
}

/** True when the slow-call-rate policy says the window's calls should open the circuit. */
export function slowCallRateExceeded(config: CircuitBreakerConfig, counts: WindowCounts): boolean {
  const threshold = config.slowCallRateThreshold;
  return (
    threshold !== null &&
    hasMinimumThroughput(config, counts) &&
    counts.slowCalls / counts.calls >= threshold
  );
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
