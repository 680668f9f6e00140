import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  type CircuitBreakerEmitted,
  type CircuitBreakerInput,
  circuitBreakerMachine,
  circuitStateOf,
} from '../src/index.js';

function start(input: CircuitBreakerInput = {}) {
  const clock = new SimulatedClock();
  const actor = createActor(circuitBreakerMachine, { input, clock }).start();
  const emitted: CircuitBreakerEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  const gen = () => actor.getSnapshot().context.generation;
  const ctx = () => actor.getSnapshot().context;
  const value = () => circuitStateOf(actor.getSnapshot().value);
  const fail = (at = clock.now(), generation = gen()) =>
    actor.send({ type: 'FAILURE', at, generation });
  const succeed = (at = clock.now(), generation = gen()) =>
    actor.send({ type: 'SUCCESS', at, generation });
  const request = (at = clock.now()) => actor.send({ type: 'REQUEST', at });
  return { clock, actor, emitted, gen, ctx, value, fail, succeed, request };
}

describe('circuitBreakerMachine', () => {
  it('starts closed with defaults and plain, serializable context', () => {
    const { ctx, value } = start();
    expect(value()).toBe('closed');
    expect(ctx().config).toEqual({
      name: 'default',
      failureThreshold: 5,
      failureRateThreshold: null,
      slowCallRateThreshold: null,
      slowCallDuration: null,
      slidingWindow: null,
      minimumThroughput: 10,
      resetTimeout: 30_000,
      halfOpenMaxCalls: 1,
      halfOpenSuccessThreshold: 1,
      halfOpenMaxWait: null,
      onStoreUnavailable: 'local',
    });
    expect(JSON.parse(JSON.stringify(ctx()))).toEqual(ctx());
  });

  it('opens on the threshold-th consecutive failure, not before', () => {
    const m = start({ failureThreshold: 3 });
    m.fail(10);
    m.fail(11);
    expect(m.value()).toBe('closed');
    expect(m.ctx().stats.consecutiveFailures).toBe(2);
    m.fail(12);
    expect(m.value()).toBe('open');
    expect(m.ctx().openedAt).toBe(12);
    expect(m.ctx().stats).toMatchObject({
      timesOpened: 1,
      lastStateChangeAt: 12,
      lastFailureAt: 12,
    });
  });

  it('a success in closed clears the consecutive failures', () => {
    const m = start({ failureThreshold: 2 });
    m.fail();
    m.succeed();
    m.fail();
    expect(m.value()).toBe('closed');
    expect(m.ctx().stats.consecutiveFailures).toBe(1);
  });

  it('leaves open for halfOpen exactly when the resetTimeout delay passes', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 1000 });
    m.clock.set(500);
    m.fail(500);
    m.clock.increment(999);
    expect(m.value()).toBe('open');
    m.clock.increment(1);
    expect(m.value()).toBe('halfOpen');
    expect(m.ctx().stats).toMatchObject({ timesHalfOpened: 1, lastStateChangeAt: 1500 });
  });

  it('a REQUEST in open moves to halfOpen and takes a probe once the timeout passed, even if the timer is late', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 1000 });
    m.fail(0);
    m.request(999);
    expect(m.value()).toBe('open');
    expect(m.ctx().stats.totalRejections).toBe(1);
    m.request(1000); // the clock never advanced, so the timer has not fired
    expect(m.value()).toBe('halfOpen');
    expect(m.ctx().halfOpenInFlight).toBe(1);
    expect(m.ctx().stats.totalRejections).toBe(1);
  });

  it('halfOpen admits halfOpenMaxCalls probes and closes after that many successes', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 10, halfOpenMaxCalls: 2 });
    m.fail();
    m.clock.increment(10);
    m.request();
    m.request();
    m.request();
    expect(m.ctx().halfOpenInFlight).toBe(2);
    expect(m.ctx().stats.totalRejections).toBe(1);
    m.succeed();
    expect(m.value()).toBe('halfOpen');
    expect(m.ctx().halfOpenInFlight).toBe(1);
    m.request(); // the freed slot is taken again
    expect(m.ctx().halfOpenInFlight).toBe(2);
    m.succeed();
    expect(m.value()).toBe('closed');
    expect(m.ctx().stats.timesClosed).toBe(1);
  });

  it('any probe failure reopens and restarts the timer from that moment', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 100, halfOpenMaxCalls: 3 });
    m.fail();
    m.clock.increment(100);
    m.request();
    m.succeed();
    m.request();
    m.fail();
    expect(m.value()).toBe('open');
    expect(m.ctx().openedAt).toBe(100);
    expect(m.ctx().stats.timesOpened).toBe(2);
    m.clock.increment(99);
    expect(m.value()).toBe('open');
    m.clock.increment(1);
    expect(m.value()).toBe('halfOpen');
  });

  it('late results are counted but never move the machine', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 10 });
    const closedGen = m.gen();
    m.fail(); // opens
    m.clock.increment(10);
    m.request();
    const probeGen = m.gen();
    m.fail(m.clock.now(), closedGen); // a call from the first closed settles now
    expect(m.value()).toBe('halfOpen');
    m.succeed(m.clock.now(), probeGen);
    expect(m.value()).toBe('closed');
    m.fail(m.clock.now(), probeGen); // a probe from the earlier half-open
    expect(m.value()).toBe('closed');
    expect(m.ctx().stats).toMatchObject({ totalFailures: 3, consecutiveFailures: 0 });
    expect(
      m.emitted.filter((e) => e.type === 'failure').map((e) => e.type === 'failure' && e.late),
    ).toEqual([false, true, true]);
  });

  it('a result in halfOpen without a probe in flight is late', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 10 });
    m.fail();
    m.clock.increment(10);
    m.fail();
    expect(m.value()).toBe('halfOpen');
    m.succeed();
    expect(m.value()).toBe('halfOpen');
  });

  it('forcedOpen has no timer and holds until FORCE_CLOSE or RESET', () => {
    const m = start({ resetTimeout: 10 });
    m.actor.send({ type: 'FORCE_OPEN', at: 5 });
    expect(m.value()).toBe('forcedOpen');
    m.clock.increment(1_000_000);
    m.request();
    expect(m.value()).toBe('forcedOpen');
    expect(m.ctx().stats.totalRejections).toBe(1);
    m.actor.send({ type: 'FORCE_CLOSE', at: 6 });
    expect(m.value()).toBe('closed');
    m.actor.send({ type: 'FORCE_OPEN', at: 7 });
    m.actor.send({ type: 'RESET', at: 8 });
    expect(m.value()).toBe('closed');
    expect(m.ctx().stats).toMatchObject({ timesOpened: 2, timesClosed: 2 });
  });

  it('FORCE_OPEN from open cancels the reset timer', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 10 });
    m.fail();
    m.actor.send({ type: 'FORCE_OPEN', at: 1 });
    m.clock.increment(100);
    expect(m.value()).toBe('forcedOpen');
  });

  it('RESET and FORCE_CLOSE close from every state and zero the failures, keeping stats', () => {
    for (const type of ['RESET', 'FORCE_CLOSE'] as const) {
      const m = start({ failureThreshold: 2, resetTimeout: 10 });
      m.fail();
      const before = m.gen();
      m.actor.send({ type, at: 1 });
      expect(m.ctx().stats.consecutiveFailures).toBe(0);
      expect(m.gen()).toBe(before + 1); // calls from before can no longer move it
      m.fail();
      m.fail();
      m.clock.increment(10);
      m.request();
      m.actor.send({ type, at: 2 });
      expect(m.value()).toBe('closed');
      expect(m.ctx()).toMatchObject({ halfOpenInFlight: 0, openedAt: null });
      expect(m.ctx().stats.totalFailures).toBe(3);
    }
  });

  it('emits stateChange and a named event for each transition, in order', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 10 });
    m.fail(0);
    m.clock.increment(10);
    m.request(10);
    m.succeed(11);
    expect(m.emitted.filter((e) => e.type !== 'failure' && e.type !== 'success')).toEqual([
      { type: 'stateChange', from: 'closed', to: 'open', at: 0, reason: 'consecutiveFailures' },
      {
        type: 'open',
        at: 0,
        reason: 'consecutiveFailures',
        consecutiveFailures: 1,
        forced: false,
        trip: {
          consecutiveFailures: 1,
          failureRate: null,
          slowCallRate: null,
          calls: 0,
          failureThreshold: 1,
          failureRateThreshold: null,
          slowCallRateThreshold: null,
          minimumThroughput: 10,
          retryAfter: null,
        },
      },
      { type: 'stateChange', from: 'open', to: 'halfOpen', at: 10, reason: 'resetTimeout' },
      { type: 'halfOpen', at: 10, reason: 'resetTimeout' },
      { type: 'stateChange', from: 'halfOpen', to: 'closed', at: 11, reason: 'probesSucceeded' },
      { type: 'close', at: 11, reason: 'probesSucceeded' },
    ]);
  });

  it('TALLY folds counted outcomes into the stats', () => {
    const m = start();
    m.actor.send({
      type: 'TALLY',
      at: 0,
      outcomes: [],
      successes: 3,
      failures: 2,
      rejections: 1,
      ignored: 0,
      timeouts: 0,
      fallbacks: 0,
      lastFailureAt: 42,
      consecutiveFailures: 2,
    });
    expect(m.ctx().stats).toMatchObject({
      totalSuccesses: 3,
      totalFailures: 2,
      totalRejections: 1,
      lastFailureAt: 42,
      consecutiveFailures: 2,
    });
    m.actor.send({
      type: 'TALLY',
      at: 0,
      outcomes: [],
      successes: 0,
      failures: 0,
      rejections: 4,
      ignored: 0,
      timeouts: 0,
      fallbacks: 0,
      lastFailureAt: null,
      consecutiveFailures: null,
    });
    expect(m.ctx().stats).toMatchObject({
      totalRejections: 5,
      lastFailureAt: 42,
      consecutiveFailures: 2,
    });
  });

  it('validates its input: a bad option puts the actor in error with a clear message', () => {
    const actor = createActor(circuitBreakerMachine, { input: { failureThreshold: 0 } });
    const errors: unknown[] = [];
    actor.subscribe({ error: (error) => errors.push(error) });
    actor.start();
    expect(actor.getSnapshot().status).toBe('error');
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(
      /RangeError: failureThreshold must be an integer >= 1, got 0/,
    );
  });
});
