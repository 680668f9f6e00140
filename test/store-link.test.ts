import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions, CircuitOpenError } from '../src/index.js';
import { fakeStore, sharedHalfOpen } from './fake-store.js';
import { boom, failTimes, ok, settle, simulated } from './helpers.js';

/** A breaker on a simulated clock sharing its circuit through a fake store. */
function shared(options: CircuitBreakerOptions = {}) {
  const { store, circuit } = fakeStore();
  const { clock, breaker } = simulated({ name: 'payments', store, ...options });
  return { clock, breaker, circuit: circuit() };
}

describe('the store option', () => {
  it('is validated with the options it brings', () => {
    const { store } = fakeStore();
    expect(() => new CircuitBreaker({ store })).toThrow(
      new TypeError('a breaker with a store needs a name: the circuit is shared under it'),
    );
    expect(() => new CircuitBreaker({ name: 'a', store: {} as never })).toThrow(
      /store must be a circuit store \(such as redisStore\(\)\), got \{\}/,
    );
    expect(() => new CircuitBreaker({ name: 'a', probeLease: 100 })).toThrow(
      new TypeError('probeLease needs a store'),
    );
    expect(() => new CircuitBreaker({ name: 'a', quorum: 2 })).toThrow(
      new TypeError('quorum needs a store'),
    );
    expect(() => new CircuitBreaker({ name: 'a', store, probeLease: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ name: 'a', store, quorum: 1.5 })).toThrow(
      /quorum must be an integer between 1 and 10000, got 1.5/,
    );
    expect(() => new CircuitBreaker({ name: 'a', store, quorum: '2' as never })).toThrow(TypeError);
    expect(() => new CircuitBreaker({ name: 'a', onStoreUnavailable: 'ignore' as never })).toThrow(
      /onStoreUnavailable must be one of "local", "open", "closed", got "ignore"/,
    );
  });

  it('configures the shared circuit from the breaker: thresholds, recovery, lease, quorum', () => {
    const { circuit } = shared({
      failureThreshold: 4,
      resetTimeout: 7000,
      halfOpenMaxCalls: 2,
      callTimeout: 500,
      quorum: 2,
    });
    expect(circuit.name).toBe('payments');
    expect(circuit.options).toEqual({
      failureThreshold: 4,
      failureRateThreshold: null,
      slowCallRateThreshold: null,
      resetTimeout: 7000,
      halfOpenMaxCalls: 2,
      halfOpenSuccessThreshold: 2,
      quorum: 2,
      probeLease: 1500,
    });
    const timed = shared({
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'time', duration: 10_000, buckets: 10 },
      minimumThroughput: 4,
      probeLease: 3000,
    }).circuit.options;
    expect(timed).toMatchObject({
      failureThreshold: null,
      failureRateThreshold: 0.5,
      minimumThroughput: 4,
      slidingWindow: { type: 'time', duration: 10_000, buckets: 10 },
      probeLease: 3000,
    });
    // A count window cannot be shared: its rate stays local (its trips are reported).
    const counted = shared({
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 10 },
    }).circuit.options;
    expect(counted?.failureRateThreshold).toBeNull();
    expect(counted).not.toHaveProperty('slidingWindow');
    expect(counted).not.toHaveProperty('probeLease');
  });

  it('storeStatus, its event and the metrics follow the store', () => {
    expect(new CircuitBreaker({ name: 'alone' }).storeStatus).toBeNull();
    expect(new CircuitBreaker({ name: 'alone' }).getMetrics().storeStatus).toBeNull();
    const { breaker, circuit, clock } = shared();
    expect(breaker.storeStatus).toBe('connected');
    const seen: unknown[] = [];
    breaker.on('storeStatus', (event) => seen.push(event));
    clock.increment(10);
    circuit.setStatus('degraded');
    expect(breaker.storeStatus).toBe('degraded');
    expect(breaker.getMetrics().storeStatus).toBe('degraded');
    circuit.setStatus('connected');
    expect(seen).toEqual([
      { type: 'storeStatus', at: 1010, status: 'degraded', from: 'connected' },
      { type: 'storeStatus', at: 1010, status: 'connected', from: 'degraded' },
    ]);
    expect(breaker.actor.getSnapshot().value).toEqual({
      circuit: { automatic: 'closed' },
      store: 'connected',
    });
  });
});

