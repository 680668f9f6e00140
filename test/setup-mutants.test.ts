/**
 * Corners of option validation and setup: manual controls given a non-object, a store that is
 * not one, `probeLease`, `retryAfter`, `errorStacks` and `logger` of the wrong kind (and a function logger), the frozen
 * `config` copy, a backoff restored over a snapshot's fixed `resetTimeout`, and whether the
 * error classes capture a stack trace by default.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  CircuitBreaker,
  CircuitBreakerDisposedError,
  CircuitBreakerError,
  type CircuitBreakerOptions,
  CircuitOpenError,
  type CircuitStore,
  CircuitTimeoutError,
  exponentialBackoff,
  MAX_TIMEOUT_MS,
} from '../src/index.js';

/** A breaker on a simulated clock; nothing here waits on real time. */
function breakerWith(options: CircuitBreakerOptions = {}): CircuitBreaker {
  return new CircuitBreaker({ clock: new SimulatedClock(), ...options });
}

/** Opens `breaker` (failureThreshold 1) and returns the error its next call is turned away with. */
async function turnedAway(breaker: CircuitBreaker): Promise<unknown> {
  await breaker.call(() => Promise.reject(new Error('down'))).catch(() => undefined);
  expect(breaker.state).toBe('open');
  return breaker.call(() => 'never run').catch((error: unknown) => error);
}

/** A store that must never be asked: every test here fails validation before linking it. */
const unaskedStore: CircuitStore = {
  circuit() {
    throw new Error('the store was asked for a circuit');
  },
  close: () => Promise.resolve(),
};

/** True when `stack` holds at least one frame below its header line. */
function hasFrames(stack: string | undefined): boolean {
  return stack !== undefined && /\n\s+at /.test(stack);
}

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

  it('a function with now(), setTimeout() and clearTimeout() is a clock', async () => {
    const simulatedClock = new SimulatedClock();
    const clock = Object.assign(function clock() {}, {
      now: () => simulatedClock.now(),
      setTimeout: (callback: () => void, ms: number) => simulatedClock.setTimeout(callback, ms),
      clearTimeout: (handle: unknown) => simulatedClock.clearTimeout(handle as number),
    });
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, resetTimeout: 1000 });
    await turnedAway(breaker);
    simulatedClock.increment(1000);
    expect(breaker.state).toBe('halfOpen');
  });

  it('retryAfter is no per-call policy: the call keeps the plain path, and retryAfter still counts', async () => {
    const breaker = breakerWith({ failureThreshold: 1, retryAfter: () => 2500 });
    const call = breaker.call(() => 'plain');
    // The plain path counts a plain value before `call` returns; the guarded path does not.
    expect(breaker.getStats().totalSuccesses).toBe(1);
    await expect(call).resolves.toBe('plain');
    await breaker.call(() => Promise.reject(new Error('429'))).catch(() => undefined);
    expect(breaker.timeUntilRetry()).toBe(2500);
  });

  it('errorStacks must be a boolean, not a truthy string', () => {
    expect(() => breakerWith({ errorStacks: 'yes' as never })).toThrow(
      new TypeError('errorStacks must be a boolean, got "yes"'),
    );
    expect(() => breakerWith({ errorStacks: 1 as never })).toThrow(
      new TypeError('errorStacks must be a boolean, got 1'),
    );
  });

  it('a function with info() and warn() is a logger; one without warn() is refused', async () => {
    const lines: string[] = [];
    const logger = Object.assign(function log() {}, {
      info: (line: string) => lines.push(line),
      warn: (line: string) => lines.push(line),
    });
    const breaker = breakerWith({ logger, failureThreshold: 1 });
    await turnedAway(breaker);
    expect(lines.some((line) => line.startsWith('circuit_breaker_open '))).toBe(true);
    const infoOnly = Object.assign(function log() {}, { info() {} });
    expect(() => breakerWith({ logger: infoOnly as never })).toThrow(
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

describe('stack traces of the breaker’s errors', () => {
  it('a turned-away call’s CircuitOpenError has no frames unless errorStacks is on', async () => {
    const quiet = await turnedAway(breakerWith({ failureThreshold: 1 }));
    expect(quiet).toBeInstanceOf(CircuitOpenError);
    expect((quiet as Error).stack).toBe(
      'CircuitOpenError: circuit breaker "default" is open, retry in 30000ms',
    );
    const loud = await turnedAway(breakerWith({ failureThreshold: 1, errorStacks: true }));
    expect(loud).toBeInstanceOf(CircuitOpenError);
    expect(hasFrames((loud as Error).stack)).toBe(true);
  });

  it('a disposed breaker’s error captures a stack', async () => {
    const breaker = breakerWith({ name: 'users' });
    breaker.dispose();
    const error = await breaker.call(() => 'never run').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitBreakerDisposedError);
    expect((error as Error).name).toBe('CircuitBreakerDisposedError');
    expect((error as Error).message).toBe('circuit breaker "users" has been disposed');
    expect(hasFrames((error as Error).stack)).toBe(true);
  });

  it('each error class captures a stack when constructed without the flag', () => {
    const base = new CircuitBreakerError('broken');
    expect(base.name).toBe('CircuitBreakerError');
    expect(hasFrames(base.stack)).toBe(true);

    const open = new CircuitOpenError('users', 'open', 250);
    expect(open.message).toBe('circuit breaker "users" is open, retry in 250ms');
    expect(hasFrames(open.stack)).toBe(true);

    const timeout = new CircuitTimeoutError('users', 2000);
    expect(timeout.message).toBe('call through circuit breaker "users" timed out after 2000ms');
    expect(hasFrames(timeout.stack)).toBe(true);
  });

  it('each error class skips the stack when asked to', () => {
    expect(new CircuitOpenError('users', 'halfOpen', null, false).stack).toBe(
      'CircuitOpenError: circuit breaker "users" is halfOpen',
    );
    expect(new CircuitTimeoutError('users', 2000, false).stack).toBe(
      'CircuitTimeoutError: call through circuit breaker "users" timed out after 2000ms',
    );
  });
});
