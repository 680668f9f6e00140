import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
  CircuitBreakerSnapshotError,
} from '../src/index.js';
import { failTimes, ok, simulated } from './helpers.js';

/** Restores `saved` into a fresh breaker whose simulated clock reads `at`. */
function restoreAt(at: number, saved: unknown, options: CircuitBreakerOptions = {}) {
  const clock = new SimulatedClock();
  clock.set(at);
  const breaker = new CircuitBreaker({
    clock,
    failureThreshold: 2,
    resetTimeout: 5000,
    ...options,
    snapshot: saved as CircuitBreakerSnapshot,
  });
  return { clock, breaker };
}

async function openAt1000() {
  const { breaker } = simulated({ failureThreshold: 2, resetTimeout: 5000 }); // clock at 1000
  await breaker.call(ok);
  await failTimes(breaker, 2);
  return breaker;
}

describe('toJSON and restore', () => {
  it('round-trips a closed breaker with its counters through JSON text', async () => {
    const { breaker } = simulated({ failureThreshold: 3 });
    await breaker.call(ok);
    await failTimes(breaker, 2);
    breaker.recordCost({ inputTokens: 5, outputTokens: 6, estimatedCost: 0.5 });
    const saved = JSON.stringify(breaker);
    expect(JSON.parse(saved)).toMatchObject({ format: 'xstate-circuit-breaker', version: 3 });
    const { breaker: again } = restoreAt(2000, saved, { failureThreshold: 3 });
    expect(again.state).toBe('closed');
    expect(again.getStats()).toEqual(breaker.getStats());
    await failTimes(again, 1); // the third consecutive failure, counted across the restore
    expect(again.state).toBe('open');
  });

  it('an open breaker half-opens on time, measured from when it opened', async () => {
    const saved = (await openAt1000()).toJSON();
    const { breaker, clock } = restoreAt(4000, saved);
    expect(breaker.state).toBe('open');
    expect(breaker.timeUntilRetry()).toBe(2000);
    clock.increment(1999);
    expect(breaker.state).toBe('open');
    clock.increment(1);
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.getStats().timesHalfOpened).toBe(1);
  });

  it('an open breaker whose timeout already passed is half-open on its first use', async () => {
    const saved = (await openAt1000()).toJSON();
    const { breaker } = restoreAt(60_000, saved);
    expect(breaker.timeUntilRetry()).toBe(0);
    expect(breaker.canExecute()).toBe(true);
    expect(breaker.state).toBe('halfOpen');
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
  });

  it('a half-open breaker restores as open with its timeout elapsed, so it probes again', async () => {
    const { breaker: original, clock } = simulated({ failureThreshold: 1, resetTimeout: 5000 });
    await failTimes(original, 1);
    clock.increment(5000);
    expect(original.canExecute()).toBe(true); // a probe in flight dies with the process
    const { breaker } = restoreAt(9000, original.toJSON(), { failureThreshold: 1 });
    expect(breaker.state).toBe('open');
    expect(breaker.timeUntilRetry()).toBe(0);
    expect(await breaker.call(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('a forced-open breaker stays forced open', async () => {
    const { breaker: original } = simulated();
    original.forceOpen();
    const { breaker, clock } = restoreAt(10_000, original.toJSON(), { failureThreshold: 5 });
    clock.increment(1_000_000);
    expect(breaker.state).toBe('forcedOpen');
    breaker.forceClose();
    expect(breaker.state).toBe('closed');
  });

  it('options given now win over the saved ones', async () => {
    const saved = (await openAt1000()).toJSON();
    const { breaker } = restoreAt(1000, saved, { resetTimeout: 100 });
    expect(breaker.timeUntilRetry()).toBe(100);
  });

  it('a clock that went backwards cannot push the retry beyond one timeout', async () => {
    const saved = (await openAt1000()).toJSON();
    const { breaker } = restoreAt(500, saved);
    expect(breaker.timeUntilRetry()).toBe(5000);
  });

  it('dispose clears the restored timer', async () => {
    const saved = (await openAt1000()).toJSON();
    const { breaker, clock } = restoreAt(2000, saved);
    breaker.dispose();
    clock.increment(10_000);
    expect(breaker.state).toBe('open');
  });
});

describe('bad snapshots', () => {
  const good = async () => JSON.parse(JSON.stringify(await openAt1000()));
  const cases: Array<[string, (s: ReturnType<typeof JSON.parse>) => unknown, RegExp]> = [
    ['text that is not JSON', () => '{nope', /not valid JSON/],
    ['JSON of something else', () => ({ hello: 1 }), /not a xstate-circuit-breaker snapshot/],
    ['another version', (s) => ({ ...s, version: 4 }), /version 4 is not supported \(expected 3\)/],
    [
      'an unknown state',
      (s) => ({ ...s, snapshot: { ...s.snapshot, value: 'ajar' } }),
      /state "ajar" is not one of/,
    ],
    [
      'a stopped actor',
      (s) => ({ ...s, snapshot: { ...s.snapshot, status: 'stopped' } }),
      /not running/,
    ],
    [
      'another breaker',
      (s) => ({
        ...s,
        snapshot: { ...s.snapshot, context: { ...s.snapshot.context, config: { name: 'other' } } },
      }),
      /belongs to breaker "other", not "default"/,
    ],
    [
      'a negative counter',
      (s) => {
        s.snapshot.context.stats.totalFailures = -3;
        return s;
      },
      /context.stats.totalFailures must be a non-negative integer, got -3/,
    ],
    [
      'a corrupted generation',
      (s) => {
        s.snapshot.context.generation = 'x';
        return s;
      },
      /context.generation must be a non-negative integer, got "x"/,
    ],
    [
      'open without openedAt',
      (s) => {
        s.snapshot.context.openedAt = null;
        return s;
      },
      /openedAt is null in state open/,
    ],
    // (null and undefined start fresh: a store's answer on first boot.)
    ['a number', () => 42, /not a xstate-circuit-breaker snapshot \(format is 42\)/],
    ['the JSON text null', () => 'null', /not a xstate-circuit-breaker snapshot/],
  ];

  it.each(cases)(
    'rejects %s with a clear CircuitBreakerSnapshotError',
    async (_, corrupt, message) => {
      const saved = corrupt(await good());
      const attempt = () => restoreAt(2000, saved);
      expect(attempt).toThrow(CircuitBreakerSnapshotError);
      expect(attempt).toThrow(message);
    },
  );
});
