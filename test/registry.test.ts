import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { BreakerRegistry, type CircuitBreaker, CircuitBreakerDisposedError } from '../src/index.js';
import { failTimes } from './helpers.js';

function registryOnSimulatedClock(defaults: Record<string, unknown> = {}) {
  const clock = new SimulatedClock();
  clock.set(1000);
  return { clock, registry: new BreakerRegistry({ defaults: { clock, ...defaults } }) };
}

describe('BreakerRegistry', () => {
  it('creates a breaker on first get, with defaults merged under the options', async () => {
    const { registry } = registryOnSimulatedClock({ failureThreshold: 2, resetTimeout: 5_000 });
    const users = registry.get('users', { failureThreshold: 4 });
    expect(users.name).toBe('users');
    expect(registry.get('users')).toBe(users);
    await failTimes(users, 3);
    expect(users.state).toBe('closed');
    await failTimes(users, 1);
    expect(users.state).toBe('open');
    expect(users.timeUntilRetry()).toBe(5_000);

    const orders = registry.get('orders');
    await failTimes(orders, 2);
    expect(orders.state).toBe('open');
    registry.dispose();
  });

  it('iterates in creation order and counts its breakers', () => {
    const { registry } = registryOnSimulatedClock();
    expect(registry.size).toBe(0);
    const b = registry.get('b');
    const a = registry.get('a');
    expect([...registry]).toEqual([b, a]);
    expect(registry.size).toBe(2);
    expect(registry.has('a')).toBe(true);
    expect(registry.has('c')).toBe(false);
    registry.dispose();
  });

  it('a second get with the same options is fine, with different ones throws', () => {
    const { registry } = registryOnSimulatedClock();
    const isFailure = (error: unknown) => error instanceof TypeError;
    const users = registry.get('users', { failureThreshold: 3, isFailure });
    expect(registry.get('users', { failureThreshold: 3, isFailure })).toBe(users);
    expect(registry.get('users', {})).toBe(users);
    expect(() => registry.get('users', { failureThreshold: 4 })).toThrow(
      /breaker "users" exists with failureThreshold 3, got 4/,
    );
    expect(() => registry.get('users', { isFailure: () => true })).toThrow(
      /exists with isFailure function isFailure, got function/,
    );
    expect(() => registry.get('users', { resetTimeout: 1 })).toThrow(
      /exists with resetTimeout undefined, got 1/,
    );
    registry.dispose();
  });

  it('validates names and options like new CircuitBreaker', () => {
    const { registry } = registryOnSimulatedClock();
    expect(() => registry.get('')).toThrow(
      new TypeError('name must be a non-empty string, got ""'),
    );
    expect(() => registry.get(7 as unknown as string)).toThrow(TypeError);
    expect(() => registry.get('x', null as unknown as object)).toThrow(
      new TypeError('options must be an object, got null'),
    );
    expect(() => registry.get('x', { failureThreshold: 0 })).toThrow(RangeError);
    expect(() => registry.get('x', { name: 'y' })).toThrow(/options.name "y" differs/);
    expect(registry.get('x', { name: 'x' }).name).toBe('x');
    expect(registry.has('x')).toBe(true);
    expect(() => registry.get('z', { wat: 1 } as object)).toThrow(/unknown option "wat"/);
    expect(registry.has('z')).toBe(false);
    registry.dispose();
  });

  it('validates its own options and the defaults at construction', () => {
    expect(() => new BreakerRegistry(null as unknown as object)).toThrow(
      new TypeError('options must be an object, got null'),
    );
    expect(() => new BreakerRegistry({ default: {} } as object)).toThrow(
      /unknown option "default"/,
    );
    expect(() => new BreakerRegistry({ defaults: 3 as unknown as object })).toThrow(
      new TypeError('defaults must be an object, got 3'),
    );
    expect(() => new BreakerRegistry({ defaults: { failureThreshold: -1 } })).toThrow(RangeError);
    expect(() => new BreakerRegistry({ defaults: { name: 'a' } as object })).toThrow(
      /defaults.name is per breaker/,
    );
    expect(() => new BreakerRegistry({ defaults: { snapshot: '{}' } as object })).toThrow(
      /defaults.snapshot is per breaker/,
    );
    expect(new BreakerRegistry().size).toBe(0);
  });

  it('remove disposes the breaker and forgets it; a later get makes a new one', async () => {
    const { registry } = registryOnSimulatedClock();
    const users = registry.get('users');
    expect(registry.remove('users')).toBe(true);
    expect(registry.remove('users')).toBe(false);
    expect(registry.has('users')).toBe(false);
    await expect(users.call(() => 1)).rejects.toBeInstanceOf(CircuitBreakerDisposedError);
    expect(registry.get('users')).not.toBe(users);
    registry.dispose();
  });

  it('tells add and remove listeners, which unsubscribe', () => {
    const { registry } = registryOnSimulatedClock();
    const added: string[] = [];
    const removed: string[] = [];
    const offAdd = registry.on('add', (breaker) => added.push(breaker.name));
    registry.on('remove', (breaker) => removed.push(`${breaker.name}:${breaker.state}`));
    registry.get('a');
    registry.get('a');
    registry.get('b');
    offAdd();
    offAdd();
    registry.get('c');
    registry.remove('a');
    expect(added).toEqual(['a', 'b']);
    expect(removed).toEqual(['a:closed']);
    registry.dispose();
    expect(removed).toEqual(['a:closed', 'b:closed', 'c:closed']);
  });

  it('a throwing listener does not stop the others; its error goes to defaults.logger', () => {
    const logger = { info: vi.fn(), warn: vi.fn() };
    const { registry } = registryOnSimulatedClock({ logger });
    const seen: CircuitBreaker[] = [];
    registry.on('add', () => {
      throw new Error('listener bug');
    });
    registry.on('add', (breaker) => seen.push(breaker));
    const users = registry.get('users');
    expect(seen).toEqual([users]);
    expect(logger.warn).toHaveBeenCalledWith(
      'breaker_registry_listener_error name=users event=add error=Error: listener bug',
    );
    const quiet = new BreakerRegistry();
    quiet.on('remove', () => {
      throw new Error('ignored without a logger');
    });
    quiet.get('x');
    expect(quiet.remove('x')).toBe(true);
    registry.dispose();
  });

  it('rejects unknown event types and non-function listeners', () => {
    const registry = new BreakerRegistry();
    expect(() => registry.on('change' as 'add', () => undefined)).toThrow(
      new TypeError('type must be one of add, remove, got "change"'),
    );
    expect(() => registry.on('add', 1 as unknown as () => void)).toThrow(
      new TypeError('listener must be a function, got 1'),
    );
  });

  it('dispose removes everything, refuses new breakers, and is idempotent', () => {
    const { registry } = registryOnSimulatedClock();
    const a = registry.get('a');
    registry.dispose();
    registry.dispose();
    expect(registry.size).toBe(0);
    expect(() => a.forceOpen()).toThrow(CircuitBreakerDisposedError);
    expect(() => registry.get('a')).toThrow('the breaker registry has been disposed');
    {
      using scoped = new BreakerRegistry();
      scoped.get('scoped');
      expect(scoped.size).toBe(1);
    }
  });

  it("each breaker's actor is named after the breaker, as id and systemId", () => {
    const registry = new BreakerRegistry();
    const users = registry.get('users');
    expect(users.actor.id).toBe('users');
    expect(users.actor.system.get('users')).toBe(users.actor);
    registry.dispose();
  });
});
