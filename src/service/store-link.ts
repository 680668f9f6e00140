/**
 * The breaker's side of a shared store (the `store` option): it observes the breaker and feeds
 * it, and never stands between a call and its answer.
 * - Outcomes: on the store's flush cadence (`SharedCircuit.onFlush`) it reports the deltas of
 *   the breaker's own counters, so the hot path pays nothing; a local trip is reported at once.
 * - Shared state: a newer one becomes a `REMOTE` machine event, the store's status a
 *   `STORE_STATUS` event; the machine decides what they mean (and applies `onStoreUnavailable`).
 * - Half-open: a probe admitted locally waits for a cluster-wide lease (`acquireProbe`); denied,
 *   it is turned away like any call while open; its outcome settles the lease.
 * - Manual controls go to `command()`. A store that fails never fails a call: every promise of
 *   the store is handled here.
 */
import type { CircuitBreakerConfig } from '../machine/options.js';
import type {
  CircuitBreakerEmitted,
  CircuitBreakerEvent,
  CircuitBreakerStats,
  CircuitState,
  StateTransition,
} from '../machine/types.js';
import type { BreakerController } from './controller.js';
import { TURNED_AWAY } from './guarded-call.js';
import type { BreakerLogger } from './logger.js';
import type { StoreSetup } from './options.js';
import type { CallSettler } from './settle.js';
import { runSignalled } from './signalled-call.js';
import type {
  CircuitStore,
  OutcomeBatch,
  ProbeLease,
  SharedCircuit,
  SharedCircuitOptions,
  SharedState,
  StoreCommandKind,
  StoreCommandOptions,
} from './store-seam.js';

/** What the link needs from its breaker. */
export interface StoreLinkHost {
  readonly config: CircuitBreakerConfig;
  now(): number;
  /** Sends a machine event. */
  send(event: CircuitBreakerEvent): void;
  /** The counters with everything folded so far counted in. */
  stats(): CircuitBreakerStats;
  state(): CircuitState;
  /** Calls `listener` on every state change, once the machine is done with it. */
  onTransition(listener: (transition: StateTransition) => void): () => void;
  /** Calls `listener` each time the circuit opens, with the figures it opened on. */
  onOpen(listener: (opened: Extract<CircuitBreakerEmitted, { type: 'open' }>) => void): () => void;
  /** Gives back the local probe slot of a call admitted in `generation` that got no lease. */
  unadmit(generation: number): void;
  /** Counts a call turned away. */
  turnAway(): void;
  warn(message: string): void;
}

/**
 * A half-open probe admitted locally, waiting for its cluster-wide lease: `ready` resolves with
 * the generation the call runs in, or `TURNED_AWAY` when the store gave the slot to another
 * replica. It never rejects.
 */
export interface PendingProbe {
  readonly generation: number;
  readonly ready: Promise<number | typeof TURNED_AWAY>;
  /**
   * The call runs now whatever the store answers (`canExecute()` cannot wait): a lease granted
   * is settled by its outcome as usual; a denial gives nothing back and counts no rejection.
   */
  detach(): void;
}

type TripReason = NonNullable<OutcomeBatch['tripped']>;
const TRIP_REASONS: ReadonlySet<string> = new Set<TripReason>([
  'consecutiveFailures',
  'failureRate',
  'slowCallRate',
]);

/** The service options the shared circuit is configured from (validated by the breaker). */
export interface StoreLinkOptions {
  callTimeout: number | null;
  probeLease: number | null;
  quorum: number;
}

/**
 * The shared circuit's rules, from the breaker's: the same thresholds and recovery. Only a time
 * window can be shared (a count window's rates stay local; their trips are still reported).
 * The open period is the fixed `resetTimeout` (a backoff function stays local). Slow calls are
 * not counted in the shared window: a slow-call trip is decided locally and reported.
 */
export function sharedCircuitOptions(
  config: CircuitBreakerConfig,
  options: StoreLinkOptions,
): SharedCircuitOptions {
  const window = config.slidingWindow;
  const shared: SharedCircuitOptions = {
    failureThreshold: config.failureThreshold,
    failureRateThreshold: null,
    slowCallRateThreshold: null,
    resetTimeout: Math.max(1, config.resetTimeout),
    halfOpenMaxCalls: config.halfOpenMaxCalls,
    halfOpenSuccessThreshold: config.halfOpenSuccessThreshold,
    quorum: options.quorum,
  };
  if (window?.type === 'time' && window.buckets <= 600 && config.failureRateThreshold !== null) {
    shared.failureRateThreshold = config.failureRateThreshold;
    shared.minimumThroughput = config.minimumThroughput;
    shared.slidingWindow = { type: 'time', duration: window.duration, buckets: window.buckets };
  }
  const lease =
    options.probeLease ?? (options.callTimeout === null ? null : options.callTimeout + 1000);
  if (lease !== null) shared.probeLease = lease;
  return shared;
}

