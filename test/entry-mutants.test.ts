import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker, type CircuitBreakerOptions, CircuitOpenError } from '../src/index.js';
import { fakeStore, sharedHalfOpen } from './fake-store.js';
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
  it('the caller aborting while the lease is asked: no fn, the lease given back, nothing counted', async () => {
    const { breaker, circuit } = await sharedHalfOpen({ callTimeout: 5000 });
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

describe('plain execute and wrap as a half-open probe with a shared store', () => {
  it('wrap waits for the lease before it calls fn, with its this and arguments', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const target = { factor: 2 };
    const work = vi.fn(function (this: typeof target, x: number) {
      return Promise.resolve(x * this.factor);
    });
    const call = breaker.wrap(work).call(target, 21);
    await settle();
    expect(work).not.toHaveBeenCalled();
    expect(circuit.acquires).toHaveLength(1);
    circuit.acquires[0]?.grant();
    await expect(call).resolves.toBe(42);
    expect(work).toHaveBeenCalledOnce();
    expect(circuit.settles.map((s) => s.ok)).toEqual([true]);
    expect(breaker.state).toBe('closed');
  });

  it('wrap denied its lease is turned away without calling fn', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const work = vi.fn(ok);
    const call = breaker.wrap(work)();
    await settle();
    circuit.acquires[0]?.deny();
    await expect(call).rejects.toBeInstanceOf(CircuitOpenError);
    expect(work).not.toHaveBeenCalled();
  });

  it('execute without a signal waits for the lease and hands fn a signal that never aborts', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const work = vi.fn(({ signal }: { signal: AbortSignal }) => Promise.resolve(signal.aborted));
    const call = breaker.execute(work);
    await settle();
    expect(work).not.toHaveBeenCalled();
    circuit.acquires[0]?.grant();
    await expect(call).resolves.toBe(false);
    expect(circuit.settles.map((s) => s.ok)).toEqual([true]);
  });

  it('execute with a signal waits for the lease and hands fn the caller signal', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    const call = breaker.execute(
      ({ signal }) => {
        seen = signal;
        return 'done';
      },
      { signal: caller.signal },
    );
    await settle();
    expect(seen).toBeUndefined();
    circuit.acquires[0]?.grant();
    await expect(call).resolves.toBe('done');
    expect(seen).toBe(caller.signal);
  });
});

describe('entry points refusing before they run anything', () => {
  it('a wrapped function of a disposed breaker rejects, it does not throw', async () => {
    const { breaker } = simulated();
    const wrapped = breaker.wrap(ok);
    breaker.dispose();
    let outcome: Promise<string> | undefined;
    expect(() => {
      outcome = wrapped();
    }).not.toThrow();
    await expect(outcome).rejects.toThrow(/has been disposed/);
  });

  it('execute reads null options as none', async () => {
    const { breaker } = simulated();
    await expect(breaker.execute(ok, null as never)).resolves.toBe('ok');
  });

  it('a guarded execute of something that is not a function rejects naming it, counting nothing', async () => {
    const { breaker } = simulated({ callTimeout: 5000 });
    await expect(breaker.execute(42 as never)).rejects.toThrow(
      new TypeError('fn must be a function, got 42'),
    );
    expect(breaker.getStats().totalFailures).toBe(0);
  });

  it('a signal that is a function with an aborted flag is refused', async () => {
    const { breaker } = simulated();
    const impostor = Object.assign(() => undefined, { aborted: false });
    await expect(breaker.execute(ok, { signal: impostor as never })).rejects.toThrow(
      /signal must be an AbortSignal/,
    );
  });

  it("execute's fallback gets the error and no call arguments", async () => {
    const { breaker } = simulated({ callTimeout: 5000 });
    const fallback = vi.fn((...args: unknown[]) => args.length);
    await expect(
      breaker.execute(() => Promise.reject(new Error('down')), { fallback }),
    ).resolves.toBe(1);
  });
});

