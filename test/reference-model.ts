/**
 * A plain reference implementation of the breaker's rules, written from issue 2 and the README
 * (not from `src/`), with no XState, no promises and no folding. Property and model-based tests
 * drive it in lock step with the real `CircuitBreaker` and compare every observable after every
 * step.
 *
 * Time is explicit: the reference holds `now` and is told when the clock moves (`advance`). The
 * reset timer behaves like a timer on XState's `SimulatedClock`: it fires when the clock is moved
 * to or past its due time, and the transition it causes is stamped with the due time itself.
 *
 * Extension points for the failure policies of issue 3 (rate windows, slow calls, call timeouts,
 * backoff): a {@link TripPolicy} decides when `closed` trips (today: consecutive failures), an
 * {@link Outcome} may grow kinds (`slow`, `timeout`), and {@link ReferenceBreaker.retryDelay} is
 * the one place that says how long `open` lasts.
 */

export type RefState = 'closed' | 'open' | 'halfOpen' | 'forcedOpen' | 'disabled';

/** The core options (issue 2). Issue 3's options are added here, each optional. */
export interface RefConfig {
  failureThreshold: number;
  resetTimeout: number;
  halfOpenMaxCalls: number;
  /** Probe successes that close; default `halfOpenMaxCalls`. */
  halfOpenSuccessThreshold?: number;
}

/** The same shape as `CircuitBreakerStats`, restated here so a renamed field fails the tests. */
export interface RefStats {
  totalSuccesses: number;
  totalFailures: number;
  totalRejections: number;
  totalIgnored: number;
  totalTimeouts: number;
  totalFallbacks: number;
  timesOpened: number;
  timesHalfOpened: number;
  timesClosed: number;
  consecutiveFailures: number;
  lastFailureAt: number | null;
  lastStateChangeAt: number | null;
  lastTransition: RefTransition | null;
  totalInputTokens: number;
  totalOutputTokens: number;
  totalEstimatedCost: number;
}

/** What a settled call reports. Issue 3 will add kinds such as `slow` and `timeout`. */
export type Outcome = { kind: 'success' } | { kind: 'failure' };

/** A state change, as the breaker's `stateChange` event reports it. */
export interface RefTransition {
  from: RefState;
  to: RefState;
  at: number;
  reason: string;
}

/** Everything a user can observe without reading the actor. */
export interface RefObservation {
  state: RefState;
  timeUntilRetry: number | null;
  stats: RefStats;
}

/** The machine-level bookkeeping, comparable with the actor's context in full-fidelity runs. */
export interface RefInternals {
  generation: number;
  openedAt: number | null;
  halfOpenInFlight: number;
  halfOpenSuccesses: number;
}

/**
 * Decides when a closed circuit opens. It sees only outcomes that are not late and happen in
 * `closed`, after the stats have been updated for them.
 */
export interface TripPolicy {
  /** The reason `outcome` (already counted in `stats`) opens the circuit, or null. */
  shouldTrip(outcome: Outcome, at: number, stats: Readonly<RefStats>): string | null;
  /** A new generation began (any state entry, reset, force-close): forget any window. */
  clear(): void;
}

/** Issue 2's only policy: `failureThreshold` consecutive failures open the circuit. */
export function consecutiveFailures(threshold: number): TripPolicy {
  return {
    shouldTrip: (outcome, _at, stats) =>
      outcome.kind === 'failure' && stats.consecutiveFailures >= threshold
        ? 'consecutiveFailures'
        : null,
    clear: () => undefined,
  };
}

export function zeroStats(): RefStats {
  return {
    totalSuccesses: 0,
    totalFailures: 0,
    totalRejections: 0,
    totalIgnored: 0,
    totalTimeouts: 0,
    totalFallbacks: 0,
    timesOpened: 0,
    timesHalfOpened: 0,
    timesClosed: 0,
    consecutiveFailures: 0,
    lastFailureAt: null,
    lastStateChangeAt: null,
    lastTransition: null,
    totalInputTokens: 0,
    totalOutputTokens: 0,
    totalEstimatedCost: 0,
  };
}

