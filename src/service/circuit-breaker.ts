import { type Actor, assign, createActor, type InspectionEvent, type Observer } from 'xstate';
import { circuitBreakerMachine } from '../machine/machine.js';
import {
  type CircuitBreakerConfig,
  type CircuitBreakerInput,
  checkInteger,
  DEFAULT_BREAKER_CONFIG,
  describeValue,
  MAX_TIMEOUT_MS,
  pickMachineInput,
  resolveBreakerConfig,
} from '../machine/options.js';
import {
  bucketStart,
  isLateResult,
  reachesFailureThreshold,
  retryDueAt,
} from '../machine/rules.js';
import type {
  CircuitBreakerEmitted,
  CircuitBreakerEvent,
  CircuitBreakerStats,
  CircuitState,
} from '../machine/types.js';
import type { ResetTimeoutFunction } from './backoff.js';
import { type BreakerClock, checkClock, remainingWithin, systemClock } from './clock.js';
import { CircuitBreakerDisposedError, CircuitOpenError } from './errors.js';
import {
  type GuardedCallHooks,
  type GuardedCallPolicy,
  runGuardedCall,
  signalThatNeverAborts,
} from './guarded-call.js';
import { type BreakerLogger, checkLogger, reportListenerError } from './logger.js';
import {
  type CircuitBreakerSnapshot,
  readBreakerSnapshot,
  toBreakerSnapshot,
  withSavedOptions,
} from './snapshot.js';

/**
 * Options of `new CircuitBreaker(options)`: the machine's options plus where time, logs and
 * inspection go. Every option is validated; a bad value throws a TypeError or RangeError.
 *
 * @example
 * ```ts
 * const options: CircuitBreakerOptions = { name: 'redis', failureThreshold: 3, logger: console };
 * ```
 */
export interface CircuitBreakerOptions extends Omit<CircuitBreakerInput, 'resetTimeout'> {
  /**
   * Milliseconds in `open` before probes are let through (default 30 000), or a function of
   * `{ attempt, lastError }` such as {@link exponentialBackoff}.
   */
  resetTimeout?: number | ResetTimeoutFunction;
  /** A call not settled within this many ms rejects with `CircuitTimeoutError`. Default: off. */
  callTimeout?: number;
  /** Which errors count as failures. Default: all. Others pass through and count as successes. */
  isFailure?: (error: unknown) => boolean;
  /** Which results count as failures (they are still returned). Default: none. */
  isResultFailure?: (result: unknown) => boolean;
  /** Answers instead of a rejection by the circuit or a counted failure. Default: none. */
  fallback?: (error: unknown) => unknown;
  /** Time and timers. Default: real time, timers that do not keep the process alive. */
  clock?: BreakerClock;
  /** Receives a structured line on every transition. Default: silent. */
  logger?: BreakerLogger;
  /**
   * Passed to XState's `createActor`, e.g. `createBrowserInspector().inspect`. With an
   * inspector attached every call becomes a visible XState event.
   */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * A breaker's `toJSON()` (object or JSON text) to start from; `null` or `undefined` (a store's
   * answer on first boot) starts fresh. Saved options are kept unless given again here; the
   * `name` must match. A bad snapshot throws {@link CircuitBreakerSnapshotError}.
   */
  snapshot?: CircuitBreakerSnapshot | string | null | undefined;
}

/**
 * The running breaker actor.
 *
 * @example
 * ```ts
 * const actor: CircuitBreakerActor = breaker.actor;
 * actor.subscribe((snapshot) => console.log(snapshot.value));
 * ```
 */
export type CircuitBreakerActor = Actor<typeof circuitBreakerMachine>;

/**
 * Names of the events `CircuitBreaker.on` accepts.
 *
 * @example
 * ```ts
 * const type: CircuitBreakerEventType = 'open';
 * ```
 */
export type CircuitBreakerEventType = CircuitBreakerEmitted['type'];

/**
 * The payload a listener of `type` receives.
 *
 * @example
 * ```ts
 * const onChange = (e: CircuitBreakerEventOf<'stateChange'>) => console.log(e.from, '->', e.to);
 * ```
 */
export type CircuitBreakerEventOf<T extends CircuitBreakerEventType> = Extract<
  CircuitBreakerEmitted,
  { type: T }