describe('reporting outcomes', () => {
  it('reports nothing per call: the deltas of the counters go out on the store flush, once', async () => {
    const { breaker, circuit } = shared({ failureThreshold: 5 });
    for (let i = 0; i < 10; i++) await breaker.call(ok);
    await failTimes(breaker, 2);
    await breaker.call(ok);
    await failTimes(breaker, 1);
    expect(circuit.reports).toEqual([]);
    circuit.flush();
    expect(circuit.reports).toEqual([{ successes: 11, failures: 3, trailingFailures: 1 }]);
    circuit.flush();
    expect(circuit.reports).toHaveLength(1);
    await failTimes(breaker, 2);
    circuit.flush();
    expect(circuit.reports[1]).toEqual({ successes: 0, failures: 2, trailingFailures: 2 });
  });

  it('reports a local trip at once, with the rule that tripped and the calls before it', async () => {
    const { breaker, circuit } = shared({ failureThreshold: 3 });
    await breaker.call(ok);
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('open');
    expect(circuit.reports).toEqual([
      { successes: 1, failures: 3, trailingFailures: 3, tripped: 'consecutiveFailures' },
    ]);
  });

  it('a rate trip is reported with its rule: failureRate, slowCallRate', async () => {
    const window = { type: 'count', size: 4 } as const;
    const byRate = shared({
      failureRateThreshold: 0.5,
      minimumThroughput: 4,
      slidingWindow: window,
    });
    await byRate.breaker.call(ok);
    await byRate.breaker.call(ok);
    await failTimes(byRate.breaker, 2);
    expect(byRate.breaker.state).toBe('open');
    expect(byRate.circuit.reports.at(-1)?.tripped).toBe('failureRate');

    const bySlow = shared({
      slowCallDuration: 100,
      slowCallRateThreshold: 0.5,
      minimumThroughput: 2,
      slidingWindow: window,
    });
    for (let i = 0; i < 2; i++) {
      await bySlow.breaker.call(async () => {
        bySlow.clock.increment(150); // slow: 150 ms on the breaker's clock
      });
    }
    expect(bySlow.breaker.state).toBe('open');
    expect(bySlow.circuit.reports.at(-1)?.tripped).toBe('slowCallRate');
  });

  it('a breaker restored from a snapshot reports only what it sees after', async () => {
    const first = new CircuitBreaker({ name: 'payments' });
    await first.call(ok);
    const { breaker, circuit } = shared({ snapshot: JSON.stringify(first) });
    await breaker.call(ok);
    circuit.flush();
    expect(circuit.reports).toEqual([{ successes: 1, failures: 0, trailingFailures: 0 }]);
  });
});