export class StoreLink {
  readonly #host: StoreLinkHost;
  readonly #circuit: SharedCircuit;
  readonly #stops: Array<() => void>;
  /** The breaker's totals as last reported: each report is the difference. */
  #successes: number;
  #failures: number;
  /** Leases held by probes in flight, by the local generation they run in. */
  readonly #leases: Array<{ generation: number; lease: ProbeLease }> = [];
  #disposed = false;

  constructor(host: StoreLinkHost, store: CircuitStore, options: SharedCircuitOptions) {
    this.#host = host;
    const circuit = store.circuit(host.config.name, options);
    this.#circuit = circuit;
    const stats = host.stats();
    this.#successes = stats.totalSuccesses;
    this.#failures = stats.totalFailures;
    this.#stops = [
      circuit.onState((shared) => this.#apply(shared)),
      circuit.onStatus((status) => this.#statusChanged(status)),
      circuit.onFlush(() => this.#report(undefined, null)),
      host.onTransition(({ from }) => {
        if (from === 'halfOpen') this.#leases.length = 0; // their probes are over, or late
      }),
      host.onOpen(({ reason, consecutiveFailures }) => {
        if (TRIP_REASONS.has(reason)) this.#report(reason as TripReason, consecutiveFailures);
      }),
    ];
    host.send({ type: 'STORE_STATUS', at: host.now(), status: circuit.status });
    if (circuit.state !== null) this.#apply(circuit.state);
  }

  /**
   * Holds a probe admitted locally in `generation` until the store grants it a lease. Denied,
   * its local slot is given back, the call is turned away and the shared state the store
   * answered with applies (say, `closed` when a quorum never opened it). A store that does not
   * answer leaves the decision to this replica.
   */
  hold(generation: number): PendingProbe {
    const host = this.#host;
    let detached = false;
    const refuse = (): typeof TURNED_AWAY => {
      if (!detached) this.#refuse(generation);
      return TURNED_AWAY;
    };
    const ready = this.#circuit.acquireProbe().then(
      (decision): number | typeof TURNED_AWAY => {
        if (decision.granted && !this.#disposed) {
          this.#leases.push({ generation, lease: decision.lease });
          return generation;
        }
        refuse();
        // The newest shared state the store holds: the reply may be older than a message this
        // replica already took (another replica's probes closed the circuit meanwhile).
        if (!decision.granted) this.#apply(this.#circuit.state ?? decision.state);
        return TURNED_AWAY;
      },
      () => (host.state() === 'halfOpen' && !this.#disposed ? generation : refuse()),
    );
    return {
      generation,
      ready: ready.catch((): typeof TURNED_AWAY => TURNED_AWAY),
      detach: () => {
        detached = true;
      },
    };
  }

  /** A probe of `generation` ended: success (`ok`) or failure settles one of its leases. */
  settled(generation: number, ok: boolean): void {
    const lease = this.#takeLease(generation);
    if (lease === undefined) return;
    // A lost reply is fine: the lease expires on its own.
    this.#circuit.settleProbe(lease, ok).catch(() => undefined);
  }

  /** A probe of `generation` counts neither way (cancelled, ignored): its lease goes back. */
  released(generation: number): void {
    const lease = this.#takeLease(generation);
    const circuit = this.#circuit;
    if (lease === undefined || circuit.releaseProbe === undefined) return; // it expires then
    // A lost reply is fine here too: the lease expires on its own.
    circuit.releaseProbe(lease).catch(() => undefined);
  }

  /** A manual control, applied to the shared circuit as well (the local one already moved). */
  command(kind: StoreCommandKind, options: StoreCommandOptions): void {
    if (this.#disposed) return;
    this.#circuit.command(kind, options).catch((error: unknown) => {
      this.#host.warn(
        `circuit_breaker_store_command_failed name=${this.#host.config.name} command=${kind} error=${String(error)}`,
      );
    });
  }

