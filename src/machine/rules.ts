/**
 * The breaker's decisions as pure functions of context. The machine's guards call them, and so
 * does the service's fast path, which uses them to prove an outcome cannot move the machine
 * before it skips sending an event: one rule, one place.
 */
import type { CircuitBreakerConfig } from './options.js';
import type { CircuitBreakerContext, CircuitBreakerStats } from './types.js';

/** True when `consecutiveFailures` failures in a row are enough to open a closed circuit. */
export function reachesFailureThreshold(
  config: CircuitBreakerConfig,
  consecutiveFailures: number,
): boolean {
  return consecutiveFailures >= config.failureThreshold;
}

/** True when a result that began in `generation` comes from an earlier state entry. */
export function isLateResult(context: CircuitBreakerContext, generation: number): boolean {
  return generation !== context.generation;
}

/** Clock time at which an open circuit may let a probe through (openedAt + resetTimeout). */
export function retryDueAt(context: CircuitBreakerContext): number {
  return (context.openedAt ?? 0) + context.config.resetTimeout;
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
    timesOpened: 0,
    timesHalfOpened: 0,
    timesClosed: 0,
    consecutiveFailures: 0,
    lastFailureAt: null,
    lastStateChangeAt: null,
    totalInputTokens: 0,
    totalOutputTokens: 0,
    totalEstimatedCost: 0,
  };
}
