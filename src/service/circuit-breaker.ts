import type { CircuitBreakerConfig } from '../machine/options.js';
import { describeValue } from '../machine/options.js';
import { circuitStateOf, measure, retryDueAt, storeRegionOf } from '../machine/rules.js';
import type {
  BreakerMetrics,
  CircuitBreakerStats,
  CircuitState,
  StoreLinkStatus,
} from '../machine/types.js';
import type { CircuitBreakerActor } from './actor-host.js';
import { type Admission, BreakerController } from './controller.js';
import { CircuitBreakerDisposedError } from './errors.js';
import {
  classifyError,
  type GuardedCallPolicy,
  signalThatNeverAborts,
  TURNED_AWAY,
} from './guarded-call.js';
import { applyGuarded, checkExecuteOptions, executeGuarded } from './guarded-entry.js';
import type { CircuitBreakerEventOf, CircuitBreakerEventType } from './listeners.js';
import {
  type CircuitBreakerOptions,
  type ControlOptions,
  checkAmount,
  checkControl,
  checkCost,
  checkForceOpen,
  type ExecuteContext,
  type ExecuteOptions,
  type ForceOpenOptions,
  NO_POLICY,
  type WrapOptions,
} from './options.js';
import { CallSettler, rejectSoon } from './settle.js';
import { freezeConfig, resolveServiceSetup } from './setup.js';
import { runSignalled } from './signalled-call.js';
import { type CircuitBreakerSnapshot, readBreakerSnapshot, toBreakerSnapshot } from './snapshot.js';
import { callAfterLease, linkStore } from './store-link.js';

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
export class CircuitBreaker implements Disposable {
  /** The state controller: it alone talks to the actor. */
  readonly #core: BreakerController;
  readonly #settler: CallSettler;
  /** The per-call policies, or null when none is configured (the plain, fastest path). */
  readonly #policy: GuardedCallPolicy | null;
  /** The resolved options, frozen, as `config` shows them (made on first read). */
  #publicConfig: Readonly<CircuitBreakerConfig> | undefined;

