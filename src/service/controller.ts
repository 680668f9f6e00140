/**
 * The state controller: the one place that talks to the breaker's actor. It builds the actor
 * when something first needs it, admits calls, settles outcomes (folding those the machine's
 * rules prove cannot move it, see `OutcomeFold`), sends everything else, and hands the
 * machine's events to the listeners once the machine is done with the event that caused them.
 * `CircuitBreaker` is the public face over it; nothing else touches the actor.
 */

import { INITIAL_GENERATION, initialContextFor } from '../machine/context.js';
import type { CircuitBreakerConfig } from '../machine/options.js';
import { circuitStateOf, OUTCOME_FAILURE, OUTCOME_SLOW, retryDueAt } from '../machine/rules.js';
import type {
  CircuitBreakerContext,
  CircuitBreakerEmitted,
  CircuitBreakerEvent,
  CircuitState,
} from '../machine/types.js';
import { type CircuitBreakerActor, createBreakerActor } from './actor-host.js';
import type { ResetTimeoutFunction } from './backoff.js';
import { BucketClock } from './bucket-clock.js';
import { type BreakerClock, remainingWithin } from './clock.js';
import { CircuitBreakerDisposedError, CircuitOpenError } from './errors.js';
import { OutcomeFold } from './fold.js';
import { type GuardedCallHooks, TURNED_AWAY } from './guarded-call.js';
import { guardHooksOf } from './guarded-entry.js';
import { BreakerListeners } from './listeners.js';
import type { BreakerLogger } from './logger.js';
import { OpenGate } from './open-gate.js';
import { retryAfterAnswer } from './retry-after.js';
import type { ServiceSetup } from './setup.js';
import type { PersistedBreakerState } from './snapshot.js';
import type { PendingProbe, StoreLink } from './store-link.js';
import { logTransitions } from './transition-log.js';

/**
 * What an admission answers: the generation the call starts in, or `TURNED_AWAY`; with a shared
 * store, a half-open probe waits for its cluster-wide lease first (a `PendingProbe`).
 */
export type Admission = number | typeof TURNED_AWAY | PendingProbe;

export class BreakerController {
  readonly config: CircuitBreakerConfig;
  readonly clock: BreakerClock;
  readonly listeners: BreakerListeners;
  readonly errorStacks: boolean;
  /** Built on first need; undefined until then (the machine is then in its initial state). */
  #actor: CircuitBreakerActor | undefined;
  /** The context the machine starts with, made on the first call folded without an actor. */
  #initial: CircuitBreakerContext | undefined;
  readonly #logger: BreakerLogger | undefined;
  readonly #backoff: ResetTimeoutFunction | undefined;
  readonly #inspect: ServiceSetup['inspect'];
  readonly #retryAfter: ((error: unknown) => number | undefined) | undefined;
  /** The config has a sliding window (a folded call is then pushed into the fold's mirror). */
  readonly #windowed: boolean;
  /** With a time window: the time a folded success lands at (its bucket's), else null. */
  readonly #bucketClock: BucketClock | null;
  #unsubscribes: Array<() => void> | undefined;
  /** True while outcomes may be folded locally; false when someone watches every event. */
  #fast: boolean;
  disposed = false;
  #wakeTimer: unknown;
  /**
   * Above 0 while the machine processes an event (ours or a timer's). XState queues anything
   * sent then until the current event is done, so a snapshot read right after such a send would
   * be stale: nothing is folded, and an admission that needs the machine's answer is turned away.
   */
  #busy = 0;
  readonly #fold = new OutcomeFold();
  #hooks: GuardedCallHooks | undefined;
  /** The link to a shared store (the `store` option), or undefined. */
  link: StoreLink | undefined;
  /*
   * What the machine's last step leaves true, kept so the hot path asks no snapshot (refreshed
   * by `#settled()` after every step; only while `#fast`, since nobody else then moves the
   * machine). `#admitting`: the generation every call is admitted in (closed, disabled), or -1.
   * `#folding`: the generation whose plain success the fold's verdict takes as `current` in
   * any count (a plain success never trips; `OutcomeFold.verdict`), or -1.
   */
  #admitting = -1;
  #folding = -1;
  /** Open: whether its timeout is still ahead, at less than a clock read per call. */
  readonly #open: OpenGate;

