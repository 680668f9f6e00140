/**
 * The pure helpers behind the machine, called directly: how the sliding windows count slow
 * calls, what `measure` and `entered` read from a context, and how input checks describe values.
 */
import { describe, expect, it } from 'vitest';
import { entered, initialContext } from '../src/machine/context.js';
import { resolveBreakerConfig } from '../src/machine/options.js';
import {
  type CountWindowState,
  emptyWindow,
  measure,
  OUTCOME_FAILURE,
  OUTCOME_SLOW,
  pushCountOutcome,
  pushOutcome,
  pushTimeOutcome,
  recordInWindow,
  type TimeWindowState,
  type WindowState,
  windowCounts,
} from '../src/machine/rules.js';
import { describeValue, rejectUnknownKeys } from '../src/validate.js';

const SLOW_POLICY = { slowCallRateThreshold: 0.5, slowCallDuration: 100 } as const;

function windowOf(state: WindowState | null): WindowState {
  if (state === null) throw new Error('expected a window');
  return state;
}

function timed(state: WindowState): TimeWindowState {
  if (state.type !== 'time') throw new Error('expected a time window');
  return state;
}

describe('slow calls in a time window', () => {
  const config = resolveBreakerConfig({
    ...SLOW_POLICY,
    slidingWindow: { type: 'time', duration: 1000, buckets: 10 },
  });

  it('a run of slow calls adds each of them to its bucket', () => {
    const window = windowOf(emptyWindow(config));
    pushOutcome(window, config, OUTCOME_SLOW, 50, 3);
    pushOutcome(window, config, OUTCOME_SLOW | OUTCOME_FAILURE, 60);
    expect(window).toEqual({
      type: 'time',
      buckets: [{ start: 0, calls: 4, failures: 1, slowCalls: 4 }],
    });
  });

  it('the totals add the slow calls of every live bucket', () => {
    let window = windowOf(emptyWindow(config));
    window = recordInWindow(window, config, OUTCOME_SLOW, 50);
    window = recordInWindow(window, config, 0, 150);
    window = recordInWindow(window, config, OUTCOME_SLOW, 250, 2);
    expect(windowCounts(window, config, 300)).toEqual({ calls: 4, failures: 0, slowCalls: 3 });
    // At 1050 the bucket of t=50 has left the window.
    expect(windowCounts(window, config, 1050)).toEqual({ calls: 3, failures: 0, slowCalls: 2 });
  });
});

describe('a time window keeps its buckets in order', () => {
  const config = resolveBreakerConfig({
    failureRateThreshold: 0.5,
    slidingWindow: { type: 'time', duration: 1000, buckets: 10 },
  });

  it('a call timed before the newest bucket (a clock set back) lands in the newest', () => {
    const window = windowOf(emptyWindow(config));
    expect(pushTimeOutcome(timed(window), config, 0, 250)).toBe(200);
    expect(pushTimeOutcome(timed(window), config, OUTCOME_FAILURE, 120, 2)).toBe(200);
    expect(window).toEqual({
      type: 'time',
      buckets: [{ start: 200, calls: 3, failures: 2, slowCalls: 0 }],
    });
  });

  it('a new bucket expires those that left the window; the same bucket expires none', () => {
    const window = windowOf(emptyWindow(config));
    pushOutcome(window, config, 0, 50);
    pushOutcome(window, config, OUTCOME_FAILURE, 950);
    // At 1050 the bucket of t=50 is out of the window: a new bucket drops it.
    pushOutcome(window, config, 0, 1050);
    expect(window.type === 'time' && window.buckets.map((bucket) => bucket.start)).toEqual([
      900, 1000,
    ]);
  });
});

