/**
 * Reading one breaker's signals, shared by the Prometheus and OpenTelemetry exporters so the two
 * can never disagree. Everything here is read at scrape time from `getStats()` and `getMetrics()`;
 * the only listener is `stateChange` (for the transition counts), which fires on transitions,
 * never per call.
 */
import type { CircuitBreaker } from '../service/circuit-breaker.js';

/**
 * Every state a breaker can be in, so a state gauge lists all of them (1 for the current one).
 *
 * @example
 * ```ts
 * for (const state of BREAKER_STATES) console.log(state, breaker.state === state ? 1 : 0);
 * ```
 */
export const BREAKER_STATES = ['closed', 'open', 'halfOpen', 'forcedOpen', 'disabled'] as const;

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
  state: string;
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
  /** Calls in the sliding window, or null when the breaker does not report it. */
  bufferedCalls: number | null;
  /** Calls turned away in the current window, or null when the breaker does not report it. */
  notPermittedCalls: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** The parts of `getMetrics()` read here. */
interface WindowMetrics {
  failureRate: number | null;
  slowCallRate: number | null;
  bufferedCalls: number;
  notPermittedCalls: number;
}

/** The parts of the resolved options read here (`breaker.config`, where the breaker has one). */
interface RateThresholds {
  failureRateThreshold?: number | null;
  slowCallRateThreshold?: number | null;
}

/** Stats counters that not every version of the breaker has. */
interface OptionalStats {
  totalIgnored?: number;
  totalTimeouts?: number;
  totalFallbacks?: number;
}

/**
 * Reads a breaker's state and counters. Counters a breaker does not keep read as 0, and the
 * window figures as null when it has no `getMetrics()`.
 *
 * @example
 * ```ts
 * const signals = readBreakerSignals(breaker);
 * console.log(signals.calls.success, signals.state);
 * ```
 */
export function readBreakerSignals(breaker: CircuitBreaker): BreakerSignals {
  const stats = breaker.getStats() as ReturnType<CircuitBreaker['getStats']> & OptionalStats;
  const timeouts = stats.totalTimeouts ?? 0;
  const metrics = readWindowMetrics(breaker);
  const config = (breaker as CircuitBreaker & { config?: RateThresholds }).config;
  return {
    name: breaker.name,
    state: breaker.state,
    calls: {
      success: stats.totalSuccesses,
      failure: Math.max(0, stats.totalFailures - timeouts),
      rejected: stats.totalRejections,
      ignored: stats.totalIgnored ?? 0,
      timeout: timeouts,
      fallback: stats.totalFallbacks ?? 0,
    },
    failureRate: finiteOrNull(metrics?.failureRate),
    slowCallRate: finiteOrNull(metrics?.slowCallRate),
    failureRateThreshold: finiteOrNull(config?.failureRateThreshold),
    slowCallRateThreshold: finiteOrNull(config?.slowCallRateThreshold),
    bufferedCalls: finiteOrNull(metrics?.bufferedCalls),
    notPermittedCalls: finiteOrNull(metrics?.notPermittedCalls),
    inputTokens: stats.totalInputTokens,
    outputTokens: stats.totalOutputTokens,
    costUsd: stats.totalEstimatedCost,
  };
}

function readWindowMetrics(breaker: CircuitBreaker): WindowMetrics | null {
  const withMetrics = breaker as CircuitBreaker & { getMetrics?: () => WindowMetrics };
  return typeof withMetrics.getMetrics === 'function' ? withMetrics.getMetrics() : null;
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
