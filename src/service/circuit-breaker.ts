import { initialContextFor } from '../machine/context.js';
import {
  type CircuitBreakerConfig,
  type CircuitBreakerInput,
  describeValue,
  isTimerDelay,
  pickMachineInput,
  resolveBreakerConfig,
} from '../machine/options.js';
import {
  circuitStateOf,
  measure,
  OUTCOME_FAILURE,
  OUTCOME_SLOW,
  retryDueAt,
} from '../machine/rules.js';
import type {
  BreakerMetrics,
  CircuitBreakerContext,
  CircuitBreakerEvent,
  CircuitBreakerStats,
  CircuitState,
} from '../machine/types.js';
import { type CircuitBreakerActor, createBreakerActor } from './actor-host.js';
import type { ResetTimeoutFunction } from './backoff.js';
import { type BreakerClock, checkClock, remainingWithin, systemClock } from './clock.js';
import { CircuitBreakerDisposedError, CircuitOpenError } from './errors.js';
import { OutcomeFold } from './fold.js';
import {
  classifyError,
  type GuardedCallHooks,
  type GuardedCallPolicy,
  runGuardedCall,
  signalThatNeverAborts,
  TURNED_AWAY,
} from './guarded-call.js';
import {
  BREAKER_EVENT_TYPES,
  BreakerListeners,
  type CircuitBreakerEventOf,
  type CircuitBreakerEventType,
} from './listeners.js';
import { type BreakerLogger, checkLogger } from './logger.js';
import {
  type CircuitBreakerOptions,
  checkAmount,
  checkForceOpen,
  checkFunction,
  type ExecuteContext,
  type ExecuteOptions,
  type ForceOpenOptions,
  NO_POLICY,
  resolvePolicy,
  SERVICE_OPTION_KEYS,
  type WrapOptions,
} from './options.js';
import {
  type CircuitBreakerSnapshot,
  type PersistedBreakerState,
  readBreakerSnapshot,
  toBreakerSnapshot,
  withSavedOptions,
} from './snapshot.js';
import { logTransitions } from './transition-log.js';

