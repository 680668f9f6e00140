/**
 * The controls and read-outs of a breaker: its state, counters and metrics, the manual
 * controls, listeners, persistence and disposal. `CircuitBreaker` adds the calls themselves.
 */
import type { CircuitBreakerConfig } from '../machine/options.js';
import { circuitStateOf, measure, storeRegionOf } from '../machine/rules.js';
import type {
  BreakerMetrics,
  CircuitBreakerStats,
  CircuitState,
  StoreLinkStatus,
} from '../machine/types.js';
import { checkAmount } from '../validate.js';
import type { BreakerController } from './controller.js';
import type { CircuitBreakerEventOf, CircuitBreakerEventType } from './listeners.js';
import {
  type ControlOptions,
  checkControl,
  checkCost,
  checkForceOpen,
  type ForceOpenOptions,
} from './options.js';
import { freezeConfig } from './setup.js';
import { type CircuitBreakerSnapshot, toBreakerSnapshot } from './snapshot.js';

/**
 * What every `CircuitBreaker` offers besides running calls; not made on its own.
 *
 * @example
 * ```ts
 * const controls: BreakerControls = new CircuitBreaker({ name: 'users' });
 * controls.forceOpen({ for: 60_000 });
 * ```
 */
export abstract class BreakerControls implements Disposable {
  readonly #core: BreakerController;
  /** The resolved options, frozen, as `config` shows them (made on first read). */
  #publicConfig: Readonly<CircuitBreakerConfig> | undefined;

  /** @param core - the breaker's state controller (typed loosely: it is not public API). */
  protected constructor(core: unknown) {
    this.#core = core as BreakerController;
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
}
