/**
 * A new breaker costs nothing until it is used: without a snapshot to restore or an inspector
 * that must see the actor from its start, construction reads no clock (the actor, which would
 * read it, is built the first time something needs it), and neither does a plain call.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../src/index.js';
import type { BreakerClock } from '../src/service/clock.js';

function countingClock() {
  const simulated = new SimulatedClock();
  const reads = { now: 0 };
  const clock: BreakerClock = {
    now: () => {
      reads.now += 1;
      return simulated.now();
    },
    setTimeout: (callback, ms) => simulated.setTimeout(callback, ms),
    clearTimeout: (handle) => simulated.clearTimeout(handle as number),
  };
  return { clock, reads };
}

describe('construction', () => {
  it('reads no clock, nor does a plain successful call', async () => {
    const { clock, reads } = countingClock();
    const breaker = new CircuitBreaker({ clock });
    expect(reads.now).toBe(0);
    await breaker.call(async () => 'ok');
    expect(reads.now).toBe(0);
  });

  it('reads the clock once to restore a snapshot', () => {
    const saved = new CircuitBreaker({ name: 'api' }).toJSON();
    const { clock, reads } = countingClock();
    const restored = new CircuitBreaker({ name: 'api', clock, snapshot: saved });
    expect(reads.now).toBe(1);
    expect(restored.state).toBe('closed');
  });
});