export type { CircuitBreakerActor } from './actor-host.js';
export type { CircuitBreakerEventOf, CircuitBreakerEventType } from './listeners.js';
export type {
  CircuitBreakerOptions,
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
  /** Built on first need (see the class comment); undefined until then. */
  #actor: CircuitBreakerActor | undefined;
  /** The context the machine starts with, made on the first call folded without an actor. */
  #initial: CircuitBreakerContext | undefined;
  readonly #clock: BreakerClock;
  readonly #config: CircuitBreakerConfig;
  /** The machine options as given (plus restored ones), saved by `toJSON` for a restore. */
  readonly #input: CircuitBreakerInput;
  readonly #logger: BreakerLogger | undefined;
  readonly #backoff: ResetTimeoutFunction | undefined;
  readonly #inspect: CircuitBreakerOptions['inspect'];
  readonly #errorStacks: boolean;
  readonly #listeners: BreakerListeners;
  readonly #unsubscribes: Array<() => void> = [];
  /** True while outcomes may be folded locally; false when someone watches every event. */
  #fast: boolean;
  #disposed = false;
  #wakeTimer: unknown;
  /**
   * Above 0 while the machine processes an event we sent (or a timer's). Listeners run then,
   * and XState queues anything sent from them until the current event is done: a snapshot read
   * right after such a send would be stale. So while busy nothing is folded (outcomes go to the
   * queue in order) and an admission that needs the machine's answer is turned away.
   */
  #busy = 0;
  readonly #fold = new OutcomeFold();
  /** The per-call policies, or null when none is configured (the plain, fastest path). */
  readonly #policy: GuardedCallPolicy | null;
  readonly #retryAfter: ((error: unknown) => number | undefined) | undefined;
  /** The resolved options, frozen, as `config` shows them. */
  readonly #publicConfig: Readonly<CircuitBreakerConfig>;
  /** Made on the first guarded call: a breaker that never takes that path never pays for it. */
  #hooks: GuardedCallHooks | undefined;
  /** The generation whose settle handlers `#onSettledOk`/`#onSettledError` are (-1: none yet). */
  #settlersOf = -1;
  #onSettledOk: (() => void) | undefined;
  #onSettledError: ((error: unknown) => void) | undefined;

  /**
   * @param options - see {@link CircuitBreakerOptions}; all optional.
   * @throws TypeError or RangeError naming the first bad option and its value.
   */
  constructor(options: CircuitBreakerOptions = {}) {
    const { resetTimeout } = options ?? {};
    const backoff = typeof resetTimeout === 'function' ? resetTimeout : undefined;
    if (resetTimeout !== undefined && backoff === undefined && typeof resetTimeout !== 'number') {
      throw new TypeError(
        `resetTimeout must be a number or a function, got ${describeValue(resetTimeout)}`,
      );
    }
    const machineOptions = withSavedOptions(
      options?.snapshot,
      backoff ? { ...options, resetTimeout: undefined } : options,
    ) as CircuitBreakerInput;
    if (backoff) machineOptions.resetTimeout = undefined;
    this.#config = resolveBreakerConfig(machineOptions, SERVICE_OPTION_KEYS);
    this.#input = pickMachineInput(machineOptions);
    this.#policy = resolvePolicy(options, this.#config);
    this.#retryAfter = checkFunction('retryAfter', options.retryAfter);
    this.#publicConfig = freezeConfig(this.#config);
    this.#clock = options.clock === undefined ? systemClock : checkClock(options.clock);
    this.#logger = options.logger === undefined ? undefined : checkLogger(options.logger);
    const { inspect } = options;
    if (
      inspect !== undefined &&
      typeof inspect !== 'function' &&
      (typeof inspect !== 'object' || inspect === null || typeof inspect.next !== 'function')
    ) {
      throw new TypeError(
        `inspect must be a function or an observer with next(), got ${describeValue(inspect)}`,
      );
    }
    this.#inspect = inspect;
    const { errorStacks = false } = options;
    if (typeof errorStacks !== 'boolean') {
      throw new TypeError(`errorStacks must be a boolean, got ${describeValue(errorStacks)}`);
    }
    this.#errorStacks = errorStacks;
    this.#backoff = backoff;
    this.#fast = inspect === undefined;
    this.#listeners = new BreakerListeners(this.#config.name, this.#logger);
    if (options.snapshot != null || inspect !== undefined) {
      // A restored state, and an inspector that must see the actor from its start, need it now.
      const now = this.#clock.now();
      const restored =
        options.snapshot == null
          ? undefined
          : readBreakerSnapshot(
              options.snapshot,
              this.#config,
              now,
              typeof resetTimeout !== 'number',
            );
      const actor = this.#start(restored);
      const { value, context } = actor.getSnapshot();
      if (circuitStateOf(value) === 'open') this.#scheduleWake(retryDueAt(context) - now);
    }
  }

  /** The actor, built and started now if it is not yet. */
  #host(): CircuitBreakerActor {
    return this.#actor ?? this.#start(undefined);
  }

  #start(
    restored: Pick<PersistedBreakerState, 'value' | 'context'> | undefined,
  ): CircuitBreakerActor {
    const actor = createBreakerActor({
      config: this.#config,
      clock: this.#clock,
      backoff: this.#backoff,
      logger: this.#logger,
      inspect: this.#inspect,
      restored,
      // A timer is about to move the machine: fold the local counts in first, and mark the
      // machine busy while it processes the timer's event (see `#busy`).
      runTimer: (callback) => {
        this.#flush();
        this.#busy += 1;
        try {
          callback();
        } finally {
          this.#busy -= 1;
        }
      },
    });
    this.#actor = actor;
    const listeners = this.#listeners;
    const relay = actor.on('*', (event) => listeners.emit(event));
    this.#unsubscribes.push(() => relay.unsubscribe());
    if (this.#logger) this.#unsubscribes.push(logTransitions(actor, this.name, this.#logger));
    actor.start();
    return actor;
  }

  /** The machine's context, or the one it would start with while there is no actor yet. */
  #context(): CircuitBreakerContext {
    const actor = this.#actor;
    if (actor !== undefined) return actor.getSnapshot().context;
    this.#initial ??= initialContextFor(this.#config);
    return this.#initial;
  }

  /** The flat state of the machine now (`closed` while there is no actor yet). */
  #stateNow(): CircuitState {
    const actor = this.#actor;
    return actor === undefined ? 'closed' : circuitStateOf(actor.getSnapshot().value);
  }

  /**
   * XState does not persist pending `after` timers (statelyai/xstate#5331), so an open breaker
   * restored from a snapshot gets its half-open timer back here, measured from when it opened.
   */
  #scheduleWake(delay: number): void {
    if (delay <= 0) return; // already due: the first call or canExecute() moves it to halfOpen
    this.#wakeTimer = this.#clock.setTimeout(() => {
      this.#wakeTimer = undefined;
      if (!this.#disposed) this.#send({ type: 'WAKE', at: this.#clock.now() });
    }, delay);
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
    this.#flush();
    return toBreakerSnapshot(this.#host().getPersistedSnapshot(), this.#input);
  }

  /** The breaker's name. */
  get name(): string {
    return this.#config.name;
  }

  /** The current state, flat: `closed`, `open`, `halfOpen`, `forcedOpen` or `disabled`. */
  get state(): CircuitState {
    return this.#stateNow();
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
    return this.#publicConfig;
  }

  /**
   * The running XState actor, for apps built on XState. Reading it folds pending counts and
   * turns on full fidelity: from then on every outcome is an event the actor's observers see.
   */
  get actor(): CircuitBreakerActor {
    const actor = this.#host();
    this.#flush();
    this.#fast = false;
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
    if (this.#policy !== null) return this.#guardedApply(fn, undefined, args, undefined);
    let token: number | typeof TURNED_AWAY;
    try {
      token = this.#enter(fn);
    } catch (refusal) {
      return Promise.reject(refusal);
    }
    if (token === TURNED_AWAY) return rejectSoon(this.#openError());
    let result: R | PromiseLike<R>;
    try {
      result = fn(...args);
    } catch (error) {
      return this.#thrown(token, error);
    }
    return this.#track(token, result);
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
    const { signal, fallback } = options ?? {};
    if (
      signal !== undefined &&
      (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')
    ) {
      return Promise.reject(
        new TypeError(`signal must be an AbortSignal, got ${describeValue(signal)}`),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (fallback !== undefined && typeof fallback !== 'function') {
      return Promise.reject(
        new TypeError(`fallback must be a function, got ${describeValue(fallback)}`),
      );
    }
    if (this.#policy !== null || signal !== undefined || fallback !== undefined) {
      return this.#guardedExecute(fn, signal, fallback);
    }
    let token: number | typeof TURNED_AWAY;
    try {
      token = this.#enter(fn);
    } catch (refusal) {
      return Promise.reject(refusal);
    }
    if (token === TURNED_AWAY) return rejectSoon(this.#openError());
    let result: R | PromiseLike<R>;
    try {
      result = fn({ signal: signalThatNeverAborts() });
    } catch (error) {
      return this.#thrown(token, error);
    }
    return this.#track(token, result);
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
        return breaker.#guardedApply(fn, this, args, fallback as GuardedCallPolicy['fallback']);
      }
      let token: number | typeof TURNED_AWAY;
      try {
        token = breaker.#enter(fn);
      } catch (refusal) {
        return Promise.reject(refusal);
      }
      if (token === TURNED_AWAY) return rejectSoon(breaker.#openError());
      let result: R | PromiseLike<R>;
      try {
        result = fn.call(this, ...args);
      } catch (error) {
        return breaker.#thrown(token, error);
      }
      return breaker.#track(token, result);
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
    this.#assertLive();
    return this.#admit() !== TURNED_AWAY;
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
    this.#assertLive();
    this.#succeed(this.#context().generation);
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
    this.#assertLive();
    const { generation } = this.#context();
    const verdict = classifyError(this.#policy ?? NO_POLICY, error);
    if (verdict === 'ignored') this.#ignore(generation);
    else if (verdict === 'success') this.#succeed(generation);
    else this.#fail(generation, error);
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
    if (this.#actor === undefined) return null;
    const { value, context } = this.#actor.getSnapshot();
    if (circuitStateOf(value) !== 'open') return null;
    return remainingWithin(retryDueAt(context), this.#clock.now(), context.openTimeout);
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
    const { stats } = this.#flushed().context;
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
    const { value, context } = this.#flushed();
    return measure(circuitStateOf(value), context, this.#clock.now());
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
    this.#assertLive();
    if (typeof cost !== 'object' || cost === null) {
      throw new TypeError(`cost must be an object, got ${describeValue(cost)}`);
    }
    const { inputTokens, outputTokens, estimatedCost } = cost;
    checkAmount('inputTokens', inputTokens, true);
    checkAmount('outputTokens', outputTokens, true);
    checkAmount('estimatedCost', estimatedCost, false);
    this.#send({ type: 'RECORD_COST', inputTokens, outputTokens, estimatedCost });
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
    return this.#context().stats.totalEstimatedCost > maxCost;
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
  reset(): void {
    this.#assertLive();
    this.#send({ type: 'RESET', at: this.#clock.now() });
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
    this.#assertLive();
    const period = checkForceOpen(options);
    const at = this.#clock.now();
    this.#send(
      period === undefined ? { type: 'FORCE_OPEN', at } : { type: 'FORCE_OPEN', at, for: period },
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
  disable(): void {
    this.#assertLive();
    this.#send({ type: 'DISABLE', at: this.#clock.now() });
  }

  /**
   * Closes the circuit and clears the failure count.
   *
   * @example
   * ```ts
   * breaker.forceClose();
   * ```
   */
  forceClose(): void {
    this.#assertLive();
    this.#send({ type: 'FORCE_CLOSE', at: this.#clock.now() });
  }

  /**
   * Calls `listener` for every event of `type`; returns a function that stops it. Listening to
   * `success`, `failure` or `reject` makes every outcome a machine event while subscribed.
   * A listener that throws does not break the breaker; its error goes to `logger.warn`, or to
   * `console.error` without a logger.
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
    this.#assertLive();
    if (!(BREAKER_EVENT_TYPES as readonly string[]).includes(type)) {
      throw new TypeError(
        `type must be one of ${BREAKER_EVENT_TYPES.join(', ')}, got ${describeValue(type)}`,
      );
    }
    if (typeof listener !== 'function') {
      throw new TypeError(`listener must be a function, got ${describeValue(listener)}`);
    }
    return this.#listeners.add(type, listener as (event: never) => void);
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
    if (this.#disposed) return;
    this.#flush();
    this.#disposed = true;
    if (this.#wakeTimer !== undefined) this.#clock.clearTimeout(this.#wakeTimer);
    for (const unsubscribe of this.#unsubscribes) unsubscribe();
    this.#actor?.stop();
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
    const { failureThreshold } = this.#config;
    const { value, context } = this.#flushed();
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
   * the call, and `#track`, which records its outcome. Nothing here is `async`: an async wrapper
   * costs a second promise and a second microtask hop per call. Every problem (bad `fn`,
   * disposed, circuit open, `fn` throwing synchronously) comes back as a rejected promise, never
   * as a synchronous throw.
   */

  /**
   * Admits a call: the generation it starts in, or `TURNED_AWAY` when the circuit refuses it.
   * Throws (for the entry point to turn into a rejection) when `fn` is not a function, the
   * breaker is disposed, or admitting itself failed (a throwing clock, say).
   */
  #enter(fn: unknown): number | typeof TURNED_AWAY {
    if (typeof fn !== 'function') {
      throw new TypeError(`fn must be a function, got ${describeValue(fn)}`);
    }
    if (this.#disposed) throw new CircuitBreakerDisposedError(this.name);
    return this.#admit();
  }

  /** `fn` threw synchronously: a failure, rethrown as the call's rejection. */
  #thrown(token: number, error: unknown): Promise<never> {
    try {
      this.#fail(token, error);
    } catch (internal) {
      return Promise.reject(internal);
    }
    return Promise.reject(error);
  }

  /**
   * Records the outcome of an admitted call. A promise from `fn` gets one pair of settle
   * handlers (made once per generation, see `#makeSettlers`) and goes back to the caller as it
   * is, so the caller awaits exactly what a bare call would. Our handlers are attached first, so
   * the outcome is recorded before the caller's continuation runs. Other thenables are adopted
   * into a promise first; a plain value is a success at once.
   */
  #track<R>(token: number, result: R | PromiseLike<R>): Promise<R> {
    let promise: Promise<R>;
    if (result instanceof Promise) {
      promise = result;
    } else if (isThenable(result)) {
      promise = Promise.resolve(result);
    } else {
      try {
        this.#succeed(token);
      } catch (internal) {
        return Promise.reject(internal);
      }
      return Promise.resolve(result);
    }
    if (this.#settlersOf !== token) this.#makeSettlers(token);
    promise.then(this.#onSettledOk, this.#onSettledError);
    return promise;
  }

  /**
   * Builds the settle handlers for calls admitted in `generation`. A closed circuit keeps its
   * generation for as long as it stays closed, so the hot path allocates no closure per call.
   * The handlers never throw: nobody observes the promise `then` derives from them, so a
   * rejection of it would be an unhandled rejection.
   */
  #makeSettlers(generation: number): void {
    this.#settlersOf = generation;
    this.#onSettledOk = () => {
      try {
        this.#succeed(generation);
      } catch (internal) {
        reportLater(internal);
      }
    };
    this.#onSettledError = (error: unknown) => {
      try {
        this.#fail(generation, error);
      } catch (internal) {
        reportLater(internal);
      }
    };
  }

  /*
   * `call`, `wrap` and `execute` hand calls under per-call policies to these two, which build the
   * closure `runGuardedCall` invokes. A closure built in the entry point itself would capture its
   * parameters, and V8 then allocates a context for them on every call, plain path included.
   */

  #guardedApply<T, A extends unknown[], R>(
    fn: (this: T, ...args: A) => R | PromiseLike<R>,
    thisArg: T,
    args: A,
    fallback: GuardedCallPolicy['fallback'],
  ): Promise<R> {
    return this.#guarded(fn, () => fn.apply(thisArg, args), undefined, fallback, args);
  }

  #guardedExecute<R>(
    fn: (context: ExecuteContext) => R | PromiseLike<R>,
    signal: AbortSignal | undefined,
    fallback: GuardedCallPolicy['fallback'],
  ): Promise<R> {
    return this.#guarded(
      fn,
      (callSignal) => fn(new LazyExecuteContext(callSignal)),
      signal,
      fallback,
      [],
    );
  }

  /** The path of calls under per-call policies (see `runGuardedCall`). */
  #guarded<R>(
    fn: unknown,
    invoke: (signal: () => AbortSignal) => R | PromiseLike<R>,
    signal: AbortSignal | undefined,
    fallback: GuardedCallPolicy['fallback'],
    args: readonly unknown[],
  ): Promise<R> {
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`fn must be a function, got ${describeValue(fn)}`));
    }
    const policy = this.#policy ?? NO_POLICY;
    return runGuardedCall(
      this.#guardHooks(),
      fallback === undefined ? policy : { ...policy, fallback },
      invoke,
      signal,
      args,
    );
  }

  #guardHooks(): GuardedCallHooks {
    this.#hooks ??= {
      name: this.#config.name,
      clock: this.#clock,
      errorStacks: this.#errorStacks,
      admit: () => {
        this.#assertLive();
        return this.#admit();
      },
      openError: () => this.#openError(),
      succeed: (generation, slow) => this.#succeed(generation, slow),
      fail: (generation, error, slow, timeout) => this.#fail(generation, error, slow, timeout),
      ignore: (generation) => this.#ignore(generation),
      cancel: (generation) => this.#cancel(generation),
      fellBack: () => {
        // A fallback never moves the machine: always counted here, folded in on the next read.
        if (!this.#disposed) this.#fold.fallbacks += 1;
      },
    };
    return this.#hooks;
  }

  /** A call's caller gave up: give back the probe slot it may hold; count nothing. */
  #cancel(generation: number): void {
    if (this.#disposed || this.#stateNow() !== 'halfOpen') return;
    this.#send({ type: 'CANCEL', generation });
  }

  /** A call failed with an ignored error: give back its probe slot; count it as ignored. */
  #ignore(generation: number): void {
    if (this.#disposed) return;
    if (this.#fast && this.#busy === 0 && this.#stateNow() !== 'halfOpen') {
      this.#fold.ignored += 1;
      return;
    }
    this.#send({ type: 'IGNORE', generation });
  }

  /** Lets a call in (returning the generation it starts in) or counts a rejection. */
  #admit(): number | typeof TURNED_AWAY {
    const actor = this.#actor;
    if (actor === undefined) return this.#context().generation; // closed, by definition
    let snapshot = actor.getSnapshot();
    let state = circuitStateOf(snapshot.value);
    if (state === 'closed' || state === 'disabled') return snapshot.context.generation;
    if (
      this.#fast &&
      (state === 'forcedOpen' ||
        (state === 'open' && this.#clock.now() < retryDueAt(snapshot.context)))
    ) {
      return this.#turnAway(state);
    }
    if (this.#busy > 0) {
      // Called from a listener: a REQUEST would only be queued, and could take a probe slot
      // after we answered. Turn the call away instead; a later call probes as usual.
      return this.#turnAway(state);
    }
    this.#send({ type: 'REQUEST', at: this.#clock.now() });
    const inFlightBefore = state === 'halfOpen' ? snapshot.context.halfOpenInFlight : 0;
    snapshot = actor.getSnapshot();
    state = circuitStateOf(snapshot.value);
    return state === 'halfOpen' && snapshot.context.halfOpenInFlight > inFlightBefore
      ? snapshot.context.generation
      : TURNED_AWAY;
  }

  /** A rejection counted here rather than by the machine (it cannot move it). */
  #turnAway(state: CircuitState): typeof TURNED_AWAY {
    this.#fold.rejections += 1;
    if (this.#listeners.perCall > 0 && this.#listeners.has('reject')) {
      this.#listeners.emit({ type: 'reject', at: this.#clock.now(), state });
    }
    return TURNED_AWAY;
  }

  /*
   * Settling. An outcome is folded (counted here, see `OutcomeFold`) only when the machine's
   * rules prove it cannot move the machine (`successVerdict`, `failureVerdict`); everything else
   * goes to the machine as an event. A folded outcome's per-call event is emitted here.
   */

  #succeed(generation: number, slow = false): void {
    if (this.#disposed) return;
    if (this.#fast && this.#busy === 0) {
      const fold = this.#fold;
      const snapshot = this.#actor?.getSnapshot();
      const context = snapshot === undefined ? this.#context() : snapshot.context;
      const state = snapshot === undefined ? 'closed' : circuitStateOf(snapshot.value);
      const code = slow ? OUTCOME_SLOW : 0;
      // Only a slow success or a time window needs the time; a plain success reads no clock.
      const at =
        code !== 0 || context.config.slidingWindow?.type === 'time' ? this.#clock.now() : 0;
      const verdict = fold.verdict(state, context, generation, code, at);
      if (verdict !== 'send') {
        fold.successes += 1;
        if (verdict === 'current') {
          fold.consecutive = 0;
          fold.record(context, code, at);
        }
        if (this.#listeners.perCall > 0 && this.#listeners.has('success')) {
          this.#listeners.emit({
            type: 'success',
            at: at || this.#clock.now(),
            late: verdict === 'late',
          });
        }
        if (fold.full) this.#flush();
        return;
      }
    }
    this.#send({ type: 'SUCCESS', at: this.#clock.now(), generation, slow });
  }

  #fail(generation: number, error: unknown, slow = false, timeout = false): void {
    if (this.#disposed) return;
    const at = this.#clock.now();
    const retryAfter = this.#retryAfter === undefined ? undefined : this.#askRetryAfter(error);
    if (this.#fast && this.#busy === 0 && retryAfter === undefined) {
      const fold = this.#fold;
      const snapshot = this.#actor?.getSnapshot();
      const context = snapshot === undefined ? this.#context() : snapshot.context;
      const state = snapshot === undefined ? 'closed' : circuitStateOf(snapshot.value);
      const code = OUTCOME_FAILURE | (slow ? OUTCOME_SLOW : 0);
      const verdict = fold.verdict(state, context, generation, code, at);
      if (verdict !== 'send') {
        fold.failures += 1;
        if (timeout) fold.timeouts += 1;
        fold.lastFailureAt = at;
        if (verdict === 'current') {
          fold.consecutive = (fold.consecutive ?? context.stats.consecutiveFailures) + 1;
          fold.record(context, code, at);
        }
        if (this.#listeners.perCall > 0 && this.#listeners.has('failure')) {
          this.#listeners.emit({ type: 'failure', at, late: verdict === 'late', error });
        }
        if (fold.full) this.#flush();
        return;
      }
    }
    const event: CircuitBreakerEvent = { type: 'FAILURE', at, generation, error, slow };
    if (timeout) event.timeout = true;
    if (retryAfter !== undefined) event.retryAfter = retryAfter;
    this.#send(event);
  }

  /**
   * The `retryAfter` option's answer for `error`: whole ms in 0 … 2^31-1, or undefined. Any
   * other answer, or a throw, is reported through the logger and treated as no answer, so a
   * bad classifier never stops a call from being counted.
   */
  #askRetryAfter(error: unknown): number | undefined {
    let answer: unknown;
    try {
      answer = this.#retryAfter?.(error);
    } catch (thrown) {
      this.#logger?.warn(
        `circuit_breaker_bad_retry_after name=${this.name} retryAfter threw ${String(thrown)}`,
      );
      return undefined;
    }
    if (answer === undefined) return undefined;
    if (isTimerDelay(answer)) return answer;
    this.#logger?.warn(
      `circuit_breaker_bad_retry_after name=${this.name} retryAfter returned ${describeValue(answer)}`,
    );
    return undefined;
  }

  /** Sends an event to the machine, folding the local tally in first. */
  #send(event: CircuitBreakerEvent): void {
    const actor = this.#host();
    this.#flush();
    this.#busy += 1;
    try {
      actor.send(event);
    } finally {
      this.#busy -= 1;
    }
  }

  /**
   * Folds the locally counted outcomes into the machine as one `TALLY` event. The counts are
   * taken before the send, so a listener that reads the stats during it cannot fold them twice.
   */
  #flush(): void {
    if (this.#fold.empty || this.#disposed || this.#busy > 0) return;
    const actor = this.#host();
    const tally = this.#fold.take(this.#clock.now());
    this.#busy += 1;
    try {
      actor.send(tally);
    } finally {
      this.#busy -= 1;
    }
  }

  /** The machine's snapshot with everything folded so far counted in. */
  #flushed() {
    const actor = this.#host();
    this.#flush();
    return actor.getSnapshot();
  }

  #openError(): CircuitOpenError {
    return new CircuitOpenError(
      this.name,
      this.#stateNow(),
      this.timeUntilRetry(),
      this.#errorStacks,
    );
  }

  #assertLive(): void {
    if (this.#disposed) throw new CircuitBreakerDisposedError(this.name);
  }
}

