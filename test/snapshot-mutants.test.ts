import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  CircuitBreaker,
  type CircuitBreakerSnapshot,
  CircuitBreakerSnapshotError,
  TRANSITION_REASONS,
} from '../src/index.js';
import { failTimes, ok, simulated } from './helpers.js';

/** Every snapshot error starts so; the rest names the path and the value. */
const PREFIX = 'cannot restore circuit breaker snapshot: ';

/** JSON-shaped data, as a snapshot read back from a store is: freely editable in a test. */
type Json = ReturnType<typeof JSON.parse>;

/** An open breaker named `users` (opened at t=1000 by two failures), saved as JSON data. */
async function savedOpen(): Promise<Json> {
  const { breaker } = simulated({ name: 'users', failureThreshold: 2, resetTimeout: 5000 });
  await breaker.call(ok);
  await failTimes(breaker, 2);
  return JSON.parse(JSON.stringify(breaker));
}

/** A breaker restored from `saved` on a simulated clock that reads `at`. */
function restoreAt(saved: unknown, at = 2000) {
  const clock = new SimulatedClock();
  clock.set(at);
  return new CircuitBreaker({ name: 'users', clock, snapshot: saved as CircuitBreakerSnapshot });
}

/** Asserts that restoring `saved` fails with a snapshot error whose message is exactly `reason`. */
function expectRejected(saved: unknown, reason: string): void {
  let thrown: unknown;
  try {
    new CircuitBreaker({ name: 'users', snapshot: saved as CircuitBreakerSnapshot });
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CircuitBreakerSnapshotError);
  expect((thrown as Error).message).toBe(PREFIX + reason);
}

describe('a saved counter, time or cost is validated', () => {
  it('rejects a fractional counter, naming its path and value', async () => {
    const saved = await savedOpen();
    saved.snapshot.context.stats.timesOpened = 1.5;
    expectRejected(saved, 'context.stats.timesOpened must be a non-negative integer, got 1.5');
  });

  it('rejects a saved time that is not a number', async () => {
    const saved = await savedOpen();
    saved.snapshot.context.stats.lastFailureAt = 'yesterday';
    expectRejected(
      saved,
      'context.stats.lastFailureAt must be a finite number or null, got "yesterday"',
    );
  });

  it('rejects a negative estimated cost', async () => {
    const saved = await savedOpen();
    saved.snapshot.context.stats.totalEstimatedCost = -0.5;
    expectRejected(
      saved,
      'context.stats.totalEstimatedCost must be a finite number >= 0, got -0.5',
    );
  });

  it('keeps the newer counters a version 3 snapshot saved', async () => {
    const saved = await savedOpen();
    Object.assign(saved.snapshot.context.stats, {
      totalIgnored: 3,
      totalTimeouts: 4,
      totalFallbacks: 5,
    });
    expect(restoreAt(saved).getStats()).toMatchObject({
      totalIgnored: 3,
      totalTimeouts: 4,
      totalFallbacks: 5,
    });
  });

  it('rejects a corrupted newer counter, naming its full path', async () => {
    const saved = await savedOpen();
    saved.snapshot.context.stats.totalIgnored = -1;
    expectRejected(saved, 'context.stats.totalIgnored must be a non-negative integer, got -1');
  });
});