  /** Reports what is left, stops listening and lets the circuit go (the store stays open). */
  dispose(): void {
    if (this.#disposed) return;
    this.#report(undefined, null);
    this.#disposed = true;
    for (const stop of this.#stops) stop();
    this.#leases.length = 0;
    this.#circuit.close().catch(() => undefined);
  }

  #takeLease(generation: number): ProbeLease | undefined {
    const index = this.#leases.findIndex((held) => held.generation === generation);
    if (index < 0) return undefined;
    return this.#leases.splice(index, 1)[0]?.lease;
  }

  #refuse(generation: number): void {
    if (this.#disposed) return;
    // Only the local slot: the leases this link holds belong to the probes that got one.
    this.#host.unadmit(generation);
    this.#host.turnAway();
  }

  /**
   * The deltas of the breaker's counters since the last report; with `tripped`, at once, and
   * with the failures in a row it tripped on (the new state's count starts at 0).
   */
  #report(tripped: TripReason | undefined, trailing: number | null): void {
    if (this.#disposed) return;
    const stats = this.#host.stats();
    const successes = stats.totalSuccesses - this.#successes;
    const failures = stats.totalFailures - this.#failures;
    this.#successes = stats.totalSuccesses;
    this.#failures = stats.totalFailures;
    if (successes + failures === 0 && tripped === undefined) return;
    const inARow = trailing ?? stats.consecutiveFailures;
    const batch: OutcomeBatch = {
      successes,
      failures,
      // The failures in a row now ended the batch, unless it held no success at all.
      trailingFailures: successes > 0 ? Math.min(inARow, failures) : failures,
    };
    if (tripped !== undefined) batch.tripped = tripped;
    this.#circuit.report(batch);
  }

  /** A newer shared state: the machine takes it (its guards skip what changes nothing). */
  #apply(shared: SharedState): void {
    if (this.#disposed) return;
    // While the store is unreachable under 'open' or 'closed', the policy holds, not the store.
    const host = this.#host;
    if (this.#circuit.status === 'degraded' && host.config.onStoreUnavailable !== 'local') return;
    const event: CircuitBreakerEvent = {
      type: 'REMOTE',
      at: host.now(),
      state: shared.state,
      retryIn: shared.retryIn,
      reason: shared.reason,
    };
    if (shared.detail !== '') event.detail = shared.detail;
    host.send(event);
  }

  #statusChanged(status: SharedCircuit['status']): void {
    if (this.#disposed) return;
    this.#host.send({ type: 'STORE_STATUS', at: this.#host.now(), status });
    if (status !== 'connected') return;
    // Back: the shared state applies again. The reply that brought the store back is taken
    // right after this call, so read it once that is done.
    queueMicrotask(() => {
      const shared = this.#circuit.state;
      if (shared === null) return;
      try {
        this.#apply(shared);
      } catch (error) {
        this.#host.warn(
          `circuit_breaker_store_resync_failed name=${this.#host.config.name} error=${String(error)}`,
        );
      }
    });
  }
}

/**
 * Runs `fn.apply(thisArg, args)` as a half-open probe once its lease is granted (`call`, `wrap`
 * and `execute` on the plain path), or rejects like an open circuit when it is denied. Kept out
 * of the entry points: a closure there would cost every call a context allocation.
 */
export function callAfterLease<T, A extends unknown[], R>(
  pending: PendingProbe,
  breaker: { openError(): Error },
  settler: CallSettler,
  fn: (this: T, ...args: A) => R | PromiseLike<R>,
  thisArg: T,
  args: A,
): Promise<R> {
  return pending.ready.then((generation) => {
    if (generation === TURNED_AWAY) throw breaker.openError();
    let result: R | PromiseLike<R>;
    try {
      result = fn.apply(thisArg, args);
    } catch (error) {
      return settler.thrown(generation, error);
    }
    return settler.track(generation, result);
  });
}

/**
 * `execute(fn, { signal })` as a half-open probe: once its lease is granted it runs like any
 * signalled call (the caller's abort rejects it and gives the lease back); a signal that
 * aborted while the lease was on its way gives it back before anything runs.
 */
export function executeAfterLease<R>(
  pending: PendingProbe,
  core: BreakerController,
  fn: (context: { signal: AbortSignal }) => R | PromiseLike<R>,
  signal: AbortSignal,
): Promise<R> {
  return pending.ready.then((generation) => {
    if (generation === TURNED_AWAY) throw core.openError();
    if (signal.aborted) {
      core.cancel(generation);
      throw signal.reason;
    }
    return runSignalled(core, generation, fn, signal);
  });
}

/** Links `core` to its shared store: the host the link sees is the controller's. */
export function linkStore(
  core: BreakerController,
  setup: StoreSetup,
  callTimeout: number | null,
  logger: BreakerLogger | undefined,
): StoreLink {
  const host: StoreLinkHost = {
    config: core.config,
    now: () => core.clock.now(),
    send: (event) => core.send(event),
    stats: () => core.flushed().context.stats,
    state: () => core.state(),
    onTransition: (listener) => core.listeners.add('stateChange', listener as (e: never) => void),
    onOpen: (listener) => core.listeners.add('open', listener as (e: never) => void),
    unadmit: (generation) => core.unadmit(generation),
    turnAway: () => core.turnAway(),
    warn: (message) => logger?.warn(message),
  };
  const options = sharedCircuitOptions(core.config, {
    callTimeout,
    probeLease: setup.probeLease,
    quorum: setup.quorum,
  });
  return new StoreLink(host, setup.store, options);
}
