/**
 * Listeners of `breaker.on(type, listener)`. The machine's events reach them through one
 * subscription to the actor (handed over by the controller once the machine is done with the
 * event that caused them); the per-call events of outcomes the service folds (which never
 * reach the machine) are emitted here directly, in the order they happen, so watching a breaker
 * costs no XState event per call.
 */

import type { CircuitBreakerEmitted } from '../machine/types.js';
import { describeValue } from '../validate.js';
import { type BreakerLogger, reportListenerError } from './logger.js';

/**
 * Names of the events `CircuitBreaker.on` accepts, as a list.
 *
 * @example
 * ```ts
 * BREAKER_EVENT_TYPES.includes('open'); // true
 * ```
 */
export const BREAKER_EVENT_TYPES = [
  'stateChange',
  'open',
  'halfOpen',
  'close',
  'success',
  'failure',
  'reject',
  'storeStatus',
] as const satisfies readonly CircuitBreakerEmitted['type'][];

/**
 * Names of the events `CircuitBreaker.on` accepts.
 *
 * @example
 * ```ts
 * const type: CircuitBreakerEventType = 'open';
 * ```
 */
export type CircuitBreakerEventType = (typeof BREAKER_EVENT_TYPES)[number];

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

type AnyListener = (event: never) => void;

export class BreakerListeners {
  /** Made on the first `add`: most breakers are never listened to. */
  #byType: Map<string, Set<AnyListener>> | undefined;
  readonly #name: string;
  readonly #logger: BreakerLogger | undefined;
  /** Listeners of `success`, `failure` and `reject`, the per-call events, counted. */
  perCall = 0;
  /** The machine's events of the step in progress, handed over once it is done. */
  #held: CircuitBreakerEmitted[] | undefined;
  #delivering = false;

  constructor(name: string, logger: BreakerLogger | undefined) {
    this.#name = name;
    this.#logger = logger;
  }

  /** Adds `listener` for `type` (both checked); returns a function that removes it (once). */
  add(type: CircuitBreakerEventType, listener: AnyListener): () => void {
    if (!(BREAKER_EVENT_TYPES as readonly string[]).includes(type)) {
      throw new TypeError(
        `type must be one of ${BREAKER_EVENT_TYPES.join(', ')}, got ${describeValue(type)}`,
      );
    }
    if (typeof listener !== 'function') {
      throw new TypeError(`listener must be a function, got ${describeValue(listener)}`);
    }
    this.#byType ??= new Map();
    let listeners = this.#byType.get(type);
    if (listeners === undefined) {
      listeners = new Set();
      this.#byType.set(type, listeners);
    }
    // A wrapper per registration, so the same function added twice is called twice.
    const entry: AnyListener = (event) => listener(event);
    listeners.add(entry);
    const perCall = type === 'success' || type === 'failure' || type === 'reject';
    if (perCall) this.perCall += 1;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      listeners.delete(entry);
      if (perCall) this.perCall -= 1;
    };
  }

  /** True when anyone listens to `type`. */
  has(type: CircuitBreakerEventType): boolean {
    return (this.#byType?.get(type)?.size ?? 0) > 0;
  }

  /**
   * Calls the listeners of `event.type`. One that throws does not stop the others or the
   * breaker; its error goes to `logger.warn`, or without a logger to `console.error`.
   */
  emit(event: CircuitBreakerEmitted): void {
    const listeners = this.#byType?.get(event.type);
    if (listeners === undefined || listeners.size === 0) return;
    for (const listener of listeners) {
      try {
        (listener as (event: CircuitBreakerEmitted) => void)(event);
      } catch (error) {
        reportListenerError(this.#logger, this.#name, event.type, error);
      }
    }
  }

  /** Keeps a machine event until its step is done (see {@link BreakerListeners.deliver}). */
  hold(event: CircuitBreakerEmitted): void {
    this.#held ??= [];
    this.#held.push(event);
  }

  /** True while machine events wait to be delivered. */
  get holding(): boolean {
    return this.#held !== undefined && this.#held.length > 0;
  }

  /**
   * Hands the held events to the listeners, in order. They run after the machine is done, so a
   * listener that records an outcome or reads the stats sees the machine as it is (and its own
   * outcome), and one that admits a call gets a real answer. Events a listener causes are held
   * behind the rest and delivered by the same loop.
   */
  deliver(): void {
    const held = this.#held;
    if (this.#delivering || held === undefined) return;
    this.#delivering = true;
    try {
      for (let i = 0; i < held.length; i++) this.emit(held[i] as CircuitBreakerEmitted);
    } finally {
      held.length = 0;
      this.#delivering = false;
    }
  }

  /**
   * A per-call event the service emits itself: now, or behind the machine events still held
   * (`machineBusy`: the machine is in a step whose events are not out yet).
   */
  announce(event: CircuitBreakerEmitted, machineBusy: boolean): void {
    if (this.#delivering || machineBusy) this.hold(event);
    else this.emit(event);
  }
}
