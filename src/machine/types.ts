import type { CircuitBreakerConfig } from './options.js';
import type { WindowState } from './rules.js';

/**
 * The breaker's states, flat: `closed` lets calls through, `open` rejects them until the reset
 * timeout, `halfOpen` admits a few probes (these three are the machine's `automatic` part),
 * `forcedOpen` rejects until forced closed or reset, `disabled` admits every call and never trips.
 *
 * @example
 * ```ts
 * CIRCUIT_STATES.includes(breaker.state); // true
 * ```
 */
export const CIRCUIT_STATES = ['closed', 'open', 'halfOpen', 'forcedOpen', 'disabled'] as const;

/**
 * One of {@link CIRCUIT_STATES}.
 *
 * @example
 * ```ts
 * const state: CircuitState = breaker.state; // 'closed'
 * ```
 */
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/**
 * Why the circuit moved, one per kind of edge in the statechart:
 * - `consecutiveFailures`, `failureRate`, `slowCallRate`: a trip rule of `closed` was met;
 * - `retryAfter`: a failure said how long to stay away (the `retryAfter` option);
 * - `probeFailure`, `slowProbe`: a half-open probe failed, or succeeded too slowly;
 * - `halfOpenMaxWait`: half-open waited too long for its probes;
 * - `resetTimeout`: the open period is over (timer, or the first call after it);
 * - `probesSucceeded`: enough probes succeeded to close;
 * - `forced`, `forceClose`, `reset`, `disabled`: `forceOpen()`, `forceClose()`, `reset()`, `disable()`;
 * - `restored`: a snapshot was restored (a saved half-open comes back open and due);
 * - `remote`: another replica's change, through the shared store (a `REMOTE` event);
 * - `storeUnavailable`: the store became unreachable and `onStoreUnavailable` is `'open'` or
 *   `'closed'`.
 *
 * @example
 * ```ts
 * breaker.on('open', ({ reason }) => console.log('opened because of', reason));
 * ```
 */
export const TRANSITION_REASONS = [
  'consecutiveFailures',
  'failureRate',
  'slowCallRate',
  'retryAfter',
  'probeFailure',
  'slowProbe',
  'halfOpenMaxWait',
  'resetTimeout',
  'probesSucceeded',
  'forced',
  'forceClose',
  'reset',
  'disabled',
  'restored',
  'remote',
  'storeUnavailable',
] as const;

/**
 * One of {@link TRANSITION_REASONS}.
 *
 * @example
 * ```ts
 * const reason: TransitionReason = 'failureRate';
 * ```
 */
export type TransitionReason = (typeof TRANSITION_REASONS)[number];

/**
 * One state change: where from, where to, when (breaker clock) and why.
 *
 * @example
 * ```ts
 * const { from, to, reason } = breaker.getStats().lastTransition ?? {};
 * ```
 */
export interface StateTransition {
  from: CircuitState;
  to: CircuitState;
  at: number;
  reason: TransitionReason;
}

/**
 * The figures in force when the circuit opened: what was measured and the thresholds it was
 * measured against. Rates are `null` without a sliding window.
 *
 * @example
 * ```ts
 * breaker.on('open', ({ trip }) => console.log(trip.failureRate, '>=', trip.failureRateThreshold));
 * ```
 */
export interface TripFigures {
  /** Failures in a row, the tripping call included. */
  consecutiveFailures: number;
  /** Share of failed calls in the window, the tripping call included (null: no window). */
  failureRate: number | null;
  /** Share of slow calls in the window, the tripping call included (null: no window). */
  slowCallRate: number | null;
  /** Calls in the window, the tripping call included (0 without a window). */
  calls: number;
  failureThreshold: number | null;
  failureRateThreshold: number | null;
  slowCallRateThreshold: number | null;
  minimumThroughput: number;
  /** Milliseconds a `retryAfter` failure asked for, or null. */
  retryAfter: number | null;
}

/**
 * What the breaker measures now (resilience4j's Metrics): rates in 0..1, `null` when no window
 * is configured or it holds fewer than `minimumThroughput` calls.
 *
 * @example
 * ```ts
 * const { failureRate, bufferedCalls, notPermittedCalls } = breaker.getMetrics();
 * ```
 */
export interface BreakerMetrics {
  state: CircuitState;
  failureRate: number | null;
  slowCallRate: number | null;
  /** Calls in the sliding window (0 without one). */
  bufferedCalls: number;
  /** Failed calls in the sliding window. */
  failedCalls: number;
  /** Slow calls in the sliding window. */
  slowCalls: number;
  /** Calls turned away since the current state was entered. */
  notPermittedCalls: number;
  consecutiveFailures: number;
  /** Probes admitted in half-open and not settled yet. */
  probesInFlight: number;
  /** Clock time at which an open circuit lets a probe through, or null unless open. */
  retryAt: number | null;
  /** Whether the shared store answers (`breaker.storeStatus`); null for a breaker without one. */
  storeStatus: StoreLinkStatus | null;
}

/**
 * The states of the machine's `store` region: `standalone` (no store), `connected`, `degraded`.
 *
 * @example
 * ```ts
 * STORE_REGION_STATES.includes('degraded'); // true
 * ```
 */
export const STORE_REGION_STATES = ['standalone', 'connected', 'degraded'] as const;