/** Stands for `CircuitOpenError`: the call was turned away and its function must not run. */
export const REJECTED = null;

/** A call that was let in, remembered by the generation it started in. */
export type Ticket = number;

export class ReferenceBreaker {
  readonly config: RefConfig;
  readonly policy: TripPolicy;
  now: number;
  state: RefState = 'closed';
  /** Bumped on every state entry and by reset/forceClose in closed. */
  generation = 0;
  openedAt: number | null = null;
  /** How long the current open period lasts: the reset timeout, or `forceOpen({ for })`'s. */
  openPeriod: number;
  halfOpenInFlight = 0;
  halfOpenSuccesses = 0;
  readonly stats: RefStats = zeroStats();
  /** Every state change so far, in order. */
  readonly transitions: RefTransition[] = [];

  constructor(config: RefConfig, now = 0, policy = consecutiveFailures(config.failureThreshold)) {
    this.config = config;
    this.now = now;
    this.policy = policy;
    this.openPeriod = config.resetTimeout;
  }

  /** Probe successes in a row that close a half-open circuit. */
  successThreshold(): number {
    return this.config.halfOpenSuccessThreshold ?? this.config.halfOpenMaxCalls;
  }

  /** How long `open` lasts before probes; backoff (issue 3) would vary it per opening. */
  retryDelay(): number {
    return this.config.resetTimeout;
  }

  /** Clock time at which an open circuit may let a probe through. */
  dueAt(): number {
    return (this.openedAt ?? 0) + this.openPeriod;
  }

  /**
   * The clock moves forward by `ms`, and a due reset timer fires, unless `timersLag` (a busy
   * event loop): then it fires only when {@link ReferenceBreaker.fireDueTimer} says so.
   */
  advance(ms: number, timersLag = false): void {
    if (ms < 0) throw new Error('time only moves forward');
    this.now += ms;
    if (!timersLag) this.fireDueTimer();
  }

  /** The reset timer fires if it is due; the transition is stamped with its due time. */
  fireDueTimer(): void {
    if (this.state === 'open' && this.now >= this.dueAt()) {
      this.#enter('halfOpen', this.dueAt(), 'resetTimeout');
    }
  }

  /**
   * A call (or `canExecute()`) asks to run. Returns the ticket to settle it with, or
   * {@link REJECTED} (counted as a rejection).
   */
  request(): Ticket | typeof REJECTED {
    switch (this.state) {
      case 'closed':
      case 'disabled':
        return this.generation;
      case 'open':
        if (this.now >= this.dueAt()) {
          this.#enter('halfOpen', this.now, 'resetTimeout');
          this.halfOpenInFlight += 1;
          return this.generation;
        }
        break;
      case 'halfOpen':
        if (this.halfOpenInFlight < this.config.halfOpenMaxCalls) {
          this.halfOpenInFlight += 1;
          return this.generation;
        }
        break;
      case 'forcedOpen':
        break;
    }
    this.stats.totalRejections += 1;
    return REJECTED;
  }

  /** True when a result of a call that began in `ticket` cannot move the circuit. */
  isLate(ticket: Ticket): boolean {
    if (ticket !== this.generation) return true;
    if (this.state === 'open' || this.state === 'forcedOpen') return true;
    return this.state === 'halfOpen' && this.halfOpenInFlight === 0;
  }

  /** A call admitted with `ticket` settled now with `outcome`. */
  settle(ticket: Ticket, outcome: Outcome): void {
    const late = this.isLate(ticket);
    const { stats } = this;
    if (outcome.kind === 'success') {
      stats.totalSuccesses += 1;
      if (late) return;
      stats.consecutiveFailures = 0;
    } else {
      stats.totalFailures += 1;
      stats.lastFailureAt = this.now;
      if (late) return;
      stats.consecutiveFailures += 1;
    }
    if (this.state === 'disabled') return; // counted, never trips
    if (this.state === 'closed') {
      const reason = this.policy.shouldTrip(outcome, this.now, stats);
      if (reason !== null) this.#enter('open', this.now, reason);
      return;
    }
    // halfOpen, with a probe of this generation in flight
    if (outcome.kind === 'failure') {
      this.#enter('open', this.now, 'probeFailure');
    } else if (this.halfOpenSuccesses + 1 >= this.successThreshold()) {
      this.#enter('closed', this.now, 'probesSucceeded');
    } else {
      this.halfOpenInFlight -= 1;
      this.halfOpenSuccesses += 1;
    }
  }

