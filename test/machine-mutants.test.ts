/**
 * Behaviour of the machine that the service's tests do not pin down, because the service folds
 * most outcomes itself and sends the machine only what can move it: results nobody waits for,
 * `TALLY` replays, the guards that must refuse late or mismatched events, what a move counts
 * (`openAttempts`) and announces, and the figures of a trip. Driven on the machine directly,
 * every event with a fixed `at`.
 */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  type CircuitBreakerEmitted,
  type CircuitBreakerEvent,
  type CircuitBreakerInput,
  circuitBreakerMachine,
  circuitStateOf,
  storeRegionOf,
} from '../src/machine/index.js';

type TallyEvent = Extract<CircuitBreakerEvent, { type: 'TALLY' }>;

/** A started machine (its timers on a clock nobody advances), emitted events and errors collected. */
function start(input: CircuitBreakerInput = {}) {
  const actor = createActor(circuitBreakerMachine, { input, clock: new SimulatedClock() });
  const errors: unknown[] = [];
  actor.subscribe({ error: (error) => errors.push(error) });
  actor.start();
  expect(errors).toEqual([]);
  const emitted: CircuitBreakerEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  const ctx = () => actor.getSnapshot().context;
  const gen = () => ctx().generation;
  return {
    actor,
    emitted,
    errors,
    ctx,
    gen,
    state: () => circuitStateOf(actor.getSnapshot().value),
    store: () => storeRegionOf(actor.getSnapshot().value),
    status: () => actor.getSnapshot().status,
    send: (event: CircuitBreakerEvent) => actor.send(event),
  };
}

/** A machine moved to a new generation at t=5 (a silent `RESET`), so generation 0 is late. */
function withLateGeneration(input: CircuitBreakerInput = {}) {
  const m = start(input);
  m.send({ type: 'RESET', at: 5 });
  expect(m.gen()).toBe(1);
  return { ...m, late: 0 };
}

/** Half-open with one probe admitted: opened at t=0 by a failure, probe requested at t=100. */
function halfOpenWithProbe(input: CircuitBreakerInput = {}) {
  const m = start({ failureThreshold: 1, resetTimeout: 100, ...input });
  m.send({ type: 'FAILURE', at: 0, generation: m.gen() });
  const openGeneration = m.gen();
  m.send({ type: 'REQUEST', at: 100 });
  expect(m.state()).toBe('halfOpen');
  expect(m.ctx().halfOpenInFlight).toBe(1);
  m.emitted.length = 0;
  return { ...m, openGeneration };
}

function tally(at: number, fields: Partial<TallyEvent> = {}): TallyEvent {
  return {
    type: 'TALLY',
    at,
    outcomes: [],
    successes: 0,
    failures: 0,
    rejections: 0,
    ignored: 0,
    timeouts: 0,
    fallbacks: 0,
    lastFailureAt: null,
    consecutiveFailures: null,
    ...fields,
  };
}

const SLOW_POLICY = {
  slowCallRateThreshold: 0.5,
  slowCallDuration: 100,
  slidingWindow: { type: 'count', size: 4 },
} as const;

describe('results nobody in the state waits for', () => {
  it('a late success is announced as late, at its own time', () => {
    const m = withLateGeneration();
    m.emitted.length = 0;
    m.send({ type: 'SUCCESS', at: 7, generation: m.late });
    expect(m.emitted).toEqual([{ type: 'success', at: 7, late: true }]);
    expect(m.ctx().stats.totalSuccesses).toBe(1);
  });

  it('a late failure is announced as late with its error', () => {
    const m = withLateGeneration();
    m.emitted.length = 0;
    const error = new Error('late boom');
    m.send({ type: 'FAILURE', at: 8, generation: m.late, error });
    expect(m.emitted).toEqual([{ type: 'failure', at: 8, late: true, error }]);
    expect(m.ctx().stats).toMatchObject({ totalFailures: 1, consecutiveFailures: 0 });
  });

  it('an ignored result adds one to totalIgnored and leaves the other counters', () => {
    const m = start();
    m.send({ type: 'SUCCESS', at: 1, generation: m.gen() });
    const before = m.ctx().stats;
    m.send({ type: 'IGNORE', generation: m.gen() });
    expect(m.ctx().stats).toEqual({ ...before, totalIgnored: 1 });
    m.send({ type: 'IGNORE', generation: m.gen() });
    expect(m.ctx().stats.totalIgnored).toBe(2);
  });

  it('a turned-away call is announced with its time and the state that refused it', () => {
    const m = start();
    m.send({ type: 'FORCE_OPEN', at: 10 });
    m.emitted.length = 0;
    m.send({ type: 'REQUEST', at: 20 });
    expect(m.emitted).toEqual([{ type: 'reject', at: 20, state: 'forcedOpen' }]);
    expect(m.ctx().stats.totalRejections).toBe(1);
  });

  it('counts call timeouts among failures, and only those', () => {
    const m = start({ failureThreshold: 10 });
    m.send({ type: 'FAILURE', at: 1, generation: m.gen() });
    expect(m.ctx().stats).toMatchObject({ totalFailures: 1, totalTimeouts: 0 });
    m.send({ type: 'FAILURE', at: 2, generation: m.gen(), timeout: true });
    expect(m.ctx().stats).toMatchObject({ totalFailures: 2, totalTimeouts: 1 });
  });
});