describe('the saved last transition', () => {
  it('an open breaker keeps the transition that opened it', async () => {
    const saved = await savedOpen();
    const breaker = restoreAt(saved);
    expect(breaker.getStats().lastTransition).toEqual({
      from: 'closed',
      to: 'open',
      at: 1000,
      reason: 'consecutiveFailures',
    });
  });

  it('rejects a transition that is not an object', async () => {
    const saved = await savedOpen();
    saved.snapshot.context.stats.lastTransition = 7;
    expectRejected(saved, 'context.stats.lastTransition must be an object or null, got 7');
  });

  it.each([
    ['from', 'ajar'],
    ['from', 3],
    ['to', 'ajar'],
    ['to', 3],
  ])('rejects a transition whose %s is %j', async (end, state) => {
    const saved = await savedOpen();
    const transition = saved.snapshot.context.stats.lastTransition;
    transition[end] = state;
    expectRejected(
      saved,
      `context.stats.lastTransition must go between states, got ${JSON.stringify(transition)}`,
    );
  });

  it.each([
    ['an unknown reason', 'bogus', '"bogus"'],
    ['a reason that is not a string', 12, '12'],
  ])('rejects %s, listing the known ones', async (_, reason, shown) => {
    const saved = await savedOpen();
    saved.snapshot.context.stats.lastTransition.reason = reason;
    expect(TRANSITION_REASONS.length).toBeGreaterThan(1);
    expectRejected(
      saved,
      `context.stats.lastTransition.reason is not one of ${TRANSITION_REASONS.join(', ')}, got ${shown}`,
    );
  });

  it('rejects a transition at a time that is not a number, naming the nested path', async () => {
    const saved = await savedOpen();
    saved.snapshot.context.stats.lastTransition.at = 'noon';
    expectRejected(
      saved,
      'context.stats.lastTransition.at must be a finite number or null, got "noon"',
    );
  });

  it('rejects a transition with no time', async () => {
    const saved = await savedOpen();
    saved.snapshot.context.stats.lastTransition.at = null;
    expectRejected(saved, 'context.stats.lastTransition.at must be a finite number, got null');
  });

  it('a version 1 open snapshot records its restore at the last state change', async () => {
    const saved = await savedOpen();
    saved.version = 1;
    saved.snapshot.value = 'open';
    delete saved.snapshot.context.stats.lastTransition;
    expect(saved.snapshot.context.stats.lastStateChangeAt).toBe(1000);
    const breaker = restoreAt(saved, 2000);
    expect(breaker.getStats().lastTransition).toEqual({
      from: 'open',
      to: 'open',
      at: 1000,
      reason: 'restored',
    });
    expect(breaker.timeUntilRetry()).toBe(4000);
  });
});

describe('the saved state value', () => {
  it('a disabled breaker comes back disabled, counting but never tripping', async () => {
    const { breaker: original } = simulated({ name: 'users', failureThreshold: 1 });
    original.disable();
    const breaker = restoreAt(JSON.parse(JSON.stringify(original)));
    expect(breaker.state).toBe('disabled');
    expect(breaker.actor.getSnapshot().value).toEqual({ circuit: 'disabled', store: 'standalone' });
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('disabled');
    expect(breaker.getStats().totalFailures).toBe(3);
    expect(breaker.timeUntilRetry()).toBeNull();
  });

  it('rejects a null state value with a snapshot error', async () => {
    const saved = await savedOpen();
    saved.snapshot.value = null;
    expectRejected(saved, 'state null is not one of closed, open, halfOpen, forcedOpen, disabled');
  });

  it('rejects a circuit region nested once more', async () => {
    const saved = await savedOpen();
    saved.snapshot.value = { circuit: { circuit: 'open' }, store: 'standalone' };
    expectRejected(
      saved,
      'state {"circuit":{"circuit":"open"},"store":"standalone"} is not one of closed, open, halfOpen, forcedOpen, disabled',
    );
  });

  it('a half-open breaker comes back open in a new generation, recording the restore', async () => {
    const { breaker: original, clock } = simulated({
      name: 'users',
      failureThreshold: 1,
      resetTimeout: 5000,
    });
    await failTimes(original, 1);
    clock.increment(5000);
    expect(original.state).toBe('halfOpen');
    const saved = original.toJSON();
    const generation = saved.snapshot.context.generation;
    const breaker = restoreAt(JSON.parse(JSON.stringify(saved)), 9000);
    expect(breaker.state).toBe('open');
    expect(breaker.toJSON().snapshot.context.generation).toBe(generation + 1);
    expect(breaker.getStats().lastTransition).toEqual({
      from: 'halfOpen',
      to: 'open',
      at: 9000,
      reason: 'restored',
    });
  });
});
