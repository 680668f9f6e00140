import { CircuitBreaker, type CircuitBreakerOptions } from '../service/circuit-breaker.js';
import { resolveStoreSetup } from '../service/options.js';
import { describeValue } from '../validate.js';

/**
 * Options every breaker of a registry starts from. `name` and `snapshot` belong to one breaker,
 * so they are not accepted here.
 *
 * @example
 * ```ts
 * const defaults: BreakerRegistryDefaults = { failureThreshold: 3, resetTimeout: 10_000 };
 * ```
 */
export type BreakerRegistryDefaults = Omit<CircuitBreakerOptions, 'name' | 'snapshot'>;

/**
 * Options of `new BreakerRegistry(options)`.
 *
 * @example
 * ```ts
 * const options: BreakerRegistryOptions = { defaults: { failureThreshold: 3 } };
 * ```
 */
export interface BreakerRegistryOptions {
  /** Merged under the options of every `get` that creates a breaker. Default: none. */
  defaults?: BreakerRegistryDefaults;
}

/**
 * What a registry reports: a breaker was created by `get`, or left it by `remove`/`dispose`.
 *
 * @example
 * ```ts
 * const type: BreakerRegistryEventType = 'add';
 * ```
 */
export type BreakerRegistryEventType = 'add' | 'remove';

/**
 * A listener of `registry.on('add' | 'remove', listener)`: receives the breaker concerned.
 *
 * @example
 * ```ts
 * const onAdd: BreakerRegistryListener = (breaker) => console.log('new breaker', breaker.name);
 * ```
 */
export type BreakerRegistryListener = (breaker: CircuitBreaker) => void;

const EVENT_TYPES: ReadonlySet<string> = new Set(['add', 'remove']);
const PER_BREAKER_DEFAULTS: ReadonlySet<string> = new Set(['name', 'snapshot']);

/**
 * Breakers by name, created on first use from shared defaults, so every part of a process that
 * talks to `users` shares one breaker, and dashboards and exporters can find them all.
 *
 * `get(name, options)` creates the breaker with `defaults` merged under `options`. A later `get`
 * of the same name returns the same breaker; if it passes options, each must equal (`Object.is`)
 * what the breaker was created with, otherwise it throws: a second caller asking for a
 * different `failureThreshold` would otherwise silently get the first caller's breaker. Pass no
 * options (`get(name)`) to just look a breaker up.
 *
 * @example
 * ```ts
 * const registry = new BreakerRegistry({ defaults: { failureThreshold: 3 } });
 * const users = registry.get('users');
 * for (const breaker of registry) console.log(breaker.name, breaker.state);
 * registry.dispose();
 * ```
 */
