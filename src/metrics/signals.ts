/**
 * Reading one breaker's signals, shared by the Prometheus and OpenTelemetry exporters so the two
 * can never disagree. Everything here is read at scrape time from `getStats()` and `getMetrics()`;
 * the only listener is `stateChange` (for the transition counts), which fires on transitions,
 * never per call.
 */
import { CIRCUIT_STATES, type CircuitState } from '../machine/types.js';
import type { CircuitBreaker } from '../service/circuit-breaker.js';
import { type BreakerStoreStatus, storeStatusOf } from './store-status.js';

/**
 * Every state a breaker can be in, so a state gauge lists all of them (1 for the current one).
 *
 * @example
 * ```ts
 * for (const state of BREAKER_STATES) console.log(state, breaker.state === state ? 1 : 0);
 * ```
 */
export const BREAKER_STATES: readonly CircuitState[] = CIRCUIT_STATES;

/**
 * The outcomes a call is counted under.
 *
 * @example
 * ```ts
 * const outcome: CallOutcome = 'rejected';
 * ```
 */
export type CallOutcome = 'success' | 'failure' | 'rejected' | 'ignored' | 'timeout' | 'fallback';

/**
 * Every {@link CallOutcome}, in the order exporters list them.
 *
 * @example
 * ```ts
 * CALL_OUTCOMES.includes('timeout'); // true
 * ```
 */
export const CALL_OUTCOMES: readonly CallOutcome[] = [
  'success',
  'failure',
  'rejected',
  'ignored',
  'timeout',
  'fallback',
];

/**
 * One reading of a breaker, as both exporters report it.
 *
 * @example
 * ```ts
 * const { state, calls, failureRate } = readBreakerSignals(breaker);
 * ```
 */
export interface BreakerSignals {
  name: string;
  state: CircuitState;
  /** Running totals per outcome. `failure` excludes timeouts, which have their own outcome. */
  calls: Record<CallOutcome, number>;
  /** Failure rate of the sliding window (0 … 1), or null while unknown. */
  failureRate: number | null;
  /** Slow-call rate of the sliding window (0 … 1), or null while unknown. */
  slowCallRate: number | null;
  /** The configured `failureRateThreshold`, or null when none (or not reported). */
  failureRateThreshold: number | null;
  /** The configured `slowCallRateThreshold`, or null when none (or not reported). */
  slowCallRateThreshold: number | null;
  /** Calls in the sliding window. */
  bufferedCalls: number | null;
  /** Calls turned away since the current state was entered. */
  notPermittedCalls: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** The link to the shared-state store: `connected`, `degraded`, or null without a store. */
  storeStatus: BreakerStoreStatus;
}

/**
 * Reads a breaker's state, counters, window figures and rate thresholds. A rate that is null
 * (not known yet, or no such policy) stays null, so exporters leave its series out.
 *
 * @example
 * ```ts
 * const signals = readBreakerSignals(breaker);
 * console.log(signals.calls.success, signals.state);
 * ```
 */
export function readBreakerSignals(breaker: CircuitBreaker): BreakerSignals {
  const stats = breaker.getStats();
  const metrics = breaker.getMetrics();
  const { failureRateThreshold, slowCallRateThreshold } = breaker.config;
  return {
    name: breaker.name,
    state: breaker.state,
    calls: {
      success: stats.totalSuccesses,
      // Timeouts are counted in totalFailures too; here they are their own outcome.
      failure: Math.max(0, stats.totalFailures - stats.totalTimeouts),
      rejected: stats.totalRejections,
      ignored: stats.totalIgnored,
      timeout: stats.totalTimeouts,
      fallback: stats.totalFallbacks,
    },
    failureRate: finiteOrNull(metrics.failureRate),
    slowCallRate: finiteOrNull(metrics.slowCallRate),
    failureRateThreshold: finiteOrNull(failureRateThreshold),
    slowCallRateThreshold: finiteOrNull(slowCallRateThreshold),
    bufferedCalls: finiteOrNull(metrics.bufferedCalls),
    notPermittedCalls: finiteOrNull(metrics.notPermittedCalls),
    inputTokens: stats.totalInputTokens,
    outputTokens: stats.totalOutputTokens,
    costUsd: stats.totalEstimatedCost,
    storeStatus: storeStatusOf(breaker),
  };
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * How many times a breaker moved `from` → `to` for `reason`.
 *
 * @example
 * ```ts
 * const { from, to, reason, count } = counter.entries(breaker)[0];
 * ```
 */
export interface TransitionCount {
  from: string;
  to: string;
  /** Why, or `unknown` from a breaker whose `stateChange` event carries no reason. */
  reason: string;
  count: number;
}

/**
 * Counts each watched breaker's transitions from its `stateChange` event. Transitions are rare,
 * so this costs nothing per call. The keys are bounded: states × states × reasons.
 */
export class TransitionCounter {
  readonly #counts = new Map<CircuitBreaker, Map<string, TransitionCount>>();
  readonly #unsubscribes = new Map<CircuitBreaker, () => void>();

  watch(breaker: CircuitBreaker): void {
    if (this.#unsubscribes.has(breaker)) return;
    const counts = new Map<string, TransitionCount>();
    this.#counts.set(breaker, counts);
    let unsubscribe = noop;
    try {
      unsubscribe = breaker.on('stateChange', (event) => {
        const reason = (event as { reason?: unknown }).reason;
        const why = typeof reason === 'string' ? reason : 'unknown';
        const key = `${event.from}\u0000${event.to}\u0000${why}`;
        const entry = counts.get(key);
        if (entry) entry.count += 1;
        else counts.set(key, { from: event.from, to: event.to, reason: why, count: 1 });
      });
    } catch {
      // Only a disposed breaker refuses a listener; it makes no more transitions to count.
    }
    this.#unsubscribes.set(breaker, unsubscribe);
  }

  unwatch(breaker: CircuitBreaker): void {
    this.#unsubscribes.get(breaker)?.();
    this.#unsubscribes.delete(breaker);
    this.#counts.delete(breaker);
  }

  /** The counts of one breaker since it was watched. */
  entries(breaker: CircuitBreaker): readonly TransitionCount[] {
    const counts = this.#counts.get(breaker);
    return counts ? [...counts.values()] : [];
  }
}

const noop = (): void => {};
