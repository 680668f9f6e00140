/**
 * Settling outcomes: each admitted call's success, failure, ignored error or cancellation. An
 * outcome is folded (counted in `OutcomeFold`) only when the machine's rules prove it cannot
 * move the machine (`OutcomeFold.verdict`); everything else goes to the machine as an event,
 * through the controller. A folded outcome's per-call event is emitted here, in order with the
 * machine's own events.
 */

import { circuitStateOf, OUTCOME_FAILURE, OUTCOME_SLOW } from '../machine/rules.js';
import type { CircuitBreakerContext, CircuitBreakerEvent, CircuitState } from '../machine/types.js';
import { BucketClock } from './bucket-clock.js';
import type { BreakerController } from './controller.js';
import { OutcomeFold } from './fold.js';
import type { BreakerLogger } from './logger.js';
import { retryAfterAnswer } from './retry-after.js';
import type { ServiceSetup } from './setup.js';

export class OutcomeRecorder {
  readonly fold = new OutcomeFold();
  /**
   * The generation whose plain success the fold's verdict takes as `current` in any count (a
   * plain success never trips; `OutcomeFold.verdict`), or -1. Refreshed by `follow` after every
   * step of the machine, so the hot path asks no snapshot.
   */
  folding = -1;
  readonly #core: BreakerController;
  /** The config has a sliding window (a folded call is then pushed into the fold's mirror). */
  readonly #windowed: boolean;
  /** With a time window: the time a folded success lands at (its bucket's), else null. */
  readonly #bucketClock: BucketClock | null;
  readonly #retryAfter: ((error: unknown) => number | undefined) | undefined;
  readonly #logger: BreakerLogger | undefined;

  constructor(core: BreakerController, setup: ServiceSetup) {
    const window = setup.config.slidingWindow;
    this.#core = core;
    this.#windowed = window !== null;
    this.#bucketClock =
      window?.type === 'time' ? new BucketClock(setup.clock, setup.config, window) : null;
    this.#retryAfter = setup.retryAfter;
    this.#logger = setup.logger;
  }

  /** The machine stands in `state` with `context` now: which plain successes fold at once. */
  follow(state: CircuitState, context: CircuitBreakerContext): void {
    const current = this.fold.verdict(state, context, context.generation, 0, 0) === 'current';
    this.folding = current ? context.generation : -1;
  }

  /** Stops the bucket clock's timer; nothing is folded any more. */
  dispose(): void {
    this.folding = -1;
    this.#bucketClock?.dispose();
  }

  succeed(generation: number, slow: boolean): void {
    const core = this.#core;
    if (generation === this.folding && !slow && core.busy === 0) {
      // The verdict of a plain success of this generation is known: `current`. Without a
      // window there is nothing to push: no context is looked up, and this path shares no call
      // with the windowed one, so V8's code for it stays small when windowed breakers run the
      // same methods.
      if (!this.#windowed) {
        this.fold.countCurrentSuccess();
        this.#announceSuccess(null, false);
        return;
      }
      const bucketAt = this.#bucketClock === null ? 0 : this.#bucketClock.now();
      this.#foldSuccess(core.context(), 0, bucketAt, true, false);
      return;
    }
    this.#settleSuccess(generation, slow);
  }

