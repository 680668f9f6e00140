import type { CircuitBreakerConfig } from './options.js';
import type { WindowState } from './rules.js';

/**
 * The four states of the breaker: `closed` lets calls through, `open` rejects them until the
 * reset timeout, `halfOpen` admits a few probes, `forcedOpen` rejects until forced closed.
 *
 * @example
 * ```ts
 * const state: CircuitState = breaker.state; // 'closed'
 * ```
 */
export type CircuitState = 'closed' | 'open' | 'halfOpen' | 'forcedOpen';

/**
 * Counters of everything the breaker has seen. Timestamps come from the breaker's clock.
 *
 * @example
 * ```ts
 * const { totalFailures, timesOpened } = breaker.getStats();
 * ```
 */
export interface CircuitBreakerStats {
  /** Calls that succeeded (late ones included). */
  totalSuccesses: number;
  /** Calls that failed (late ones included). */
  totalFailures: number;
  /** Calls turned away without running, and `canExecute()` answers of `false`. */
  totalRejections: number;
  /** Times the circuit entered `open` or `forcedOpen`. */
  timesOpened: number;
  /** Times the circuit entered `halfOpen`. */
  timesHalfOpened: number;
  /** Times the circuit entered `closed` from another state. */
  timesClosed: number;
  /** Failures since the last success (late results excluded). */
  consecutiveFailures: number;
  /** Clock time of the most recent failure, or null. */
  lastFailureAt: number | null;
  /** Clock time of the most recent state change, or null. */
  lastStateChangeAt: number | null;
  /** Sum of `inputTokens` given to `recordCost`. */
  totalInputTokens: number;
  /** Sum of `outputTokens` given to `recordCost`. */
  totalOutputTokens: number;
  /** Sum of `estimatedCost` given to `recordCost`. */
  totalEstimatedCost: number;
}

/**
 * The machine's context: plain, serializable data only, so it can be persisted or shared.
 *
 * @example
 * ```ts
 * const { generation, stats } = breaker.actor.getSnapshot().context;
 * ```
 */
export interface CircuitBreakerContext {
  /** The validated options. */
  config: CircuitBreakerConfig;
  /**
   * Bumped on every state entry. A result carries the generation it started in; one from an
   * older generation is late and can never move the machine (as gobreaker does).
   */
  generation: number;
  /** Clock time the circuit last opened, or null when not open. */
  openedAt: number | null;
  /** Milliseconds the current open period lasts (the reset timeout, or the backoff's answer). */
  openTimeout: number;
  /** Openings since the circuit last closed: the `attempt` a backoff sees. */
  openAttempts: number;
  /** The sliding window of the rate policies, or null when none is configured. */
  window: WindowState | null;
  /** Probes admitted in the current `halfOpen` and not yet settled. */
  halfOpenInFlight: number;
  /** Probe successes in the current `halfOpen`. */
  halfOpenSuccesses: number;
  /** Running counters. */
  stats: CircuitBreakerStats;
}

/**
 * Events the breaker machine accepts. Every event that happens at a moment carries `at`, the
 * breaker clock's time, stamped by the sender: the machine itself never reads a clock.
 *
 * @example
 * ```ts
 * actor.send({ type: 'FAILURE', at: Date.now(), generation: actor.getSnapshot().context.generation });
 * ```
 */
export type CircuitBreakerEvent =
  /** A call that began in `generation` succeeded (`slow`: it took at least `slowCallDuration`). */
  | { type: 'SUCCESS'; at: number; generation: number; slow?: boolean }
  /** A call that began in `generation` failed with `error`. */
  | { type: 'FAILURE'; at: number; generation: number; error?: unknown; slow?: boolean }
  /** A call that began in `generation` was cancelled by its caller: it counts neither way. */
  | { type: 'CANCEL'; generation: number }
  /**
   * Someone wants to run a call: admitted in `closed`, takes a probe slot in `halfOpen` (moving
   * there first from `open` if the reset timeout has passed), otherwise counted as a rejection.
   */
  | { type: 'REQUEST'; at: number }
  /**
   * The reset timeout may have passed: `open` moves to `halfOpen` if it has. Sent by whoever
   * restored an open breaker from a snapshot, since XState does not persist pending timers.
   */
  | { type: 'WAKE'; at: number }
  /** Counts folded by the service since the last event (see `CircuitBreaker`). */
  | {
      type: 'TALLY';
      /** Time of the folded successes (all in one time-window bucket). */
      at: number;
      successes: number;
      failures: number;
      rejections: number;
      lastFailureAt: number | null;
      /** The consecutive-failure count after the folded outcomes, or null when untouched. */
      consecutiveFailures: number | null;
    }
  /** Adds token usage and cost to the stats. */
  | { type: 'RECORD_COST'; inputTokens: number; outputTokens: number; estimatedCost: number }
  /** Hold the circuit open until `FORCE_CLOSE` or `RESET`. */
  | { type: 'FORCE_OPEN'; at: number }
  /** Close the circuit and clear the failure count. */
  | { type: 'FORCE_CLOSE'; at: number }
  /** Close the circuit and zero its working counters; stats are kept. */
  | { type: 'RESET'; at: number };

/**
 * Events the machine emits (`actor.on(type, listener)`), also offered by `CircuitBreaker.on`.
 *
 * @example
 * ```ts
 * actor.on('open', ({ at, consecutiveFailures }) => console.log('opened', at, consecutiveFailures));
 * ```
 */
export type CircuitBreakerEmitted =
  | { type: 'stateChange'; from: CircuitState; to: CircuitState; at: number }
  | { type: 'open'; at: number; consecutiveFailures: number; forced: boolean }
  | { type: 'halfOpen'; at: number }
  | { type: 'close'; at: number }
  | { type: 'success'; at: number; late: boolean }
  | { type: 'failure'; at: number; late: boolean; error: unknown }
  | { type: 'reject'; at: number; state: CircuitState };