/**
 * One of {@link STORE_REGION_STATES}.
 *
 * @example
 * ```ts
 * const region: StoreRegionState = 'connected';
 * ```
 */
export type StoreRegionState = (typeof STORE_REGION_STATES)[number];

/**
 * Whether a breaker's shared store answers: what `STORE_STATUS` reports.
 *
 * @example
 * ```ts
 * const status: StoreLinkStatus = 'degraded';
 * ```
 */
export type StoreLinkStatus = Exclude<StoreRegionState, 'standalone'>;

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
  /** Calls whose error `isIgnored` accepted: counted neither as success nor as failure. */
  totalIgnored: number;
  /** Failures that were `callTimeout` expiries (also counted in `totalFailures`). */
  totalTimeouts: number;
  /** Calls answered by a fallback instead of their rejection or failure. */
  totalFallbacks: number;
  /** Times the circuit entered `open` or `forcedOpen`. */
  timesOpened: number;
  /** Times the circuit entered `halfOpen`. */
  timesHalfOpened: number;
  /** Times the circuit entered `closed` from another state. */
  timesClosed: number;
  /**
   * Failures in a row among the calls of the current state: reset by a success and on every
   * state change; late results (from an earlier state) never touch it.
   */
  consecutiveFailures: number;
  /** Clock time of the most recent failure, or null. */
  lastFailureAt: number | null;
  /** Clock time of the most recent state change, or null. */
  lastStateChangeAt: number | null;
  /** The most recent state change and its reason, or null before the first. */
  lastTransition: StateTransition | null;
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
  /** Calls turned away since the current state was entered. */
  notPermittedCalls: number;
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
  /**
   * A call that began in `generation` failed with `error`. `timeout`: it was a call timeout.
   * `retryAfter`: the error asked to stay away this many ms, which opens the circuit at once.
   */
  | {
      type: 'FAILURE';
      at: number;
      generation: number;
      error?: unknown;
      slow?: boolean;
      timeout?: boolean;
      retryAfter?: number;
    }
  /** A call that began in `generation` was cancelled by its caller: it counts neither way. */
  | { type: 'CANCEL'; generation: number }
  /** A call that began in `generation` failed with an ignored error: counted as ignored only. */
  | { type: 'IGNORE'; generation: number }
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
      /** When the tally was taken. */
      at: number;
      /**
       * The folded calls the sliding window records, in order, as runs of three numbers:
       * outcome code, time, and how many calls in a row (empty without a window).
       */
      outcomes: number[];
      successes: number;
      failures: number;
      rejections: number;
      ignored: number;
      timeouts: number;
      fallbacks: number;
      lastFailureAt: number | null;
      /** The consecutive-failure count after the folded outcomes, or null when untouched. */
      consecutiveFailures: number | null;
    }
  /** Adds token usage and cost to the stats. */
  | { type: 'RECORD_COST'; inputTokens: number; outputTokens: number; estimatedCost: number }
  /**
   * Open the circuit by hand: held (`forcedOpen`) until `FORCE_CLOSE` or `RESET`, or with `for`
   * open for that many ms and then half-open as usual.
   */
  | { type: 'FORCE_OPEN'; at: number; for?: number }
  /** Admit every call and keep counting, never trip, until `FORCE_CLOSE` or `RESET`. */
  | { type: 'DISABLE'; at: number }
  /** Close the circuit and clear the failure count. */
  | { type: 'FORCE_CLOSE'; at: number }
  /** Close the circuit and zero its working counters; stats are kept. */
  | { type: 'RESET'; at: number }
  /** The shared store answers again (`connected`) or stopped answering (`degraded`). */
  | { type: 'STORE_STATUS'; at: number; status: StoreLinkStatus }
  /**
   * A newer shared state, from another replica's change (the store drops stale ones). `open`
   * (and a timed `forcedOpen`) arms the open timer for `retryIn` ms, measured by the store, not
   * by this replica's clock. `reason` and `detail` are the shared circuit's own.
   */
  | {
      type: 'REMOTE';
      at: number;
      state: CircuitState;
      /** Ms until the shared circuit admits probes, or null when it has no deadline. */
      retryIn: number | null;
      reason: string;
      detail?: string;
    };

/**
 * Events the machine emits (`actor.on(type, listener)`), also offered by `CircuitBreaker.on`.
 *
 * @example
 * ```ts
 * actor.on('open', ({ at, consecutiveFailures }) => console.log('opened', at, consecutiveFailures));
 * ```
 */
export type CircuitBreakerEmitted =
  | ({ type: 'stateChange' } & StateTransition)
  | {
      type: 'open';
      at: number;
      reason: TransitionReason;
      /** Opened by hand (`forceOpen`). */
      forced: boolean;
      /** Failures in a row when it opened (the same as `trip.consecutiveFailures`). */
      consecutiveFailures: number;
      trip: TripFigures;
    }
  | { type: 'halfOpen'; at: number; reason: TransitionReason }
  | { type: 'close'; at: number; reason: TransitionReason }
  | { type: 'success'; at: number; late: boolean }
  | { type: 'failure'; at: number; late: boolean; error: unknown }
  | { type: 'reject'; at: number; state: CircuitState }
  /** The shared store stopped answering (`degraded`) or answers again (`connected`). */
  | { type: 'storeStatus'; at: number; status: StoreLinkStatus; from: StoreLinkStatus };