describe('TALLY', () => {
  it('adds the folded counts to a breaker without a window', () => {
    const m = start();
    m.send(tally(10, { successes: 2, failures: 1, lastFailureAt: 9 }));
    expect(m.errors).toEqual([]);
    expect(m.status()).toBe('active');
    expect(m.ctx().window).toBeNull();
    expect(m.ctx().stats).toMatchObject({ totalSuccesses: 2, totalFailures: 1, lastFailureAt: 9 });
  });

  it('has no window to replay outcomes into when none is configured', () => {
    const m = start();
    m.send(tally(10, { outcomes: [1, 9, 2], failures: 2, lastFailureAt: 9 }));
    expect(m.errors).toEqual([]);
    expect(m.ctx().window).toBeNull();
    expect(m.ctx().stats.totalFailures).toBe(2);
  });

  it('without outcomes leaves the window as it is, not copied', () => {
    const m = start({ failureRateThreshold: 0.5, slidingWindow: { type: 'count', size: 4 } });
    m.send({ type: 'SUCCESS', at: 1, generation: m.gen() });
    const window = m.ctx().window;
    m.send(tally(10, { successes: 3 }));
    expect(m.ctx().window).toBe(window);
    expect(m.ctx().stats.totalSuccesses).toBe(4);
  });

  it('replays only complete runs of (code, time, count)', () => {
    const m = start({ failureRateThreshold: 0.5, slidingWindow: { type: 'count', size: 4 } });
    m.send(tally(10, { outcomes: [1, 5, 1, 1, 6], failures: 1 }));
    expect(m.ctx().window).toMatchObject({ calls: 1, failures: 1 });
  });
});

describe('guards refuse what is not theirs', () => {
  it('a late failure asking for retryAfter does not open the circuit', () => {
    const m = withLateGeneration();
    m.send({ type: 'FAILURE', at: 8, generation: m.late, retryAfter: 1000 });
    expect(m.state()).toBe('closed');
    expect(m.ctx().openedAt).toBeNull();
  });

  it('a late failure under a failure-rate policy is only counted', () => {
    const m = withLateGeneration({
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 4 },
      minimumThroughput: 1,
    });
    m.send({ type: 'FAILURE', at: 8, generation: m.late });
    expect(m.errors).toEqual([]);
    expect(m.status()).toBe('active');
    expect(m.state()).toBe('closed');
    expect(m.ctx().window).toMatchObject({ calls: 0, failures: 0 });
    expect(m.ctx().stats.totalFailures).toBe(1);
  });

  it('a slow probe success closes when no slow-call policy is set', () => {
    const m = halfOpenWithProbe();
    m.send({ type: 'SUCCESS', at: 110, generation: m.gen(), slow: true });
    expect(m.state()).toBe('closed');
    expect(m.ctx().stats.lastTransition?.reason).toBe('probesSucceeded');
  });

  it('a fast probe success closes under a slow-call policy', () => {
    const m = halfOpenWithProbe(SLOW_POLICY);
    m.send({ type: 'SUCCESS', at: 110, generation: m.gen() });
    expect(m.state()).toBe('closed');
  });

  it('a slow probe success reopens under a slow-call policy', () => {
    const m = halfOpenWithProbe(SLOW_POLICY);
    m.send({ type: 'SUCCESS', at: 110, generation: m.gen(), slow: true });
    expect(m.state()).toBe('open');
    expect(m.ctx().stats.lastTransition?.reason).toBe('slowProbe');
  });

  it("a late slow success in half-open leaves the probe's verdict open", () => {
    const m = halfOpenWithProbe(SLOW_POLICY);
    m.send({ type: 'SUCCESS', at: 110, generation: m.openGeneration, slow: true });
    expect(m.state()).toBe('halfOpen');
    expect(m.ctx().halfOpenInFlight).toBe(1);
    expect(m.emitted).toEqual([{ type: 'success', at: 110, late: true }]);
  });

  it('a slow success does not trip a breaker without a slow-call policy', () => {
    const m = start({
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 4 },
      minimumThroughput: 1,
    });
    m.send({ type: 'SUCCESS', at: 1, generation: m.gen(), slow: true });
    expect(m.state()).toBe('closed');
    expect(m.ctx().window).toMatchObject({ calls: 1, slowCalls: 1 });
  });

  it.each(['halfOpen', 'closed', 'disabled'] as const)(
    'a shared %s that still carries a deadline is taken as it is, not as open',
    (shared) => {
      const m = start();
      if (shared === 'closed') m.send({ type: 'FORCE_OPEN', at: 1 });
      m.send({ type: 'REMOTE', at: 10, state: shared, retryIn: 0, reason: 'resetTimeout' });
      expect(m.state()).toBe(shared);
    },
  );

  it.each(['open', 'closed'] as const)(
    'the store answering again does not apply onStoreUnavailable: %s',
    (policy) => {
      const m = start({ onStoreUnavailable: policy });
      m.send({ type: 'STORE_STATUS', at: 10, status: 'connected' });
      expect(m.store()).toBe('connected');
      expect(m.state()).toBe('closed');
      m.send({ type: 'STORE_STATUS', at: 20, status: 'degraded' });
      expect(m.state()).toBe(policy === 'open' ? 'forcedOpen' : 'disabled');
    },
  );
});

