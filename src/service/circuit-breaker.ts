import { circuitStateOf, retryDueAt } from '../machine/rules.js';
import { describeValue } from '../validate.js';
import type { CircuitBreakerActor } from './actor-host.js';
import { BreakerControls } from './breaker-controls.js';
import { type Admission, BreakerController } from './controller.js';
import { CircuitBreakerDisposedError } from './errors.js';
import {
  classifyError,
  type GuardedCallPolicy,
  signalThatNeverAborts,
  TURNED_AWAY,
} from './guarded-call.js';
import { applyGuarded, checkExecuteOptions, executeGuarded } from './guarded-entry.js';
import {
  type CircuitBreakerOptions,
  type ExecuteContext,
  type ExecuteOptions,
  NO_POLICY,
  type WrapOptions,
} from './options.js';
import { CallSettler, rejectSoon } from './settle.js';
import { resolveServiceSetup } from './setup.js';
import { runSignalled } from './signalled-call.js';
import { readBreakerSnapshot } from './snapshot.js';
import { callAfterLease, executeAfterLease, linkStore } from './store-link.js';

export type { CircuitBreakerActor } from './actor-host.js';
export type { CircuitBreakerEventOf, CircuitBreakerEventType } from './listeners.js';

type Fallback = GuardedCallPolicy['fallback'];

export type {
  CircuitBreakerOptions,
  ControlOptions,
  ExecuteContext,
  ExecuteOptions,
  ForceOpenOptions,
  WrapOptions,
} from './options.js';

/**
 * A circuit breaker whose state lives in an XState actor running `circuitBreakerMachine`.
 *
 * The machine is the single source of truth for state. To keep a healthy call cheap, outcomes
 * that provably cannot change the state (a success in `closed`, a failure below the threshold, a
 * rejection while `open`) are counted here (see `OutcomeFold`) and folded into the machine's
 * context as one `TALLY` event before anything reads it: `getStats()`, `toString()`, the next
 * real event. Their `success`/`failure`/`reject` events are emitted here, in order. The actor
 * itself is built the first time something needs more than this fast path; until then the
 * machine is, by definition, in its initial state. With an inspector attached, or after `actor`
 * was read, every outcome is sent as its own event.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: 'users', failureThreshold: 3, resetTimeout: 10_000 });
 * const user = await breaker.call(fetchUser, 42); // rejects with CircuitOpenError when open
 * ```
 */
export class CircuitBreaker extends BreakerControls {
  /** The state controller: it alone talks to the actor. */
  readonly #core: BreakerController;
  readonly #settler: CallSettler;
  /** The per-call policies, or null when none is configured (the plain, fastest path). */
  readonly #policy: GuardedCallPolicy | null;

  /**
   * @param options - see {@link CircuitBreakerOptions}; all optional.
   * @throws TypeError or RangeError naming the first bad option and its value.
   */
  constructor(options: CircuitBreakerOptions = {}) {
    const setup = resolveServiceSetup(options);
    const core = new BreakerController(setup);
    super(core);
    this.#core = core;
    this.#settler = new CallSettler(core);
    this.#policy = setup.policy;
    const snapshot = options?.snapshot;
    if (snapshot != null || setup.inspect !== undefined) {
      // A restored state, and an inspector that must see the actor from its start, need it now.
      const now = core.clock.now();
      const restored =
        snapshot == null
          ? undefined
          : readBreakerSnapshot(
              snapshot,
              setup.config,
              now,
              typeof options.resetTimeout !== 'number',
            );
      const actor = core.start(restored);
      const { value, context } = actor.getSnapshot();
      if (circuitStateOf(value) === 'open') core.scheduleWake(retryDueAt(context) - now);
    }
    if (setup.store !== null) {
      core.link = linkStore(core, setup.store, setup.policy?.callTimeout ?? null, setup.logger);
    }
  }

  /**
   * The running XState actor, for apps built on XState. Reading it folds pending counts and
   * turns on full fidelity: from then on every outcome is an event the actor's observers see.
   */
  get actor(): CircuitBreakerActor {
    const actor = this.#core.host();
    this.#core.watchEveryEvent();
    return actor;
  }

