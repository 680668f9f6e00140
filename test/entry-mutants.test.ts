import { describe, expect, it, vi } from 'vitest';
import { type CircuitBreaker, type CircuitBreakerOptions, CircuitOpenError } from '../src/index.js';
import { fakeStore } from './fake-store.js';
import { failTimes, ok, settle, simulated } from './helpers.js';

/** The caller's signal with its listener calls watched. */
function watchedSignal() {
  const caller = new AbortController();
  const added = vi.spyOn(caller.signal, 'addEventListener');
  const removed = vi.spyOn(caller.signal, 'removeEventListener');
  return { caller, signal: caller.signal, added, removed };
}

function counts(breaker: CircuitBreaker) {
  const { totalSuccesses, totalFailures } = breaker.getStats();
  return { totalSuccesses, totalFailures, probesInFlight: breaker.getMetrics().probesInFlight };
}

/** A local breaker tripped and moved on to half-open. */
async function localHalfOpen(options: CircuitBreakerOptions) {
  const setup = simulated({ resetTimeout: 1000, halfOpenMaxCalls: 1, ...options });
  await failTimes(setup.breaker, 5);
  setup.clock.increment(1000);
  expect(setup.breaker.state).toBe('halfOpen');
  return setup;
}

const policies: Array<[string, CircuitBreakerOptions]> = [
  ['callTimeout', { callTimeout: 5000 }],
  [
    'slowCallDuration',
    {
      slowCallDuration: 100,
      slowCallRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 10 },
    },
  ],
  ['isFailure', { isFailure: () => true }],
];

