import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { type CircuitBreakerInput, circuitBreakerMachine } from '../src/index.js';
import { outcomeCode } from '../src/machine/guards.js';

/** The bare machine on a simulated clock at t=1000, with the breaker's own `after` timers. */
function machineAt1000(input: CircuitBreakerInput) {
  const clock = new SimulatedClock();
  clock.set(1000);
  const actor = createActor(circuitBreakerMachine, { input, clock });
  actor.start();
  const fail = (at: number, slow = false) =>
    actor.send({ type: 'FAILURE', at, generation: actor.getSnapshot().context.generation, slow });
  return { clock, actor, fail };
}

describe("the machine's own timers", () => {
  it('stamp the move to halfOpen with the time the reset timeout was due', () => {
    const { clock, actor, fail } = machineAt1000({ failureThreshold: 1, resetTimeout: 500 });
    fail(1000);
    expect(actor.getSnapshot().context.stats.lastTransition).toMatchObject({
      to: 'open',
      at: 1000,
    });
    clock.increment(500);
    expect(actor.getSnapshot().context.stats.lastTransition).toEqual({
      from: 'open',
      to: 'halfOpen',
      at: 1500,
      reason: 'resetTimeout',
    });
    actor.stop();
  });

  it('stamp the move back to open with the time halfOpenMaxWait ran out', () => {
    const { clock, actor, fail } = machineAt1000({
      failureThreshold: 1,
      resetTimeout: 500,
      halfOpenMaxWait: 200,
    });
    fail(1000);
    clock.increment(500);
    clock.increment(200);
    expect(actor.getSnapshot().context.stats.lastTransition).toEqual({
      from: 'halfOpen',
      to: 'open',
      at: 1700,
      reason: 'halfOpenMaxWait',
    });
    actor.stop();
  });

  it('a failure that is not slow never trips the slow-call rate', () => {
    const { actor, fail } = machineAt1000({
      failureThreshold: 100,
      slowCallRateThreshold: 0.5,
      slowCallDuration: 100,
      slidingWindow: { type: 'count', size: 4 },
      minimumThroughput: 2,
    });
    fail(1000, true);
    fail(1001);
    expect(actor.getSnapshot().context.stats.lastTransition).toBeNull();
    actor.send({
      type: 'SUCCESS',
      at: 1003,
      generation: actor.getSnapshot().context.generation,
      slow: false,
    });
    expect(actor.getSnapshot().context.stats.lastTransition).toBeNull();
    fail(1004, true); // 2 slow of the last 4: the rate is reached
    expect(actor.getSnapshot().context.stats.lastTransition).toMatchObject({
      to: 'open',
      reason: 'slowCallRate',
    });
    actor.stop();
  });
});

describe('outcomeCode', () => {
  it('codes failures and slowness, and nothing for events that are not outcomes', () => {
    expect(outcomeCode({ type: 'SUCCESS', at: 1, generation: 0 })).toBe(0);
    expect(outcomeCode({ type: 'REQUEST', at: 1 })).toBe(0);
    const failure = outcomeCode({ type: 'FAILURE', at: 1, generation: 0 });
    const slowSuccess = outcomeCode({ type: 'SUCCESS', at: 1, generation: 0, slow: true });
    expect(failure).not.toBe(0);
    expect(slowSuccess).not.toBe(0);
    expect(outcomeCode({ type: 'FAILURE', at: 1, generation: 0, slow: true })).toBe(
      failure | slowSuccess,
    );
  });
});