export class BreakerRegistry implements Iterable<CircuitBreaker> {
  readonly #defaults: BreakerRegistryDefaults;
  readonly #breakers = new Map<string, CircuitBreaker>();
  /** The merged options each breaker was created with, to detect conflicting `get`s. */
  readonly #createdWith = new Map<string, CircuitBreakerOptions>();
  readonly #listeners: Record<BreakerRegistryEventType, Set<BreakerRegistryListener>> = {
    add: new Set(),
    remove: new Set(),
  };
  #disposed = false;

  /**
   * @param options - see {@link BreakerRegistryOptions}.
   * @throws TypeError or RangeError naming a bad option; `defaults` are validated here, as
   *   `new CircuitBreaker(defaults)` would.
   */
  constructor(options: BreakerRegistryOptions = {}) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new TypeError(`options must be an object, got ${describeValue(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (key !== 'defaults') throw new TypeError(`unknown option ${JSON.stringify(key)}`);
    }
    const { defaults = {} } = options;
    if (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults)) {
      throw new TypeError(`defaults must be an object, got ${describeValue(defaults)}`);
    }
    for (const key of Object.keys(defaults)) {
      if (PER_BREAKER_DEFAULTS.has(key)) {
        throw new TypeError(`defaults.${key} is per breaker: pass it to get(name, options)`);
      }
    }
    // Validate now rather than at the first get(), far from where the mistake was made. The
    // store options apart: a trial breaker on the store would claim a shared circuit of its own.
    const { store, probeLease, quorum, ...local } = defaults;
    resolveStoreSetup({ store, probeLease, quorum, name: 'defaults' });
    new CircuitBreaker(local).dispose();
    this.#defaults = { ...defaults };
  }

  /**
   * The breaker named `name`, created from `defaults` merged under `options` if it is new.
   *
   * @throws TypeError for a bad name, a bad option (as `new CircuitBreaker` does), an
   *   `options.name` other than `name`, or an option that differs from what the existing
   *   breaker was created with.
   * @example
   * ```ts
   * const payments = registry.get('payments', { failureThreshold: 10 });
   * registry.get('payments') === payments; // true
   * ```
   */
  get(name: string, options?: CircuitBreakerOptions): CircuitBreaker {
    this.#assertLive();
    checkName(name);
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`options must be an object, got ${describeValue(options)}`);
    }
    if (options?.name !== undefined && options.name !== name) {
      throw new TypeError(
        `options.name ${describeValue(options.name)} differs from the name ${describeValue(name)}`,
      );
    }
    const existing = this.#breakers.get(name);
    if (existing !== undefined) {
      if (options !== undefined) this.#checkSameOptions(name, options);
      return existing;
    }
    const merged: CircuitBreakerOptions = { ...this.#defaults, ...options, name };
    const breaker = new CircuitBreaker(merged);
    this.#breakers.set(name, breaker);
    this.#createdWith.set(name, merged);
    this.#emit('add', breaker);
    return breaker;
  }

  /**
   * Whether a breaker named `name` exists.
   *
   * @example
   * ```ts
   * if (!registry.has('users')) console.log('nobody called users yet');
   * ```
   */
  has(name: string): boolean {
    return this.#breakers.has(name);
  }

  /**
   * Disposes the breaker named `name` and forgets it; `false` when there was none.
   *
   * @example
   * ```ts
   * registry.remove('users');
   * ```
   */
  remove(name: string): boolean {
    const breaker = this.#breakers.get(name);
    if (breaker === undefined) return false;
    this.#breakers.delete(name);
    this.#createdWith.delete(name);
    breaker.dispose();
    this.#emit('remove', breaker);
    return true;
  }

  /**
   * How many breakers the registry holds.
   *
   * @example
   * ```ts
   * console.log(`${registry.size} breakers`);
   * ```
   */
  get size(): number {
    return this.#breakers.size;
  }

  /**
   * The breakers, in the order they were created.
   *
   * @example
   * ```ts
   * const open = [...registry].filter((breaker) => breaker.state === 'open');
   * ```
   */
  [Symbol.iterator](): IterableIterator<CircuitBreaker> {
    return this.#breakers.values();
  }

  /**
   * Calls `listener` with each breaker created (`'add'`) or removed (`'remove'`, also for each
   * breaker `dispose()` removes); returns a function that stops it. Breakers that exist already
   * are not replayed: iterate the registry first. A listener that throws does not stop the
   * others; its error goes to `defaults.logger.warn` when there is one.
   *
   * @example
   * ```ts
   * const off = registry.on('add', (breaker) => console.log('new', breaker.name));
   * off();
   * ```
   */
  on(type: BreakerRegistryEventType, listener: BreakerRegistryListener): () => void {
    if (!EVENT_TYPES.has(type)) {
      throw new TypeError(`type must be one of add, remove, got ${describeValue(type)}`);
    }
    if (typeof listener !== 'function') {
      throw new TypeError(`listener must be a function, got ${describeValue(listener)}`);
    }
    // A fresh function per subscription, so subscribing one listener twice needs two unsubscribes.
    const entry: BreakerRegistryListener = (breaker) => listener(breaker);
    this.#listeners[type].add(entry);
    return () => {
      this.#listeners[type].delete(entry);
    };
  }

  /**
   * Removes (and disposes) every breaker, then refuses new ones. Safe to call twice.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => registry.dispose());
   * ```
   */
  dispose(): void {
    if (this.#disposed) return;
    for (const name of [...this.#breakers.keys()]) this.remove(name);
    this.#disposed = true;
    this.#listeners.add.clear();
    this.#listeners.remove.clear();
  }

  /** Same as {@link BreakerRegistry.dispose}, for `using registry = new BreakerRegistry()`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #checkSameOptions(name: string, options: CircuitBreakerOptions): void {
    const created = this.#createdWith.get(name) ?? {};
    for (const [key, value] of Object.entries(options)) {
      if (value === undefined && !(key in created)) continue;
      const before = (created as Record<string, unknown>)[key];
      if (!Object.is(before, value)) {
        throw new TypeError(
          `breaker ${describeValue(name)} exists with ${key} ${describeValue(before)}, ` +
            `got ${describeValue(value)}; call get(name) without options to look it up`,
        );
      }
    }
  }

  #emit(type: BreakerRegistryEventType, breaker: CircuitBreaker): void {
    for (const listener of [...this.#listeners[type]]) {
      try {
        listener(breaker);
      } catch (error) {
        this.#defaults.logger?.warn(
          `breaker_registry_listener_error name=${breaker.name} event=${type} error=${String(error)}`,
        );
      }
    }
  }

  #assertLive(): void {
    if (this.#disposed) throw new Error('the breaker registry has been disposed');
  }
}

function checkName(name: unknown): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`name must be a non-empty string, got ${describeValue(name)}`);
  }
}
