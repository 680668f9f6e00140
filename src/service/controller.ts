/**
 * The state controller: the one place that talks to the breaker's actor. It builds the actor
 * when something first needs it, admits calls, settles outcomes (folding those the machine's
 * rules prove cannot move it, see `OutcomeFold`), sends everything else, and hands the
 * machine's events to the listeners once the machine is done with the event that caused them.
 * `CircuitBreaker` is the public face over it; nothing else touches the actor.
 */

import { INITIAL_GENERATION, initialContextFor } from '../machine/context.js';
import type { CircuitBreakerConfig } from '../machine/options.js';
import { circuitStateOf, retryDueAt } from '../machine/rules.js';
import type {
  CircuitBreakerContext,
  CircuitBreakerEmitted,
  CircuitBreakerEvent,
  CircuitState,
} from '../machine/types.js';
import { type CircuitBreakerActor, createBreakerActor } from './actor-host.js';
import type { ResetTimeoutFunction } from './backoff.js';
import { type BreakerClock, remainingWithin } from './clock.js';
import { CircuitBreakerDisposedError, CircuitOpenError } from './errors.js';
import { type GuardedCallHooks, TURNED_AWAY } from './guarded-call.js';
import { guardHooksOf } from './guarded-entry.js';
import { BreakerListeners } from './listeners.js';
import type { BreakerLogger } from './logger.js';
import { OpenGate } from './open-gate.js';
import { OutcomeRecorder } from './outcome-recorder.js';
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
  /** Settles each call's outcome, folding those that cannot move the machine. */
  readonly outcomes: OutcomeRecorder;
  #hooks: GuardedCallHooks | undefined;
  /** The link to a shared store (the `store` option), or undefined. */
  link: StoreLink | undefined;
  /*
   * What the machine's last step leaves true, kept so the hot path asks no snapshot (refreshed
   * by `#settled()` after every step; only while `#fast`, since nobody else then moves the
   * machine). `#admitting`: the generation every call is admitted in (closed, disabled), or -1.
   * (`outcomes.folding` is the settling side's.)
   */
  #admitting = -1;
  /** Open: whether its timeout is still ahead, at less than a clock read per call. */
  readonly #open: OpenGate;

  constructor(setup: ServiceSetup) {
    this.config = setup.config;
    this.clock = setup.clock;
    this.errorStacks = setup.errorStacks;
    this.#logger = setup.logger;
    this.#backoff = setup.backoff;
    this.#inspect = setup.inspect;
    this.#open = new OpenGate(setup.clock);
    this.#fast = setup.inspect === undefined;
    this.listeners = new BreakerListeners(setup.config.name, setup.logger);
    this.outcomes = new OutcomeRecorder(this, setup);
    if (this.#fast) {
      // The machine's initial state, without building its context: closed, generation 0.
      this.#admitting = INITIAL_GENERATION;
      this.outcomes.folding = INITIAL_GENERATION;
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

  /** Above 0 while the machine processes an event (see `#busy`). */
  get busy(): number {
    return this.#busy;
  }

  /** True while outcomes may be folded locally; false when someone watches every event. */
  get foldsOutcomes(): boolean {
    return this.#fast;
  }

  /** A per-call event of a folded outcome, in order with the machine's own events. */
  announce(event: CircuitBreakerEmitted): void {
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
    this.outcomes.fold.rejections += 1;
    if (this.listeners.perCall > 0 && this.listeners.has('reject')) {
      this.announce({ type: 'reject', at: this.clock.now(), state });
    }
    return TURNED_AWAY;
  }

  /*
   * Settling outcomes: see `OutcomeRecorder`, which folds what cannot move the machine and
   * sends the rest through `send`.
   */

  succeed(generation: number, slow = false): void {
    this.outcomes.succeed(generation, slow);
  }

  fail(generation: number, error: unknown, slow = false, timeout = false): void {
    this.outcomes.fail(generation, error, slow, timeout);
  }

  ignore(generation: number): void {
    this.outcomes.ignore(generation);
  }

  cancel(generation: number): void {
    this.outcomes.cancel(generation);
  }

  unadmit(generation: number): void {
    this.outcomes.unadmit(generation);
  }

  fellBack(): void {
    this.outcomes.fellBack();
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
    this.outcomes.folding = -1;
    this.#open.clear();
    const actor = this.#actor;
    if (this.#fast && !this.disposed) {
      const { value, context } =
        actor === undefined ? { value: null, context: this.context() } : actor.getSnapshot();
      const state = value === null ? 'closed' : circuitStateOf(value);
      if (state === 'closed' || state === 'disabled') this.#admitting = context.generation;
      if (state === 'open') this.#open.arm(retryDueAt(context));
      this.outcomes.follow(state, context);
    }
    if (this.listeners.holding) this.listeners.deliver();
  }

  /**
   * Folds the locally counted outcomes into the machine as one `TALLY` event. The counts are
   * taken before the send, so a listener that reads the stats during it cannot fold them twice.
   */
  flush(): void {
    const fold = this.outcomes.fold;
    if (fold.empty || this.disposed || this.#busy > 0) return;
    const actor = this.host();
    const tally = fold.take(this.clock.now());
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
    this.outcomes.dispose();
    this.#open.clear();
    if (this.#wakeTimer !== undefined) this.clock.clearTimeout(this.#wakeTimer);
    for (const unsubscribe of this.#unsubscribes ?? []) unsubscribe();
    this.#actor?.stop();
  }
}