  /**
   * @param options - see {@link CircuitBreakerOptions}; all optional.
   * @throws TypeError or RangeError naming the first bad option and its value.
   */
  constructor(options: CircuitBreakerOptions = {}) {
    const setup = resolveServiceSetup(options);
    const core = new BreakerController(setup);
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
   * The breaker's state and counters as JSON-safe data, built on XState's persisted snapshot.
   * Give it back as the `snapshot` option to restore the breaker in another process.
   *
   * @example
   * ```ts
   * const saved = JSON.stringify(breaker); // calls toJSON()
   * const again = new CircuitBreaker({ name: breaker.name, snapshot: saved });
   * ```
   */
  toJSON(): CircuitBreakerSnapshot {
    const core = this.#core;
    core.flush();
    return toBreakerSnapshot(core.host().getPersistedSnapshot(), core.config);
  }

  /** The breaker's name. */
  get name(): string {
    return this.#core.name;
  }

  /** The current state, flat: `closed`, `open`, `halfOpen`, `forcedOpen` or `disabled`. */
  get state(): CircuitState {
    return this.#core.state();
  }

  /**
   * Whether the shared store answers: `'connected'`, `'degraded'` (each replica then decides as
   * `onStoreUnavailable` says), or `null` for a breaker without a store.
   *
   * @example
   * ```ts
   * if (breaker.storeStatus === 'degraded') console.warn('deciding alone for now');
   * ```
   */
  get storeStatus(): StoreLinkStatus | null {
    const actor = this.#core.actorIfBuilt;
    const region = actor === undefined ? 'standalone' : storeRegionOf(actor.getSnapshot().value);
    return region === 'standalone' ? null : region;
  }

  /**
   * The resolved options in force (defaults filled in), read-only.
   *
   * @example
   * ```ts
   * breaker.config.failureThreshold; // 5
   * ```
   */
  get config(): Readonly<CircuitBreakerConfig> {
    this.#publicConfig ??= freezeConfig(this.#core.config);
    return this.#publicConfig;
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
      const context = [{ signal: signal ?? signalThatNeverAborts() }] as [ExecuteContext];
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

  /**
   * Milliseconds until an open circuit lets a probe through (0 when due), or null unless open.
   *
   * @example
   * ```ts
   * breaker.timeUntilRetry(); // 12000
   * ```
   */
  timeUntilRetry(): number | null {
    return this.#core.timeUntilRetry();
  }

  /**
   * A copy of the counters, exact at the moment of the call.
   *
   * @example
   * ```ts
   * const { totalFailures, timesOpened, totalEstimatedCost } = breaker.getStats();
   * ```
   */
  getStats(): CircuitBreakerStats {
    const { stats } = this.#core.flushed().context;
    return { ...stats, lastTransition: stats.lastTransition && { ...stats.lastTransition } };
  }

  /**
   * What the breaker measures now: failure and slow-call rates over the sliding window (null
   * without one, or below `minimumThroughput` calls), the calls it holds, rejections since the
   * current state was entered, probes in flight and when an open circuit lets a probe through.
   *
   * @example
   * ```ts
   * const { failureRate, bufferedCalls, retryAt } = breaker.getMetrics();
   * ```
   */
  getMetrics(): BreakerMetrics {
    const { value, context } = this.#core.flushed();
    return measure(circuitStateOf(value), context, this.#core.clock.now(), this.storeStatus);
  }

  /**
   * Adds the token usage and estimated cost of one execution to the stats.
   *
   * @example
   * ```ts
   * breaker.recordCost({ inputTokens: 1200, outputTokens: 300, estimatedCost: 0.0042 });
   * ```
   */
  recordCost(cost: { inputTokens: number; outputTokens: number; estimatedCost: number }): void {
    this.#core.assertLive();
    const { inputTokens, outputTokens, estimatedCost } = checkCost(cost);
    this.#core.send({ type: 'RECORD_COST', inputTokens, outputTokens, estimatedCost });
  }

  /**
   * True when the total estimated cost is above `maxCost`.
   *
   * @example
   * ```ts
   * if (breaker.isCostExceeded(10)) throw new Error('budget spent');
   * ```
   */
  isCostExceeded(maxCost: number): boolean {
    checkAmount('maxCost', maxCost, false);
    return this.#core.context().stats.totalEstimatedCost > maxCost;
  }

  /**
   * Closes the circuit and zeroes its working counters (failures, probes); stats are kept.
   * Calls in flight from before the reset can no longer move the circuit.
   *
   * @example
   * ```ts
   * breaker.reset();
   * ```
   */
  reset(options?: ControlOptions): void {
    this.#core.assertLive();
    const reason = checkControl('reset', options);
    this.#core.send({ type: 'RESET', at: this.#core.clock.now() });
    this.#core.link?.command('reset', { reason: reason ?? '' });
  }

  /**
   * Holds the circuit open (`forcedOpen`, no timer) until `forceClose()` or `reset()`; with
   * `{ for: ms }` it opens for that long instead (state `open`, reason `forced`), then
   * half-opens as usual.
   *
   * @example
   * ```ts
   * breaker.forceOpen(); // maintenance window
   * breaker.forceOpen({ for: 60_000 }); // back off for a minute
   * ```
   */
  forceOpen(options?: ForceOpenOptions): void {
    this.#core.assertLive();
    const period = checkForceOpen(options);
    const at = this.#core.clock.now();
    this.#core.send(
      period === undefined ? { type: 'FORCE_OPEN', at } : { type: 'FORCE_OPEN', at, for: period },
    );
    const reason = options?.reason ?? '';
    this.#core.link?.command(
      'forceOpen',
      period === undefined ? { reason } : { reason, for: period },
    );
  }

  /**
   * Admits every call and keeps counting (stats, window, metrics) but never trips, until
   * `reset()` or `forceClose()` (resilience4j's METRICS_ONLY). State `disabled`.
   *
   * @example
   * ```ts
   * breaker.disable(); // watch what it would do, without ever turning a call away
   * ```
   */
  disable(options?: ControlOptions): void {
    this.#core.assertLive();
    const reason = checkControl('disable', options);
    this.#core.send({ type: 'DISABLE', at: this.#core.clock.now() });
    this.#core.link?.command('disable', { reason: reason ?? '' });
  }

  /**
   * Closes the circuit and clears the failure count.
   *
   * @example
   * ```ts
   * breaker.forceClose();
   * ```
   */
  forceClose(options?: ControlOptions): void {
    this.#core.assertLive();
    const reason = checkControl('forceClose', options);
    this.#core.send({ type: 'FORCE_CLOSE', at: this.#core.clock.now() });
    this.#core.link?.command('forceClose', { reason: reason ?? '' });
  }

  /**
   * Calls `listener` for every event of `type`; returns a function that stops it. Listeners
   * run once the machine is done with the event that caused theirs, so what they read is exact.
   * Per-call events (`success`, `failure`, `reject`) cost no XState event. A listener that
   * throws does not break the breaker; its error goes to `logger.warn`, or to `console.error`.
   *
   * @example
   * ```ts
   * const off = breaker.on('stateChange', ({ from, to }) => console.log(from, '->', to));
   * off();
   * ```
   */
  on<T extends CircuitBreakerEventType>(
    type: T,
    listener: (event: CircuitBreakerEventOf<T>) => void,
  ): () => void {
    this.#core.assertLive();
    return this.#core.listeners.add(type, listener as (event: never) => void);
  }

  /**
   * Stops the actor and its timers. Later calls reject (or throw) with
   * {@link CircuitBreakerDisposedError}; `state`, `getStats()` and `toString()` still answer.
   *
   * @example
   * ```ts
   * breaker.dispose();
   * ```
   */
  dispose(): void {
    this.#core.dispose();
  }

  /** Same as {@link CircuitBreaker.dispose}, for `using breaker = new CircuitBreaker()`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * For example `CircuitBreaker(name=redis, state=open, reason=consecutiveFailures,
   * failures=0/5, retryIn=12000ms)`: the reason of the last transition, and the failures in a
   * row of the current state (a state change starts them again).
   */
  toString(): string {
    const { failureThreshold } = this.#core.config;
    const { value, context } = this.#core.flushed();
    const retryIn = this.timeUntilRetry();
    const retry = retryIn === null ? '' : `, retryIn=${retryIn}ms`;
    const of = failureThreshold === null ? '' : `/${failureThreshold}`;
    const last = context.stats.lastTransition;
    const reason = last === null ? '' : `, reason=${last.reason}`;
    return `CircuitBreaker(name=${this.name}, state=${circuitStateOf(value)}${reason}, failures=${context.stats.consecutiveFailures}${of}${retry})`;
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
