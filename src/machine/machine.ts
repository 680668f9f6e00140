import { and, assign, enqueueActions, not, or, setup } from 'xstate';
import { type CircuitBreakerInput, MAX_TIMEOUT_MS, resolveBreakerConfig } from './options.js';
import {
  emptyStats,
  emptyWindow,
  hasFreeProbeSlot,
  isLateResult,
  OUTCOME_FAILURE,
  OUTCOME_SLOW,
  reachesFailureThreshold,
  recordInWindow,
  retryDueAt,
  windowCounts,
  windowTrips,
} from './rules.js';
import type {
  CircuitBreakerContext,
  CircuitBreakerEmitted,
  CircuitBreakerEvent,
  CircuitState,
} from './types.js';

/** Parameters of the `changeState` action: which edge of the diagram is being taken. */
interface StateChange {
  from: CircuitState;
  to: CircuitState;
}

/**
 * When an event happened. Events the service sends carry `at`; the only events without it are
 * the timers (`xstate.after.<delay>...`), which by definition fire when their delay is up.
 */
function eventTime(context: CircuitBreakerContext, event: { type: string }): number {
  if ('at' in event && typeof event.at === 'number') return event.at;
  if (event.type.startsWith('xstate.after.halfOpenMaxWait')) {
    return (context.stats.lastStateChangeAt ?? 0) + (context.config.halfOpenMaxWait ?? 0);
  }
  return retryDueAt(context);
}

/** The window code of a SUCCESS/FAILURE event. */
function outcomeCode(event: CircuitBreakerEvent): number {
  if (event.type !== 'SUCCESS' && event.type !== 'FAILURE') return 0;
  return (event.type === 'FAILURE' ? OUTCOME_FAILURE : 0) | (event.slow ? OUTCOME_SLOW : 0);
}

/** The working counters a state starts with; stats are carried over untouched. */
function entered(context: CircuitBreakerContext, to: CircuitState, at: number) {
  const stats = { ...context.stats, lastStateChangeAt: at };
  let { openedAt, openAttempts, window } = context;
  if (to === 'open' || to === 'forcedOpen') {
    stats.timesOpened += 1;
    openedAt = at;
    if (to === 'open') openAttempts += 1;
  } else if (to === 'halfOpen') {
    stats.timesHalfOpened += 1;
  } else {
    stats.timesClosed += 1;
    stats.consecutiveFailures = 0;
    openedAt = null;
    openAttempts = 0;
    window = emptyWindow(context.config);
  }
  return {
    generation: context.generation + 1,
    openedAt,
    openAttempts,
    window,
    halfOpenInFlight: 0,
    halfOpenSuccesses: 0,
    stats,
  };
}

/**
 * The breaker as a statechart. Options come in through `input` (validated, defaults filled in);
 * the context is plain data; the machine does no I/O and reads no clock: every event carries
 * its own time (`at`). The reset timeout is the named delay `resetTimeout`, so the inspector
 * shows the pending timer.
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * import { circuitBreakerMachine } from 'xstate-circuit-breaker';
 *
 * const actor = createActor(circuitBreakerMachine, { input: { failureThreshold: 2 } }).start();
 * const { generation } = actor.getSnapshot().context;
 * actor.send({ type: 'FAILURE', at: Date.now(), generation });
 * actor.send({ type: 'FAILURE', at: Date.now(), generation });
 * actor.getSnapshot().value; // 'open'
 * ```
 */
