/**
 * How long each open period of the machine lasts (`openTimeout`), driven on the machine
 * directly: the period a failure's `retryAfter` or `forceOpen`'s `for` asks for, and the
 * machine's own default (`planRetry`: the fixed `resetTimeout`) for every ordinary trip after
 * such a period. The service provides its own `planRetry`, so only a direct machine user meets
 * that default.
 */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { circuitBreakerMachine, circuitStateOf } from '../src/machine/index.js';

function start() {
  const clock = new SimulatedClock();
  const actor = createActor(circuitBreakerMachine, {
    input: { failureThreshold: 1, resetTimeout: 1000 },
    clock,
  }).start();
  return {
    clock,
    send: actor.send.bind(actor),
    state: () => circuitStateOf(actor.getSnapshot().value),
    openTimeout: () => actor.getSnapshot().context.openTimeout,
    generation: () => actor.getSnapshot().context.generation,
  };
}

describe('open periods of the machine', () => {
  it('a failure with retryAfter opens for that long, and the next trip for resetTimeout again', () => {
    const m = start();
    m.send({ type: 'FAILURE', at: 0, generation: m.generation(), retryAfter: 5000 });
    expect(m.state()).toBe('open');
    expect(m.openTimeout()).toBe(5000);
    m.clock.increment(4999);
    expect(m.state()).toBe('open');
    m.clock.increment(1);
    expect(m.state()).toBe('halfOpen');
    m.send({ type: 'REQUEST', at: 5000 });
    m.send({ type: 'FAILURE', at: 5001, generation: m.generation() });
    expect(m.state()).toBe('open');
    expect(m.openTimeout()).toBe(1000);
  });

  it('forceOpen with a period opens for that long', () => {
    const m = start();
    m.send({ type: 'FORCE_OPEN', at: 0, for: 3000 });
    expect(m.openTimeout()).toBe(3000);
    m.clock.increment(3000);
    expect(m.state()).toBe('halfOpen');
  });
});
