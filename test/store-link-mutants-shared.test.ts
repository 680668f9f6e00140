/**
 * The store link's side of the shared circuit, in the corners the main store-link tests leave:
 * which time windows are shared, the exact batches reported, a state the store already holds,
 * the `detail` a shared state carries, a reconnect's resync (and its failure), and a store that
 * keeps calling its listeners (or calls into the breaker) as the breaker lets it go. In-process,
 * on the fake store.
 */
import { describe, expect, it, vi } from 'vitest';
import { type InspectionEvent, SimulatedClock } from 'xstate';
import { CircuitBreaker, type CircuitBreakerOptions, type SharedState } from '../src/index.js';
import type { BreakerClock } from '../src/service/clock.js';
import { fakeStore, fakeStoreWith, sharedState } from './fake-store.js';
import { failTimes, ok, settle, simulated } from './helpers.js';

/** A breaker on a simulated clock sharing its circuit through a fake store. */
function shared(options: CircuitBreakerOptions = {}) {
  const { store, circuit } = fakeStore();
  const { clock, breaker } = simulated({ name: 'payments', store, ...options });
  return { clock, breaker, circuit: circuit() };
}

const quietLogger = () => ({ info: vi.fn(), warn: vi.fn() });

describe('the shared circuit options', () => {
  const timeWindow = (buckets: number) => ({
    failureRateThreshold: 0.5,
    minimumThroughput: 4,
    slidingWindow: { type: 'time' as const, duration: buckets * 100, buckets },
  });

  it('shares a time window of up to 600 buckets, not one of more', () => {
    expect(shared(timeWindow(600)).circuit.options).toMatchObject({
      failureRateThreshold: 0.5,
      minimumThroughput: 4,
      slidingWindow: { type: 'time', duration: 60_000, buckets: 600 },
    });
    const wide = shared(timeWindow(601)).circuit.options;
    expect(wide?.failureRateThreshold).toBeNull();
    expect(wide).not.toHaveProperty('slidingWindow');
    expect(wide).not.toHaveProperty('minimumThroughput');
  });

  it('shares no window when only a slow-call rate is set (slow calls are decided locally)', () => {
    const options = shared({
      slowCallRateThreshold: 0.5,
      slowCallDuration: 100,
      slidingWindow: { type: 'time', duration: 10_000, buckets: 10 },
      minimumThroughput: 4,
    }).circuit.options;
    expect(options?.failureRateThreshold).toBeNull();
    expect(options).not.toHaveProperty('slidingWindow');
    expect(options).not.toHaveProperty('minimumThroughput');
  });
});

describe('the batches reported', () => {
  it('reports as many successes as failures', async () => {
    const { breaker, circuit } = shared();
    await breaker.call(ok);
    await failTimes(breaker, 1);
    circuit.flush();
    expect(circuit.reports).toEqual([{ successes: 1, failures: 1, trailingFailures: 1 }]);
  });

  it('a batch with no trip carries no tripped key at all', async () => {
    const { breaker, circuit } = shared();
    await failTimes(breaker, 2);
    circuit.flush();
    expect(circuit.reports).toHaveLength(1);
    expect(circuit.reports[0]).not.toHaveProperty('tripped');
  });

  it('failures with no success in the batch all count as trailing, even across a state change', async () => {
    const { breaker, circuit } = shared();
    await failTimes(breaker, 2);
    // The shared circuit opens the local one: its failures in a row start again at 0.
    circuit.push({ state: 'open', retryIn: 5000, reason: 'failureRate' });
    expect(breaker.getStats().consecutiveFailures).toBe(0);
    circuit.flush();
    expect(circuit.reports).toEqual([{ successes: 0, failures: 2, trailingFailures: 2 }]);
  });

  it('an open that is no local trip (the shared circuit opened) is not reported', () => {
    const { breaker, circuit } = shared();
    circuit.push({ state: 'open', retryIn: 5000, reason: 'failureRate' });
    expect(breaker.state).toBe('open');
    expect(circuit.reports).toEqual([]);
  });

  it('a trip is reported even when a flush just took its counts', async () => {
    const { breaker, circuit } = shared({ failureThreshold: 2 });
    // The store flushes while the breaker tells of the change, before the open event.
    breaker.on('stateChange', () => circuit.flush());
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
    expect(circuit.reports).toEqual([
      { successes: 0, failures: 2, trailingFailures: 2 },
      { successes: 0, failures: 0, trailingFailures: 0, tripped: 'consecutiveFailures' },
    ]);
  });
});

describe('shared state', () => {
  it('a state the store already holds applies as soon as the breaker links to it', () => {
    const { store } = fakeStoreWith((made) => {
      (made as { state: SharedState | null }).state = sharedState({
        state: 'open',
        retryIn: 4000,
        reason: 'failureRate',
      });
    });
    const { breaker } = simulated({ name: 'payments', store });
    expect(breaker.state).toBe('open');
    expect(breaker.timeUntilRetry()).toBe(4000);
    expect(breaker.getStats().lastTransition?.reason).toBe('remote');
  });

  it("the machine hears a shared state's detail, and none when it is empty", () => {
    const remote: unknown[] = [];
    const inspect = (event: InspectionEvent) => {
      if (event.type === '@xstate.event' && event.event.type === 'REMOTE') remote.push(event.event);
    };
    const { circuit } = shared({ inspect });
    circuit.push({ state: 'forcedOpen', reason: 'forced', detail: 'maintenance' });
    circuit.push({ state: 'closed', reason: 'forceClose', detail: '' });
    expect(remote).toEqual([
      expect.objectContaining({ state: 'forcedOpen', detail: 'maintenance' }),
      expect.objectContaining({ state: 'closed' }),
    ]);
    expect(remote[1]).not.toHaveProperty('detail');
  });
});