describe('a full count window', () => {
  const config = resolveBreakerConfig({
    failureRateThreshold: 0.5,
    slowCallRateThreshold: 0.5,
    slowCallDuration: 100,
    slidingWindow: { type: 'count', size: 3 },
  });
  const SLOW = OUTCOME_SLOW;
  const FAILED = OUTCOME_FAILURE;

  function fullRing(codes: number[]): CountWindowState {
    const window = windowOf(emptyWindow(config));
    if (window.type !== 'count') throw new Error('expected a count window');
    for (const code of codes) pushOutcome(window, config, code, 0);
    return window;
  }

  it('takes one call at a time in place of the oldest, wrapping around', () => {
    const ring = fullRing([FAILED, 0, SLOW]);
    const steps: Array<[number, number[], number, number, number]> = [
      // pushed code, then the ring, next, failures, slow calls
      [0, [0, 0, SLOW], 1, 0, 1],
      [FAILED, [0, FAILED, SLOW], 2, 1, 1],
      [0, [0, FAILED, 0], 0, 1, 0],
      [SLOW, [SLOW, FAILED, 0], 1, 1, 1],
    ];
    for (const [code, outcomes, next, failures, slowCalls] of steps) {
      pushCountOutcome(ring, config, code);
      expect(ring).toEqual({ type: 'count', outcomes, next, calls: 3, failures, slowCalls });
    }
  });

  it('takes a run of calls as that many calls one at a time', () => {
    for (const times of [2, 3, 4, 7]) {
      const run = fullRing([SLOW, SLOW | FAILED, FAILED]);
      const single = fullRing([SLOW, SLOW | FAILED, FAILED]);
      pushCountOutcome(run, config, 0, times);
      for (let i = 0; i < times; i++) pushCountOutcome(single, config, 0);
      expect(run).toEqual(single);
    }
    const run = fullRing([SLOW, SLOW | FAILED, FAILED]);
    pushCountOutcome(run, config, 0, 2);
    expect(run).toEqual({
      type: 'count',
      outcomes: [0, 0, FAILED],
      next: 2,
      calls: 3,
      failures: 1,
      slowCalls: 0,
    });
  });
});

describe('slow calls in a count window', () => {
  it('a slow call pushed out of the ring leaves the slow count', () => {
    const config = resolveBreakerConfig({
      ...SLOW_POLICY,
      slidingWindow: { type: 'count', size: 2 },
    });
    let window = windowOf(emptyWindow(config));
    for (const code of [OUTCOME_SLOW, OUTCOME_SLOW, 0]) {
      window = recordInWindow(window, config, code, 1);
    }
    expect(windowCounts(window, config, 1)).toEqual({ calls: 2, failures: 0, slowCalls: 1 });
  });
});

describe('measure', () => {
  it('reports probes in flight only for half-open', () => {
    const context = { ...initialContext({}), halfOpenInFlight: 2 };
    expect(measure('halfOpen', context, 0).probesInFlight).toBe(2);
    expect(measure('open', context, 0).probesInFlight).toBe(0);
    expect(measure('closed', context, 0).probesInFlight).toBe(0);
  });
});

describe('entered', () => {
  it('re-entering open for a local reason is a new attempt, for a shared deadline it is not', () => {
    const open = { ...initialContext({}), openAttempts: 1 };
    const opened = entered(open, 'open', 'consecutiveFailures', 10);
    const moved = { ...open, ...opened.next };
    expect(moved.openAttempts).toBe(2);
    expect(entered(moved, 'open', 'consecutiveFailures', 20).next.openAttempts).toBe(3);
    expect(entered(moved, 'open', 'remote', 20).next.openAttempts).toBe(2);
  });
});

describe('describing rejected values', () => {
  it('names a value that JSON cannot show by its type', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(describeValue(circular)).toBe('[object Object]');
    expect(describeValue([1n])).toBe('[object Array]');
  });

  it('names an unknown key as it is when no path is given', () => {
    expect(() => rejectUnknownKeys({ colour: 1 }, ['color'])).toThrow(
      new TypeError('unknown option "colour"'),
    );
  });
});
