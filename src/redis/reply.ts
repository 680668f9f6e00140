/** The shape of a script's JSON reply, and how it becomes a {@link SharedState}. */
import { checkInteger } from './options.js';
import type { SharedCircuitState, SharedState, SharedTransitionReason } from './store.js';

/** Outcomes not yet acknowledged by Redis, tagged with the version they were seen under. */
export interface Batch {
  seq: number;
  epoch: string;
  generation: number;
  calls: number;
  failures: number;
  slow: number;
  trailing: number;
  hadSuccess: boolean;
  vote: string;
}

/** What every script returns (JSON), and what a transition publishes. */
export interface ScriptReply {
  state: SharedCircuitState;
  generation: number;
  epoch: string;
  openUntil: number;
  now: number;
  since: number;
  attempt: number;
  reason: SharedTransitionReason;
  detail: string;
  consecutive: number;
  probes: number;
  calls: number;
  failures: number;
  slow: number;
  granted?: number;
  expiresAt?: number;
}

/** Turns a script reply (or a pub/sub message, which has the same shape) into shared state. */
export function toSharedState(reply: ScriptReply, source: SharedState['source']): SharedState {
  const openUntil = reply.openUntil > 0 ? reply.openUntil : null;
  return {
    state: reply.state,
    generation: reply.generation,
    epoch: reply.epoch,
    openUntil,
    retryIn: openUntil === null ? null : Math.max(0, openUntil - reply.now),
    now: reply.now,
    since: reply.since,
    attempt: reply.attempt,
    reason: reply.reason,
    detail: reply.detail,
    consecutiveFailures: reply.consecutive,
    probesInFlight: reply.probes,
    window: { calls: reply.calls, failures: reply.failures, slow: reply.slow },
    source,
  };
}

/** A count in an outcome batch: a non-negative integer. */
export function checkCount(option: string, value: unknown): number {
  return checkInteger(option, value, 0, Number.MAX_SAFE_INTEGER);
}
