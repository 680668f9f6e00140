/**
 * The service's edges, most found by mutation testing (test/MUTATION.md): exact messages of
 * every validation, the error classes, the default clock and logger checks, listeners that turn
 * full fidelity on and off, which outcomes are folded instead of sent, a clock that throws, and
 * restoring corrupted snapshots.
 */
import { describe, expect, it, vi } from 'vitest';
import { Actor, SimulatedClock } from 'xstate';
import {
  type BreakerClock,
  CircuitBreaker,
  CircuitBreakerDisposedError,
  CircuitBreakerError,
  type CircuitBreakerOptions,
  CircuitBreakerSnapshotError,
  CircuitOpenError,
  CircuitTimeoutError,
  exponentialBackoff,
  MAX_TIMEOUT_MS,
  systemClock,
} from '../src/index.js';
import { boom, failTimes, ok, simulated } from './helpers.js';

/** Expects `run` to throw exactly `error` (class and whole message). */
function throwsExactly(run: () => unknown, error: Error): void {
  let thrown: unknown;
  try {
    run();
  } catch (caught) {
    thrown = caught;
  }
  expect(thrown).toBeInstanceOf(error.constructor);
  expect((thrown as Error | undefined)?.message).toBe(error.message);
}

describe('error classes', () => {
  it('name themselves, say what happened, and know their kinds across builds', () => {
    const open = new CircuitOpenError('redis', 'open', 1200);
    expect([open.name, open.message]).toEqual([
      'CircuitOpenError',
      'circuit breaker "redis" is open, retry in 1200ms',
    ]);
    expect(new CircuitOpenError('redis', 'halfOpen', null).message).toBe(
      'circuit breaker "redis" is halfOpen',
    );
    const timeout = new CircuitTimeoutError('redis', 250);
    expect([timeout.name, timeout.message]).toEqual([
      'CircuitTimeoutError',
      'call through circuit breaker "redis" timed out after 250ms',
    ]);
    expect(new CircuitBreakerDisposedError('redis').name).toBe('CircuitBreakerDisposedError');
    expect(new CircuitBreakerError('x').name).toBe('CircuitBreakerError');
    expect(new CircuitBreakerSnapshotError('x').name).toBe('CircuitBreakerSnapshotError');
    // The brand the ESM and CommonJS copies of the classes share (a registered symbol).
    const kinds = Symbol.for('xstate-circuit-breaker.errorKinds');
    expect((open as unknown as Record<symbol, unknown>)[kinds]).toEqual([
      'CircuitOpenError',
      'CircuitBreakerError',
    ]);
  });

  it('instanceof: true along the class chain only, false for anything else', () => {
    const disposed = new CircuitBreakerDisposedError('x');
    expect(disposed).toBeInstanceOf(CircuitBreakerError);
    expect(disposed).not.toBeInstanceOf(CircuitOpenError);
    expect(new CircuitBreakerError('x')).not.toBeInstanceOf(CircuitOpenError);
    for (const value of [null, undefined, 42, 'CircuitOpenError', () => 1, {}, new Error('x')]) {
      expect(value instanceof CircuitBreakerError).toBe(false);
    }
  });
});