describe('shared state', () => {
  it('an open shared circuit opens this one (reason remote) until the shared deadline', () => {
    const { breaker, circuit, clock } = shared({ resetTimeout: 30_000 });
    const changes: unknown[] = [];
    breaker.on('stateChange', (change) => changes.push(change));
    circuit.push({ state: 'open', retryIn: 5000, reason: 'failureRate' });
    expect(breaker.state).toBe('open');
    expect(breaker.getStats().lastTransition).toEqual({
      from: 'closed',
      to: 'open',
      at: 1000,
      reason: 'remote',
    });
    expect(breaker.timeUntilRetry()).toBe(5000);
    clock.increment(4999);
    expect(breaker.state).toBe('open');
    clock.increment(1);
    expect(breaker.state).toBe('halfOpen');
    expect(changes).toHaveLength(2);
  });

  it('a newer deadline while open re-arms the timer from it, not from the local clock', () => {
    const { breaker, circuit, clock } = shared({ resetTimeout: 30_000 });
    circuit.push({ state: 'open', retryIn: 5000 });
    clock.increment(1000);
    circuit.push({ state: 'open', retryIn: 8000, reason: 'probeFailure' });
    expect(breaker.timeUntilRetry()).toBe(8000);
    clock.increment(7999);
    expect(breaker.state).toBe('open');
    clock.increment(1);
    expect(breaker.state).toBe('halfOpen');
  });

  it('a shared state the circuit is already in changes nothing', async () => {
    const { breaker, circuit } = shared();
    await breaker.call(ok);
    const before = breaker.actor.getSnapshot().context.generation;
    circuit.push({ state: 'closed', reason: 'reset' });
    expect(breaker.actor.getSnapshot().context.generation).toBe(before);
    expect(breaker.getStats().lastTransition).toBeNull();
  });

  it('forcedOpen, disabled and closed come through too; a timed forcedOpen is open for that long', () => {
    const { breaker, circuit } = shared();
    circuit.push({ state: 'forcedOpen', reason: 'forced', detail: 'maintenance' });
    expect(breaker.state).toBe('forcedOpen');
    circuit.push({ state: 'disabled', reason: 'disabled' });
    expect(breaker.state).toBe('disabled');
    circuit.push({ state: 'forcedOpen', retryIn: 2000, reason: 'forced' });
    expect(breaker.state).toBe('open');
    expect(breaker.timeUntilRetry()).toBe(2000);
    circuit.push({ state: 'closed', reason: 'forceClose' });
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats().lastTransition?.reason).toBe('remote');
  });
});

