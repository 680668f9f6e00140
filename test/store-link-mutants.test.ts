/**
 * The store link's probe leases, in the corners the main store-link tests leave: a lease that
 * outlives the half-open it was granted in, outcomes of other generations, a store that fails or
 * lacks `releaseProbe`, a signal that aborts while the lease is on its way, and a breaker
 * disposed while a probe still waits. Everything runs in-process on the fake store.
 */
import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitBreakerDisposedError, CircuitOpenError } from '../src/index.js';
import { fakeStore, fakeStoreWith, sharedHalfOpen } from './fake-store.js';
import { boom, breakableClock, deferred, failTimes, ok, settle } from './helpers.js';

/** How `promise` has settled once the callbacks already due have run, or 'pending'. */
async function outcomeSoon(promise: Promise<unknown>) {
  let outcome: { resolved: unknown } | { rejected: unknown } | 'pending' = 'pending';
  promise.then(
    (value) => {
      outcome = { resolved: value };
    },
    (error: unknown) => {
      outcome = { rejected: error };
    },
  );
  await settle();
  await settle();
  return outcome;
}

describe('a lease and the half-open it was granted in', () => {
  it('a probe whose half-open ended before it settled leaves its lease to expire', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const work = deferred<string>();
    const call = breaker.call(() => work.promise);
    await settle();
    circuit.acquires[0]?.grant();
    await settle();
    circuit.push({ state: 'closed', reason: 'probesSucceeded' });
    expect(breaker.state).toBe('closed');
    work.resolve('late');
    await expect(call).resolves.toBe('late');
    expect(circuit.settles).toEqual([]);
  });

  it('a lease granted after half-open ended is settled by its probe, whatever moves next', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const work = deferred<string>();
    const call = breaker.call(() => work.promise);
    await settle();
    circuit.push({ state: 'closed', reason: 'probesSucceeded' });
    circuit.acquires[0]?.grant();
    await settle();
    circuit.push({ state: 'open', retryIn: 1000, reason: 'failureRate' });
    expect(breaker.state).toBe('open');
    work.resolve('late');
    await expect(call).resolves.toBe('late');
    expect(circuit.settles).toEqual([{ lease: expect.objectContaining({ id: 'l1' }), ok: true }]);
  });

  it("an outcome of another generation leaves a probe's lease alone", async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const work = deferred<string>();
    const probe = breaker.call(() => work.promise);
    await settle();
    circuit.push({ state: 'closed', reason: 'probesSucceeded' });
    circuit.acquires[0]?.grant();
    await settle();
    // A call of the closed circuit fails: it holds no lease, so none is settled.
    await expect(breaker.call(boom)).rejects.toThrow('boom');
    expect(circuit.settles).toEqual([]);
    work.resolve('late');
    await expect(probe).resolves.toBe('late');
    expect(circuit.settles.map(({ lease, ok }) => [lease.id, ok])).toEqual([['l1', true]]);
  });
});

describe('giving a lease back', () => {
  it('a probe that ran without a lease (the store failed) gives nothing back', async () => {
    const ignored = new Error('not the downstream');
    const { breaker, circuit } = await sharedHalfOpen({ isIgnored: (error) => error === ignored });
    const call = breaker.call(() => Promise.reject(ignored));
    await settle();
    circuit.acquires[0]?.fail();
    await expect(call).rejects.toBe(ignored);
    expect(circuit.releases).toEqual([]);
    expect(breaker.getMetrics().probesInFlight).toBe(0);
  });

  it('a store without releaseProbe lets the lease of an ignored probe expire', async () => {
    const ignored = new Error('not the downstream');
    const { breaker, circuit } = await sharedHalfOpen(
      { isIgnored: (error) => error === ignored },
      fakeStoreWith((made) => {
        delete (made as { releaseProbe?: unknown }).releaseProbe;
      }),
    );
    const call = breaker.call(() => Promise.reject(ignored));
    await settle();
    circuit.acquires[0]?.grant();
    // Read once the promises in hand have run: a link that threw would leave the call hanging.
    expect(await outcomeSoon(call)).toEqual({ rejected: ignored });
    expect(circuit.settles).toEqual([]);
    expect(breaker.getMetrics().probesInFlight).toBe(0);
    expect(breaker.state).toBe('halfOpen');
  });
});