  /** A success off the hot path: one the verdict has to be asked about, or the machine's. */
  #settleSuccess(generation: number, slow: boolean): void {
    const core = this.#core;
    if (core.disposed) return;
    // A probe holding a shared lease settles it, even when its result is late here (a remote
    // change re-entered half-open meanwhile): the shared circuit counts it either way.
    core.link?.settled(generation, !(slow && core.config.slowCallRateThreshold !== null));
    if (core.foldsOutcomes && core.busy === 0) {
      const snapshot = core.actorIfBuilt?.getSnapshot();
      const context = snapshot === undefined ? core.context() : snapshot.context;
      const state = snapshot === undefined ? 'closed' : circuitStateOf(snapshot.value);
      const code = slow ? OUTCOME_SLOW : 0;
      // Only a slow success or a time window needs the time; a plain success reads no clock.
      const at = code !== 0 || context.config.slidingWindow?.type === 'time' ? core.clock.now() : 0;
      const verdict = this.fold.verdict(state, context, generation, code, at);
      if (verdict !== 'send') {
        this.#foldSuccess(context, code, at, verdict === 'current', at !== 0);
        return;
      }
    }
    core.send({ type: 'SUCCESS', at: core.clock.now(), generation, slow });
  }

  /**
   * Counts a success the machine cannot be moved by; `current`: of this state (else late).
   * `exact`: `at` is the clock's time now (else only its bucket's, or 0 without a time window).
   */
  #foldSuccess(
    context: CircuitBreakerContext,
    code: number,
    at: number,
    current: boolean,
    exact: boolean,
  ): void {
    const core = this.#core;
    const fold = this.fold;
    fold.countSuccess(context, code, at, current);
    this.#announceSuccess(exact ? at : null, !current);
    if (fold.full) core.flush();
  }

  /** The `success` event of a folded success, if anyone listens; `at` null: read the clock. */
  #announceSuccess(at: number | null, late: boolean): void {
    const core = this.#core;
    if (core.listeners.perCall > 0 && core.listeners.has('success')) {
      core.announce({ type: 'success', at: at ?? core.clock.now(), late });
    }
  }

  fail(generation: number, error: unknown, slow: boolean, timeout: boolean): void {
    const core = this.#core;
    if (core.disposed) return;
    core.link?.settled(generation, false);
    const at = core.clock.now();
    const retryAfter =
      this.#retryAfter === undefined
        ? undefined
        : retryAfterAnswer(this.#retryAfter, error, core.name, this.#logger);
    const folded =
      core.foldsOutcomes &&
      core.busy === 0 &&
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
    const core = this.#core;
    const fold = this.fold;
    const snapshot = core.actorIfBuilt?.getSnapshot();
    const context = snapshot === undefined ? core.context() : snapshot.context;
    const state = snapshot === undefined ? 'closed' : circuitStateOf(snapshot.value);
    const code = OUTCOME_FAILURE | (slow ? OUTCOME_SLOW : 0);
    const verdict = fold.verdict(state, context, generation, code, at);
    if (verdict === 'send') return false;
    fold.countFailure(context, code, at, verdict === 'current', timeout);
    if (core.listeners.perCall > 0 && core.listeners.has('failure')) {
      core.announce({ type: 'failure', at, late: verdict === 'late', error });
    }
    if (fold.full) core.flush();
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
    this.#core.send(event);
  }

  /** A call failed with an ignored error: give back its probe slot; count it as ignored. */
  ignore(generation: number): void {
    const core = this.#core;
    if (core.disposed) return;
    if (core.foldsOutcomes && core.busy === 0 && core.state() !== 'halfOpen') {
      this.fold.ignored += 1;
      return;
    }
    core.link?.released(generation);
    core.send({ type: 'IGNORE', generation });
  }

  /** A call's caller gave up: give back the probe slot (and shared lease) it may hold. */
  cancel(generation: number): void {
    const core = this.#core;
    if (core.disposed || core.state() !== 'halfOpen') return;
    core.link?.released(generation);
    core.send({ type: 'CANCEL', generation });
  }

  /**
   * A probe the shared store gave no lease: give back its local slot, and nothing of the
   * store's (the leases held are other probes' of the same generation).
   */
  unadmit(generation: number): void {
    const core = this.#core;
    if (core.disposed || core.state() !== 'halfOpen') return;
    core.send({ type: 'CANCEL', generation });
  }

  /** A fallback answered: it never moves the machine, so it is always counted here. */
  fellBack(): void {
    if (!this.#core.disposed) this.fold.fallbacks += 1;
  }
}