export const circuitBreakerMachine = setup({
  types: {
    context: {} as CircuitBreakerContext,
    input: {} as CircuitBreakerInput | undefined,
    events: {} as CircuitBreakerEvent,
    emitted: {} as CircuitBreakerEmitted,
  },
  delays: {
    resetTimeout: ({ context }) => context.openTimeout,
    // Off means no limit; the guard `hasHalfOpenMaxWait` keeps the (never-due) timer inert.
    halfOpenMaxWait: ({ context }) => context.config.halfOpenMaxWait ?? MAX_TIMEOUT_MS,
  },
  guards: {
    isLate: ({ context, event }) =>
      'generation' in event && isLateResult(context, event.generation),
    failureThresholdReached: ({ context }) =>
      reachesFailureThreshold(context.config, context.stats.consecutiveFailures + 1),
    /** The window, with this call added, passes a rate policy (failure or slow-call rate). */
    rateThresholdReached: ({ context, event }) => {
      if (context.window === null) return false;
      const at = eventTime(context, event);
      const after = recordInWindow(context.window, context.config, outcomeCode(event), at);
      return windowTrips(context.config, windowCounts(after, context.config, at));
    },
    isSlow: ({ event }) => outcomeCode(event) === OUTCOME_SLOW,
    hasHalfOpenMaxWait: ({ context }) => context.config.halfOpenMaxWait !== null,
    resetTimeoutElapsed: ({ context, event }) => eventTime(context, event) >= retryDueAt(context),
    probeSlotFree: ({ context }) => hasFreeProbeSlot(context),
    probesSucceeded: ({ context }) =>
      context.halfOpenSuccesses + 1 >= context.config.halfOpenSuccessThreshold,
    holdsProbe: ({ context, event }) =>
      'generation' in event &&
      !isLateResult(context, event.generation) &&
      context.halfOpenInFlight > 0,
  },
  actions: {
    /** Enter a new state: bump the generation, update stats, emit `stateChange` and its event. */
    changeState: enqueueActions(({ context, event, enqueue }, { from, to }: StateChange) => {
      const at = eventTime(context, event);
      const next = entered(context, to, at);
      enqueue.assign(next);
      enqueue.emit({ type: 'stateChange', from, to, at });
      if (to === 'open' || to === 'forcedOpen') {
        enqueue.emit({
          type: 'open',
          at,
          consecutiveFailures: next.stats.consecutiveFailures,
          forced: to === 'forcedOpen',
        });
      } else if (to === 'halfOpen') {
        enqueue.emit({ type: 'halfOpen', at });
      } else {
        enqueue.emit({ type: 'close', at });
      }
    }),
    /** `reset`/`forceClose` while already closed: a fresh generation with no failures. */
    restartClosed: assign(({ context }) => ({
      generation: context.generation + 1,
      openAttempts: 0,
      window: emptyWindow(context.config),
      stats: { ...context.stats, consecutiveFailures: 0 },
    })),
    countSuccess: enqueueActions(({ context, event, enqueue }, { late }: { late: boolean }) => {
      const stats = { ...context.stats, totalSuccesses: context.stats.totalSuccesses + 1 };
      if (!late) stats.consecutiveFailures = 0;
      enqueue.assign({ stats });
      enqueue.emit({ type: 'success', at: eventTime(context, event), late });
    }),
    countFailure: enqueueActions(({ context, event, enqueue }, { late }: { late: boolean }) => {
      const at = eventTime(context, event);
      const stats = {
        ...context.stats,
        totalFailures: context.stats.totalFailures + 1,
        lastFailureAt: at,
      };
      if (!late) stats.consecutiveFailures += 1;
      enqueue.assign({ stats });
      enqueue.emit({
        type: 'failure',
        at,
        late,
        error: event.type === 'FAILURE' ? event.error : undefined,
      });
    }),
    countRejection: enqueueActions(
      ({ context, event, enqueue }, { state }: { state: CircuitState }) => {
        enqueue.assign({
          stats: { ...context.stats, totalRejections: context.stats.totalRejections + 1 },
        });
        enqueue.emit({ type: 'reject', at: eventTime(context, event), state });
      },
    ),
    admitProbe: assign({ halfOpenInFlight: ({ context }) => context.halfOpenInFlight + 1 }),
    releaseProbe: assign({ halfOpenInFlight: ({ context }) => context.halfOpenInFlight - 1 }),
    /** Adds a call to the sliding window (closed state only; probes are judged on their own). */
    recordInWindow: assign({
      window: ({ context, event }) =>
        context.window === null
          ? null
          : recordInWindow(
              context.window,
              context.config,
              outcomeCode(event),
              eventTime(context, event),
            ),
    }),
    /**
     * How long this open period lasts. This default is the fixed `resetTimeout`; the service
     * provides a backoff (`resetTimeout` as a function) through `machine.provide`.
     */
    planRetry: assign({ openTimeout: ({ context }) => context.config.resetTimeout }),
    countProbeSuccess: assign({
      halfOpenInFlight: ({ context }) => context.halfOpenInFlight - 1,
      halfOpenSuccesses: ({ context }) => context.halfOpenSuccesses + 1,
    }),
    applyTally: assign(({ context, event }) => {
      if (event.type !== 'TALLY') return {};
      const { stats } = context;
      return {
        stats: {
          ...stats,
          totalSuccesses: stats.totalSuccesses + event.successes,
          totalFailures: stats.totalFailures + event.failures,
          totalRejections: stats.totalRejections + event.rejections,
          lastFailureAt: event.lastFailureAt ?? stats.lastFailureAt,
          consecutiveFailures: event.consecutiveFailures ?? stats.consecutiveFailures,
        },
        window:
          context.window !== null && event.successes > 0
            ? recordInWindow(context.window, context.config, 0, event.at, event.successes)
            : context.window,
      };
    }),
    recordCost: assign(({ context, event }) => {
      if (event.type !== 'RECORD_COST') return {};
      const { stats } = context;
      return {
        stats: {
          ...stats,
          totalInputTokens: stats.totalInputTokens + event.inputTokens,
          totalOutputTokens: stats.totalOutputTokens + event.outputTokens,
          totalEstimatedCost: stats.totalEstimatedCost + event.estimatedCost,
        },
      };
    }),
  },
}).createMachine({
  id: 'circuitBreaker',
  context: ({ input }) => {
    const config = resolveBreakerConfig(input);
    return {
      config,
      generation: 0,
      openedAt: null,
      openTimeout: config.resetTimeout,
      openAttempts: 0,
      window: emptyWindow(config),
      halfOpenInFlight: 0,
      halfOpenSuccesses: 0,
      stats: emptyStats(),
    };
  },
  initial: 'closed',
  on: {
    TALLY: { actions: 'applyTally' },
    RECORD_COST: { actions: 'recordCost' },
  },
  states: {
    closed: {
      on: {
        SUCCESS: [
          { guard: 'isLate', actions: { type: 'countSuccess', params: { late: true } } },
          {
            guard: and(['isSlow', 'rateThresholdReached']),
            target: 'open',
            actions: [
              { type: 'countSuccess', params: { late: false } },
              { type: 'changeState', params: { from: 'closed', to: 'open' } },
              'planRetry',
            ],
          },
          { actions: [{ type: 'countSuccess', params: { late: false } }, 'recordInWindow'] },
        ],
        FAILURE: [
          { guard: 'isLate', actions: { type: 'countFailure', params: { late: true } } },
          {
            guard: or(['failureThresholdReached', 'rateThresholdReached']),
            target: 'open',
            actions: [
              { type: 'countFailure', params: { late: false } },
              { type: 'changeState', params: { from: 'closed', to: 'open' } },
              'planRetry',
            ],
          },
          { actions: [{ type: 'countFailure', params: { late: false } }, 'recordInWindow'] },
        ],
        FORCE_OPEN: {
          target: 'forcedOpen',
          actions: { type: 'changeState', params: { from: 'closed', to: 'forcedOpen' } },
        },
        FORCE_CLOSE: { actions: 'restartClosed' },
        RESET: { actions: 'restartClosed' },
      },
    },
    open: {
      after: {
        resetTimeout: {
          target: 'halfOpen',
          actions: { type: 'changeState', params: { from: 'open', to: 'halfOpen' } },
        },
      },
      on: {
        REQUEST: [
          {
            guard: 'resetTimeoutElapsed',
            target: 'halfOpen',
            actions: [
              { type: 'changeState', params: { from: 'open', to: 'halfOpen' } },
              'admitProbe',
            ],
          },
          { actions: { type: 'countRejection', params: { state: 'open' } } },
        ],
        WAKE: {
          guard: 'resetTimeoutElapsed',
          target: 'halfOpen',
          actions: { type: 'changeState', params: { from: 'open', to: 'halfOpen' } },
        },
        SUCCESS: { actions: { type: 'countSuccess', params: { late: true } } },
        FAILURE: { actions: { type: 'countFailure', params: { late: true } } },
        FORCE_OPEN: {
          target: 'forcedOpen',
          actions: { type: 'changeState', params: { from: 'open', to: 'forcedOpen' } },
        },
        FORCE_CLOSE: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'open', to: 'closed' } },
        },
        RESET: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'open', to: 'closed' } },
        },
      },
    },
    halfOpen: {
      after: {
        halfOpenMaxWait: {
          guard: 'hasHalfOpenMaxWait',
          target: 'open',
          actions: [{ type: 'changeState', params: { from: 'halfOpen', to: 'open' } }, 'planRetry'],
        },
      },
      on: {
        REQUEST: [
          { guard: 'probeSlotFree', actions: 'admitProbe' },
          { actions: { type: 'countRejection', params: { state: 'halfOpen' } } },
        ],
        CANCEL: { guard: 'holdsProbe', actions: 'releaseProbe' },
        SUCCESS: [
          {
            guard: not('holdsProbe'),
            actions: { type: 'countSuccess', params: { late: true } },
          },
          {
            guard: 'probesSucceeded',
            target: 'closed',
            actions: [
              { type: 'countSuccess', params: { late: false } },
              { type: 'changeState', params: { from: 'halfOpen', to: 'closed' } },
            ],
          },
          { actions: [{ type: 'countSuccess', params: { late: false } }, 'countProbeSuccess'] },
        ],
        FAILURE: [
          {
            guard: not('holdsProbe'),
            actions: { type: 'countFailure', params: { late: true } },
          },
          {
            target: 'open',
            actions: [
              { type: 'countFailure', params: { late: false } },
              { type: 'changeState', params: { from: 'halfOpen', to: 'open' } },
              'planRetry',
            ],
          },
        ],
        FORCE_OPEN: {
          target: 'forcedOpen',
          actions: { type: 'changeState', params: { from: 'halfOpen', to: 'forcedOpen' } },
        },
        FORCE_CLOSE: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'halfOpen', to: 'closed' } },
        },
        RESET: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'halfOpen', to: 'closed' } },
        },
      },
    },
    forcedOpen: {
      on: {
        REQUEST: { actions: { type: 'countRejection', params: { state: 'forcedOpen' } } },
        SUCCESS: { actions: { type: 'countSuccess', params: { late: true } } },
        FAILURE: { actions: { type: 'countFailure', params: { late: true } } },
        FORCE_CLOSE: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'forcedOpen', to: 'closed' } },
        },
        RESET: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'forcedOpen', to: 'closed' } },
        },
      },
    },
  },
});
