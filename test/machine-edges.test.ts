/**
 * The machine's edges that the behaviour tests do not reach: starting without input, option
 * errors of the rate policies, the guards and actions used with an event they were not written
 * for (they must change nothing), and the window helpers' answers for the other window type.
 * Together with the other tests they keep every statement of `src/machine` covered.
 */
import { describe, expect, it } from 'vitest';
import { createActor, type EventObject, setup } from 'xstate';
import {
  CircuitBreaker,
  type CircuitBreakerInput,
  circuitBreakerMachine,
  DEFAULT_BREAKER_CONFIG,
} from '../src/index.js';
import { resolveBreakerConfig } from '../src/machine/options.js';
import {
  bucketStart,
  emptyWindow,
  isSlowCall,
  recordInWindow,
  windowCounts,
} from '../src/machine/rules.js';

describe('starting the machine', () => {
  it('without input, runs on the defaults', () => {
    const actor = createActor(circuitBreakerMachine, { input: undefined }).start();
    expect(actor.getSnapshot().value).toEqual({
      circuit: { automatic: 'closed' },
      store: 'standalone',
    });
    expect(actor.getSnapshot().context.config).toEqual(DEFAULT_BREAKER_CONFIG);
    actor.stop();
  });
});

describe('option errors of the rate policies', () => {
  it.each([
    [
      { failureRateThreshold: '50%' },
      TypeError,
      'failureRateThreshold must be a number, got "50%"',
    ],
    [
      { failureRateThreshold: 0.5, slidingWindow: 20 },
      TypeError,
      'slidingWindow must be an object, got 20',
    ],
    [
      { failureRateThreshold: 0.5, slidingWindow: null },
      TypeError,
      'slidingWindow must be an object, got null',
    ],
  ])('%o', (options, error, message) => {
    expect(() => new CircuitBreaker(options as never)).toThrow(error);
    expect(() => new CircuitBreaker(options as never)).toThrow(message);
  });

  it('a value that cannot be shown as JSON is named by its type', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => new CircuitBreaker({ name: circular as never })).toThrow(
      new TypeError('name must be a non-empty string, got [object Object]'),
    );
  });
});

describe("the machine's guards and actions with an event they were not written for", () => {
  // A machine that reuses the breaker's implementations by name on a foreign event.
  const { actions, guards } = circuitBreakerMachine.implementations;
  const reuse = setup({
    types: {
      context: {} as ReturnType<typeof circuitBreakerMachine.getInitialSnapshot>['context'],
      input: {} as CircuitBreakerInput,
      events: {} as EventObject,
    },
    actions: actions as never,
    guards: guards as never,
  }).createMachine({
    context: ({ input }) => createActor(circuitBreakerMachine, { input }).getSnapshot().context,
    on: {
      PING: [
        { guard: 'failureRateReached' as never, actions: 'countRejection' as never },
        { actions: ['applyTally', 'recordCost'] as never },
      ],
    },
  });

  it('change nothing: a foreign event is neither an outcome, a tally nor a cost', () => {
    const input = {
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 2 },
      minimumThroughput: 1,
    } as const;
    const actor = createActor(reuse, { input }).start();
    const before = actor.getSnapshot().context;
    actor.send({ type: 'PING' });
    // The guard saw a success-like outcome (no trip), and the actions left the context alone.
    expect(actor.getSnapshot().context).toEqual(before);
    actor.stop();
  });
});

describe('window helpers', () => {
  const count = resolveBreakerConfig({
    failureRateThreshold: 0.5,
    slidingWindow: { type: 'count', size: 4 },
  });
  const time = resolveBreakerConfig({
    failureRateThreshold: 0.5,
    slidingWindow: { type: 'time', duration: 1000, buckets: 4 },
  });

  const none = resolveBreakerConfig({});

  it('bucketStart is 0 for a count window or none, the bucket boundary for a time window', () => {
    expect(bucketStart(none, 1234)).toBe(0);
    expect(bucketStart(count, 1234)).toBe(0);
    expect(bucketStart(time, 1234)).toBe(1000);
    expect(bucketStart(time, 1250)).toBe(1250);
  });

  it('windowCounts keeps every bucket when the config has no time window to age them out', () => {
    const state = recordInWindow(emptyWindow(time) ?? fail(), time, 1, 0);
    expect(windowCounts(state, time, 5000)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    expect(windowCounts(state, count, 5000)).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    expect(windowCounts(state, none, 5000)).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
  });

  it('isSlowCall: at or over slowCallDuration, never when it is off', () => {
    const slow = resolveBreakerConfig({
      slowCallDuration: 100,
      slowCallRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 4 },
    });
    expect([isSlowCall(slow, 99), isSlowCall(slow, 100), isSlowCall(count, 1e9)]).toEqual([
      false,
      true,
      false,
    ]);
  });
});

function fail(): never {
  throw new Error('expected a window');
}