describe('half-open probes', () => {
  it('a probe runs once the store grants its lease, and its success settles the lease', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const work = vi.fn(ok);
    const call = breaker.call(work);
    await settle();
    expect(work).not.toHaveBeenCalled();
    expect(circuit.acquires).toHaveLength(1);
    circuit.acquires[0]?.grant();
    await expect(call).resolves.toBe('ok');
    expect(work).toHaveBeenCalledOnce();
    expect(circuit.settles).toEqual([{ lease: expect.objectContaining({ id: 'l1' }), ok: true }]);
    expect(breaker.state).toBe('closed');
  });

  it('a failed probe settles its lease as failed', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const call = breaker.call(boom);
    await settle();
    circuit.acquires[0]?.grant();
    await expect(call).rejects.toThrow('boom');
    expect(circuit.settles.map((s) => s.ok)).toEqual([false]);
    expect(breaker.state).toBe('open');
  });

  it('a denied probe is turned away like any call while open, and gives its slot back', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const rejections = breaker.getStats().totalRejections;
    const work = vi.fn(ok);
    const call = breaker.call(work);
    await settle();
    circuit.acquires[0]?.deny();
    await expect(call).rejects.toBeInstanceOf(CircuitOpenError);
    expect(work).not.toHaveBeenCalled();
    expect(breaker.getStats().totalRejections).toBe(rejections + 1);
    expect(breaker.getMetrics().probesInFlight).toBe(0);
    // The slot is free again: the next call asks the store again.
    const again = breaker.call(work);
    await settle();
    expect(circuit.acquires).toHaveLength(2);
    circuit.acquires[1]?.grant();
    await expect(again).resolves.toBe('ok');
  });

  it('a probe denied its lease leaves the leases of the probes granted beside it alone', async () => {
    // Three probes admitted here, the store grants two (another replica holds the third):
    // the denied one gives back its local slot only, so both granted probes settle.
    const { breaker, circuit } = await sharedHalfOpen({ halfOpenMaxCalls: 3 });
    const calls = [breaker.call(ok), breaker.call(ok), breaker.call(ok)];
    await settle();
    expect(circuit.acquires).toHaveLength(3);
    circuit.acquires[0]?.grant();
    circuit.acquires[1]?.grant();
    circuit.acquires[2]?.deny();
    const results = await Promise.allSettled(calls);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(circuit.settles.map(({ lease, ok }) => [lease.id, ok])).toEqual([
      ['l1', true],
      ['l2', true],
    ]);
  });

  it('a probe cancelled by its caller gives its lease back at once, counting nothing', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const caller = new AbortController();
    const call = breaker.execute(() => new Promise(() => undefined), { signal: caller.signal });
    await settle();
    circuit.acquires[0]?.grant();
    await settle();
    caller.abort(new Error('gave up'));
    await expect(call).rejects.toThrow('gave up');
    expect(circuit.releases.map((lease) => lease.id)).toEqual(['l1']);
    expect(circuit.settles).toEqual([]);
    expect(breaker.state).toBe('halfOpen');
  });

  it('a probe failing with an ignored error gives its lease back too', async () => {
    const ignored = new Error('not the downstream');
    const { breaker, circuit } = await sharedHalfOpen({ isIgnored: (error) => error === ignored });
    const call = breaker.call(() => Promise.reject(ignored));
    await settle();
    circuit.acquires[0]?.grant();
    await expect(call).rejects.toBe(ignored);
    expect(circuit.releases.map((lease) => lease.id)).toEqual(['l1']);
    expect(circuit.settles).toEqual([]);
  });

  it('denied because the shared circuit is closed (a quorum was not met): it closes here too', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const call = breaker.call(ok);
    await settle();
    circuit.acquires[0]?.deny({ state: 'closed', reason: 'created' });
    await expect(call).rejects.toBeInstanceOf(CircuitOpenError);
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats().lastTransition?.reason).toBe('remote');
  });

  it('when the store does not answer, this replica decides: the probe runs', async () => {
    const { breaker, circuit } = await sharedHalfOpen();
    const call = breaker.call(ok);
    await settle();
    circuit.acquires[0]?.fail();
    await expect(call).resolves.toBe('ok');
    expect(circuit.settles).toEqual([]);
    expect(breaker.state).toBe('closed');
  });

  it('execute, wrap and the guarded path wait for the lease as well', async () => {
    const { breaker, circuit } = await sharedHalfOpen({ callTimeout: 5000, halfOpenMaxCalls: 3 });
    const calls = [
      breaker.execute(({ signal }) => Promise.resolve(signal.aborted)),
      breaker.wrap((x: number) => Promise.resolve(x * 2))(21),
      breaker.call(ok),
    ];
    await settle();
    expect(circuit.acquires).toHaveLength(3);
    for (const acquire of circuit.acquires) acquire.grant();
    await expect(Promise.all(calls)).resolves.toEqual([false, 42, 'ok']);
    expect(circuit.settles.map((s) => s.ok)).toEqual([true, true, true]);
    expect(breaker.state).toBe('closed');
  });

  it('canExecute cannot wait: its probe runs, a granted lease is settled by the record', async () => {
    const { breaker, circuit } = await sharedHalfOpen({ halfOpenMaxCalls: 2 });
    expect(breaker.canExecute()).toBe(true);
    circuit.acquires[0]?.deny();
    await settle();
    // Denied, yet the caller was told yes: nothing is taken back, no rejection counted.
    expect(breaker.getMetrics().probesInFlight).toBe(1);
    expect(breaker.getStats().totalRejections).toBe(0);
    expect(breaker.canExecute()).toBe(true);
    circuit.acquires[1]?.grant();
    await settle();
    breaker.recordSuccess();
    expect(circuit.settles.map((s) => s.ok)).toEqual([true]);
  });

  it('a guarded probe denied its lease answers with the fallback', async () => {
    const { breaker, circuit } = await sharedHalfOpen({ callTimeout: 5000 });
    const call = breaker.call(ok).catch((error: unknown) => error);
    const viaFallback = breaker.execute(ok, { fallback: () => 'cached' });
    await settle();
    expect(circuit.acquires).toHaveLength(1); // one probe slot: the second was turned away
    circuit.acquires[0]?.deny();
    expect(await call).toBeInstanceOf(CircuitOpenError);
    await expect(viaFallback).resolves.toBe('cached');
  });
});