describe('what a move counts and announces', () => {
  it('forceOpen for a while is not an open attempt of the backoff', () => {
    const m = start();
    m.send({ type: 'FORCE_OPEN', at: 10, for: 1000 });
    expect(m.state()).toBe('open');
    expect(m.ctx().openAttempts).toBe(0);
  });

  it('holding the circuit open when the store is lost is not an open attempt', () => {
    const m = start({ onStoreUnavailable: 'open' });
    m.send({ type: 'STORE_STATUS', at: 10, status: 'degraded' });
    expect(m.state()).toBe('forcedOpen');
    expect(m.ctx().openAttempts).toBe(0);
  });

  it('a shared open reaching a closed replica is an open attempt; its later deadlines are not', () => {
    const m = start();
    m.send({ type: 'REMOTE', at: 10, state: 'open', retryIn: 500, reason: 'failureRate' });
    expect(m.state()).toBe('open');
    expect(m.ctx().openAttempts).toBe(1);
    m.send({ type: 'REMOTE', at: 20, state: 'open', retryIn: 900, reason: 'failureRate' });
    expect(m.ctx().openAttempts).toBe(1);
    expect(m.ctx().openTimeout).toBe(900);
  });

  it('disabling announces the state change only, no close', () => {
    const m = start();
    m.send({ type: 'DISABLE', at: 10 });
    expect(m.emitted).toEqual([
      { type: 'stateChange', from: 'closed', to: 'disabled', at: 10, reason: 'disabled' },
    ]);
  });
});

describe('the figures of a trip', () => {
  it('an empty window has no rates (null, not 0/0)', () => {
    const m = start({ failureRateThreshold: 0.5, slidingWindow: { type: 'count', size: 4 } });
    m.send({ type: 'FORCE_OPEN', at: 10 });
    const opened = m.emitted.find((event) => event.type === 'open');
    expect(opened?.type === 'open' && opened.trip).toMatchObject({
      calls: 0,
      failureRate: null,
      slowCallRate: null,
    });
  });

  it('the slow-call rate is the share of slow calls in the window', () => {
    const m = start({
      ...SLOW_POLICY,
      slidingWindow: { type: 'count', size: 4 },
      minimumThroughput: 2,
    });
    m.send({ type: 'SUCCESS', at: 1, generation: m.gen() });
    m.send({ type: 'SUCCESS', at: 2, generation: m.gen(), slow: true });
    expect(m.state()).toBe('open');
    const opened = m.emitted.find((event) => event.type === 'open');
    expect(opened?.type === 'open' && opened.trip).toMatchObject({
      calls: 2,
      failureRate: 0,
      slowCallRate: 0.5,
    });
  });
});
