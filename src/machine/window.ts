/**
 * The sliding windows as pure functions of plain data: how a count window's ring and a time
 * window's buckets take a call, and what their totals say about the rate policies. The
 * machine's guards and actions call them, and so does the service's outcome folder, which
 * pushes its mirror of the machine's window through the same rule: one rule, one place.
 */
import type { CircuitBreakerConfig } from './options.js';

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
