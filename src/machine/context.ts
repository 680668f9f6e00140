/**
 * The machine's context updates as pure functions: what a state starts with, and what each
 * counted outcome changes. The named actions of `machine.ts` are thin wrappers around these.
 */
import {
  type CircuitBreakerConfig,
  type CircuitBreakerInput,
  resolveBreakerConfig,
} from './options.js';
import { emptyStats, emptyWindow, tripFigures } from './rules.js';
import type {
  CircuitBreakerContext,
  CircuitBreakerEmitted,
  CircuitBreakerEvent,
  CircuitState,
  StateTransition,
  TransitionReason,
} from './types.js';

/** The context a new breaker starts with. */
export function initialContext(input: CircuitBreakerInput | undefined): CircuitBreakerContext {
  return initialContextFor(resolveBreakerConfig(input));
}

/** The generation a new breaker starts in (a state change moves to the next one). */
export const INITIAL_GENERATION = 0;

/** The context a new breaker with the (already validated) `config` starts with. */
export function initialContextFor(config: CircuitBreakerConfig): CircuitBreakerContext {
  return {
    config,
    generation: INITIAL_GENERATION,
    openedAt: null,
    openTimeout: config.resetTimeout,
    openAttempts: 0,
    window: emptyWindow(config),
    halfOpenInFlight: 0,
    halfOpenSuccesses: 0,
    notPermittedCalls: 0,
    stats: emptyStats(),
  };
}

/**
 * The state the context was last moved to: every entry goes through {@link entered}, which
 * records it, so this is the state being left when the next transition runs.
 */
export function currentState(context: CircuitBreakerContext): CircuitState {
  return context.stats.lastTransition?.to ?? 'closed';
}

/**
 * The context on entering `to`: a new generation (so results of calls begun before are late),
 * fresh working counters, the transition recorded. Re-entering the state it is in (`reset()`
 * while closed, say) restarts it silently: new generation and counters, nothing announced.
 */
export function entered(
  context: CircuitBreakerContext,
  to: CircuitState,
  reason: TransitionReason,
  at: number,
): { next: Partial<CircuitBreakerContext>; transition: StateTransition | null } {
  const from = currentState(context);
  const moved = from !== to;
  const transition: StateTransition | null = moved ? { from, to, at, reason } : null;
  const stats = { ...context.stats, consecutiveFailures: 0 };
  if (transition) {
    stats.lastStateChangeAt = at;
    stats.lastTransition = transition;
  }
  let { openedAt, openAttempts, window } = context;
  if (to === 'open' || to === 'forcedOpen') {
    if (moved) stats.timesOpened += 1;
    openedAt = at;
    // A shared deadline that replaces a local one (`remote` while open) is not a new opening.
    if (to === 'open' && reason !== 'forced' && (moved || reason !== 'remote')) openAttempts += 1;
  } else if (to === 'halfOpen') {
    stats.timesHalfOpened += 1;
  } else {
    if (to === 'closed' && moved) stats.timesClosed += 1;
    openedAt = null;
    openAttempts = 0;
    window = emptyWindow(context.config);
  }
  return {
    next: {
      generation: context.generation + 1,
      openedAt,
      openAttempts,
      window,
      halfOpenInFlight: 0,
      halfOpenSuccesses: 0,
      notPermittedCalls: 0,
      stats,
    },
    transition,
  };
}

/** What a transition announces: `stateChange`, then `open`, `halfOpen` or `close`. */
export function announcements(
  before: CircuitBreakerContext,
  transition: StateTransition,
  event: CircuitBreakerEvent,
): CircuitBreakerEmitted[] {
  const { to, at, reason } = transition;
  const changed: CircuitBreakerEmitted = { type: 'stateChange', ...transition };
  if (to === 'open' || to === 'forcedOpen') {
    const retryAfter = event.type === 'FAILURE' ? (event.retryAfter ?? null) : null;
    const trip = tripFigures(before, at, retryAfter);
    return [
      changed,
      {
        type: 'open',
        at,
        reason,
        forced: reason === 'forced',
        consecutiveFailures: trip.consecutiveFailures,
        trip,
      },
    ];
  }
  if (to === 'halfOpen') return [changed, { type: 'halfOpen', at, reason }];
  if (to === 'closed') return [changed, { type: 'close', at, reason }];
  return [changed];
}

/** A success counted: `current` ones (of this state's calls) end a run of failures. */
export function countedSuccess(context: CircuitBreakerContext, current: boolean) {
  const stats = { ...context.stats, totalSuccesses: context.stats.totalSuccesses + 1 };
  if (current) stats.consecutiveFailures = 0;
  return stats;
}

/** A failure counted at `at`: `current` ones (of this state's calls) extend a run of failures. */
export function countedFailure(
  context: CircuitBreakerContext,
  event: CircuitBreakerEvent,
  at: number,
  current: boolean,
) {
  const stats = {
    ...context.stats,
    totalFailures: context.stats.totalFailures + 1,
    lastFailureAt: at,
  };
  if (event.type === 'FAILURE' && event.timeout) stats.totalTimeouts += 1;
  if (current) stats.consecutiveFailures += 1;
  return stats;
}

/** The counts the service folded, added in (see the `TALLY` event). */
export function tallied(
  context: CircuitBreakerContext,
  tally: Extract<CircuitBreakerEvent, { type: 'TALLY' }>,
): Partial<CircuitBreakerContext> {
  const { stats } = context;
  return {
    notPermittedCalls: context.notPermittedCalls + tally.rejections,
    stats: {
      ...stats,
      totalSuccesses: stats.totalSuccesses + tally.successes,
      totalFailures: stats.totalFailures + tally.failures,
      totalRejections: stats.totalRejections + tally.rejections,
      totalIgnored: stats.totalIgnored + tally.ignored,
      totalTimeouts: stats.totalTimeouts + tally.timeouts,
      totalFallbacks: stats.totalFallbacks + tally.fallbacks,
      lastFailureAt: tally.lastFailureAt ?? stats.lastFailureAt,
      consecutiveFailures: tally.consecutiveFailures ?? stats.consecutiveFailures,
    },
  };
}