describe('onStoreUnavailable', () => {
  it("'local' (the default) keeps deciding alone while degraded", async () => {
    const { breaker, circuit } = shared();
    circuit.setStatus('degraded');
    expect(breaker.state).toBe('closed');
    await expect(breaker.call(ok)).resolves.toBe('ok');
  });

  it("'open' rejects every call while degraded; on reconnect the shared state applies again", async () => {
    const { breaker, circuit } = shared({ onStoreUnavailable: 'open' });
    circuit.push({ state: 'closed', reason: 'created' });
    circuit.setStatus('degraded');
    expect(breaker.state).toBe('forcedOpen');
    expect(breaker.getStats().lastTransition?.reason).toBe('storeUnavailable');
    await expect(breaker.call(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    // A message heard meanwhile does not override the policy.
    circuit.push({ state: 'closed', reason: 'reset' });
    expect(breaker.state).toBe('forcedOpen');
    circuit.setStatus('connected');
    await settle();
    expect(breaker.state).toBe('closed');
    expect(breaker.getStats().lastTransition?.reason).toBe('remote');
  });

  it("'closed' admits every call while degraded", async () => {
    const { breaker, circuit } = shared({ onStoreUnavailable: 'closed', failureThreshold: 1 });
    circuit.setStatus('degraded');
    expect(breaker.state).toBe('disabled');
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('disabled');
    expect(breaker.getStats().lastTransition?.reason).toBe('storeUnavailable');
  });
});

describe('manual controls and dispose', () => {
  it('forceOpen, forceClose, reset and disable go to the shared circuit with their reason', async () => {
    const { breaker, circuit } = shared();
    breaker.forceOpen({ reason: 'maintenance' });
    breaker.forceOpen({ for: 60_000 });
    breaker.forceClose({ reason: 'done' });
    breaker.disable();
    breaker.reset({ reason: 'fresh start' });
    expect(circuit.commands).toEqual([
      { kind: 'forceOpen', options: { reason: 'maintenance' } },
      { kind: 'forceOpen', options: { reason: '', for: 60_000 } },
      { kind: 'forceClose', options: { reason: 'done' } },
      { kind: 'disable', options: { reason: '' } },
      { kind: 'reset', options: { reason: 'fresh start' } },
    ]);
    expect(() => breaker.reset({ reason: 5 } as never)).toThrow(
      new TypeError('reason must be a string, got 5'),
    );
    expect(() => breaker.disable({ why: 'x' } as never)).toThrow(
      new TypeError('unknown disable option "why"'),
    );
  });

  it('a command the store fails is logged, never an unhandled rejection', async () => {
    const warn = vi.fn();
    const { breaker, circuit } = shared({ logger: { info: () => undefined, warn } });
    circuit.command = () => Promise.reject(new Error('redis down'));
    breaker.forceOpen();
    await settle();
    expect(breaker.state).toBe('forcedOpen');
    expect(warn).toHaveBeenCalledWith(
      'circuit_breaker_store_command_failed name=payments command=forceOpen error=Error: redis down',
    );
  });

  it('dispose reports what is left, unsubscribes and lets the circuit go', async () => {
    const { breaker, circuit } = shared();
    expect(circuit.listenerCount()).toBe(3);
    await breaker.call(ok);
    breaker.dispose();
    expect(circuit.reports).toEqual([{ successes: 1, failures: 0, trailingFailures: 0 }]);
    expect(circuit.listenerCount()).toBe(0);
    expect(circuit.closed).toBe(true);
    circuit.push({ state: 'open', retryIn: 100 });
    expect(breaker.state).toBe('closed');
  });
});
