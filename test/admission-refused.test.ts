/**
 * Admissions the machine refuses after a `REQUEST`: the circuit is open and not yet due while
 * someone watches every event (the actor is exposed, so nothing is decided without it), or it
 * is half-open with every probe slot taken. The call is turned away and `fn` never runs.
 */
import { describe, expect, it, vi } from 'vitest';
import { CircuitOpenError } from '../src/index.js';
import { deferred, failTimes, simulated } from './helpers.js';

describe('a REQUEST the machine refuses turns the call away', () => {
  it('open and not due, with the actor exposed', async () => {
    const { breaker } = simulated({ failureThreshold: 1, resetTimeout: 1000 });
    expect(breaker.actor.getSnapshot().status).toBe('active'); // every event goes to the actor
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    const fn = vi.fn(async () => 'ran');
    await expect(breaker.call(fn)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.getStats().totalRejections).toBe(1);
  });

  it('half-open with its one probe slot taken', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 1000 });
    await failTimes(breaker, 1);
    clock.increment(1000);
    expect(breaker.state).toBe('halfOpen');
    const probe = deferred<string>();
    const first = breaker.call(() => probe.promise);
    const second = vi.fn(async () => 'ran');
    await expect(breaker.call(second)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(second).not.toHaveBeenCalled();
    probe.resolve('ok');
    await expect(first).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });
});
