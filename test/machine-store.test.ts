import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  type CircuitBreakerEmitted,
  type CircuitBreakerInput,
  circuitBreakerMachine,
  circuitStateOf,
  storeRegionOf,
} from '../src/index.js';

/** The machine alone on a simulated clock, with everything it emits recorded. */
function machine(input: CircuitBreakerInput = {}) {
  const clock = new SimulatedClock();
  const actor = createActor(circuitBreakerMachine, { input, clock }).start();
  const emitted: CircuitBreakerEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  const value = () => actor.getSnapshot().value;
  const context = () => actor.getSnapshot().context;
  return { actor, clock, emitted, value, context };
}

describe('the store region', () => {
  it('starts standalone; STORE_STATUS moves it, announcing changes between connected and degraded', () => {
    const { actor, emitted, value } = machine();
    expect(value()).toEqual({ circuit: { automatic: 'closed' }, store: 'standalone' });
    actor.send({ type: 'STORE_STATUS', at: 5, status: 'connected' });
    expect(storeRegionOf(value())).toBe('connected');
    actor.send({ type: 'STORE_STATUS', at: 6, status: 'connected' });
    actor.send({ type: 'STORE_STATUS', at: 7, status: 'degraded' });
    actor.send({ type: 'STORE_STATUS', at: 8, status: 'degraded' });
    actor.send({ type: 'STORE_STATUS', at: 9, status: 'connected' });
    expect(emitted).toEqual([
      { type: 'storeStatus', at: 7, status: 'degraded', from: 'connected' },
      { type: 'storeStatus', at: 9, status: 'connected', from: 'degraded' },
    ]);
    const other = machine();
    other.actor.send({ type: 'STORE_STATUS', at: 1, status: 'degraded' });
    expect(storeRegionOf(other.value())).toBe('degraded');
    expect(other.emitted).toEqual([]);
  });

  it.each([
    ['local', 'closed', null],
    ['open', 'forcedOpen', 'storeUnavailable'],
    ['closed', 'disabled', 'storeUnavailable'],
  ] as const)(
    "onStoreUnavailable '%s': degraded leaves the circuit %s",
    (policy, state, reason) => {
      const { actor, value, context } = machine({ onStoreUnavailable: policy });
      actor.send({ type: 'STORE_STATUS', at: 1, status: 'connected' });
      actor.send({ type: 'STORE_STATUS', at: 2, status: 'degraded' });
      expect(circuitStateOf(value())).toBe(state);
      expect(context().stats.lastTransition?.reason ?? null).toBe(reason);
      // Reconnecting moves only the store region; the shared state (a REMOTE) moves the circuit.
      actor.send({ type: 'STORE_STATUS', at: 3, status: 'connected' });
      expect(circuitStateOf(value())).toBe(state);
      actor.send({ type: 'REMOTE', at: 4, state: 'closed', retryIn: null, reason: 'created' });
      expect(circuitStateOf(value())).toBe('closed');
    },
  );
});

describe('REMOTE', () => {
  it('open arms the reset timer from retryIn, and a newer deadline re-arms it', () => {
    const { actor, clock, value, context } = machine({ resetTimeout: 30_000 });
    actor.send({ type: 'REMOTE', at: 0, state: 'open', retryIn: 3000, reason: 'failureRate' });
    expect(circuitStateOf(value())).toBe('open');
    expect(context()).toMatchObject({ openTimeout: 3000, openedAt: 0, openAttempts: 1 });
    expect(context().stats.lastTransition).toEqual({
      from: 'closed',
      to: 'open',
      at: 0,
      reason: 'remote',
    });
    clock.increment(1000);
    actor.send({ type: 'REMOTE', at: 1000, state: 'open', retryIn: 5000, reason: 'probeFailure' });
    // The same opening, with the shared deadline: not a new attempt.
    expect(context()).toMatchObject({ openTimeout: 5000, openedAt: 1000, openAttempts: 1 });
    clock.increment(4999);
    expect(circuitStateOf(value())).toBe('open');
    clock.increment(1);
    expect(circuitStateOf(value())).toBe('halfOpen');
  });

  it('open without a deadline falls back to resetTimeout', () => {
    const { actor, context } = machine({ resetTimeout: 7000 });
    actor.send({ type: 'REMOTE', at: 0, state: 'open', retryIn: null, reason: 'failureRate' });
    expect(context().openTimeout).toBe(7000);
  });

  it('moves to halfOpen, closed, forcedOpen and disabled, and skips the state it is in', () => {
    const { actor, value, context } = machine();
    const remote = (state: 'halfOpen' | 'closed' | 'forcedOpen' | 'disabled') =>
      actor.send({ type: 'REMOTE', at: 1, state, retryIn: null, reason: 'forced' });
    const generation = context().generation;
    remote('closed');
    expect(context().generation).toBe(generation);
    remote('halfOpen');
    expect(circuitStateOf(value())).toBe('halfOpen');
    const probing = context().generation;
    remote('halfOpen');
    expect(context().generation).toBe(probing);
    remote('forcedOpen');
    expect(circuitStateOf(value())).toBe('forcedOpen');
    remote('disabled');
    expect(circuitStateOf(value())).toBe('disabled');
    remote('closed');
    expect(circuitStateOf(value())).toBe('closed');
    expect(context().stats.lastTransition?.reason).toBe('remote');
    // The store region never moved.
    expect(storeRegionOf(value())).toBe('standalone');
  });
});

describe('circuitStateOf and storeRegionOf', () => {
  it('read every version of the state value', () => {
    expect(circuitStateOf({ circuit: { automatic: 'halfOpen' }, store: 'connected' })).toBe(
      'halfOpen',
    );
    expect(circuitStateOf({ circuit: 'forcedOpen', store: 'degraded' })).toBe('forcedOpen');
    expect(circuitStateOf({ automatic: 'open' })).toBe('open');
    expect(circuitStateOf('disabled')).toBe('disabled');
    expect(storeRegionOf({ circuit: 'disabled', store: 'degraded' })).toBe('degraded');
    expect(storeRegionOf({ automatic: 'open' })).toBe('standalone');
    expect(storeRegionOf('open')).toBe('standalone');
  });
});