describe('outcomes of guarded calls without a slow-call rule', () => {
  const windowed = {
    failureRateThreshold: 0.9,
    slidingWindow: { type: 'count', size: 10 },
    minimumThroughput: 10,
  } as const;

  it('a call timeout counts as a failure and a timeout, not as slow', async () => {
    const { clock, breaker } = simulated({ callTimeout: 100, ...windowed });
    const call = breaker.call(() => new Promise<never>(() => undefined));
    clock.increment(100);
    await expect(call).rejects.toThrow(/timed out|timeout/i);
    const metrics = breaker.getMetrics();
    expect(metrics.failedCalls).toBe(1);
    expect(metrics.slowCalls).toBe(0);
    expect(breaker.getStats().totalTimeouts).toBe(1);
  });

  it('a long success, a result failure and a throwing classifier are neither slow nor timeouts', async () => {
    const { clock, breaker } = simulated({
      callTimeout: 100_000,
      isResultFailure: (result) => {
        if (result === 'bad classifier') throw new Error('classifier');
        return result === 'bad';
      },
      ...windowed,
    });
    let finish!: (value: string) => void;
    const long = breaker.call(() => new Promise<string>((res) => (finish = res)));
    clock.increment(50_000);
    finish('fine');
    await expect(long).resolves.toBe('fine');
    await expect(breaker.call(() => Promise.resolve('bad'))).resolves.toBe('bad');
    await expect(breaker.call(() => Promise.resolve('bad classifier'))).rejects.toThrow(
      'classifier',
    );
    const metrics = breaker.getMetrics();
    expect(metrics.bufferedCalls).toBe(3);
    expect(metrics.failedCalls).toBe(2);
    expect(metrics.slowCalls).toBe(0);
    expect(breaker.getStats().totalTimeouts).toBe(0);
  });

  it('a call slower than slowCallDuration that then times out counts as slow', async () => {
    const { clock, breaker } = simulated({
      callTimeout: 100,
      slowCallDuration: 50,
      slowCallRateThreshold: 0.9,
      slidingWindow: { type: 'count', size: 10 },
      minimumThroughput: 10,
    });
    const call = breaker.call(() => new Promise<never>(() => undefined));
    clock.increment(100);
    await expect(call).rejects.toThrow();
    expect(breaker.getMetrics().slowCalls).toBe(1);
  });
});

describe('operator controls through a shared store', () => {
  function shared() {
    const { store, circuit } = fakeStore();
    const { clock, breaker } = simulated({ name: 'payments', store });
    return { clock, breaker, circuit: circuit() };
  }

  it('reset and forceClose send their reason, or an empty one', () => {
    const { breaker, circuit } = shared();
    breaker.reset();
    breaker.reset({ reason: 'deploy' });
    breaker.forceClose();
    breaker.forceClose({ reason: 'fixed' });
    expect(circuit.commands).toStrictEqual([
      { kind: 'reset', options: { reason: '' } },
      { kind: 'reset', options: { reason: 'deploy' } },
      { kind: 'forceClose', options: { reason: '' } },
      { kind: 'forceClose', options: { reason: 'fixed' } },
    ]);
  });

  it('forceOpen sends its period only when it has one', () => {
    const { breaker, circuit } = shared();
    breaker.forceOpen();
    expect(breaker.state).toBe('forcedOpen');
    breaker.forceOpen({ for: 500, reason: 'drill' });
    expect(breaker.state).toBe('open');
    expect(circuit.commands).toStrictEqual([
      { kind: 'forceOpen', options: { reason: '' } },
      { kind: 'forceOpen', options: { reason: 'drill', for: 500 } },
    ]);
  });

  it('their validation errors name the control', () => {
    const { breaker } = simulated();
    expect(() => breaker.reset({ bogus: 1 } as never)).toThrow(
      new TypeError('unknown reset option "bogus"'),
    );
    expect(() => breaker.forceClose({ bogus: 1 } as never)).toThrow(
      new TypeError('unknown forceClose option "bogus"'),
    );
    expect(() => breaker.reset(7 as never)).toThrow(
      new TypeError('reset options must be an object, got 7'),
    );
  });
});

describe('the signal fn reads under a call timeout', () => {
  it('is one signal however often fn reads it, and the timeout aborts it', async () => {
    const { clock, breaker } = simulated({ callTimeout: 100 });
    let first: AbortSignal | undefined;
    let second: AbortSignal | undefined;
    const call = breaker.execute((ctx) => {
      first = ctx.signal;
      second = ctx.signal;
      return new Promise<never>(() => undefined);
    });
    expect(second).toBe(first);
    clock.increment(100);
    await expect(call).rejects.toThrow();
    expect(first?.aborted).toBe(true);
  });
});

describe('clock reads of a guarded call', () => {
  /** The clock reads of one successful call through a breaker made with `options`. */
  async function readsOfOneCall(options: CircuitBreakerOptions): Promise<number> {
    const clock = new SimulatedClock();
    clock.set(1000);
    let reads = 0;
    const counting = {
      now: () => {
        reads += 1;
        return clock.now();
      },
      setTimeout: (callback: () => void, ms: number) => clock.setTimeout(callback, ms),
      clearTimeout: (handle: unknown) => clock.clearTimeout(handle as never),
    };
    const breaker = new CircuitBreaker({ ...options, clock: counting });
    await breaker.call(ok);
    const before = reads;
    await breaker.call(ok);
    return reads - before;
  }

  it('with neither a call timeout nor a slow-call rule, no more than a plain call', async () => {
    const plain = await readsOfOneCall({});
    expect(await readsOfOneCall({ isFailure: () => true })).toBe(plain);
  });
});

describe('a plain execute with a signal', () => {
  it('removes its abort listener once fn settles', async () => {
    const { breaker } = simulated();
    const { signal, added, removed } = watchedSignal();
    await expect(breaker.execute(ok, { signal })).resolves.toBe('ok');
    const listener = added.mock.calls[0]?.[1];
    expect(listener).toBeDefined();
    expect(removed).toHaveBeenCalledWith('abort', listener);
  });
});