/**
 * What `execute` hands its `fn` under per-call policies: the signal is made when `fn` first
 * reads it, so a call that never does costs no `AbortController`.
 */
class LazyExecuteContext implements ExecuteContext {
  readonly #signal: () => AbortSignal;

  constructor(signal: () => AbortSignal) {
    this.#signal = signal;
  }

  get signal(): AbortSignal {
    return this.#signal();
  }
}

/** A frozen copy of the resolved options, for `breaker.config`. */
function freezeConfig(config: CircuitBreakerConfig): Readonly<CircuitBreakerConfig> {
  const window = config.slidingWindow;
  return Object.freeze({
    ...config,
    slidingWindow: window === null ? null : Object.freeze({ ...window }),
  });
}

const settledPromise = Promise.resolve();

/**
 * A promise that rejects with `error` one microtask from now, for the open circuit's turned-away
 * calls. A promise rejected before anyone handles it (`Promise.reject`) makes Node track it as
 * possibly unhandled and untrack it when the caller's `await` or `catch` arrives, which costs
 * more than the extra microtask (about 0.9 µs per rejection on the bench machine). The caller
 * attaches its handler synchronously, before this rejection happens; a rejection nobody handles
 * is still reported as unhandled.
 */
function rejectSoon(error: unknown): Promise<never> {
  return new Promise<never>((_, reject) => {
    settledPromise.then(() => reject(error));
  });
}

/** True for a non-promise object or function with a `then` method. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Rethrows an error of the breaker's own bookkeeping (a throwing clock, say) outside the call
 * it happened in, as XState does with errors it cannot hand to anyone.
 */
function reportLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}

/** Validates one amount of `recordCost`/`isCostExceeded`: finite, not negative. */