>;

/**
 * What `execute` hands to the function it runs.
 *
 * @example
 * ```ts
 * await breaker.execute(({ signal }) => fetch(url, { signal }));
 * ```
 */
export interface ExecuteContext {
  /** Aborted when the caller's signal aborts. */
  signal: AbortSignal;
}

/**
 * Options of a single `execute`.
 *
 * @example
 * ```ts
 * await breaker.execute(work, { signal: AbortSignal.timeout(1_000) });
 * ```
 */
export interface ExecuteOptions {
  /**
   * The caller's signal. Aborting it rejects the call with its reason, aborts the signal `fn`
   * received, and counts neither as success nor failure. An already aborted signal runs nothing.
   */
  signal?: AbortSignal;
  /** Answers instead of a rejection by the circuit or a counted failure, for this call. */
  fallback?: (error: unknown) => unknown;
}

/**
 * Options of `wrap`.
 *
 * @example
 * ```ts
 * const getUser = breaker.wrap(fetchUser, { fallback: () => anonymousUser });
 * ```
 */
export interface WrapOptions {
  /** Answers instead of a rejection by the circuit or a counted failure, for every call. */
  fallback?: (error: unknown) => unknown;
}

const SERVICE_OPTION_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(DEFAULT_BREAKER_CONFIG),
  'clock',
  'logger',
  'inspect',
  'snapshot',
  'callTimeout',
  'isFailure',
  'isResultFailure',
  'fallback',
]);

/** Events whose every occurrence is per call; listening to them turns on full fidelity. */
const PER_CALL_EVENTS: ReadonlySet<string> = new Set(['success', 'failure', 'reject']);
const EVENT_TYPES: ReadonlySet<string> = new Set([
  ...PER_CALL_EVENTS,
  'stateChange',
  'open',
  'halfOpen',
  'close',
]);

/** The token of a call the circuit turned away. Real tokens are generations, never negative. */
const REJECTED = -1;
/** Other refusals of `#enter`: `fn` is not a function; the breaker is disposed; admitting threw. */
const NOT_A_FUNCTION = -2;
const DISPOSED = -3;
const BROKEN = -4;
/** What admitting threw, from `#enter` to `#refuse` (always taken at once, synchronously). */
let handoff: unknown;

/**
 * A circuit breaker whose state lives in an XState actor running `circuitBreakerMachine`.
 *
 * The machine is the single source of truth for state. To keep a healthy call cheap, outcomes
 * that provably cannot change the state (a success in `closed`, a failure below the threshold, a
 * rejection while `open`) are counted here and folded into the machine's context as one `TALLY`
 * event before anything observes it: `getStats()`, `toString()`, the next real event, reading
 * `actor`, or a per-call listener. With an inspector attached, a `success`/`failure`/
 * `reject` listener, or after `actor` was read, every outcome is sent as its own event.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: 'users', failureThreshold: 3, resetTimeout: 10_000 });
 * const user = await breaker.call(fetchUser, 42); // rejects with CircuitOpenError when open
 * ```
 */
export class CircuitBreaker implements Disposable {
  readonly #actor: CircuitBreakerActor;
  readonly #clock: BreakerClock;
  readonly #config: CircuitBreakerConfig;
  /** The machine options as given (plus restored ones), saved by `toJSON` for a restore. */
  readonly #input: CircuitBreakerInput;
  readonly #logger: BreakerLogger | undefined;
  readonly #unsubscribes: Array<() => void> = [];
  /** True while outcomes may be folded locally; false when someone watches every event. */
  #fast: boolean;
  #watchedFully: boolean;
  #perCallListeners = 0;
  #disposed = false;
  #wakeTimer: unknown;
  /**
   * Above 0 while the machine processes an event we sent (or a timer's). Listeners run then,
   * and XState queues anything sent from them until the current event is done: a snapshot read
   * right after such a send would be stale. So while busy nothing is folded (outcomes go to the
   * queue in order) and an admission that needs the machine's answer is turned away.
   */
  #busy = 0;
  /*
   * Outcomes counted here instead of sent (see the class comment), folded into the machine as
   * one `TALLY` by `#flush`. Plain fields rather than an object of their own: one object less
   * per breaker, one load less per call. `#foldedConsecutive` is the consecutive-failure count
   * after the folded outcomes, or null when they did not touch it.
   */
  #foldedSuccesses = 0;
  #foldedFailures = 0;
  #foldedRejections = 0;
  #foldedLastFailureAt: number | null = null;
  #foldedConsecutive: number | null = null;
  /** The per-call policies, or null when none is configured (the plain, fastest path). */
  readonly #policy: GuardedCallPolicy | null;
  /** Made on the first guarded call: a breaker that never takes that path never pays for it. */
  #hooks: GuardedCallHooks | undefined;
  /** Clock time of the first success folded since the last flush (time windows only). */
  #foldedAt: number | null = null;
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
    this.#watchedFully = inspect !== undefined;
    this.#fast = !this.#watchedFully;