describe('the caller aborting a guarded call', () => {
  for (const [name, options] of policies) {
    it(`under ${name}: rejects with the reason at once, counts nothing, removes its listener`, async () => {
      const { breaker } = simulated(options);
      const { caller, signal, added, removed } = watchedSignal();
      const work = vi.fn((_: { signal: AbortSignal }) => new Promise<never>(() => undefined));
      const call = breaker.execute(work, { signal });
      expect(work).toHaveBeenCalledOnce();
      expect(added).toHaveBeenCalledWith('abort', expect.anything());
      const listener = added.mock.calls[0]?.[1];
      const reason = new Error('gave up');
      caller.abort(reason);
      await expect(call).rejects.toBe(reason);
      expect(removed).toHaveBeenCalledWith('abort', listener);
      expect(counts(breaker)).toEqual({ totalSuccesses: 0, totalFailures: 0, probesInFlight: 0 });
    });
  }

  it('with a fallback only: the abort rejects, the fallback is not asked', async () => {
    const { breaker } = simulated();
    const caller = new AbortController();
    const fallback = vi.fn(() => 'cached');
    const call = breaker.execute(() => new Promise<never>(() => undefined), {
      signal: caller.signal,
      fallback,
    });
    caller.abort('stop');
    await expect(call).rejects.toBe('stop');
    expect(fallback).not.toHaveBeenCalled();
    expect(breaker.getStats().totalFallbacks).toBe(0);
  });

  it('a later settle of fn after the abort counts nothing', async () => {
    const { breaker } = simulated({
      slowCallDuration: 100,
      slowCallRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 10 },
    });
    const caller = new AbortController();
    let finish!: (value: string) => void;
    const call = breaker.execute(() => new Promise<string>((res) => (finish = res)), {
      signal: caller.signal,
    });
    caller.abort('stop');
    await expect(call).rejects.toBe('stop');
    finish('late');
    await settle();
    expect(counts(breaker)).toEqual({ totalSuccesses: 0, totalFailures: 0, probesInFlight: 0 });
  });

  it('a half-open probe aborted while it runs gives its slot back', async () => {
    const { breaker } = await localHalfOpen({ callTimeout: 5000 });
    const caller = new AbortController();
    const call = breaker.execute(() => new Promise<never>(() => undefined), {
      signal: caller.signal,
    });
    expect(breaker.getMetrics().probesInFlight).toBe(1);
    // The slot is taken: a second call is turned away.
    await expect(breaker.call(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    caller.abort('stop');
    await expect(call).rejects.toBe('stop');
    expect(breaker.getMetrics().probesInFlight).toBe(0);
    expect(breaker.state).toBe('halfOpen');
    await expect(breaker.call(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('the abort reaches the signal fn reads under a call timeout, asked before or after', async () => {
    const { breaker } = simulated({ callTimeout: 5000 });
    const caller = new AbortController();
    let early: AbortSignal | undefined;
    let context: { signal: AbortSignal } | undefined;
    const call = breaker.execute(
      (ctx) => {
        early = ctx.signal;
        context = ctx;
        return new Promise<never>(() => undefined);
      },
      { signal: caller.signal },
    );
    expect(early?.aborted).toBe(false);
    caller.abort('stop');
    await expect(call).rejects.toBe('stop');
    expect(early?.aborted).toBe(true);
    expect(early?.reason).toBe('stop');
    // Not asked before the abort: made now, already aborted with the same reason.
    const { breaker: other } = simulated({ callTimeout: 5000 });
    const second = new AbortController();
    const late = other.execute(
      (ctx) => {
        context = ctx;
        return new Promise<never>(() => undefined);
      },
      { signal: second.signal },
    );
    second.abort('later');
    await expect(late).rejects.toBe('later');
    expect(context?.signal.aborted).toBe(true);
    expect(context?.signal.reason).toBe('later');
  });

  it('without a call timeout fn sees the caller signal itself', async () => {
    const { breaker } = simulated({
      slowCallDuration: 100,
      slowCallRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 10 },
    });
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    await breaker.execute(
      ({ signal }) => {
        seen = signal;
        return 'done';
      },
      { signal: caller.signal },
    );
    expect(seen).toBe(caller.signal);
  });

  it('an already aborted signal rejects without calling fn, on every guarded entry', async () => {
    const { breaker } = simulated({ callTimeout: 5000 });
    const reason = new Error('already');
    const signal = AbortSignal.abort(reason);
    const work = vi.fn(ok);
    await expect(breaker.execute(work, { signal })).rejects.toBe(reason);
    await expect(breaker.execute(work, { signal, fallback: () => 'x' })).rejects.toBe(reason);
    expect(work).not.toHaveBeenCalled();
    expect(counts(breaker)).toEqual({ totalSuccesses: 0, totalFailures: 0, probesInFlight: 0 });
    expect(breaker.getStats().totalRejections).toBe(0);
  });

  it('a call timeout after the abort counts nothing (the deadline was settled)', async () => {
    const { clock, breaker } = simulated({ callTimeout: 100 });
    const caller = new AbortController();
    const call = breaker.execute(() => new Promise<never>(() => undefined), {
      signal: caller.signal,
    });
    caller.abort('stop');
    await expect(call).rejects.toBe('stop');
    clock.increment(500);
    await settle();
    expect(breaker.getStats().totalTimeouts).toBe(0);
    expect(breaker.getStats().totalFailures).toBe(0);
  });
});

describe('guarded probes waiting for a shared lease', () => {
  async function halfOpen(options: CircuitBreakerOptions = {}) {
    const { store, circuit } = fakeStore();
    const setup = simulated({ name: 'payments', store, resetTimeout: 1000, ...options });
    await failTimes(setup.breaker, 5);
    setup.clock.increment(1000);
    expect(setup.breaker.state).toBe('halfOpen');
    return { ...setup, circuit: circuit() };
  }

  it('the caller aborting while the lease is asked: no fn, the lease given back, nothing counted', async () => {
    const { breaker, circuit } = await halfOpen({ callTimeout: 5000 });
    const caller = new AbortController();
    const work = vi.fn(ok);
    const call = breaker.execute(work, { signal: caller.signal });
    await settle();
    caller.abort('stop');
    circuit.acquires[0]?.grant();
    await expect(call).rejects.toBe('stop');
    await settle();
    expect(work).not.toHaveBeenCalled();
    expect(circuit.releases.map((lease) => lease.id)).toEqual(['l1']);
    expect(circuit.settles).toEqual([]);
    expect(breaker.getMetrics().probesInFlight).toBe(0);
  });
});