describe('the default clock', () => {
  it('hands out timers that do not keep the process alive, and cancels them', () => {
    const fired = vi.fn();
    const handle = systemClock.setTimeout(fired, 10_000) as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    systemClock.clearTimeout(handle);
    vi.useFakeTimers();
    try {
      const cancelled = vi.fn();
      systemClock.clearTimeout(systemClock.setTimeout(cancelled, 10));
      systemClock.setTimeout(fired, 10);
      vi.advanceTimersByTime(10);
      expect([fired.mock.calls.length, cancelled.mock.calls.length]).toEqual([1, 0]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the default clock where timer handles are numbers (browsers)', () => {
  it.each([7, null])('passes a %o handle through untouched', (handle) => {
    vi.stubGlobal('setTimeout', () => handle);
    try {
      expect(systemClock.setTimeout(() => undefined, 10)).toBe(handle);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('validation messages', () => {
  const now = () => 0;
  const clockMessage = (got: string) =>
    new TypeError(`clock must have now(), setTimeout() and clearTimeout() methods, got ${got}`);

  it.each<[string, CircuitBreakerOptions, Error]>([
    ['clock null', { clock: null as never }, clockMessage('null')],
    ['clock without now', { clock: { setTimeout, clearTimeout } as never }, clockMessage('{}')],
    ['clock without setTimeout', { clock: { now, clearTimeout } as never }, clockMessage('{}')],
    ['clock without clearTimeout', { clock: { now, setTimeout } as never }, clockMessage('{}')],
    [
      'logger null',
      { logger: null as never },
      new TypeError('logger must have info() and warn() methods, got null'),
    ],
    [
      'logger without warn',
      { logger: { info: () => undefined } as never },
      new TypeError('logger must have info() and warn() methods, got {}'),
    ],
    [
      'logger without info',
      { logger: { warn: () => undefined } as never },
      new TypeError('logger must have info() and warn() methods, got {}'),
    ],
    [
      'inspect null',
      { inspect: null as never },
      new TypeError('inspect must be a function or an observer with next(), got null'),
    ],
    [
      'inspect with a next that is no function',
      { inspect: { next: 1 } as never },
      new TypeError('inspect must be a function or an observer with next(), got {"next":1}'),
    ],
    ['options null', null as never, new TypeError('options must be an object, got null')],
    ['options an array', [] as never, new TypeError('options must be an object, got []')],
    [
      'a function as a name',
      { name: function redis() {} as never },
      new TypeError('name must be a non-empty string, got function redis'),
    ],
    [
      'an anonymous function as a name',
      { name: [() => undefined][0] as never },
      new TypeError('name must be a non-empty string, got function (anonymous)'),
    ],
    [
      'slowCallRateThreshold as text',
      { slowCallRateThreshold: '1' as never, slowCallDuration: 5 },
      new TypeError('slowCallRateThreshold must be a number, got "1"'),
    ],
    [
      'slowCallDuration 0',
      {
        slowCallRateThreshold: 0.5,
        slowCallDuration: 0,
        slidingWindow: { type: 'count', size: 5 },
      },
      new RangeError('slowCallDuration must be an integer between 1 and 2147483647, got 0'),
    ],
    [
      'minimumThroughput 0',
      {
        failureRateThreshold: 0.5,
        slidingWindow: { type: 'count', size: 5 },
        minimumThroughput: 0,
      },
      new RangeError('minimumThroughput must be an integer >= 1, got 0'),
    ],
    [
      'a time window of 0 ms',
      { failureRateThreshold: 0.5, slidingWindow: { type: 'time', duration: 0, buckets: 2 } },
      new RangeError('slidingWindow.duration must be an integer between 1 and 2147483647, got 0'),
    ],
    [
      'a time window of 0 buckets',
      { failureRateThreshold: 0.5, slidingWindow: { type: 'time', duration: 10, buckets: 0 } },
      new RangeError('slidingWindow.buckets must be an integer between 1 and 1000, got 0'),
    ],
  ])('%s', (_name, options, error) => {
    throwsExactly(() => new CircuitBreaker(options), error);
  });

  it('accepts a clock object whatever else it carries, and an inspect function', () => {
    const clock = Object.assign(new SimulatedClock(), { extra: true });
    expect(new CircuitBreaker({ clock, inspect: () => undefined }).state).toBe('closed');
  });

  it('execute: a signal must be an AbortSignal', async () => {
    const { breaker } = simulated();
    for (const [signal, shown] of [
      [null, 'null'],
      [5, '5'],
      [{ aborted: 'no' }, '{"aborted":"no"}'],
    ] as const) {
      await expect(breaker.execute(ok, { signal: signal as never })).rejects.toThrow(
        new TypeError(`signal must be an AbortSignal, got ${shown}`),
      );
    }
    // A signal-like object is accepted as long as `aborted` is a boolean.
    const likeASignal = { aborted: false, addEventListener() {}, removeEventListener() {} };
    await expect(breaker.execute(ok, { signal: likeASignal as never })).resolves.toBe('ok');
  });

  it('execute and wrap check fn on every path', async () => {
    const { breaker } = simulated();
    const signal = new AbortController().signal;
    await expect(breaker.execute(42 as never, { signal })).rejects.toThrow(
      new TypeError('fn must be a function, got 42'),
    );
    await expect(breaker.execute(42 as never)).rejects.toThrow(
      new TypeError('fn must be a function, got 42'),
    );
  });

  it('recordCost: the cost must be an object, tokens integers', () => {
    const { breaker } = simulated();
    throwsExactly(
      () => breaker.recordCost(5 as never),
      new TypeError('cost must be an object, got 5'),
    );
    throwsExactly(
      () => breaker.recordCost(null as never),
      new TypeError('cost must be an object, got null'),
    );
    throwsExactly(
      () => breaker.recordCost({ inputTokens: 1, outputTokens: 1.5, estimatedCost: 0 }),
      new RangeError('outputTokens must be a non-negative integer, got 1.5'),
    );
    expect(breaker.getStats().totalInputTokens).toBe(0);
  });

  it('on: the message lists every event type', () => {
    const { breaker } = simulated();
    throwsExactly(
      () => breaker.on('nope' as never, () => undefined),
      new TypeError(
        'type must be one of stateChange, open, halfOpen, close, success, failure, reject, storeStatus, got "nope"',
      ),
    );
  });
});

describe('exponentialBackoff', () => {
  it('grows by factor up to max, less the jitter', () => {
    const backoff = exponentialBackoff({ initial: 100, max: 1000, factor: 2 });
    expect([1, 2, 3, 4, 5].map((attempt) => backoff({ attempt, lastError: undefined }))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    const jittered = exponentialBackoff({ initial: 100, factor: 1, jitter: 1, random: () => 0.25 });
    expect(jittered({ attempt: 3, lastError: undefined })).toBe(75);
  });

  it.each<[string, unknown, Error]>([
    ['null', null, new TypeError('exponentialBackoff options must be an object, got null')],
    ['a number', 5, new TypeError('exponentialBackoff options must be an object, got 5')],
    [
      'factor below 1',
      { initial: 1, factor: 0.5 },
      new RangeError('factor must be a finite number >= 1, got 0.5'),
    ],
    [
      'factor not finite',
      { initial: 1, factor: Number.POSITIVE_INFINITY },
      new RangeError('factor must be a finite number >= 1, got Infinity'),
    ],
    [
      'factor as text',
      { initial: 1, factor: '2' },
      new TypeError('factor must be a finite number >= 1, got "2"'),
    ],
    [
      'jitter below 0',
      { initial: 1, jitter: -0.1 },
      new RangeError('jitter must be a number in [0, 1], got -0.1'),
    ],
    [
      'jitter above 1',
      { initial: 1, jitter: 1.5 },
      new RangeError('jitter must be a number in [0, 1], got 1.5'),
    ],
    [
      'jitter as text',
      { initial: 1, jitter: '0.5' },
      new TypeError('jitter must be a number in [0, 1], got "0.5"'),
    ],
    [
      'random not a function',
      { initial: 1, random: 0.5 },
      new TypeError('random must be a function, got 0.5'),
    ],
  ])('rejects %s', (_name, options, error) => {
    throwsExactly(() => exponentialBackoff(options as never), error);
  });
});

describe('per-call listeners and full fidelity', () => {
  it('while any success listener is subscribed, it sees every success', async () => {
    const { breaker } = simulated();
    const a = vi.fn();
    const b = vi.fn();
    const offA = breaker.on('success', a);
    breaker.on('success', b);
    // Unsubscribing a listener of another kind, or the same one twice, changes nothing.
    breaker.on('stateChange', () => undefined)();
    offA();
    offA();
    await breaker.call(ok);
    await breaker.call(ok);
    expect([a.mock.calls.length, b.mock.calls.length]).toEqual([0, 2]);
  });

  it('once the actor was read, its subscribers see every outcome, listeners or not', async () => {
    const { breaker } = simulated();
    const snapshots = vi.fn();
    breaker.actor.subscribe(snapshots);
    breaker.on('success', () => undefined)();
    await breaker.call(ok);
    expect(snapshots).toHaveBeenCalledTimes(1);
  });

  it('per-call listeners cost no machine event: folded outcomes are emitted by the service', async () => {
    const send = vi.spyOn(Actor.prototype, 'send');
    try {
      const { breaker } = simulated({ failureThreshold: 3 });
      const seen: string[] = [];
      const off = breaker.on('success', ({ late }) => seen.push(`success late=${late}`));
      breaker.on('failure', ({ late }) => seen.push(`failure late=${late}`));
      await breaker.call(ok);
      await breaker.call(boom).catch(() => undefined);
      off();
      await breaker.call(ok);
      expect(send).not.toHaveBeenCalled();
      expect(seen).toEqual(['success late=false', 'failure late=false']);
      expect(breaker.getStats()).toMatchObject({ totalSuccesses: 2, totalFailures: 1 });
      expect(send).toHaveBeenCalledTimes(1); // the one TALLY, on the read
    } finally {
      send.mockRestore();
    }
  });
});

describe('folding', () => {
  it('rejections while open or forced open and late results are counted without an event each', async () => {
    const send = vi.spyOn(Actor.prototype, 'send');
    try {
      const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 100 });
      let release!: (value: string) => void;
      const slow = breaker.call(() => new Promise<string>((resolve) => (release = resolve)));
      await failTimes(breaker, 1); // opens: an event
      const events = send.mock.calls.length;
      for (let i = 0; i < 5; i++) await breaker.call(ok).catch(() => undefined);
      release('late');
      await slow; // a late success, folded
      await failTimes(breaker, 0);
      expect(send.mock.calls.length).toBe(events);
      expect(breaker.getStats()).toMatchObject({ totalRejections: 5, totalSuccesses: 1 });
      breaker.forceOpen();
      const forced = send.mock.calls.length;
      await breaker.call(ok).catch(() => undefined);
      expect(send.mock.calls.length).toBe(forced);
      clock.increment(1000);
      expect(breaker.getStats().totalRejections).toBe(6);
    } finally {
      send.mockRestore();
    }
  });

  it('a folded late failure and a folded rejection are both counted', async () => {
    const { breaker } = simulated({ failureThreshold: 1 });
    let fail!: (error: Error) => void;
    const slow = breaker.call(() => new Promise((_resolve, reject) => (fail = reject)));
    await failTimes(breaker, 1);
    await breaker.call(ok).catch(() => undefined);
    fail(new Error('late'));
    await slow.catch(() => undefined);
    expect(breaker.getStats()).toMatchObject({ totalFailures: 2, totalRejections: 1 });
  });
});

describe('half-open without halfOpenMaxWait', () => {
  it('waits for its probes as long as it takes', async () => {
    const { breaker, clock } = simulated({ failureThreshold: 1, resetTimeout: 10 });
    await failTimes(breaker, 1);
    clock.increment(10);
    expect(breaker.canExecute()).toBe(true);
    clock.increment(MAX_TIMEOUT_MS + 1);
    expect(breaker.state).toBe('halfOpen');
  });
});

describe('a clock that throws', () => {
  it('rejects the call with its error and runs nothing', async () => {
    let broken = false;
    const inner = new SimulatedClock();
    const clock: BreakerClock = {
      now: () => {
        if (broken) throw new Error('clock broke');
        return inner.now();
      },
      setTimeout: (callback, ms) => inner.setTimeout(callback, ms),
      clearTimeout: (handle) => inner.clearTimeout(handle as number),
    };
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1 });
    await breaker.call(boom).catch(() => undefined);
    broken = true;
    const fn = vi.fn(ok);
    await expect(breaker.call(fn)).rejects.toThrow('clock broke');
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('rate policies', () => {
  it('a count window smaller than minimumThroughput trips once it is full', async () => {
    const { breaker } = simulated({
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 4 },
    });
    await breaker.call(ok);
    await breaker.call(ok);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('a time window counts slow calls toward the slow-call rate', async () => {
    const { breaker, clock } = simulated({
      slowCallRateThreshold: 0.5,
      slowCallDuration: 100,
      slidingWindow: { type: 'time', duration: 10_000, buckets: 10 },
      minimumThroughput: 2,
    });
    const slowCall = async () => {
      let finish!: (value: string) => void;
      const call = breaker.call(() => new Promise<string>((resolve) => (finish = resolve)));
      clock.increment(100);
      finish('slow');
      await call;
    };
    await breaker.call(ok);
    await slowCall();
    expect(breaker.state).toBe('open');
  });
});

describe('restoring a corrupted snapshot', () => {
  function saved() {
    const { breaker } = simulated({ name: 'db', failureThreshold: 1 });
    breaker.recordFailure();
    return JSON.parse(JSON.stringify(breaker)) as {
      snapshot: {
        value: string;
        context: Record<string, unknown> & { stats: Record<string, unknown> };
      };
    };
  }
  const restore = (snapshot: unknown) => () =>
    new CircuitBreaker({ name: 'db', clock: new SimulatedClock(), snapshot: snapshot as never });
  const message = (reason: string) =>
    new CircuitBreakerSnapshotError(`cannot restore circuit breaker snapshot: ${reason}`);

  it.each<[string, (s: ReturnType<typeof saved>) => void, string]>([
    [
      'stats missing',
      (s) => (s.snapshot.context.stats = null as never),
      'context.stats must be an object, got null',
    ],
    [
      'stats a number',
      (s) => (s.snapshot.context.stats = 5 as never),
      'context.stats must be an object, got 5',
    ],
    [
      'an infinite lastFailureAt',
      (s) => (s.snapshot.context.stats.lastFailureAt = Number.POSITIVE_INFINITY),
      'context.stats.lastFailureAt must be a finite number or null, got Infinity',
    ],
    [
      'a counter with a fraction',
      (s) => (s.snapshot.context.stats.totalFailures = 1.5),
      'context.stats.totalFailures must be a non-negative integer, got 1.5',
    ],
    [
      'a counter as text',
      (s) => (s.snapshot.context.stats.totalFailures = '1'),
      'context.stats.totalFailures must be a non-negative integer, got "1"',
    ],
    [
      'a negative cost',
      (s) => (s.snapshot.context.stats.totalEstimatedCost = -1),
      'context.stats.totalEstimatedCost must be a finite number >= 0, got -1',
    ],
    [
      'a cost as text',
      (s) => (s.snapshot.context.stats.totalEstimatedCost = '0'),
      'context.stats.totalEstimatedCost must be a finite number >= 0, got "0"',
    ],
    [
      'an infinite cost',
      (s) => (s.snapshot.context.stats.totalEstimatedCost = Number.POSITIVE_INFINITY),
      'context.stats.totalEstimatedCost must be a finite number >= 0, got Infinity',
    ],
    [
      'lastFailureAt as text',
      (s) => (s.snapshot.context.stats.lastFailureAt = 'x'),
      'context.stats.lastFailureAt must be a finite number or null, got "x"',
    ],
    [
      'lastStateChangeAt as text',
      (s) => (s.snapshot.context.stats.lastStateChangeAt = 'x'),
      'context.stats.lastStateChangeAt must be a finite number or null, got "x"',
    ],
    [
      'openedAt as text',
      (s) => (s.snapshot.context.openedAt = 'x'),
      'context.openedAt must be a finite number or null, got "x"',
    ],
    [
      'openTimeout negative',
      (s) => (s.snapshot.context.openTimeout = -1),
      'context.openTimeout must be a non-negative integer, got -1',
    ],
    [
      'openAttempts with a fraction',
      (s) => (s.snapshot.context.openAttempts = 0.5),
      'context.openAttempts must be a non-negative integer, got 0.5',
    ],
    [
      'an unknown state',
      (s) => (s.snapshot.value = 'ajar'),
      'state "ajar" is not one of closed, open, halfOpen, forcedOpen, disabled',
    ],
    [
      'no context',
      (s) => (s.snapshot.context = null as never),
      'context or context.config is missing',
    ],
    [
      'no config',
      (s) => (s.snapshot.context.config = [] as never),
      'context or context.config is missing',
    ],
  ])('%s', (_name, corrupt, reason) => {
    const snapshot = saved();
    corrupt(snapshot);
    throwsExactly(restore(snapshot), message(reason));
  });

  it("keeps a backoff's open period, but never beyond Node's timer limit", () => {
    const snapshot = saved();
    snapshot.snapshot.context.openTimeout = 2 ** 40;
    const breaker = new CircuitBreaker({
      name: 'db',
      clock: new SimulatedClock(),
      resetTimeout: exponentialBackoff({ initial: 10 }),
      snapshot: snapshot as never,
    });
    expect(breaker.timeUntilRetry()).toBeLessThanOrEqual(MAX_TIMEOUT_MS);
  });
});

describe('what fn returns', () => {
  it('a plain value, undefined and null included, resolves and counts at once', async () => {
    const { breaker } = simulated();
    const calls = [
      breaker.call(() => undefined),
      breaker.call(() => null),
      breaker.call(() => ({ id: 1 })),
    ];
    expect(breaker.getStats().totalSuccesses).toBe(3);
    expect(await Promise.all(calls)).toEqual([undefined, null, { id: 1 }]);
  });

  it('a thenable, even a function, is awaited and its outcome counted', async () => {
    const { breaker } = simulated();
    const thenable = Object.assign(() => undefined, {
      // biome-ignore lint/suspicious/noThenProperty: a thenable function is the point here.
      then: (_resolve: unknown, reject: (error: Error) => void) => reject(new Error('later')),
    });
    await expect(breaker.call(() => thenable as never)).rejects.toThrow('later');
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 0, totalFailures: 1 });
  });
});

describe('listeners and logging without a logger', () => {
  it('a throwing listener does not break the breaker; its error goes to console.error', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { breaker } = simulated({ failureThreshold: 2 });
      const bug = new Error('listener bug');
      breaker.on('open', () => {
        throw bug;
      });
      await expect(breaker.call(boom)).rejects.toThrow('boom');
      // XState reports an error escaping a listener later, from a timer: there must be none.
      vi.useFakeTimers();
      try {
        expect(() => breaker.recordFailure()).not.toThrow();
        expect(() => vi.runAllTimers()).not.toThrow();
      } finally {
        vi.useRealTimers();
      }
      expect(breaker.state).toBe('open');
      expect(consoleError).toHaveBeenCalledTimes(1);
      expect(consoleError).toHaveBeenCalledWith(
        'circuit_breaker_listener_error name=default event=open',
        bug,
      );
    } finally {
      consoleError.mockRestore();
    }
  });

  it('a listener that is not per call leaves outcomes folded', async () => {
    const send = vi.spyOn(Actor.prototype, 'send');
    try {
      const { breaker } = simulated();
      const off = breaker.on('stateChange', () => undefined);
      await breaker.call(ok);
      off();
      await breaker.call(ok);
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
  });
});

describe('resetTimeout as a function', () => {
  async function openFor(answer: unknown, logger?: CircuitBreakerOptions['logger']) {
    const { breaker } = simulated({
      failureThreshold: 1,
      resetTimeout: () => answer as number,
      ...(logger ? { logger } : {}),
    });
    await failTimes(breaker, 1);
    return breaker.timeUntilRetry();
  }

  it('its answer is the open period, from 0 to the timer limit', async () => {
    expect(await openFor(0)).toBe(0);
    expect(await openFor(MAX_TIMEOUT_MS)).toBe(MAX_TIMEOUT_MS);
  });

  it('a bad answer falls back to the default, logged when there is a logger', async () => {
    for (const answer of [-1, 1.5, '100', MAX_TIMEOUT_MS + 1, Number.NaN]) {
      expect(await openFor(answer)).toBe(30_000);
    }
    const logger = { info: vi.fn(), warn: vi.fn() };
    expect(await openFor('100', logger)).toBe(30_000);
    expect(logger.warn).toHaveBeenCalledWith(
      'circuit_breaker_bad_reset_timeout name=default resetTimeout returned "100", using 30000',
    );
  });

  it("a restored breaker keeps the backoff's open period it was in", async () => {
    const backoff = exponentialBackoff({ initial: 50 });
    const { breaker, clock } = simulated({
      name: 'db',
      failureThreshold: 1,
      resetTimeout: backoff,
    });
    await failTimes(breaker, 1);
    const restored = new CircuitBreaker({
      name: 'db',
      clock,
      resetTimeout: backoff,
      snapshot: JSON.stringify(breaker),
    });
    expect(restored.timeUntilRetry()).toBe(50);
  });
});

describe('time-window folding', () => {
  it('successes folded in one bucket are not carried into the next', async () => {
    const { breaker, clock } = simulated({
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'time', duration: 1000, buckets: 2 },
      minimumThroughput: 2,
    });
    clock.set(2000); // the start of a bucket
    for (let i = 0; i < 3; i++) await breaker.call(ok);
    clock.set(2600);
    await breaker.call(ok);
    clock.set(3100); // the first bucket has left the window: one success and this failure remain
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });
});

describe('fn throwing synchronously, on every path', () => {
  it('execute and wrap: the error comes back as the rejection and counts as a failure', async () => {
    const { breaker } = simulated();
    const error = new Error('sync');
    const thrower = () => {
      throw error;
    };
    await expect(breaker.execute(thrower)).rejects.toBe(error);
    await expect(breaker.execute(thrower, { signal: new AbortController().signal })).rejects.toBe(
      error,
    );
    await expect(breaker.wrap(thrower)()).rejects.toBe(error);
    const guarded = simulated({ callTimeout: 1000 }).breaker;
    await expect(guarded.wrap(thrower)()).rejects.toBe(error);
    expect(breaker.getStats().totalFailures).toBe(3);
    expect(guarded.getStats().totalFailures).toBe(1);
  });
});

describe('per-call policies through wrap and timeouts', () => {
  it('a wrapped function is timed out like any call', async () => {
    const { breaker, clock } = simulated({ callTimeout: 100 });
    const hanging = breaker.wrap(() => new Promise(() => undefined))();
    clock.increment(100);
    await expect(hanging).rejects.toBeInstanceOf(CircuitTimeoutError);
  });

  it('a call that times out counts as slow', async () => {
    const { breaker, clock } = simulated({
      callTimeout: 100,
      slowCallDuration: 50,
      slowCallRateThreshold: 1,
      slidingWindow: { type: 'count', size: 2 },
      minimumThroughput: 2,
    });
    for (let i = 0; i < 2; i++) {
      const call = breaker.call(() => new Promise(() => undefined)).catch(() => undefined);
      clock.increment(100);
      await call;
    }
    expect(breaker.state).toBe('open');
  });

  it('a result classifier that throws fails the call with its error, and nothing is left unhandled', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const { breaker } = simulated({
        isResultFailure: () => {
          throw new Error('classifier bug');
        },
      });
      await expect(breaker.call(async () => 'x')).rejects.toThrow('classifier bug');
      await new Promise((resolve) => setImmediate(resolve)); // one turn for unhandled rejections
      expect(unhandled).not.toHaveBeenCalled();
      expect(breaker.getStats().totalFailures).toBe(1);
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('when the clock breaks while settling', () => {
  function breakable(options: CircuitBreakerOptions = {}) {
    const inner = new SimulatedClock();
    const state = { broken: false };
    const clock: BreakerClock = {
      now: () => {
        if (state.broken) throw new Error('clock broke');
        return inner.now();
      },
      setTimeout: (callback, ms) => inner.setTimeout(callback, ms),
      clearTimeout: (handle) => inner.clearTimeout(handle as number),
    };
    return { breaker: new CircuitBreaker({ clock, ...options }), state };
  }

  it('a call settling at once rejects with the breaker error', async () => {
    const { breaker, state } = breakable({ inspect: () => undefined });
    state.broken = true;
    await expect(breaker.call(() => 7)).rejects.toThrow('clock broke');
    await expect(
      breaker.call(() => {
        throw new Error('own');
      }),
    ).rejects.toThrow('clock broke');
  });

  it('a call settling later keeps its result; the breaker error is reported on its own', async () => {
    const { breaker, state } = breakable({ inspect: () => undefined });
    vi.useFakeTimers();
    try {
      const ok = breaker.call(async () => 'value');
      const failed = breaker.call(() => Promise.reject(new Error('own')));
      state.broken = true;
      await expect(ok).resolves.toBe('value');
      await expect(failed).rejects.toThrow('own');
      expect(() => vi.runAllTimers()).toThrow('clock broke');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('late results and rate windows', () => {
  it('a late success does not count in the window', async () => {
    const { breaker } = simulated({
      failureRateThreshold: 0.5,
      slidingWindow: { type: 'count', size: 2 },
      minimumThroughput: 2,
    });
    let finish!: (value: string) => void;
    const slow = breaker.call(() => new Promise<string>((resolve) => (finish = resolve)));
    breaker.reset(); // the call in flight is late from now on
    finish('late');
    await slow;
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed'); // one failure in the window, not [success, failure]
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });
});
