import { describe, expect, it } from 'vitest';
import { assign, createActor, SimulatedClock } from 'xstate';
import {
  type CircuitBreakerInput,
  circuitBreakerMachine,
  circuitStateOf,
  resolveBreakerConfig,
  type WindowState,
} from '../src/index.js';
import { recordInWindow } from '../src/machine/rules.js';

function start(input: CircuitBreakerInput, machine = circuitBreakerMachine) {
  const clock = new SimulatedClock();
  const actor = createActor(machine, { input, clock }).start();
  const gen = () => actor.getSnapshot().context.generation;
  const value = () => circuitStateOf(actor.getSnapshot().value);
  const ctx = () => actor.getSnapshot().context;
  const fail = (slow = false) =>
    actor.send({ type: 'FAILURE', at: clock.now(), generation: gen(), slow });
  const succeed = (slow = false) =>
    actor.send({ type: 'SUCCESS', at: clock.now(), generation: gen(), slow });
  const request = () => actor.send({ type: 'REQUEST', at: clock.now() });
  /** Plays a string of outcomes: S success, F failure, s slow success, f slow failure. */
  const play = (outcomes: string) => {
    for (const o of outcomes) {
      if (o === 'S') succeed();
      else if (o === 's') succeed(true);
      else if (o === 'F') fail();
      else fail(true);
    }
  };
  return { clock, actor, gen, value, ctx, fail, succeed, request, play };
}

describe('failure rate over a count window', () => {
  const input: CircuitBreakerInput = {
    failureRateThreshold: 0.5,
    slidingWindow: { type: 'count', size: 4 },
    minimumThroughput: 4,
  };

  it('trips when the rate reaches the threshold once the window holds minimumThroughput calls', () => {
    const m = start(input);
    m.play('FFF'); // 100% failures, but only 3 calls: below minimum throughput
    expect(m.value()).toBe('closed');
    m.play('S'); // 3/4 = 75% with 4 calls
    expect(m.value()).toBe('closed'); // a success never trips a failure rate
    m.play('F'); // window FFSF: 3/4
    expect(m.value()).toBe('open');
  });

  it('stays closed just below the threshold', () => {
    const m = start({ ...input, failureRateThreshold: 0.75 });
    m.play('SFSF'); // 50%
    m.play('F'); // window FSFF... slides: S F S F F → last 4 = F S F F = 75%
    expect(m.value()).toBe('open');
    const n = start({ ...input, failureRateThreshold: 0.76 });
    n.play('SFSFF');
    expect(n.value()).toBe('closed');
  });

  it('slides: old failures leave the window', () => {
    const m = start(input);
    m.play('FSSSS'); // the F has slid out
    expect(m.ctx().window).toMatchObject({ calls: 4, failures: 0 });
    m.play('F');
    expect(m.value()).toBe('closed'); // 1/4
  });

  it('does not use the consecutive threshold unless it is given', () => {
    const m = start({ ...input, minimumThroughput: 1, failureRateThreshold: 1 });
    m.play('SFSFSFSFSF'); // never 100%, and 10 failures in all
    expect(m.value()).toBe('closed');
    const both = start({
      ...input,
      failureRateThreshold: 1,
      failureThreshold: 2,
      minimumThroughput: 4,
    });
    both.play('FF'); // the consecutive rule trips first
    expect(both.value()).toBe('open');
  });

  it('starts a fresh window after the circuit closes again', () => {
    const m = start({ ...input, resetTimeout: 10 });
    m.play('FFFF');
    m.clock.increment(10);
    m.request();
    m.succeed();
    expect(m.value()).toBe('closed');
    expect(m.ctx().window).toMatchObject({ calls: 0, failures: 0 });
  });

  it('a run longer than a count window leaves the ring where that many single pushes would', () => {
    const config = resolveBreakerConfig({
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 3 },
      minimumThroughput: 1,
    });
    const empty = () => ({
      type: 'count' as const,
      outcomes: [],
      next: 0,
      calls: 0,
      failures: 0,
      slowCalls: 0,
    });
    let oneByOne: WindowState = empty();
    for (let i = 0; i < 4; i++) oneByOne = recordInWindow(oneByOne, config, 0, 0);
    expect(recordInWindow(empty(), config, 0, 0, 4)).toEqual(oneByOne);
    expect(oneByOne).toMatchObject({ next: 1, calls: 3 });
  });

  it('replays the folded outcomes of a TALLY into the window, in order', () => {
    const m = start(input);
    m.play('FF');
    m.actor.send({
      type: 'TALLY',
      at: 0,
      outcomes: [0, 0, 6],
      successes: 6,
      failures: 0,
      rejections: 0,
      ignored: 0,
      timeouts: 0,
      fallbacks: 0,
      lastFailureAt: null,
      consecutiveFailures: 0,
    });
    expect(m.ctx().window).toMatchObject({ calls: 4, failures: 0 });
  });
});

