import { assign, enqueueActions, or, setup } from 'xstate';
import { type CircuitBreakerInput, resolveBreakerConfig } from './options.js';
import {
  emptyStats,
  hasFreeProbeSlot,
  isLateResult,
  reachesFailureThreshold,
  retryDueAt,
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
 * When an event happened. Events the service sends carry `at`; the only event without it is the
 * reset-timeout timer, which by definition fires at `openedAt + resetTimeout`.
 */
function eventTime(context: CircuitBreakerContext, event: { type: string }): number {
  return 'at' in event && typeof event.at === 'number' ? event.at : retryDueAt(context);
}

/** The working counters a state starts with; stats are carried over untouched. */
function entered(context: CircuitBreakerContext, to: CircuitState, at: number) {
  const stats = { ...context.stats, lastStateChangeAt: at };
  let openedAt = context.openedAt;
  if (to === 'open' || to === 'forcedOpen') {
    stats.timesOpened += 1;
    openedAt = at;
  } else if (to === 'halfOpen') {
    stats.timesHalfOpened += 1;
  } else {
    stats.timesClosed += 1;
    stats.consecutiveFailures = 0;
    openedAt = null;
  }
  return {
    generation: context.generation + 1,
    openedAt,
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
    resetTimeout: ({ context }) => context.config.resetTimeout,
  },
  guards: {
    isLate: ({ context, event }) =>
      'generation' in event && isLateResult(context, event.generation),
    noProbeInFlight: ({ context }) => context.halfOpenInFlight === 0,
    failureThresholdReached: ({ context }) =>
      reachesFailureThreshold(context.config, context.stats.consecutiveFailures + 1),
    resetTimeoutElapsed: ({ context, event }) => eventTime(context, event) >= retryDueAt(context),
    probeSlotFree: ({ context }) => hasFreeProbeSlot(context),
    probesSucceeded: ({ context }) =>
      context.halfOpenSuccesses + 1 >= context.config.halfOpenMaxCalls,
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
  context: ({ input }) => ({
    config: resolveBreakerConfig(input),
    generation: 0,
    openedAt: null,
    halfOpenInFlight: 0,
    halfOpenSuccesses: 0,
    stats: emptyStats(),
  }),
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
          { actions: { type: 'countSuccess', params: { late: false } } },
        ],
        FAILURE: [
          { guard: 'isLate', actions: { type: 'countFailure', params: { late: true } } },
          {
            guard: 'failureThresholdReached',
            target: 'open',
            actions: [
              { type: 'countFailure', params: { late: false } },
              { type: 'changeState', params: { from: 'closed', to: 'open' } },
            ],
          },
          { actions: { type: 'countFailure', params: { late: false } } },
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
      on: {
        REQUEST: [
          { guard: 'probeSlotFree', actions: 'admitProbe' },
          { actions: { type: 'countRejection', params: { state: 'halfOpen' } } },
        ],
        SUCCESS: [
          {
            guard: or(['isLate', 'noProbeInFlight']),
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
            guard: or(['isLate', 'noProbeInFlight']),
            actions: { type: 'countFailure', params: { late: true } },
          },
          {
            target: 'open',
            actions: [
              { type: 'countFailure', params: { late: false } },
              { type: 'changeState', params: { from: 'halfOpen', to: 'open' } },
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
