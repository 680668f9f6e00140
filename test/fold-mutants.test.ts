/**
 * The outcome folder on its own: the verdicts it gives (the rules the machine's guards ask) and
 * the exact `TALLY` it hands over, down to the runs listed. The runs are the cheapest form the
 * machine's replay turns into the mirror; these tests pin that form, not only the window it
 * replays into, so a fold that lists more runs than needed (or fewer, wrong ones) is caught.
 */
import { describe, expect, it } from 'vitest';
import { initialContextFor } from '../src/machine/context.js';
import { type CircuitBreakerInput, resolveBreakerConfig } from '../src/machine/options.js';
import { OUTCOME_FAILURE, OUTCOME_SLOW } from '../src/machine/rules.js';
import { OutcomeFold } from '../src/service/fold.js';

const FAILURE = OUTCOME_FAILURE;
const SLOW = OUTCOME_SLOW;

function contextOf(input: CircuitBreakerInput) {
  return initialContextFor(resolveBreakerConfig(input));
}

/** A fold with `codes` recorded into a count window of `size`, and that window's context. */
function countFold(size: number, codes: number[]) {
  const context = contextOf({ slidingWindow: { type: 'count', size }, failureRateThreshold: 0.5 });
  const fold = new OutcomeFold();
  for (const code of codes) fold.record(context, code, 0);
  return fold;
}

describe('OutcomeFold counters', () => {
  it('is empty only when nothing at all was folded, fallbacks and ignored calls included', () => {
    const fold = new OutcomeFold();
    expect(fold.empty).toBe(true);
    fold.ignored = 1;
    fold.fallbacks = 1;
    expect(fold.empty).toBe(false);
    fold.ignored = 0;
    expect(fold.empty).toBe(false);
    fold.fallbacks = 0;
    expect(fold.empty).toBe(true);
  });

  it('is full once 1024 runs of a time window are kept, not before', () => {
    const context = contextOf({
      slidingWindow: { type: 'time', duration: 1000, buckets: 10 },
      failureRateThreshold: 0.5,
    });
    const fold = new OutcomeFold();
    // One call per bucket: every call closes the previous bucket's group as one run.
    for (let i = 0; i < 1024; i++) fold.record(context, 0, i * 100);
    expect(fold.outcomes).toHaveLength(1023 * 3);
    expect(fold.full).toBe(false);
    fold.record(context, 0, 1024 * 100);
    expect(fold.outcomes).toHaveLength(1024 * 3);
    expect(fold.full).toBe(true);
  });
});

describe('OutcomeFold.verdict', () => {
  it('takes any result of another generation as late', () => {
    const context = contextOf({ failureThreshold: 1 });
    expect(new OutcomeFold().verdict('closed', context, context.generation + 1, FAILURE, 5)).toBe(
      'late',
    );
    expect(new OutcomeFold().verdict('halfOpen', context, context.generation + 1, 0, 5)).toBe(
      'late',
    );
  });

  it('counts a failure in disabled as current even when it would reach the threshold', () => {
    const context = contextOf({ failureThreshold: 1 });
    const fold = new OutcomeFold();
    expect(fold.verdict('disabled', context, context.generation, FAILURE, 5)).toBe('current');
    expect(fold.verdict('closed', context, context.generation, FAILURE, 5)).toBe('send');
  });

  it('never lets a plain success reach the consecutive-failure threshold', () => {
    const context = contextOf({ failureThreshold: 1 });
    expect(new OutcomeFold().verdict('closed', context, context.generation, 0, 0)).toBe('current');
  });

  it('takes a plain success as current even in a window whose slow rate is over the threshold', () => {
    const context = contextOf({
      slidingWindow: { type: 'count', size: 10 },
      slowCallRateThreshold: 0.5,
      slowCallDuration: 100,
      minimumThroughput: 1,
    });
    const fold = new OutcomeFold();
    for (let i = 0; i < 9; i++) fold.record(context, SLOW, 0);
    expect(fold.verdict('closed', context, context.generation, 0, 0)).toBe('current');
    expect(fold.verdict('closed', context, context.generation, SLOW, 0)).toBe('send');
  });

  it('lets only a failure trip on the failure rate: a slow success under the slow rate is current', () => {
    const context = contextOf({
      slidingWindow: { type: 'count', size: 10 },
      failureRateThreshold: 0.5,
      failureThreshold: 100,
      slowCallRateThreshold: 0.9,
      slowCallDuration: 100,
      minimumThroughput: 1,
    });
    const fold = new OutcomeFold();
    for (let i = 0; i < 5; i++) fold.record(context, FAILURE, 0);
    expect(fold.verdict('closed', context, context.generation, SLOW, 0)).toBe('current');
    expect(fold.verdict('closed', context, context.generation, FAILURE, 0)).toBe('send');
  });
});

describe('the runs a time window hands over', () => {
  const context = contextOf({
    slidingWindow: { type: 'time', duration: 1000, buckets: 10 },
    failureRateThreshold: 0.5,
  });

  it('groups the calls of one bucket by code, from a bucket starting at 0', () => {
    const fold = new OutcomeFold();
    fold.record(context, 0, 10);
    fold.record(context, FAILURE, 20);
    fold.record(context, 0, 30);
    fold.record(context, FAILURE | SLOW, 250);
    expect(fold.take(300).outcomes).toEqual([0, 10, 2, FAILURE, 10, 1, FAILURE | SLOW, 250, 1]);
  });

  it('starts a new group after a take, even in the same bucket', () => {
    const fold = new OutcomeFold();
    fold.record(context, SLOW, 10);
    expect(fold.take(20).outcomes).toEqual([SLOW, 10, 1]);
    fold.record(context, 0, 30);
    expect(fold.take(40).outcomes).toEqual([0, 30, 1]);
    expect(fold.take(50).outcomes).toEqual([]);
  });
});

describe('the runs a count window hands over', () => {
  it('lists nothing when nothing was recorded', () => {
    expect(new OutcomeFold().take(0).outcomes).toEqual([]);
  });

  it('merges equal neighbours, the first run included', () => {
    expect(countFold(4, [0, 0, FAILURE]).take(0).outcomes).toEqual([0, 0, 2, FAILURE, 0, 1]);
    expect(countFold(4, [FAILURE, FAILURE, 0, 0]).take(0).outcomes).toEqual([
      FAILURE,
      0,
      2,
      0,
      0,
      2,
    ]);
  });

  it('keeps exactly as many calls as fit, without a filler run', () => {
    expect(countFold(3, [FAILURE, 0, FAILURE]).take(0).outcomes).toEqual([
      FAILURE,
      0,
      1,
      0,
      0,
      1,
      FAILURE,
      0,
      1,
    ]);
    expect(countFold(3, [0]).take(0).outcomes).toEqual([0, 0, 1]);
  });

  it('stands for the calls pushed out with one filler run, kept apart from the calls after it', () => {
    expect(countFold(3, [FAILURE, FAILURE, 0, 0, FAILURE]).take(0).outcomes).toEqual([
      0,
      0,
      2,
      0,
      0,
      2,
      FAILURE,
      0,
      1,
    ]);
    expect(countFold(2, [0, 0, 0, 0, 0, 0, 0]).take(0).outcomes).toEqual([0, 0, 5, 0, 0, 2]);
  });
});
