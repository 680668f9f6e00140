import type { CircuitBreaker } from '../service/circuit-breaker.js';
import { describeValue } from '../validate.js';

/**
 * A changing set of breakers an exporter can follow: iterable for the breakers there now, with
 * `on('add' | 'remove')` for the ones that come and go later. A `BreakerRegistry` is one; any
 * object of this shape is another.
 *
 * @example
 * ```ts
 * const breakers = new Set<CircuitBreaker>();
 * const listeners = { add: new Set<(b: CircuitBreaker) => void>(), remove: new Set<(b: CircuitBreaker) => void>() };
 * const source: BreakerSource = {
 *   [Symbol.iterator]: () => breakers.values(),
 *   on(type, listener) {
 *     listeners[type].add(listener);
 *     return () => listeners[type].delete(listener);
 *   },
 * };
 * ```
 */
export interface BreakerSource<B extends CircuitBreaker = CircuitBreaker> extends Iterable<B> {
  /** Calls `listener` with each breaker added (or removed) from now on; returns a function that stops it. */
  on(type: 'add' | 'remove', listener: (breaker: B) => void): () => void;
}

/**
 * What an exporter's `breakers` option accepts: a fixed list, or a {@link BreakerSource} whose
 * later additions and removals the exporter follows.
 *
 * @example
 * ```ts
 * const breakers: Breakers = [usersBreaker, ordersBreaker];
 * ```
 */
export type Breakers<B extends CircuitBreaker = CircuitBreaker> = readonly B[] | BreakerSource<B>;

/** What an exporter does when a breaker starts or stops being watched. */
export interface BreakerWatch<B extends CircuitBreaker> {
  attach(breaker: B): void;
  detach(breaker: B): void;
}

/**
 * The breakers an exporter currently reports, one per name (a second breaker with a name
 * already watched is skipped: two series with the same labels would make the scrape invalid),
 * kept in step with a source. `stop()` detaches every breaker and unsubscribes from the source.
 */
export class WatchedBreakers<B extends CircuitBreaker> {
  readonly #byName = new Map<string, B>();
  readonly #watch: BreakerWatch<B>;
  readonly #unsubscribes: Array<() => void> = [];

  constructor(breakers: Breakers<B>, watch: BreakerWatch<B>) {
    this.#watch = watch;
    // Everything is checked before anything is attached, so a bad option leaves nothing behind.
    const initial = checkBreakers(breakers);
    if (!Array.isArray(breakers)) {
      const source = breakers as BreakerSource<B>;
      this.#unsubscribes.push(
        source.on('add', (breaker) => this.#add(breaker)),
        source.on('remove', (breaker) => this.#remove(breaker)),
      );
    }
    for (const breaker of initial) this.#add(breaker);
  }

  /** The breakers now watched, in the order they came. */
  values(): IterableIterator<B> {
    return this.#byName.values();
  }

  stop(): void {
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    for (const breaker of this.#byName.values()) this.#watch.detach(breaker);
    this.#byName.clear();
  }

  #add(breaker: B): void {
    if (this.#byName.has(breaker.name)) return;
    this.#byName.set(breaker.name, breaker);
    this.#watch.attach(breaker);
  }

  #remove(breaker: B): void {
    if (this.#byName.get(breaker.name) !== breaker) return;
    this.#byName.delete(breaker.name);
    this.#watch.detach(breaker);
  }
}

/**
 * Validates the `breakers` option and every breaker it holds now; returns those breakers.
 * Exporters call it before they register anything.
 */
export function checkBreakers<B extends CircuitBreaker>(breakers: Breakers<B>): B[] {
  if (!Array.isArray(breakers)) {
    const candidate = breakers as Partial<BreakerSource<B>> | null;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate[Symbol.iterator] !== 'function' ||
      typeof candidate.on !== 'function'
    ) {
      throw new TypeError(
        `breakers must be an array of breakers or an iterable with on('add' | 'remove', listener), got ${describeValue(breakers)}`,
      );
    }
  }
  return [...breakers].map(checkBreaker);
}

function checkBreaker<B extends CircuitBreaker>(breaker: B): B {
  const candidate = breaker as Partial<CircuitBreaker> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.name !== 'string' ||
    typeof candidate.getStats !== 'function' ||
    typeof candidate.on !== 'function'
  ) {
    throw new TypeError(`breakers must hold circuit breakers, got ${describeValue(breaker)}`);
  }
  return breaker;
}