  constructor(setup: ServiceSetup) {
    this.config = setup.config;
    this.clock = setup.clock;
    this.errorStacks = setup.errorStacks;
    this.#logger = setup.logger;
    this.#backoff = setup.backoff;
    this.#inspect = setup.inspect;
    this.#retryAfter = setup.retryAfter;
    this.#windowed = setup.config.slidingWindow !== null;
    this.#bucketClock =
      setup.config.slidingWindow?.type === 'time'
        ? new BucketClock(setup.clock, setup.config)
        : null;
    this.#open = new OpenGate(setup.clock);
    this.#fast = setup.inspect === undefined;
    this.listeners = new BreakerListeners(setup.config.name, setup.logger);
    if (this.#fast) {
      // The machine's initial state, without building its context: closed, generation 0.
      this.#admitting = INITIAL_GENERATION;
      this.#folding = INITIAL_GENERATION;
    }
  }

  get name(): string {
    return this.config.name;
  }

  /** The actor, built and started now if it is not yet. */
  host(): CircuitBreakerActor {
    return this.#actor ?? this.start(undefined);
  }

  /** The actor if it exists, without building it. */
  get actorIfBuilt(): CircuitBreakerActor | undefined {
    return this.#actor;
  }

  /** From now on every outcome is a machine event (an observer of the actor sees them all). */
  watchEveryEvent(): void {
    this.flush();
    this.#fast = false;
    this.#settled();
  }

