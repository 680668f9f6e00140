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
