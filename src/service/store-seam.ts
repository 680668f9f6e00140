/**
 * The seam between a breaker and shared state: what the `CircuitBreaker` `store` option talks to.
 * Types only, so the core never loads a store's code; `redisStore()` from
 * `xstate-circuit-breaker/redis` is one implementation, and `src/service/store-link.ts` is the
 * breaker's side of it:
 * - closed: outcomes are counted locally as always; the link hands the deltas of the breaker's
 *   counters to `report()` on the store's flush cadence (never per call), with `tripped` at once
 *   when the local rule trips;
 * - `onState`: a newer shared state becomes a machine `REMOTE` event (reason `remote`); an open
 *   timer is armed from `retryIn`, never from a local clock;
 * - half-open: `acquireProbe()` before a probe runs, `settleProbe(lease, ok)` with its outcome,
 *   `releaseProbe(lease)` when it counts neither way (cancelled, an ignored error); a denied
 *   probe is rejected like any call while open;
 * - `forceOpen`/`forceClose`/`reset`/`disable` also call `command()`;
 * - `onStatus`: a machine `STORE_STATUS` event; the machine applies `onStoreUnavailable`.
 */

/**
 * The states of a shared circuit, with the same names as a breaker's `state`.
 *
 * @example
 * ```ts
 * const state: SharedCircuitState = 'halfOpen';
 * ```
 */
export type SharedCircuitState = 'closed' | 'open' | 'halfOpen' | 'forcedOpen' | 'disabled';

/**
 * Why the shared circuit last changed state. `'created'` marks a circuit that has never moved
 * (a new key, or a Redis that lost its data); the others match a breaker's transition reasons.
 *
 * @example
 * ```ts
 * const reason: SharedTransitionReason = 'failureRate';
 * ```
 */
export type SharedTransitionReason =
  | 'created'
  | 'consecutiveFailures'
  | 'failureRate'
  | 'slowCallRate'
  | 'probeFailure'
  | 'forced'
  | 'resetTimeout'
  | 'probesSucceeded'
  | 'forceClose'
  | 'reset'
  | 'disabled';

/**
 * The shared truth about one circuit, as the store last saw it. Times are Redis times
 * (`redis.call('TIME')`, ms since the epoch); use {@link SharedState.retryIn}, a relative delay
 * measured on Redis' clock, to arm a local timer, never `openUntil - Date.now()`.
 *
 * @example
 * ```ts
 * declare const shared: SharedState;
 * if (shared.state === 'open') setTimeout(() => {}, shared.retryIn ?? 0).unref();
 * ```
 */
export interface SharedState {
  state: SharedCircuitState;
  /** Grows by one on every transition; with `epoch` it orders every version of the circuit. */
  generation: number;
  /** Names one life of the key: it changes when the key was lost (expired, or Redis restarted). */
  epoch: string;
  /** Redis time at which `open` (or a timed `forcedOpen`) admits probes; `null` otherwise. */
  openUntil: number | null;
  /** Milliseconds from Redis' `now` to `openUntil` (0 once due); `null` when there is no deadline. */
  retryIn: number | null;
  /** Redis time at which this state was read. */
  now: number;
  /** Redis time of the last transition. */
  since: number;
  /** Reopenings since the circuit last closed (drives the open period's backoff). */
  attempt: number;
  reason: SharedTransitionReason;
  /** The text given with a manual command, or a note such as `quorum 2/2`; `''` when none. */
  detail: string;
  /** Consecutive failures as all replicas reported them (see the README on how they combine). */
  consecutiveFailures: number;
  /** Probe leases held right now, cluster-wide. */
  probesInFlight: number;
  /** Calls, failures and slow calls in the shared time window, all replicas together. */
  window: { calls: number; failures: number; slow: number };
  /** Where this version came from: a reply to one of our commands, or another replica's message. */
  source: 'reply' | 'message';
}