describe('a probe the store could not answer for', () => {
  it('runs only while this replica is still half-open', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const rejections = breaker.getStats().totalRejections;
    const work = vi.fn(ok);
    const call = breaker.call(work);
    await settle();
    circuit.push({ state: 'open', retryIn: 5000, reason: 'probeFailure' });
    circuit.acquires[0]?.fail();
    await expect(call).rejects.toBeInstanceOf(CircuitOpenError);
    expect(work).not.toHaveBeenCalled();
    expect(breaker.getStats().totalRejections).toBe(rejections + 1);
  });

  it('a denial whose handling throws (a broken clock) still turns the probe away', async () => {
    const { clock, state, simulated: time } = breakableClock();
    const { store, circuit: circuitOf } = fakeStore();
    const breaker = new CircuitBreaker({ name: 'payments', store, clock, resetTimeout: 1000 });
    const circuit = circuitOf();
    await failTimes(breaker, 5);
    time.increment(1000);
    expect(breaker.state).toBe('halfOpen');
    const work = vi.fn(ok);
    const call = breaker.call(work);
    await settle();
    state.broken = true;
    circuit.acquires[0]?.deny();
    await expect(call).rejects.toBeInstanceOf(CircuitOpenError);
    expect(work).not.toHaveBeenCalled();
    state.broken = false;
  });
});

describe('running a probe once its lease is granted', () => {
  it('a probe that throws at once rejects and settles its lease as failed', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const call = breaker.call(() => {
      throw new Error('sync');
    });
    await settle();
    circuit.acquires[0]?.grant();
    await expect(call).rejects.toThrow('sync');
    expect(circuit.settles.map(({ ok }) => ok)).toEqual([false]);
    expect(breaker.state).toBe('open');
  });

  it('execute with a signal, denied its lease, rejects like an open circuit and runs nothing', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const work = vi.fn(ok);
    const call = breaker.execute(work, { signal: new AbortController().signal });
    await settle();
    circuit.acquires[0]?.deny();
    await expect(call).rejects.toBeInstanceOf(CircuitOpenError);
    expect(work).not.toHaveBeenCalled();
  });

  it('execute with a signal that aborted while the lease was on its way gives it back, unrun', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const caller = new AbortController();
    const work = vi.fn(ok);
    const call = breaker.execute(work, { signal: caller.signal });
    await settle();
    caller.abort(new Error('gave up'));
    circuit.acquires[0]?.grant();
    await expect(call).rejects.toThrow('gave up');
    expect(work).not.toHaveBeenCalled();
    expect(circuit.releases.map((lease) => lease.id)).toEqual(['l1']);
    expect(circuit.settles).toEqual([]);
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.getMetrics().probesInFlight).toBe(0);
  });

  it('execute with a signal that never aborts runs once granted and settles its lease', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const call = breaker.execute(({ signal }) => Promise.resolve(signal.aborted), {
      signal: new AbortController().signal,
    });
    await settle();
    circuit.acquires[0]?.grant();
    await expect(call).resolves.toBe(false);
    expect(circuit.settles.map(({ ok }) => ok)).toEqual([true]);
    expect(circuit.releases).toEqual([]);
  });
});

describe('a probe waiting for its lease while the breaker is disposed', () => {
  it('never runs when the lease comes after', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const work = vi.fn(ok);
    const call = breaker.call(work);
    await settle();
    breaker.dispose();
    circuit.acquires[0]?.grant();
    await expect(call).rejects.toBeInstanceOf(CircuitBreakerDisposedError);
    expect(work).not.toHaveBeenCalled();
    expect(circuit.settles).toEqual([]);
    expect(circuit.releases).toEqual([]);
  });

  it('counts no rejection and applies nothing when the denial comes after', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const rejected = vi.fn();
    breaker.on('reject', rejected);
    const call = breaker.call(ok);
    await settle();
    breaker.dispose();
    const rejections = breaker.getStats().totalRejections;
    // XState warns of an event sent to its stopped actor: the denial's shared state must not go.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      circuit.acquires[0]?.deny({ state: 'closed', reason: 'created' });
      await expect(call).rejects.toBeInstanceOf(CircuitBreakerDisposedError);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(rejected).not.toHaveBeenCalled();
    expect(breaker.getStats().totalRejections).toBe(rejections);
    expect(breaker.state).toBe('halfOpen');
  });
});

describe('a store that calls back into the breaker while its circuit is let go', () => {
  it('a control issued from close() is not sent to the circuit being closed', async () => {
    const { store, circuit: circuitOf } = fakeStore();
    const breaker = new CircuitBreaker({ name: 'payments', store });
    const circuit = circuitOf();
    circuit.close = async () => {
      breaker.forceOpen({ reason: 'store closing' });
    };
    breaker.dispose();
    expect(breaker.state).toBe('forcedOpen');
    expect(circuit.commands).toEqual([]);
  });

  it('a dispose from close() lets the circuit go once', () => {
    const { store, circuit: circuitOf } = fakeStore();
    const breaker = new CircuitBreaker({ name: 'payments', store });
    const circuit = circuitOf();
    let closes = 0;
    circuit.close = async () => {
      closes += 1;
      breaker.dispose();
    };
    expect(() => breaker.dispose()).not.toThrow();
    expect(closes).toBe(1);
  });
});