describe('the store status', () => {
  it("under 'local', a shared state heard while degraded still applies", () => {
    const { breaker, circuit } = shared();
    circuit.setStatus('degraded');
    circuit.push({ state: 'open', retryIn: 5000, reason: 'failureRate' });
    expect(breaker.state).toBe('open');
    expect(breaker.getStats().lastTransition?.reason).toBe('remote');
  });

  it('going degraded does not re-apply the shared state held (this replica decides)', async () => {
    const { breaker, circuit } = shared({ failureThreshold: 1 });
    circuit.push({ state: 'closed', reason: 'created' });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    circuit.setStatus('degraded');
    await settle();
    expect(breaker.state).toBe('open');
    expect(breaker.getStats().lastTransition?.reason).toBe('consecutiveFailures');
  });

  it('back with no shared state held yet, there is nothing to resync', async () => {
    const logger = quietLogger();
    const { breaker, circuit } = shared({ logger });
    circuit.setStatus('degraded');
    circuit.setStatus('connected');
    await settle();
    expect(logger.warn).not.toHaveBeenCalled();
    expect(breaker.state).toBe('closed');
  });

  it('a resync that fails (a broken clock) is logged, never thrown', async () => {
    const simulatedClock = new SimulatedClock();
    simulatedClock.set(1000);
    let broken = false;
    const clock: BreakerClock = {
      now() {
        if (broken) throw new Error('clock broke');
        return simulatedClock.now();
      },
      setTimeout: (callback, ms) => simulatedClock.setTimeout(callback, ms),
      clearTimeout: (handle) => simulatedClock.clearTimeout(handle as number),
    };
    const logger = quietLogger();
    const { store, circuit: circuitOf } = fakeStore();
    new CircuitBreaker({ name: 'payments', store, clock, logger });
    const circuit = circuitOf();
    circuit.push({ state: 'closed', reason: 'created' });
    circuit.setStatus('degraded');
    circuit.setStatus('connected');
    broken = true; // the resync runs after this call: the clock breaks in between
    await settle();
    broken = false;
    expect(logger.warn).toHaveBeenCalledWith(
      'circuit_breaker_store_resync_failed name=payments error=Error: clock broke',
    );
  });
});

describe('a store that keeps calling after the breaker let it go', () => {
  it('its states, statuses and flushes change nothing', async () => {
    const { store, circuit: circuitOf } = fakeStoreWith((made) => {
      // Unsubscribing does nothing: the listeners stay registered.
      for (const method of ['onState', 'onStatus', 'onFlush'] as const) {
        const subscribe = made[method].bind(made) as (listener: never) => () => void;
        made[method] = ((listener: never) => {
          subscribe(listener);
          return () => undefined;
        }) as never;
      }
    });
    const { breaker } = simulated({ name: 'payments', store });
    const circuit = circuitOf();
    await breaker.call(ok);
    breaker.dispose();
    expect(circuit.reports).toHaveLength(1);
    // XState warns of an event sent to its stopped actor: nothing may be sent after dispose.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      circuit.push({ state: 'open', retryIn: 100, reason: 'failureRate' });
      circuit.setStatus('degraded');
      circuit.setStatus('connected');
      circuit.flush();
      await settle();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.storeStatus).toBe('connected');
    expect(circuit.reports).toHaveLength(1);
  });
});

describe('a store that calls into the breaker while the link lets it go', () => {
  it('a trip recorded from its unsubscribe is not reported to the circuit being closed', () => {
    let breaker: CircuitBreaker | undefined;
    const { store, circuit: circuitOf } = fakeStoreWith((made) => {
      const subscribe = made.onState.bind(made);
      made.onState = (listener) => {
        const stop = subscribe(listener);
        return () => {
          stop();
          if (breaker?.canExecute()) breaker.recordFailure(new Error('late'));
        };
      };
    });
    breaker = new CircuitBreaker({ name: 'payments', store, failureThreshold: 1 });
    breaker.dispose();
    expect(breaker.state).toBe('open');
    expect(circuitOf().reports).toEqual([]);
  });
});

describe('a store command that fails without a logger', () => {
  it('is dropped quietly: its rejection is handled', async () => {
    const { breaker, circuit } = shared();
    let handled: Promise<unknown> | undefined;
    circuit.command = () => {
      const failed = Promise.reject(new Error('redis down'));
      const original = failed.catch.bind(failed);
      failed.catch = ((onRejected: (reason: unknown) => unknown) => {
        handled = original(onRejected);
        return handled;
      }) as typeof failed.catch;
      return failed;
    };
    breaker.forceOpen();
    expect(handled).toBeDefined();
    await expect(handled).resolves.toBeUndefined();
    expect(breaker.state).toBe('forcedOpen');
  });
});