/**
 * Whether the store reached Redis on its last attempt. `degraded` means commands are failing or
 * timing out, or the store's pub/sub connection dropped (Redis went away, say to restart); the
 * breaker then decides locally until a command succeeds again (`connected`).
 *
 * @example
 * ```ts
 * const status: StoreStatus = 'degraded';
 * ```
 */
export type StoreStatus = 'connected' | 'degraded';

/**
 * Local outcomes to add to the shared window. Counts are batched locally and flushed together.
 *
 * @example
 * ```ts
 * const batch: OutcomeBatch = { successes: 8, failures: 2, slow: 1, trailingFailures: 2 };
 * ```
 */
export interface OutcomeBatch {
  successes: number;
  failures: number;
  /** Calls (successful or not) that were slow. Default 0. */
  slow?: number;
  /**
   * Failures after the last success of this batch, in call order. Default: `failures` when the
   * batch has no success, else 0. The shared consecutive run restarts from this number whenever
   * a batch holds a success, and grows by `failures` when it holds none.
   */
  trailingFailures?: number;
  /**
   * The local rule tripped on these outcomes. The store then flushes at once; with `quorum: n`,
   * the shared circuit opens once n distinct replicas have tripped within the window.
   */
  tripped?: 'consecutiveFailures' | 'failureRate' | 'slowCallRate';
}

/**
 * A half-open probe slot held in the store. It expires on its own after `probeLease` ms, so a
 * replica that dies mid-probe cannot wedge the circuit.
 *
 * @example
 * ```ts
 * declare const circuit: SharedCircuit;
 * const decision = await circuit.acquireProbe();
 * if (decision.granted) await circuit.settleProbe(decision.lease, true);
 * ```
 */
export interface ProbeLease {
  readonly id: string;
  /** The generation and epoch of the half-open period the lease belongs to. */
  readonly generation: number;
  readonly epoch: string;
  /** Redis time at which the lease expires. */
  readonly expiresAt: number;
}

/**
 * The answer to {@link SharedCircuit.acquireProbe}: a lease, or no slot free (or not half-open).
 *
 * @example
 * ```ts
 * declare const decision: ProbeDecision;
 * const mayCall = decision.granted;
 * ```
 */
export type ProbeDecision =
  | { granted: true; lease: ProbeLease; state: SharedState }
  | { granted: false; state: SharedState };

/**
 * The manual controls, applied to the shared circuit (each is a new generation everywhere).
 *
 * @example
 * ```ts
 * const kind: StoreCommandKind = 'forceOpen';
 * ```
 */
export type StoreCommandKind = 'forceOpen' | 'forceClose' | 'reset' | 'disable';

/**
 * Options of one manual command.
 *
 * @example
 * ```ts
 * const options: StoreCommandOptions = { reason: 'maintenance', for: 60_000 };
 * ```
 */
export interface StoreCommandOptions {
  /** Free text that travels with the command to every replica (`SharedState.detail`). */
  reason?: string;
  /** `forceOpen` only: ms after which the circuit admits probes again. Default: until told. */
  for?: number;
}

/**
 * One shared circuit as a replica sees it. The hot path never waits on it: `report()` only adds
 * to local counters, a timer flushes them, and every reply (and every pub/sub message newer than
 * what it has) updates {@link SharedCircuit.state} and calls the `onState` listeners.
 *
 * @example
 * ```ts
 * declare const circuit: SharedCircuit;
 * circuit.onState((shared) => console.log(shared.state, shared.reason));
 * circuit.report({ successes: 1, failures: 0 });
 * ```
 */