  /**
   * The caller of a call admitted with `ticket` gave up (its signal aborted): nothing is counted,
   * and a probe slot it holds in the current half-open is given back.
   */
  cancel(ticket: Ticket): void {
    if (this.state === 'halfOpen' && ticket === this.generation && this.halfOpenInFlight > 0) {
      this.halfOpenInFlight -= 1;
    }
  }

  /** The manual protocol: `recordSuccess()` / `recordFailure()` report for the current generation. */
  record(outcome: Outcome): void {
    this.settle(this.generation, outcome);
  }

  canExecute(): boolean {
    return this.request() !== REJECTED;
  }

  forceOpen(): void {
    this.#enter('forcedOpen', this.now, 'forced');
  }

  /** `forceOpen({ for })`: open for `ms`, then half-open as usual. */
  forceOpenFor(ms: number): void {
    this.#enter('open', this.now, 'forced');
    this.openPeriod = ms;
  }

  /** `disable()`: admit everything, count, never trip. */
  disable(): void {
    this.#enter('disabled', this.now, 'disabled');
  }

  forceClose(): void {
    this.#enter('closed', this.now, 'forceClose');
  }

  reset(): void {
    this.#enter('closed', this.now, 'reset');
  }

  recordCost(inputTokens: number, outputTokens: number, estimatedCost: number): void {
    this.stats.totalInputTokens += inputTokens;
    this.stats.totalOutputTokens += outputTokens;
    this.stats.totalEstimatedCost += estimatedCost;
  }

  timeUntilRetry(): number | null {
    return this.state === 'open' ? Math.max(0, this.dueAt() - this.now) : null;
  }

  observe(): RefObservation {
    return { state: this.state, timeUntilRetry: this.timeUntilRetry(), stats: { ...this.stats } };
  }

  internals(): RefInternals {
    return {
      generation: this.generation,
      openedAt: this.openedAt,
      halfOpenInFlight: this.halfOpenInFlight,
      halfOpenSuccesses: this.halfOpenSuccesses,
    };
  }

  /** What `toString()` prints. */
  describe(name: string): string {
    const retry = this.timeUntilRetry();
    const retryPart = retry === null ? '' : `, retryIn=${retry}ms`;
    const last = this.stats.lastTransition;
    const reason = last === null ? '' : `, reason=${last.reason}`;
    return `CircuitBreaker(name=${name}, state=${this.state}${reason}, failures=${this.stats.consecutiveFailures}/${this.config.failureThreshold}${retryPart})`;
  }

  /**
   * Every entry starts a new generation with fresh working counters; entering the state it is
   * already in (reset while closed, force-open while forced open) does only that, silently.
   */
  #enter(to: RefState, at: number, reason: string): void {
    const from = this.state;
    const moved = from !== to;
    this.state = to;
    this.generation += 1;
    this.halfOpenInFlight = 0;
    this.halfOpenSuccesses = 0;
    this.policy.clear();
    this.stats.consecutiveFailures = 0;
    if (moved) {
      const transition = { from, to, at, reason };
      this.transitions.push(transition);
      this.stats.lastStateChangeAt = at;
      this.stats.lastTransition = transition;
    }
    if (to === 'open' || to === 'forcedOpen') {
      if (moved) this.stats.timesOpened += 1;
      this.openedAt = at;
      this.openPeriod = this.retryDelay();
    } else if (to === 'halfOpen') {
      this.stats.timesHalfOpened += 1;
    } else {
      if (moved && to === 'closed') this.stats.timesClosed += 1;
      this.openedAt = null;
    }
  }
}
