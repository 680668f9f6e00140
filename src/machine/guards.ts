/**
 * The machine's named guards, one per question a transition asks. Each reads only the context
 * and the event, and decides through the pure rules of `rules.ts`, which the service's fold
 * calls too: one rule, one place.
 */

import { currentState } from './context.js';
import {
  countsWith,
  failureRateExceeded,
  hasFreeProbeSlot,
  isLateResult,
  OUTCOME_FAILURE,
  OUTCOME_SLOW,
  reachesFailureThreshold,
  retryDueAt,
  slowCallRateExceeded,
} from './rules.js';
import type { CircuitBreakerContext, CircuitBreakerEvent, CircuitState } from './types.js';

interface GuardArgs {
  context: CircuitBreakerContext;
  event: CircuitBreakerEvent;
}

/**
 * When an event happened. Events the service sends carry `at`; the only events without it are
 * the timers (`xstate.after.<delay>...`), which by definition fire when their delay is up.
 */
export function eventTime(context: CircuitBreakerContext, event: { type: string }): number {
  if ('at' in event && typeof event.at === 'number') return event.at;
  if (event.type.startsWith('xstate.after.halfOpenMaxWait')) {
    return (context.stats.lastStateChangeAt ?? 0) + (context.config.halfOpenMaxWait ?? 0);
  }
  return retryDueAt(context);
}

/** The window code of a SUCCESS/FAILURE event. */
export function outcomeCode(event: CircuitBreakerEvent): number {
  const slow = 'slow' in event && event.slow === true;
  return (event.type === 'FAILURE' ? OUTCOME_FAILURE : 0) | (slow ? OUTCOME_SLOW : 0);
}

/** A result of a call that began in the current state (not a late one). */
function isCurrent({ context, event }: GuardArgs): boolean {
  return 'generation' in event && !isLateResult(context, event.generation);
}

/** A current result that holds one of half-open's probe slots. */
function holdsProbe(args: GuardArgs): boolean {
  return isCurrent(args) && args.context.halfOpenInFlight > 0;
}

/** The window as it would be with this call added (null without a window). */
function windowWithThisCall({ context, event }: GuardArgs) {
  return countsWith(context, outcomeCode(event), eventTime(context, event));
}

/** A `REMOTE` event that brings the shared `state`, and the circuit is not in it already. */
function remoteMovesTo(state: CircuitState, { context, event }: GuardArgs): boolean {
  return event.type === 'REMOTE' && event.state === state && currentState(context) !== state;
}

/** A `STORE_STATUS` saying the store stopped answering, under this `onStoreUnavailable`. */
function storeLostUnder(policy: 'open' | 'closed', { context, event }: GuardArgs): boolean {
  return (
    event.type === 'STORE_STATUS' &&
    event.status === 'degraded' &&
    context.config.onStoreUnavailable === policy
  );
}

export const guards = {
  isCurrent,
  holdsProbe,
  /** The failure asked to stay away for a while (`retryAfter`): open at once, for that long. */
  retryAfterGiven: (args: GuardArgs) =>
    isCurrent(args) && args.event.type === 'FAILURE' && args.event.retryAfter !== undefined,
  /** This failure makes `failureThreshold` failures in a row. */
  consecutiveFailuresReached: (args: GuardArgs) =>
    isCurrent(args) &&
    reachesFailureThreshold(args.context.config, args.context.stats.consecutiveFailures + 1),
  /** With this call the window's failure rate reaches `failureRateThreshold`. */
  failureRateReached: (args: GuardArgs) => {
    const counts = isCurrent(args) ? windowWithThisCall(args) : null;
    return counts !== null && failureRateExceeded(args.context.config, counts);
  },
  /** With this (slow) call the window's slow-call rate reaches `slowCallRateThreshold`. */
  slowCallRateReached: (args: GuardArgs) => {
    if (!(outcomeCode(args.event) & OUTCOME_SLOW)) return false;
    const counts = isCurrent(args) ? windowWithThisCall(args) : null;
    return counts !== null && slowCallRateExceeded(args.context.config, counts);
  },
  /** A probe failed. */
  probeFailed: (args: GuardArgs) => holdsProbe(args),
  /** A probe succeeded, but slowly, under a slow-call policy: it counts against closing. */
  slowProbe: (args: GuardArgs) =>
    holdsProbe(args) &&
    args.context.config.slowCallRateThreshold !== null &&
    (outcomeCode(args.event) & OUTCOME_SLOW) !== 0,
  /** This probe success is the last one `halfOpenSuccessThreshold` asks for. */
  probesSucceeded: (args: GuardArgs) =>
    holdsProbe(args) &&
    args.context.halfOpenSuccesses + 1 >= args.context.config.halfOpenSuccessThreshold,
  probeSlotFree: ({ context }: GuardArgs) => hasFreeProbeSlot(context),
  /** The open period is over at the event's time, even if its timer is late. */
  resetTimeoutElapsed: ({ context, event }: GuardArgs) =>
    eventTime(context, event) >= retryDueAt(context),
  hasHalfOpenMaxWait: ({ context }: GuardArgs) => context.config.halfOpenMaxWait !== null,
  /** `forceOpen({ for })`: open for a while rather than held. */
  forOpenPeriod: ({ event }: GuardArgs) => event.type === 'FORCE_OPEN' && event.for !== undefined,
  /**
   * The shared circuit opened (or was forced open for a while): open here too, until the
   * shared deadline. Taken even when already open, so the shared deadline replaces a local one.
   */
  remoteOpened: ({ event }: GuardArgs) =>
    event.type === 'REMOTE' &&
    (event.state === 'open' || (event.state === 'forcedOpen' && event.retryIn !== null)),
  remoteHalfOpened: (args: GuardArgs) => remoteMovesTo('halfOpen', args),
  remoteClosed: (args: GuardArgs) => remoteMovesTo('closed', args),
  /** The shared circuit is held open by hand (no deadline). */
  remoteForcedOpen: (args: GuardArgs) =>
    args.event.type === 'REMOTE' &&
    args.event.retryIn === null &&
    remoteMovesTo('forcedOpen', args),
  remoteDisabled: (args: GuardArgs) => remoteMovesTo('disabled', args),
  /** The store stopped answering and `onStoreUnavailable` is `'open'`: reject every call. */
  storeLostOpens: (args: GuardArgs) => storeLostUnder('open', args),
  /** The store stopped answering and `onStoreUnavailable` is `'closed'`: admit every call. */
  storeLostCloses: (args: GuardArgs) => storeLostUnder('closed', args),
  storeDegraded: ({ event }: GuardArgs) =>
    event.type === 'STORE_STATUS' && event.status === 'degraded',
  storeConnected: ({ event }: GuardArgs) =>
    event.type === 'STORE_STATUS' && event.status === 'connected',
};