  start(
    restored: Pick<PersistedBreakerState, 'value' | 'context'> | undefined,
  ): CircuitBreakerActor {
    const actor = createBreakerActor({
      config: this.config,
      clock: this.clock,
      backoff: this.#backoff,
      logger: this.#logger,
      inspect: this.#inspect,
      restored,
      // A timer is about to move the machine: fold the local counts in first, and mark the
      // machine busy while it processes the timer's event.
      runTimer: (callback) => {
        this.flush();
        this.#busy += 1;
        try {
          callback();
        } finally {
          this.#busy -= 1;
        }
        if (this.#busy === 0) this.#settled();
      },
    });
    this.#actor = actor;
    const relay = actor.on('*', (event) => {
      this.listeners.hold(event);
      if (this.#busy === 0) this.listeners.deliver();
    });
    const unsubscribes = [() => relay.unsubscribe()];
    if (this.#logger) unsubscribes.push(logTransitions(actor, this.name, this.#logger));
    this.#unsubscribes = unsubscribes;
    actor.start();
    this.#settled();
    return actor;
  }

  /** A per-call event of a folded outcome, in order with the machine's own events. */
  #announce(event: CircuitBreakerEmitted): void {
    this.listeners.announce(event, this.#busy > 0);
  }

  /** The machine's context, or the one it would start with while there is no actor yet. */
  context(): CircuitBreakerContext {
    const actor = this.#actor;
    if (actor !== undefined) return actor.getSnapshot().context;
    this.#initial ??= initialContextFor(this.config);
    return this.#initial;
  }

  /** The flat state of the machine now (`closed` while there is no actor yet). */
  state(): CircuitState {
    const actor = this.#actor;
    return actor === undefined ? 'closed' : circuitStateOf(actor.getSnapshot().value);
  }

  /**
   * XState does not persist pending `after` timers (statelyai/xstate#5331), so an open breaker
   * restored from a snapshot gets its half-open timer back here, measured from when it opened.
   */
  scheduleWake(delay: number): void {
    if (delay <= 0) return; // already due: the first call or canExecute() moves it to halfOpen
    this.#wakeTimer = this.clock.setTimeout(() => {
      this.#wakeTimer = undefined;
      if (!this.disposed) this.send({ type: 'WAKE', at: this.clock.now() });
    }, delay);
  }

  /** Milliseconds until an open circuit lets a probe through (0 when due), or null unless open. */
  timeUntilRetry(): number | null {
    const actor = this.#actor;
    if (actor === undefined) return null;
    const { value, context } = actor.getSnapshot();
    if (circuitStateOf(value) !== 'open') return null;
    return remainingWithin(retryDueAt(context), this.clock.now(), context.openTimeout);
  }

  /**
   * The error a turned-away call rejects with. Only a half-open probe waiting for its shared
   * lease can be turned away after `dispose()`: it is then told so, not that the circuit is open.
   */
  openError(): CircuitOpenError | CircuitBreakerDisposedError {
    if (this.disposed) return new CircuitBreakerDisposedError(this.name);
    return new CircuitOpenError(this.name, this.state(), this.timeUntilRetry(), this.errorStacks);
  }

  assertLive(): void {
    if (this.disposed) throw new CircuitBreakerDisposedError(this.name);
  }

  /** Lets a call in (returning the generation it starts in) or counts a rejection. */
  admit(): Admission {
    return this.#admitting >= 0 ? this.#admitting : this.#admitAskingTheMachine();
  }

  /** Admission when the hot path's answer is not known (open, half-open, or no actor yet). */
  #admitAskingTheMachine(): Admission {
    if (this.#open.armed && this.#busy === 0 && this.#open.shut()) return this.#turnAway('open');
    const actor = this.#actor;
    if (actor === undefined) return this.context().generation; // closed, by definition
    let snapshot = actor.getSnapshot();
    let state = circuitStateOf(snapshot.value);
    if (state === 'closed' || state === 'disabled') return snapshot.context.generation;
    if (
      this.#fast &&
      (state === 'forcedOpen' ||
        (state === 'open' && this.clock.now() < retryDueAt(snapshot.context)))
    ) {
      return this.#turnAway(state);
    }
    if (this.#busy > 0) {
      // Called from an observer of the actor: a REQUEST would only be queued, and could take a
      // probe slot after we answered. Turn the call away instead; a later call probes as usual.
      return this.#turnAway(state);
    }
    this.send({ type: 'REQUEST', at: this.clock.now() });
    const inFlightBefore = state === 'halfOpen' ? snapshot.context.halfOpenInFlight : 0;
    snapshot = actor.getSnapshot();
    state = circuitStateOf(snapshot.value);
    if (state !== 'halfOpen' || snapshot.context.halfOpenInFlight <= inFlightBefore) {
      return TURNED_AWAY;
    }
    const { generation } = snapshot.context;
    return this.link === undefined ? generation : this.link.hold(generation);
  }

  /** A call turned away after all (a shared store gave its probe slot to another replica). */
  turnAway(): void {
    this.#turnAway(this.state());
  }

  /** A rejection counted here rather than by the machine (it cannot move it). */
  #turnAway(state: CircuitState): typeof TURNED_AWAY {
    this.#fold.rejections += 1;
    if (this.listeners.perCall > 0 && this.listeners.has('reject')) {
      this.#announce({ type: 'reject', at: this.clock.now(), state });
    }
    return TURNED_AWAY;
  }

  /*
   * Settling. An outcome is folded (counted here, see `OutcomeFold`) only when the machine's
   * rules prove it cannot move the machine (`OutcomeFold.verdict`); everything else goes to the
   * machine as an event. A folded outcome's per-call event is emitted here.
   */

  succeed(generation: number, slow = false): void {
    if (generation === this.#folding && !slow && this.#busy === 0) {
      // The verdict of a plain success of this generation is known: `current`. Without a
      // window there is nothing to push, so the context is not even looked up.
      const context = this.#windowed ? this.context() : null;
      const bucketAt = this.#bucketClock === null ? 0 : this.#bucketClock.now();
      this.#foldSuccess(context, 0, bucketAt, true, false);
      return;
    }
    this.#settleSuccess(generation, slow);
  }