export interface SharedCircuit {
  readonly name: string;
  /** The newest shared state seen, or `null` before the first reply. */
  readonly state: SharedState | null;
  readonly status: StoreStatus;
  /** Adds outcomes to the next flush; never throws, never waits. Flushes at once on `tripped`. */
  report(outcomes: OutcomeBatch): void;
  /** Flushes now; resolves with the shared state, or `null` when the store is unreachable. */
  flushNow(): Promise<SharedState | null>;
  /** Moves a due `open` circuit to `halfOpen` and takes a probe lease if one is free. */
  acquireProbe(): Promise<ProbeDecision>;
  /** Releases a lease; the probe's outcome may close or reopen the shared circuit. */
  settleProbe(lease: ProbeLease, ok: boolean): Promise<SharedState>;
  /**
   * Gives a lease back without an outcome (the probe was cancelled, or failed with an ignored
   * error), so another probe may run at once. Optional: a store without it lets the lease
   * expire on its own.
   */
  releaseProbe?(lease: ProbeLease): Promise<SharedState>;
  /** Applies a manual control to the shared circuit. */
  command(kind: StoreCommandKind, options?: StoreCommandOptions): Promise<SharedState>;
  /** Reads the shared state without reporting anything. */
  refresh(): Promise<SharedState>;
  /** Calls `listener` on every newer shared state; returns the unsubscribe function. */
  onState(listener: (state: SharedState) => void): () => void;
  /** Calls `listener` when `status` changes; returns the unsubscribe function. */
  onStatus(listener: (status: StoreStatus) => void): () => void;
  /**
   * Calls `listener` just before each flush (on the store's flush cadence), and before a newer
   * shared state replaces the one held, so a caller that keeps its own counts can `report()`
   * them into that flush, under the version they were seen in; returns the unsubscribe function.
   */
  onFlush(listener: () => void): () => void;
  /** Stops the flush timer and the subscription after a last flush. */
  close(): Promise<void>;
}

/**
 * The rule and recovery settings one shared circuit is evaluated with (in Redis, atomically).
 * Names and meanings match the breaker's options; only time windows can be shared.
 *
 * @example
 * ```ts
 * const options: SharedCircuitOptions = {
 *   failureRateThreshold: 0.5,
 *   slidingWindow: { type: 'time', duration: 10_000, buckets: 10 },
 *   resetTimeout: 5_000,
 * };
 * ```
 */
export interface SharedCircuitOptions {
  /** Consecutive failures (all replicas together) that open the circuit. Default 5; `null` off. */
  failureThreshold?: number | null;
  /** Share of failed calls in the shared window (0 < x <= 1). Default off. */
  failureRateThreshold?: number | null;
  /** Share of slow calls in the shared window (0 < x <= 1). Default off. */
  slowCallRateThreshold?: number | null;
  /** Calls the shared window must hold before a rate rule may trip. Default 10. */
  minimumThroughput?: number;
  /** The shared window. Default `{ type: 'time', duration: 60_000, buckets: 6 }`. */
  slidingWindow?: { type: 'time'; duration: number; buckets: number };
  /** Ms the circuit stays open before it admits probes. Default 30 000. */
  resetTimeout?: number;
  /** Each reopening multiplies the open period by this (>= 1). Default 1. */
  backoffMultiplier?: number;
  /** Upper bound of the open period with backoff. Default `resetTimeout`. */
  maxResetTimeout?: number;
  /** Probes admitted at once in `halfOpen`, cluster-wide. Default 1. */
  halfOpenMaxCalls?: number;
  /** Probe successes that close the circuit. Default `halfOpenMaxCalls`. */
  halfOpenSuccessThreshold?: number;
  /** Ms a probe lease lives before it expires on its own. Default 10 000. */
  probeLease?: number;
  /** Distinct replicas whose local rule must trip within the window to open. Default 1. */
  quorum?: number;
}

/**
 * Shared state for many breakers: one {@link SharedCircuit} per name.
 *
 * @example
 * ```ts
 * declare const store: CircuitStore;
 * const circuit = store.circuit('payments', { failureThreshold: 5 });
 * await store.close();
 * ```
 */
export interface CircuitStore {
  /** The circuit shared under `name`; one per name and store (a second call throws). */
  circuit(name: string, options?: SharedCircuitOptions): SharedCircuit;
  /** Closes every circuit and what the store opened (its subscriber), not the caller's client. */
  close(): Promise<void>;
}
