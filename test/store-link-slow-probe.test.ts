/**
 * A half-open probe's success settles its shared lease as good unless the call was slow and
 * slow calls count (a slow-call rate is set): the shared circuit then hears of a bad probe.
 */
import { describe, expect, it } from 'vitest';
import { fakeStore } from './fake-store.js';
import { deferred, failTimes, settle, simulated } from './helpers.js';

describe('settling a probe lease after a success', () => {
  it('settles a slow probe as failed and a fast one as good', async () => {
    const { store, circuit: circuitOf } = fakeStore();
    const { clock, breaker } = simulated({
      name: 'slow-probes',
      failureThreshold: 5,
      store,
      resetTimeout: 1000,
      halfOpenMaxCalls: 2,
      halfOpenSuccessThreshold: 2,
      slidingWindow: { type: 'count', size: 10 },
      slowCallRateThreshold: 0.5,
      slowCallDuration: 50,
    });
    const circuit = circuitOf();
    await failTimes(breaker, 5);
    clock.increment(1000);
    expect(breaker.state).toBe('halfOpen');
    const slowWork = deferred<string>();
    const fastWork = deferred<string>();
    const slow = breaker.call(() => slowWork.promise);
    const fast = breaker.call(() => fastWork.promise);
    await settle();
    circuit.acquires[0]?.grant();
    circuit.acquires[1]?.grant();
    await settle();
    fastWork.resolve('fast');
    await expect(fast).resolves.toBe('fast');
    clock.increment(60);
    slowWork.resolve('slow');
    await expect(slow).resolves.toBe('slow');
    expect(circuit.settles.map(({ ok }) => ok)).toEqual([true, false]);
  });
});