  /**
   * Runs `fn(...args)` through the breaker. Rejects with {@link CircuitOpenError}, without
   * calling `fn`, when the circuit turns the call away; otherwise records the outcome and
   * returns or rethrows `fn`'s own result unchanged.
   *
   * @example
   * ```ts
   * const user = await breaker.call(fetchUser, 42);
   * ```
   */
  call<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, ...args: A): Promise<R> {
    if (this.#policy !== null)
      return applyGuarded(this.#core.guardHooks(), this.#policy, fn, undefined, args, undefined);
    let token: Admission;
    try {
      token = this.#enter(fn);
    } catch (refusal) {
      return Promise.reject(refusal);
    }
    if (token === TURNED_AWAY) return rejectSoon(this.#core.openError());
    if (typeof token !== 'number') {
      return callAfterLease(token, this.#core, this.#settler, fn, undefined, args);
    }
    let result: R | PromiseLike<R>;
    try {
      result = fn(...args);
    } catch (error) {
      return this.#settler.thrown(token, error);
    }
    return this.#settler.track(token, result);
  }

  /**
   * Like {@link CircuitBreaker.call}, but `fn` receives `{ signal }`: the caller's signal (or
   * one that never aborts). A signal that is already aborted rejects with its reason and runs
   * nothing.
   *
   * @example
   * ```ts
   * const res = await breaker.execute(({ signal }) => fetch(url, { signal }), { signal });
   * ```
   */
  execute<R>(
    fn: (context: ExecuteContext) => R | PromiseLike<R>,
    options: ExecuteOptions = {},
  ): Promise<R> {
    try {
      checkExecuteOptions(options);
    } catch (problem) {
      return Promise.reject(problem);
    }
    const signal = options?.signal;
    const fallback = options?.fallback as Fallback;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#policy !== null || fallback !== undefined) {
      return executeGuarded(this.#core.guardHooks(), this.#policy, fn, signal, fallback);
    }
    let token: Admission;
    try {
      token = this.#enter(fn);
    } catch (refusal) {
      return Promise.reject(refusal);
    }
    if (token === TURNED_AWAY) return rejectSoon(this.#core.openError());
    if (typeof token !== 'number') {
      if (signal !== undefined) return executeAfterLease(token, this.#core, fn, signal);
      const context = [{ signal: signalThatNeverAborts() }] as [ExecuteContext];
      return callAfterLease(token, this.#core, this.#settler, fn, undefined, context);
    }
    if (signal !== undefined) return runSignalled(this.#core, token, fn, signal);
    let result: R | PromiseLike<R>;
    try {
      result = fn({ signal: signalThatNeverAborts() });
    } catch (error) {
      return this.#settler.thrown(token, error);
    }
    return this.#settler.track(token, result);
  }

  /**
   * Returns a function with `fn`'s parameters (and `this`) whose every call goes through the
   * breaker.
   *
   * @example
   * ```ts
   * const getUser = breaker.wrap(fetchUser);
   * await getUser(42);
   * ```
   */
  wrap<T, A extends unknown[], R>(
    fn: (this: T, ...args: A) => R | PromiseLike<R>,
    options: WrapOptions<A> = {},
  ): (this: T, ...args: A) => Promise<R> {
    if (typeof fn !== 'function') {
      throw new TypeError(`fn must be a function, got ${describeValue(fn)}`);
    }
    const { fallback } = options ?? {};
    if (fallback !== undefined && typeof fallback !== 'function') {
      throw new TypeError(`fallback must be a function, got ${describeValue(fallback)}`);
    }
    const breaker = this;
    return function (this: T, ...args: A): Promise<R> {
      if (breaker.#policy !== null || fallback !== undefined) {
        const hooks = breaker.#core.guardHooks();
        return applyGuarded(hooks, breaker.#policy, fn, this, args, fallback as Fallback);
      }
      let token: Admission;
      try {
        token = breaker.#enter(fn);
      } catch (refusal) {
        return Promise.reject(refusal);
      }
      if (token === TURNED_AWAY) return rejectSoon(breaker.#core.openError());
      if (typeof token !== 'number') {
        return callAfterLease(token, breaker.#core, breaker.#settler, fn, this, args);
      }
      let result: R | PromiseLike<R>;
      try {
        result = fn.call(this, ...args);
      } catch (error) {
        return breaker.#settler.thrown(token, error);
      }
      return breaker.#settler.track(token, result);
    };
  }

  /**
   * Asks whether a call may run now, for code that runs the call itself and then reports with
   * {@link CircuitBreaker.recordSuccess} or {@link CircuitBreaker.recordFailure}. In half-open
   * a `true` takes a probe slot, which the next record releases; an open circuit whose timeout
   * has passed moves to half-open first. A `false` counts as a rejection.
   *
   * @example
   * ```ts
   * if (breaker.canExecute()) {
   *   try { await work(); breaker.recordSuccess(); }
   *   catch (error) { breaker.recordFailure(error); throw error; }
   * } else {
   *   console.log('retry in', breaker.timeUntilRetry(), 'ms');
   * }
   * ```
   */
  canExecute(): boolean {
    this.#core.assertLive();
    const admitted = this.#core.admit();
    // With a store, a half-open `true` cannot wait for the lease: the probe runs regardless.
    if (typeof admitted === 'object') admitted.detach();
    return admitted !== TURNED_AWAY;
  }

  /**
   * Records a success of a call admitted by {@link CircuitBreaker.canExecute}.
   *
   * @example
   * ```ts
   * breaker.recordSuccess();
   * ```
   */
  recordSuccess(): void {
    this.#core.assertLive();
    this.#core.succeed(this.#core.context().generation);
  }

  /**
   * Records a failure of a call admitted by {@link CircuitBreaker.canExecute}.
   *
   * @example
   * ```ts
   * breaker.recordFailure(new Error('timeout'));
   * ```
   */
  recordFailure(error?: unknown): void {
    this.#core.assertLive();
    const { generation } = this.#core.context();
    const verdict = classifyError(this.#policy ?? NO_POLICY, error);
    if (verdict === 'ignored') this.#core.ignore(generation);
    else if (verdict === 'success') this.#core.succeed(generation);
    else this.#core.fail(generation, error);
  }

  /*
   * The hot path of `call`, `execute` and `wrap`. Each entry point invokes `fn` itself (a spread
   * of its own rest parameter, which V8 compiles to a plain call) between `#enter`, which admits
   * the call, and the settler's `track`, which records its outcome. Every problem (bad `fn`,
   * disposed, circuit open, `fn` throwing synchronously) comes back as a rejected promise, never
   * as a synchronous throw.
   */

  /**
   * Admits a call: the generation it starts in, or `TURNED_AWAY` when the circuit refuses it.
   * Throws (for the entry point to turn into a rejection) when `fn` is not a function, the
   * breaker is disposed, or admitting itself failed (a throwing clock, say).
   */
  #enter(fn: unknown): Admission {
    if (typeof fn !== 'function') {
      throw new TypeError(`fn must be a function, got ${describeValue(fn)}`);
    }
    const core = this.#core;
    if (core.disposed) throw new CircuitBreakerDisposedError(core.name);
    return core.admit();
  }
}
