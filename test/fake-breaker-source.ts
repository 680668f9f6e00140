import type { CircuitBreaker } from '../src/index.js';
import type { BreakerSource } from '../src/metrics/source.js';

/** The smallest breaker source: a set with add/remove listeners, counting its live listeners. */
export class FakeBreakerSource implements BreakerSource {
  readonly #breakers = new Set<CircuitBreaker>();
  readonly #listeners = {
    add: new Set<(b: CircuitBreaker) => void>(),
    remove: new Set<(b: CircuitBreaker) => void>(),
  };

  constructor(breakers: Iterable<CircuitBreaker> = []) {
    for (const breaker of breakers) this.#breakers.add(breaker);
  }

  [Symbol.iterator](): Iterator<CircuitBreaker> {
    return this.#breakers.values();
  }

  on(type: 'add' | 'remove', listener: (breaker: CircuitBreaker) => void): () => void {
    this.#listeners[type].add(listener);
    return () => this.#listeners[type].delete(listener);
  }

  add(breaker: CircuitBreaker): void {
    this.#breakers.add(breaker);
    for (const listener of this.#listeners.add) listener(breaker);
  }

  remove(breaker: CircuitBreaker): void {
    this.#breakers.delete(breaker);
    for (const listener of this.#listeners.remove) listener(breaker);
  }

  get listenerCount(): number {
    return this.#listeners.add.size + this.#listeners.remove.size;
  }
}

/**
 * Gives `breaker` the surface of a breaker with a store (`storeStatus` and the `storeStatus`
 * event) without a store behind it; `set` changes the status and emits the event, as a store
 * that lost or regained Redis would make the breaker do.
 */
export function fakeStoreStatus(
  breaker: CircuitBreaker,
  initial: 'connected' | 'degraded' = 'connected',
) {
  let status = initial;
  const listeners = new Set<(event: unknown) => void>();
  const on = breaker.on.bind(breaker) as (
    type: string,
    listener: (event: unknown) => void,
  ) => () => void;
  Object.defineProperty(breaker, 'storeStatus', { configurable: true, get: () => status });
  Object.defineProperty(breaker, 'on', {
    configurable: true,
    value: (type: string, listener: (event: unknown) => void) => {
      if (type !== 'storeStatus') return on(type, listener);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  return {
    set(next: 'connected' | 'degraded', at = Date.now()): void {
      const from = status;
      status = next;
      for (const listener of [...listeners]) listener({ type: 'storeStatus', at, status, from });
    },
    get listenerCount(): number {
      return listeners.size;
    },
  };
}