describe('failure rate over a time window', () => {
  const input: CircuitBreakerInput = {
    failureRateThreshold: 0.5,
    slidingWindow: { type: 'time', duration: 1000, buckets: 4 },
    minimumThroughput: 4,
  };

  it('trips on calls inside the window', () => {
    const m = start(input);
    m.play('SS');
    m.clock.increment(300);
    m.play('F');
    m.clock.increment(300);
    m.play('F');
    expect(m.value()).toBe('open');
  });

  it('forgets buckets that expired, without any timer per call', () => {
    const m = start(input);
    m.play('FFF'); // bucket [0, 250)
    m.clock.increment(1000); // those failures are out of the window now
    m.play('SSS');
    m.play('F'); // 1/4 in the window
    expect(m.value()).toBe('closed');
    const buckets = m.ctx().window;
    expect(buckets?.type === 'time' && buckets.buckets.map((b) => b.start)).toEqual([1000]);
  });

  it('keeps the buckets of the last duration', () => {
    const m = start(input);
    m.play('FF'); // t=0
    m.clock.increment(750); // still inside: the window is (0, 1000] in 4 buckets
    m.play('SF');
    expect(m.value()).toBe('open'); // 3/4
  });
});

describe('slow calls', () => {
  const input: CircuitBreakerInput = {
    slowCallDuration: 100,
    slowCallRateThreshold: 0.5,
    slidingWindow: { type: 'count', size: 4 },
    minimumThroughput: 4,
  };

  it('slow successes trip the circuit', () => {
    const m = start(input);
    m.play('SSs');
    expect(m.value()).toBe('closed');
    m.play('s');
    expect(m.value()).toBe('open');
    expect(m.ctx().stats).toMatchObject({ totalSuccesses: 4, totalFailures: 0 });
  });

  it('a late slow result never trips, even when the window would', () => {
    const m = start(input);
    m.play('SSs');
    const stale = m.gen() - 1;
    m.actor.send({ type: 'SUCCESS', at: m.clock.now(), generation: stale, slow: true });
    m.actor.send({ type: 'FAILURE', at: m.clock.now(), generation: stale, slow: true });
    expect(m.value()).toBe('closed');
    expect(m.ctx().stats).toMatchObject({ totalSuccesses: 4, totalFailures: 1 });
  });

  it('fast successes do not, and slow failures count as slow', () => {
    const m = start(input);
    m.play('sSSS');
    expect(m.value()).toBe('closed');
    m.play('f'); // window SSSf: 1 slow of 4
    expect(m.value()).toBe('closed');
    m.play('f'); // SSff: 2/4 slow
    expect(m.value()).toBe('open');
  });
});

describe('half-open', () => {
  it('halfOpenSuccessThreshold: successes needed to close, probes one at a time', () => {
    const m = start({
      failureThreshold: 1,
      resetTimeout: 10,
      halfOpenMaxCalls: 1,
      halfOpenSuccessThreshold: 3,
    });
    m.fail();
    m.clock.increment(10);
    for (let i = 0; i < 2; i++) {
      m.request();
      m.succeed();
      expect(m.value()).toBe('halfOpen');
    }
    m.request();
    m.succeed();
    expect(m.value()).toBe('closed');
  });

  it('halfOpenMaxWait reopens when probes do not settle in time', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 10, halfOpenMaxWait: 50 });
    m.fail();
    m.clock.increment(10);
    m.request(); // a probe that never returns
    m.clock.increment(49);
    expect(m.value()).toBe('halfOpen');
    m.clock.increment(1);
    expect(m.value()).toBe('open');
    expect(m.ctx().openedAt).toBe(60);
    m.clock.increment(10);
    expect(m.value()).toBe('halfOpen');
  });

  it('without halfOpenMaxWait, half-open waits for its probes', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 10 });
    m.fail();
    m.clock.increment(10);
    m.request();
    m.clock.increment(10 * 24 * 3600 * 1000);
    expect(m.value()).toBe('halfOpen');
  });

  it('CANCEL releases a probe slot without counting anything', () => {
    const m = start({ failureThreshold: 1, resetTimeout: 10 });
    m.fail();
    m.clock.increment(10);
    m.request();
    m.request();
    expect(m.ctx().stats.totalRejections).toBe(1);
    m.actor.send({ type: 'CANCEL', generation: m.gen() });
    expect(m.ctx().halfOpenInFlight).toBe(0);
    m.request();
    expect(m.ctx().halfOpenInFlight).toBe(1);
    expect(m.ctx().stats).toMatchObject({
      totalSuccesses: 0,
      totalFailures: 1,
      totalRejections: 1,
    });
    m.actor.send({ type: 'CANCEL', generation: m.gen() - 1 }); // from another generation: ignored
    expect(m.ctx().halfOpenInFlight).toBe(1);
  });
});

describe('backoff through planRetry', () => {
  it('the open period comes from the provided planRetry and drives the timer', () => {
    const machine = circuitBreakerMachine.provide({
      actions: {
        planRetry: assign({ openTimeout: ({ context }) => 100 * 2 ** (context.openAttempts - 1) }),
      },
    });
    const m = start({ failureThreshold: 1, resetTimeout: 5 }, machine);
    const periods: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      m.fail();
      periods.push(m.ctx().openTimeout);
      m.clock.increment(m.ctx().openTimeout - 1);
      expect(m.value()).toBe('open');
      m.clock.increment(1);
      m.request();
    }
    expect(periods).toEqual([100, 200, 400]);
    m.succeed();
    expect(m.ctx().openAttempts).toBe(0);
  });
});
