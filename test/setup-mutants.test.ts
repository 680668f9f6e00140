/**
 * Corners of option validation and setup: manual controls given a non-object, a store that is
 * not one, `probeLease`, `retryAfter`, `errorStacks` and `logger` of the wrong kind, the frozen
 * `config` copy, and a backoff restored over a snapshot's fixed `resetTimeout`.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitStore,
  exponentialBackoff,
  MAX_TIMEOUT_MS,
} from '../src/index.js';

/** A breaker on a simulated clock; nothing here waits on real time. */
function breakerWith(options: CircuitBreakerOptions = {}): CircuitBreaker {
  return new CircuitBreaker({ clock: new SimulatedClock(), ...options });
}

/** A store that must never be asked: every test here fails validation before linking it. */
const unaskedStore: CircuitStore = {
  circuit() {
    throw new Error('the store was asked for a circuit');
  },
  close: () => Promise.resolve(),
};

describe('manual controls given options that are not an object', () => {
  it('reset names itself and the number it was given', () => {
    const breaker = breakerWith();
    expect(() => breaker.reset(5 as never)).toThrow(
      new TypeError('reset options must be an object, got 5'),
    );
  });

  it('disable names itself and null', () => {
    const breaker = breakerWith();
    expect(() => breaker.disable(null as never)).toThrow(
      new TypeError('disable options must be an object, got null'),
    );
    expect(breaker.state).toBe('closed');
  });

  it('forceOpen and forceClose reject a string and a function the same way', () => {
    const breaker = breakerWith();
    expect(() => breaker.forceOpen('soon' as never)).toThrow(
      new TypeError('forceOpen options must be an object, got "soon"'),
    );
    expect(breaker.state).toBe('closed');
    expect(() => breaker.forceClose(function later() {} as never)).toThrow(
      new TypeError('forceClose options must be an object, got function later'),
    );
  });
});

describe('the store option', () => {
  it('rejects null with its own message, not a property read on null', () => {
    expect(() => breakerWith({ name: 'users', store: null as never })).toThrow(
      new TypeError('store must be a circuit store (such as redisStore()), got null'),
    );
  });

  it('rejects a function even when it carries a circuit() method', () => {
    const store = Object.assign(function sharedState() {}, { circuit: unaskedStore.circuit });
    expect(() => breakerWith({ name: 'users', store: store as never })).toThrow(
      new TypeError(
        'store must be a circuit store (such as redisStore()), got function sharedState',
      ),
    );
  });

  it('names probeLease when its value is out of range', () => {
    expect(() => breakerWith({ name: 'users', store: unaskedStore, probeLease: 0 })).toThrow(
      new RangeError(`probeLease must be an integer between 1 and ${MAX_TIMEOUT_MS}, got 0`),
    );
  });
});

describe('options of the wrong kind', () => {
  it('retryAfter that is not a function is named with its value', () => {
    expect(() => breakerWith({ retryAfter: 5000 as never })).toThrow(
      new TypeError('retryAfter must be a function, got 5000'),
    );
  });

  it('errorStacks must be a boolean, not a truthy string', () => {
    expect(() => breakerWith({ errorStacks: 'yes' as never })).toThrow(
      new TypeError('errorStacks must be a boolean, got "yes"'),
    );
    expect(() => breakerWith({ errorStacks: 1 as never })).toThrow(
      new TypeError('errorStacks must be a boolean, got 1'),
    );
  });

  it('a logger must be an object: a function with info() and warn() is refused', () => {
    const logger = Object.assign(function log() {}, { info() {}, warn() {} });
    expect(() => breakerWith({ logger })).toThrow(
      new TypeError('logger must have info() and warn() methods, got function log'),
    );
  });
});

describe('breaker.config', () => {
  it('is null for slidingWindow without a window', () => {
    const { config } = breakerWith();
    expect(config.slidingWindow).toBeNull();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('holds a frozen copy of the window, equal to the one given', () => {
    const slidingWindow = { type: 'count', size: 20 } as const;
    const { config } = breakerWith({ failureRateThreshold: 0.5, slidingWindow });
    expect(config.slidingWindow).toStrictEqual({ type: 'count', size: 20 });
    expect(config.slidingWindow).not.toBe(slidingWindow);
    expect(Object.isFrozen(config.slidingWindow)).toBe(true);
  });

  it('keeps the default resetTimeout when a backoff replaces a snapshot’s fixed one', () => {
    const saved = breakerWith({ name: 'users', resetTimeout: 5000 }).toJSON();
    expect(breakerWith({ snapshot: saved }).config.resetTimeout).toBe(5000);
    const restored = breakerWith({
      snapshot: saved,
      resetTimeout: exponentialBackoff({ initial: 100 }),
    });
    expect(restored.config.name).toBe('users');
    expect(restored.config.resetTimeout).toBe(30_000);
    // The function is not saved, and neither is the fixed period it replaced.
    expect(restored.toJSON().options).toStrictEqual({ name: 'users' });
  });
});
