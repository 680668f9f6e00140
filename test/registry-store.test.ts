/** A registry whose defaults give every breaker the same shared store. */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { BreakerRegistry } from '../src/index.js';
import { fakeStore } from './fake-store.js';

describe('BreakerRegistry with a store in its defaults', () => {
  it('accepts the store without claiming a circuit, and each breaker shares its own name', () => {
    const { store, circuit } = fakeStore();
    const registry = new BreakerRegistry({
      defaults: { store, quorum: 2, clock: new SimulatedClock() },
    });
    expect(() => circuit()).toThrow(/no circuit yet/); // validating the defaults made none
    const payments = registry.get('payments');
    expect(circuit().name).toBe('payments');
    expect(payments.storeStatus).toBe('connected');
    registry.dispose();
  });

  it('still rejects bad store options in the defaults, naming them', () => {
    const { store } = fakeStore();
    expect(() => new BreakerRegistry({ defaults: { store, quorum: 0 } })).toThrow(
      /quorum must be an integer/,
    );
    expect(() => new BreakerRegistry({ defaults: { quorum: 2 } })).toThrow(/quorum needs a store/);
    expect(() => new BreakerRegistry({ defaults: { store: {} as never } })).toThrow(
      /store must be a circuit store/,
    );
  });
});
