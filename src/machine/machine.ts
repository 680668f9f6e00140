import { assign, emit, enqueueActions, setup } from 'xstate';
import {
  announcements,
  countedFailure,
  countedSuccess,
  currentState,
  entered,
  initialContext,
  tallied,
} from './context.js';
import { eventTime, guards, outcomeCode } from './guards.js';
import { type CircuitBreakerInput, MAX_TIMEOUT_MS } from './options.js';
import { cloneWindow, pushOutcome, recordInWindow } from './rules.js';
import type {
  CircuitBreakerContext,
  CircuitBreakerEmitted,
  CircuitBreakerEvent,
  CircuitState,
  TransitionReason,
} from './types.js';

/** Parameters of the `changeState` action: the edge being taken and why. */
interface StateChange {
  to: CircuitState;
  reason: TransitionReason;
}

/** `changeState` to `to` because of `reason`, as written on a transition. */
function move(to: CircuitState, reason: TransitionReason) {
  return { type: 'changeState', params: { to, reason } } as const;
}

/**
 * The breaker as a statechart. Options come in through `input` (validated, defaults filled in);
 * the context is plain data; the machine does no I/O and reads no clock: every event carries
 * its own time (`at`). The root is parallel: the region `circuit` holds the breaker's states
 * (the automatic ones, `closed`, `open`, `halfOpen`, in the compound state `automatic`; the
 * manual controls, a shared store's `REMOTE` changes and `onStoreUnavailable` are transitions
 * of the whole region, drawn once), the region `store` whether a shared store answers
 * (`standalone` without one, `connected`, `degraded`).
 * Every edge that opens the circuit is guarded by the rule that decided it, and the same name
 * is the `reason` the transition reports. The reset timeout is the named delay `resetTimeout`,
 * so an inspector shows the pending timer. Results nobody in the current state is waiting for
 * (late ones, or reported while open) fall through to the machine's own handlers, which only
 * count them.
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * import { circuitBreakerMachine, circuitStateOf } from 'xstate-circuit-breaker';
 *
 * const actor = createActor(circuitBreakerMachine, { input: { failureThreshold: 2 } }).start();
 * const { generation } = actor.getSnapshot().context;
 * actor.send({ type: 'FAILURE', at: Date.now(), generation });
 * actor.send({ type: 'FAILURE', at: Date.now(), generation });
 * circuitStateOf(actor.getSnapshot().value); // 'open' (value: { circuit: { automatic: 'open' }, store: 'standalone' })
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
  guards,
  actions: {
    /** Enter a state: new generation, fresh counters, then announce the move (if it is one). */
    changeState: enqueueActions(({ context, event, enqueue }, { to, reason }: StateChange) => {
      const { next, transition } = entered(context, to, reason, eventTime(context, event));
      enqueue.assign(next);
      if (transition === null) return;
      for (const emitted of announcements(context, transition, event)) enqueue.emit(emitted);
    }),
    /** A success of a call of this state. */
    countSuccess: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ stats: countedSuccess(context, true) });
      enqueue.emit({ type: 'success', at: eventTime(context, event), late: false });
    }),
    /** A success nobody in this state waits for: counted in the totals only. */
    countLateSuccess: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ stats: countedSuccess(context, false) });
      enqueue.emit({ type: 'success', at: eventTime(context, event), late: true });
    }),
    countFailure: enqueueActions(({ context, event, enqueue }) => {
      const at = eventTime(context, event);
      enqueue.assign({ stats: countedFailure(context, event, at, true) });
      const error = event.type === 'FAILURE' ? event.error : undefined;
      enqueue.emit({ type: 'failure', at, late: false, error });
    }),
    countLateFailure: enqueueActions(({ context, event, enqueue }) => {
      const at = eventTime(context, event);
      enqueue.assign({ stats: countedFailure(context, event, at, false) });
      const error = event.type === 'FAILURE' ? event.error : undefined;
      enqueue.emit({ type: 'failure', at, late: true, error });
    }),
    countIgnored: assign({
      stats: ({ context }) => ({ ...context.stats, totalIgnored: context.stats.totalIgnored + 1 }),
    }),
    countRejection: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({
        notPermittedCalls: context.notPermittedCalls + 1,
        stats: { ...context.stats, totalRejections: context.stats.totalRejections + 1 },
      });
      enqueue.emit({ type: 'reject', at: eventTime(context, event), state: currentState(context) });
    }),
    admitProbe: assign({ halfOpenInFlight: ({ context }) => context.halfOpenInFlight + 1 }),
    releaseProbe: assign({ halfOpenInFlight: ({ context }) => context.halfOpenInFlight - 1 }),
    countProbeSuccess: assign({
      halfOpenInFlight: ({ context }) => context.halfOpenInFlight - 1,
      halfOpenSuccesses: ({ context }) => context.halfOpenSuccesses + 1,
    }),
    /** Adds a call to the sliding window (closed and disabled; probes are judged on their own). */
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
    /** The open period the event asked for: a failure's `retryAfter`, `forceOpen`'s `for`. */
    openForRequestedPeriod: assign({
      openTimeout: ({ context, event }) => {
        const asked =
          event.type === 'FAILURE'
            ? event.retryAfter
            : event.type === 'FORCE_OPEN'
              ? event.for
              : undefined;
        return Math.min(asked ?? context.openTimeout, MAX_TIMEOUT_MS);
      },
    }),
    /** The open period the shared circuit has left (`REMOTE`'s `retryIn`, measured by the store). */
    openForRemotePeriod: assign({
      openTimeout: ({ context, event }) =>
        event.type === 'REMOTE' && event.retryIn !== null
          ? Math.min(event.retryIn, MAX_TIMEOUT_MS)
          : context.config.resetTimeout,
    }),
    /** The store's status changed between `connected` and `degraded`. */
    announceStoreStatus: emit(({ context, event }) => {
      const status = event.type === 'STORE_STATUS' ? event.status : 'connected';
      const from = status === 'connected' ? 'degraded' : 'connected';
      return { type: 'storeStatus' as const, at: eventTime(context, event), status, from };
    }),
    applyTally: assign(({ context, event }) => {
      if (event.type !== 'TALLY') return {};
      const next = tallied(context, event);
      const { outcomes } = event;
      if (context.window !== null && outcomes.length > 0) {
        // Replayed through the same rule the folder pushed them through, in the same order.
        const window = cloneWindow(context.window);
        for (let i = 0; i + 2 < outcomes.length; i += 3) {
          pushOutcome(
            window,
            context.config,
            outcomes[i] ?? 0,
            outcomes[i + 1] ?? 0,
            outcomes[i + 2],
          );
        }
        next.window = window;
      }
      return next;
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
  context: ({ input }) => initialContext(input),
  type: 'parallel',
  states: {
    circuit: {
      initial: 'automatic',
      on: {
        // What no state handles itself is only counted: results nobody waits for, turned-away calls.
        SUCCESS: { actions: 'countLateSuccess' },
        FAILURE: { actions: 'countLateFailure' },
        IGNORE: { actions: 'countIgnored' },
        REQUEST: { actions: 'countRejection' },
        TALLY: { actions: 'applyTally' },
        RECORD_COST: { actions: 'recordCost' },
        // The manual controls, from any state.
        FORCE_OPEN: [
          {
            guard: 'forOpenPeriod',
            target: '.automatic.open',
            actions: ['openForRequestedPeriod', move('open', 'forced')],
          },
          { target: '.forcedOpen', actions: move('forcedOpen', 'forced') },
        ],
        FORCE_CLOSE: { target: '.automatic', actions: move('closed', 'forceClose') },
        RESET: { target: '.automatic', actions: move('closed', 'reset') },
        DISABLE: { target: '.disabled', actions: move('disabled', 'disabled') },
        // Another replica's change, through the store: the shared state is taken as it is.
        REMOTE: [
          {
            guard: 'remoteOpened',
            target: '.automatic.open',
            actions: ['openForRemotePeriod', move('open', 'remote')],
          },
          {
            guard: 'remoteHalfOpened',
            target: '.automatic.halfOpen',
            actions: move('halfOpen', 'remote'),
          },
          { guard: 'remoteClosed', target: '.automatic', actions: move('closed', 'remote') },
          {
            guard: 'remoteForcedOpen',
            target: '.forcedOpen',
            actions: move('forcedOpen', 'remote'),
          },
          { guard: 'remoteDisabled', target: '.disabled', actions: move('disabled', 'remote') },
        ],
        // The store region turns degraded: `onStoreUnavailable` says whether calls stop or all pass.
        STORE_STATUS: [
          {
            guard: 'storeLostOpens',
            target: '.forcedOpen',
            actions: move('forcedOpen', 'storeUnavailable'),
          },
          {
            guard: 'storeLostCloses',
            target: '.disabled',
            actions: move('disabled', 'storeUnavailable'),
          },
        ],
      },
      states: {
        automatic: {
          initial: 'closed',
          states: {
            closed: {
              on: {
                FAILURE: [
                  {
                    guard: 'retryAfterGiven',
                    target: 'open',
                    actions: [
                      'countFailure',
                      'recordInWindow',
                      'openForRequestedPeriod',
                      move('open', 'retryAfter'),
                    ],
                  },
                  {
                    guard: 'consecutiveFailuresReached',
                    target: 'open',
                    actions: [
                      'countFailure',
                      'recordInWindow',
                      move('open', 'consecutiveFailures'),
                      'planRetry',
                    ],
                  },
                  {
                    guard: 'failureRateReached',
                    target: 'open',
                    actions: [
                      'countFailure',
                      'recordInWindow',
                      move('open', 'failureRate'),
                      'planRetry',
                    ],
                  },
                  {
                    guard: 'slowCallRateReached',
                    target: 'open',
                    actions: [
                      'countFailure',
                      'recordInWindow',
                      move('open', 'slowCallRate'),
                      'planRetry',
                    ],
                  },
                  { guard: 'isCurrent', actions: ['countFailure', 'recordInWindow'] },
                ],
                SUCCESS: [
                  {
                    guard: 'slowCallRateReached',
                    target: 'open',
                    actions: [
                      'countSuccess',
                      'recordInWindow',
                      move('open', 'slowCallRate'),
                      'planRetry',
                    ],
                  },
                  { guard: 'isCurrent', actions: ['countSuccess', 'recordInWindow'] },
                ],
                REQUEST: {},
              },
            },
            open: {
              after: {
                resetTimeout: { target: 'halfOpen', actions: move('halfOpen', 'resetTimeout') },
              },
              on: {
                REQUEST: {
                  guard: 'resetTimeoutElapsed',
                  target: 'halfOpen',
                  actions: [move('halfOpen', 'resetTimeout'), 'admitProbe'],
                },
                // Sent after a restore from a snapshot: XState does not persist pending timers.
                WAKE: {
                  guard: 'resetTimeoutElapsed',
                  target: 'halfOpen',
                  actions: move('halfOpen', 'resetTimeout'),
                },
              },
            },
            halfOpen: {
              after: {
                halfOpenMaxWait: {
                  guard: 'hasHalfOpenMaxWait',
                  target: 'open',
                  actions: [move('open', 'halfOpenMaxWait'), 'planRetry'],
                },
              },
              on: {
                REQUEST: { guard: 'probeSlotFree', actions: 'admitProbe' },
                CANCEL: { guard: 'holdsProbe', actions: 'releaseProbe' },
                IGNORE: { guard: 'holdsProbe', actions: ['releaseProbe', 'countIgnored'] },
                SUCCESS: [
                  {
                    guard: 'slowProbe',
                    target: 'open',
                    actions: ['countSuccess', move('open', 'slowProbe'), 'planRetry'],
                  },
                  {
                    guard: 'probesSucceeded',
                    target: 'closed',
                    actions: ['countSuccess', move('closed', 'probesSucceeded')],
                  },
                  { guard: 'holdsProbe', actions: ['countSuccess', 'countProbeSuccess'] },
                ],
                FAILURE: [
                  {
                    guard: 'retryAfterGiven',
                    target: 'open',
                    actions: ['countFailure', 'openForRequestedPeriod', move('open', 'retryAfter')],
                  },
                  {
                    guard: 'probeFailed',
                    target: 'open',
                    actions: ['countFailure', move('open', 'probeFailure'), 'planRetry'],
                  },
                ],
              },
            },
          },
        },
        forcedOpen: {},
        disabled: {
          on: {
            SUCCESS: { guard: 'isCurrent', actions: ['countSuccess', 'recordInWindow'] },
            FAILURE: { guard: 'isCurrent', actions: ['countFailure', 'recordInWindow'] },
            REQUEST: {},
          },
        },
      },
    },
    // Whether the shared store answers; a breaker without one stays `standalone`.
    store: {
      initial: 'standalone',
      states: {
        standalone: {
          on: {
            STORE_STATUS: [{ guard: 'storeDegraded', target: 'degraded' }, { target: 'connected' }],
          },
        },
        connected: {
          on: {
            STORE_STATUS: {
              guard: 'storeDegraded',
              target: 'degraded',
              actions: 'announceStoreStatus',
            },
          },
        },
        degraded: {
          on: {
            STORE_STATUS: {
              guard: 'storeConnected',
              target: 'connected',
              actions: 'announceStoreStatus',
            },
          },
        },
      },
    },
  },
});