  /** A success off the hot path: one the verdict has to be asked about, or the machine's. */
  #settleSuccess(generation: number, slow: boolean): void {
    if (this.disposed) return;
    // A probe holding a shared lease settles it, even when its result is late here (a remote
    // change re-entered half-open meanwhile): the shared circuit counts it either way.
    this.link?.settled(generation, !(slow && this.config.slowCallRateThreshold !== null));
    if (this.#fast && this.#busy === 0) {
      const snapshot = this.#actor?.getSnapshot();
      const context = snapshot === undefined ? this.context() : snapshot.context;
      const state = snapshot === undefined ? 'closed' : circuitStateOf(snapshot.value);
      const code = slow ? OUTCOME_SLOW : 0;
      // Only a slow success or a time window needs the time; a plain success reads no clock.
      const at = code !== 0 || context.config.slidingWindow?.type === 'time' ? this.clock.now() : 0;
      const verdict = this.#fold.verdict(state, context, generation, code, at);
      if (verdict !== 'send') {
        this.#foldSuccess(context, code, at, verdict === 'current', at !== 0);
        return;
      }
    }
    this.send({ type: 'SUCCESS', at: this.clock.now(), generation, slow });
  }

  /**
   * Counts a success the machine cannot be moved by; `current`: of this state (else late). The
   * context is null when the config has no window (there is then nothing to record). `exact`:
   * `at` is the clock's time now (else only its bucket's, or 0 without a time window).
   */
  #foldSuccess(
    context: CircuitBreakerContext | null,
    code: number,
    at: number,
    current: boolean,
    exact: boolean,
  ): void {
    const fold = this.#fold;
    fold.successes += 1;
    if (current) {
      fold.consecutive = 0;
      if (context !== null) fold.record(context, code, at);
    }
    if (this.listeners.perCall > 0 && this.listeners.has('success')) {
      this.#announce({ type: 'success', at: exact ? at : this.clock.now(), late: !current });
    }
    if (fold.full) this.flush();
  }

  fail(generation: number, error: unknown, slow = false, timeout = false): void {
    if (this.disposed) return;
    this.link?.settled(generation, false);
    const at = this.clock.now();
    const retryAfter =
      this.#retryAfter === undefined
        ? undefined
        : retryAfterAnswer(this.#retryAfter, error, this.name, this.#logger);
    const folded =
      this.#fast &&
      this.#busy === 0 &&
      retryAfter === undefined &&
      this.#foldFailure(generation, error, slow, timeout, at);
    if (!folded) this.#sendFailure(generation, error, slow, timeout, at, retryAfter);
  }

  /** Counts a failure here when the verdict says it cannot move the machine; true if it did. */
  #foldFailure(
    generation: number,
    error: unknown,
    slow: boolean,
    timeout: boolean,
    at: number,
  ): boolean {
    const fold = this.#fold;
    const snapshot = this.#actor?.getSnapshot();
    const context = snapshot === undefined ? this.context() : snapshot.context;
    const state = snapshot === undefined ? 'closed' : circuitStateOf(snapshot.value);
    const code = OUTCOME_FAILURE | (slow ? OUTCOME_SLOW : 0);
    const verdict = fold.verdict(state, context, generation, code, at);
    if (verdict === 'send') return false;
    fold.failures += 1;
    if (timeout) fold.timeouts += 1;
    fold.lastFailureAt = at;
    if (verdict === 'current') {
      fold.consecutive = (fold.consecutive ?? context.stats.consecutiveFailures) + 1;
      fold.record(context, code, at);
    }
    if (this.listeners.perCall > 0 && this.listeners.has('failure')) {
      this.#announce({ type: 'failure', at, late: verdict === 'late', error });
    }
    if (fold.full) this.flush();
    return true;
  }

  #sendFailure(
    generation: number,
    error: unknown,
    slow: boolean,
    timeout: boolean,
    at: number,
    retryAfter: number | undefined,
  ): void {
    const event: CircuitBreakerEvent = { type: 'FAILURE', at, generation, error, slow };
    if (timeout) event.timeout = true;
    if (retryAfter !== undefined) event.retryAfter = retryAfter;
    this.send(event);
  }

  /** A call failed with an ignored error: give back its probe slot; count it as ignored. */
  ignore(generation: number): void {
    if (this.disposed) return;
    if (this.#fast && this.#busy === 0 && this.state() !== 'halfOpen') {
      this.#fold.ignored += 1;
      return;
    }
    this.link?.released(generation);
    this.send({ type: 'IGNORE', generation });
  }

  /** A call's caller gave up: give back the probe slot (and shared lease) it may hold. */
  cancel(generation: number): void {
    if (this.disposed || this.state() !== 'halfOpen') return;
    this.link?.released(generation);
    this.send({ type: 'CANCEL', generation });
  }

  /**
   * A probe the shared store gave no lease: give back its local slot, and nothing of the
   * store's (the leases held are other probes' of the same generation).
   */
  unadmit(generation: number): void {
    if (this.disposed || this.state() !== 'halfOpen') return;
    this.send({ type: 'CANCEL', generation });
  }

  /** A fallback answered: it never moves the machine, so it is always counted here. */
  fellBack(): void {
    if (!this.disposed) this.#fold.fallbacks += 1;
  }

  /** Sends an event to the machine, folding the local tally in first. */
  send(event: CircuitBreakerEvent): void {
    const actor = this.host();
    this.flush();
    this.#busy += 1;
    try {
      actor.send(event);
    } finally {
      this.#busy -= 1;
    }
    if (this.#busy === 0) this.#settled();
  }

  /** The machine finished a step: refresh what the hot path keeps, then tell the listeners. */
  #settled(): void {
    this.#admitting = -1;
    this.#folding = -1;
    this.#open.clear();
    const actor = this.#actor;
    if (this.#fast && !this.disposed) {
      const { value, context } =
        actor === undefined ? { value: null, context: this.context() } : actor.getSnapshot();
      const state = value === null ? 'closed' : circuitStateOf(value);
      if (state === 'closed' || state === 'disabled') this.#admitting = context.generation;
      if (state === 'open') this.#open.arm(retryDueAt(context));
      if (this.#fold.verdict(state, context, context.generation, 0, 0) === 'current') {
        this.#folding = context.generation;
      }
    }
    if (this.listeners.holding) this.listeners.deliver();
  }

  /**
   * Folds the locally counted outcomes into the machine as one `TALLY` event. The counts are
   * taken before the send, so a listener that reads the stats during it cannot fold them twice.
   */
  flush(): void {
    if (this.#fold.empty || this.disposed || this.#busy > 0) return;
    const actor = this.host();
    const tally = this.#fold.take(this.clock.now());
    this.#busy += 1;
    try {
      actor.send(tally);
    } finally {
      this.#busy -= 1;
    }
    if (this.#busy === 0) this.#settled();
  }

  /** The machine's snapshot with everything folded so far counted in. */
  flushed() {
    const actor = this.host();
    this.flush();
    return actor.getSnapshot();
  }

  /** What guarded calls (per-call policies) need from the breaker, made on first use. */
  guardHooks(): GuardedCallHooks {
    this.#hooks ??= guardHooksOf(this);
    return this.#hooks;
  }

  dispose(): void {
    if (this.disposed) return;
    this.link?.dispose();
    this.flush();
    this.disposed = true;
    this.#admitting = -1;
    this.#folding = -1;
    this.#open.clear();
    if (this.#wakeTimer !== undefined) this.clock.clearTimeout(this.#wakeTimer);
    this.#bucketClock?.dispose();
    for (const unsubscribe of this.#unsubscribes ?? []) unsubscribe();
    this.#actor?.stop();
  }
}
