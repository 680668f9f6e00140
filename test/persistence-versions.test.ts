import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitBreakerSnapshot, SNAPSHOT_VERSION } from '../src/index.js';
import { fakeStore } from './fake-store.js';
import { failTimes, ok, simulated } from './helpers.js';

/** An open breaker's snapshot, as today's version writes it, opened at t=1000. */
async function openSnapshot(): Promise<CircuitBreakerSnapshot> {
  const { breaker } = simulated({ name: 'users', failureThreshold: 2, resetTimeout: 5000 });
  await breaker.call(ok);
  await failTimes(breaker, 2);
  return breaker.toJSON();
}

/** `saved` rewritten as an older writer wrote it. */
function asVersion(saved: CircuitBreakerSnapshot, version: 1 | 2, value: unknown): unknown {
  const copy = structuredClone(saved) as unknown as Record<string, unknown>;
  copy.version = version;
  (copy.snapshot as Record<string, unknown>).value = value;
  return copy;
}

function restored(saved: unknown, at = 2000) {
  const { clock, breaker } = simulated({ name: 'users', snapshot: JSON.stringify(saved) });
  clock.set(at);
  return breaker;
}

describe('snapshot versions', () => {
  it('version 3 saves both regions of the state value; a restore starts standalone', async () => {
    const saved = await openSnapshot();
    expect(SNAPSHOT_VERSION).toBe(3);
    expect(saved.version).toBe(3);
    expect(saved.snapshot.value).toEqual({ circuit: { automatic: 'open' }, store: 'standalone' });
    const connected = structuredClone(saved);
    connected.snapshot.value.store = 'connected';
    const breaker = restored(connected);
    expect(breaker.state).toBe('open');
    expect(breaker.storeStatus).toBeNull();
    expect(breaker.actor.getSnapshot().value).toEqual({
      circuit: { automatic: 'open' },
      store: 'standalone',
    });
  });

  it('a version 2 snapshot (the compound value, no regions) still restores', async () => {
    const saved = await openSnapshot();
    const breaker = restored(asVersion(saved, 2, { automatic: 'open' }));
    expect(breaker.state).toBe('open');
    expect(breaker.timeUntilRetry()).toBe(4000);
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 1, totalFailures: 2 });
    const forced = restored(asVersion(saved, 2, 'forcedOpen'));
    expect(forced.state).toBe('forcedOpen');
  });

  it('a version 1 snapshot (a flat value, fewer counters, no transition record) still restores', async () => {
    const saved = await openSnapshot();
    const old = asVersion(saved, 1, 'open') as { snapshot: { context: { stats: object } } };
    const {
      totalIgnored: _i,
      totalTimeouts: _t,
      totalFallbacks: _f,
      lastTransition: _l,
      ...stats
    } = old.snapshot.context.stats as Record<string, unknown>;
    old.snapshot.context.stats = stats;
    const breaker = restored(old);
    expect(breaker.state).toBe('open');
    expect(breaker.getStats()).toMatchObject({
      totalFailures: 2,
      totalIgnored: 0,
      lastTransition: { from: 'open', to: 'open', reason: 'restored' },
    });
  });

  it('a restored breaker with a store joins the shared circuit', async () => {
    const saved = await openSnapshot();
    const { store, circuit } = fakeStore();
    const { breaker } = simulated({ name: 'users', snapshot: JSON.stringify(saved), store });
    expect(breaker.storeStatus).toBe('connected');
    circuit().push({ state: 'closed', reason: 'reset' });
    expect(breaker.state).toBe('closed');
  });

  it('rejects a value of no known shape', async () => {
    const saved = await openSnapshot();
    const broken = structuredClone(saved) as unknown as { snapshot: { value: unknown } };
    broken.snapshot.value = { circuit: { manual: 'open' }, store: 'standalone' };
    expect(() => new CircuitBreaker({ name: 'users', snapshot: broken as never })).toThrow(
      /cannot restore circuit breaker snapshot: state .* is not one of/,
    );
  });
});