    const now = this.#clock.now();
    const machine = backoff ? this.#withBackoff(backoff) : circuitBreakerMachine;
    const restored =
      options.snapshot == null
        ? undefined
        : machine.resolveState(
            readBreakerSnapshot(
              options.snapshot,
              this.#config,
              now,
              typeof resetTimeout !== 'number',
            ),
          );
    const clock = this.#clock;
    this.#actor = createActor(machine, {
      input: pickMachineInput(machineOptions),
      snapshot: restored,
      inspect,
      clock: {
        // A timer is about to move the machine: fold the local counts in first, and mark the
        // machine busy while it processes the timer's event (see `#busy`).
        setTimeout: (callback: () => void, ms: number) =>
          clock.setTimeout(() => {
            this.#flush();
            this.#busy += 1;
            try {
              callback();
            } finally {
              this.#busy -= 1;
            }
          }, ms),
        clearTimeout: (handle: unknown) => clock.clearTimeout(handle),
      },
    });
    if (this.#logger) this.#logTransitions(this.#logger);
    this.#actor.start();
    if (restored?.value === 'open') this.#scheduleWake(retryDueAt(restored.context) - now);
  }

  /**
   * The machine with `planRetry` asking the `resetTimeout` function. Its answer is checked: one
   * outside 0 … 2^31-1 is replaced by the default and reported through the logger.
   */
  #withBackoff(backoff: ResetTimeoutFunction): typeof circuitBreakerMachine {
    return circuitBreakerMachine.provide({
      actions: {
        planRetry: assign({
          openTimeout: ({ context, event }) => {
            const lastError = event.type === 'FAILURE' ? event.error : undefined;
            let answer: unknown;
            let problem: string;
            try {
              answer = backoff({ attempt: context.openAttempts, lastError });
              problem = `resetTimeout returned ${describeValue(answer)}`;
            } catch (error) {
              // A throwing backoff must not stop the machine: report it and use the default.
              problem = `resetTimeout threw ${String(error)}`;
            }
            if (
              typeof answer === 'number' &&
              Number.isInteger(answer) &&
              answer >= 0 &&
              answer <= MAX_TIMEOUT_MS
            ) {
              return answer;
            }
            this.#logger?.warn(
              `circuit_breaker_bad_reset_timeout name=${this.name} ${problem}, using ${DEFAULT_BREAKER_CONFIG.resetTimeout}`,
            );
            return DEFAULT_BREAKER_CONFIG.resetTimeout;
          },
        }),
      },
    });
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
    return toBreakerSnapshot(this.#actor.getPersistedSnapshot(), this.#input);
  }

  /** The breaker's name. */
  get name(): string {
    return this.#config.name;
  }

  /** The current state. */
  get state(): CircuitState {
    return this.#actor.getSnapshot().value;
  }

  /**
   * The running XState actor, for apps built on XState. Reading it folds pending counts and
   * turns on full fidelity: from then on every outcome is an event the actor's observers see.
   */
  get actor(): CircuitBreakerActor {
    this.#flush();
    this.#watchedFully = true;
    this.#fast = false;
    return this.#actor;
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
    const token = this.#enter(fn);
    if (token < 0) return this.#refuse(fn, token);
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
    const token = this.#enter(fn);
    if (token < 0) return this.#refuse(fn, token);
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
    options: WrapOptions = {},
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
        return breaker.#guardedApply(fn, this, args, fallback);
      }
      const token = breaker.#enter(fn);
      if (token < 0) return breaker.#refuse(fn, token);
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
    return this.#admit() !== REJECTED;
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
    this.#succeed(this.#actor.getSnapshot().context.generation);
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
    this.#fail(this.#actor.getSnapshot().context.generation, error);
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
    const { value, context } = this.#actor.getSnapshot();
    if (value !== 'open') return null;
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
    this.#flush();
    return { ...this.#actor.getSnapshot().context.stats };
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
    return this.#actor.getSnapshot().context.stats.totalEstimatedCost > maxCost;
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
   * Holds the circuit open (`forcedOpen`, no timer) until `forceClose()` or `reset()`.
   *
   * @example
   * ```ts
   * breaker.forceOpen(); // maintenance window
   * ```
   */
  forceOpen(): void {
    this.#assertLive();
    this.#send({ type: 'FORCE_OPEN', at: this.#clock.now() });
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
    if (!EVENT_TYPES.has(type)) {
      throw new TypeError(
        `type must be one of ${[...EVENT_TYPES].join(', ')}, got ${describeValue(type)}`,
      );
    }
    if (typeof listener !== 'function') {
      throw new TypeError(`listener must be a function, got ${describeValue(listener)}`);
    }
    const perCall = PER_CALL_EVENTS.has(type);
    if (perCall) {
      this.#flush();
      this.#perCallListeners += 1;
      this.#fast = false;
    }
    const subscription = this.#actor.on(type, (event) => {
      try {
        listener(event as CircuitBreakerEventOf<T>);
      } catch (error) {
        reportListenerError(this.#logger, this.name, type, error);
      }
    });
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      subscription.unsubscribe();
      if (perCall) {
        this.#perCallListeners -= 1;
        this.#fast = !this.#watchedFully && this.#perCallListeners === 0;
      }
    };
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
    this.#actor.stop();
  }

  /** Same as {@link CircuitBreaker.dispose}, for `using breaker = new CircuitBreaker()`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** For example `CircuitBreaker(name=redis, state=open, failures=5/5, retryIn=12000ms)`. */
  toString(): string {
    this.#flush();
    const { failureThreshold } = this.#config;
    const { value, context } = this.#actor.getSnapshot();
    const retryIn = this.timeUntilRetry();
    const retry = retryIn === null ? '' : `, retryIn=${retryIn}ms`;
    const of = failureThreshold === null ? '' : `/${failureThreshold}`;
    return `CircuitBreaker(name=${this.name}, state=${value}, failures=${context.stats.consecutiveFailures}${of}${retry})`;
  }

  /*
   * The hot path of `call`, `execute` and `wrap`. Each entry point invokes `fn` itself (a spread
   * of its own rest parameter, which V8 compiles to a plain call) between `#enter`, which admits
   * the call, and `#track`, which records its outcome. Nothing here is `async`: an async wrapper
   * costs a second promise and a second microtask hop per call. Every problem (bad `fn`,
   * disposed, circuit open, `fn` throwing synchronously) comes back as a rejected promise, never
   * as a synchronous throw.
   */

  /** Admits a call: its generation (>= 0), or a negative code for `#refuse`. */
  #enter(fn: unknown): number {
    if (typeof fn !== 'function') return NOT_A_FUNCTION;
    if (this.#disposed) return DISPOSED;
    try {
      return this.#admit();
    } catch (error) {
      handoff = error;
      return BROKEN;
    }
  }

  /** The rejection for a call `#enter` did not admit. */
  #refuse(fn: unknown, code: number): Promise<never> {
    if (code === REJECTED) return rejectSoon(this.#openError());
    if (code === NOT_A_FUNCTION) {
      return Promise.reject(new TypeError(`fn must be a function, got ${describeValue(fn)}`));
    }
    if (code === DISPOSED) return Promise.reject(new CircuitBreakerDisposedError(this.name));
    const error = handoff;
    handoff = undefined;
    return Promise.reject(error);
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
    fallback: ((error: unknown) => unknown) | undefined,
  ): Promise<R> {
    return this.#guarded(fn, () => fn.apply(thisArg, args), undefined, fallback);
  }

  #guardedExecute<R>(
    fn: (context: ExecuteContext) => R | PromiseLike<R>,
    signal: AbortSignal | undefined,
    fallback: ((error: unknown) => unknown) | undefined,
  ): Promise<R> {
    return this.#guarded(fn, (callSignal) => fn({ signal: callSignal }), signal, fallback);
  }

  /** The path of calls under per-call policies (see `runGuardedCall`). */
  #guarded<R>(
    fn: unknown,
    invoke: (signal: AbortSignal) => R | PromiseLike<R>,
    signal: AbortSignal | undefined,
    fallback: ((error: unknown) => unknown) | undefined,
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
    );
  }

  #guardHooks(): GuardedCallHooks {
    this.#hooks ??= {
      name: this.#config.name,
      clock: this.#clock,
      admit: () => {
        this.#assertLive();
        return this.#admit();
      },
      openError: () => this.#openError(),
      succeed: (generation, slow) => this.#succeed(generation, slow),
      fail: (generation, error, slow) => this.#fail(generation, error, slow),
      cancel: (generation) => this.#cancel(generation),
    };
    return this.#hooks;
  }

  /** A call's caller gave up: give back the probe slot it may hold; count nothing. */
  #cancel(generation: number): void {
    if (this.#disposed || this.#actor.getSnapshot().value !== 'halfOpen') return;
    this.#send({ type: 'CANCEL', generation });
  }

  /** Lets a call in (returning the generation it starts in) or counts a rejection. */
  #admit(): number {
    let snapshot = this.#actor.getSnapshot();
    if (snapshot.value === 'closed') return snapshot.context.generation;
    if (
      this.#fast &&
      (snapshot.value === 'forcedOpen' ||
        (snapshot.value === 'open' && this.#clock.now() < retryDueAt(snapshot.context)))
    ) {
      this.#foldedRejections += 1;
      return REJECTED;
    }
    if (this.#busy > 0) {
      // Called from a listener: a REQUEST would only be queued, and could take a probe slot
      // after we answered. Turn the call away instead; a later call probes as usual.
      this.#foldedRejections += 1;
      return REJECTED;
    }
    this.#send({ type: 'REQUEST', at: this.#clock.now() });
    const inFlightBefore = snapshot.value === 'halfOpen' ? snapshot.context.halfOpenInFlight : 0;
    snapshot = this.#actor.getSnapshot();
    return snapshot.value === 'halfOpen' && snapshot.context.halfOpenInFlight > inFlightBefore
      ? snapshot.context.generation
      : REJECTED;
  }

  /*
   * Settling. An outcome is folded (counted here, see the class comment) only when the rules
   * of `src/machine/rules.ts` prove it cannot move the machine: a fast success in `closed`, a
   * failure below the consecutive threshold when no rate window is kept. Everything else, late
   * results with a window among them, goes to the machine as an event.
   */

  #succeed(generation: number, slow = false): void {
    if (this.#disposed) return;
    if (this.#fast && this.#busy === 0 && !slow) {
      const { value, context } = this.#actor.getSnapshot();
      const late = isLateResult(context, generation);
      if ((late && context.window === null) || (!late && value === 'closed')) {
        if (context.config.slidingWindow?.type === 'time') this.#foldInBucket(context.config);
        this.#foldedSuccesses += 1;
        if (!late) this.#foldedConsecutive = 0;
        return;
      }
    }
    this.#send({ type: 'SUCCESS', at: this.#clock.now(), generation, slow });
  }

  /**
   * Folded successes all go into the time-window bucket of `#foldedAt`; one that falls in a
   * later bucket flushes the earlier ones first.
   */
  #foldInBucket(config: CircuitBreakerConfig): void {
    const now = this.#clock.now();
    if (
      this.#foldedAt !== null &&
      bucketStart(config, now) !== bucketStart(config, this.#foldedAt)
    ) {
      this.#flush();
    }
    this.#foldedAt ??= now;
  }

  #fail(generation: number, error: unknown, slow = false): void {
    if (this.#disposed) return;
    const at = this.#clock.now();
    if (this.#fast && this.#busy === 0 && !slow) {
      const { value, context } = this.#actor.getSnapshot();
      const late = isLateResult(context, generation);
      const consecutive = (this.#foldedConsecutive ?? context.stats.consecutiveFailures) + 1;
      if (
        context.window === null &&
        (late || (value === 'closed' && !reachesFailureThreshold(context.config, consecutive)))
      ) {
        this.#foldedFailures += 1;
        this.#foldedLastFailureAt = at;
        if (!late) this.#foldedConsecutive = consecutive;
        return;
      }
    }
    this.#send({ type: 'FAILURE', at, generation, error, slow });
  }

  /** Sends an event to the machine, folding the local tally in first. */
  #send(event: CircuitBreakerEvent): void {
    this.#flush();
    this.#dispatch(event);
  }

  #dispatch(event: CircuitBreakerEvent): void {
    this.#busy += 1;
    try {
      this.#actor.send(event);
    } finally {
      this.#busy -= 1;
    }
  }

  /**
   * Folds the locally counted outcomes into the machine as one `TALLY` event. The fields are
   * cleared before the send, so a listener that reads the stats during it cannot fold them twice.
   */
  #flush(): void {
    const successes = this.#foldedSuccesses;
    const failures = this.#foldedFailures;
    const rejections = this.#foldedRejections;
    if (successes + failures + rejections === 0 || this.#disposed || this.#busy > 0) return;
    const lastFailureAt = this.#foldedLastFailureAt;
    const consecutiveFailures = this.#foldedConsecutive;
    const at = this.#foldedAt ?? this.#clock.now();
    this.#foldedSuccesses = 0;
    this.#foldedFailures = 0;
    this.#foldedRejections = 0;
    this.#foldedLastFailureAt = null;
    this.#foldedConsecutive = null;
    this.#foldedAt = null;
    this.#dispatch({
      type: 'TALLY',
      at,
      successes,
      failures,
      rejections,
      lastFailureAt,
      consecutiveFailures,
    });
  }

  #openError(): CircuitOpenError {
    const { value } = this.#actor.getSnapshot();
    return new CircuitOpenError(this.name, value, this.timeUntilRetry());
  }

  #assertLive(): void {
    if (this.#disposed) throw new CircuitBreakerDisposedError(this.name);
  }

  #logTransitions(logger: BreakerLogger): void {
    const { name } = this;
    const subscriptions = [
      this.#actor.on('open', ({ consecutiveFailures, forced }) =>
        logger.warn(
          forced
            ? `circuit_breaker_forced_open name=${name}`
            : `circuit_breaker_open name=${name} failures=${consecutiveFailures}`,
        ),
      ),
      this.#actor.on('halfOpen', () => logger.info(`circuit_breaker_half_open name=${name}`)),
      this.#actor.on('close', () => logger.info(`circuit_breaker_closed name=${name}`)),
    ];
    for (const subscription of subscriptions) {
      this.#unsubscribes.push(() => subscription.unsubscribe());
    }
  }
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
function checkAmount(option: string, value: unknown, integer: boolean): void {
  if (typeof value !== 'number') {
    throw new TypeError(`${option} must be a number, got ${describeValue(value)}`);
  }
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'a non-negative integer' : 'a finite number >= 0';
    throw new RangeError(`${option} must be ${kind}, got ${describeValue(value)}`);
  }
}

/** Every per-call policy off: what `#guarded` starts from when only a per-call option is given. */
const NO_POLICY: GuardedCallPolicy = {
  callTimeout: null,
  slowCallDuration: null,
  isFailure: undefined,
  isResultFailure: undefined,
  fallback: undefined,
};

function checkFunction<F>(option: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${option} must be a function, got ${describeValue(value)}`);
  }
  return value;
}

/** Validates the per-call options; null when none is on (the breaker then takes its plain path). */
function resolvePolicy(
  options: CircuitBreakerOptions,
  config: CircuitBreakerConfig,
): GuardedCallPolicy | null {
  const policy: GuardedCallPolicy = {
    callTimeout:
      options.callTimeout === undefined
        ? null
        : checkInteger('callTimeout', options.callTimeout, 1, MAX_TIMEOUT_MS),
    slowCallDuration: config.slowCallDuration,
    isFailure: checkFunction('isFailure', options.isFailure),
    isResultFailure: checkFunction('isResultFailure', options.isResultFailure),
    fallback: checkFunction('fallback', options.fallback),
  };
  const on = Object.values(policy).some((value) => value !== null && value !== undefined);
  return on ? policy : null;
}
