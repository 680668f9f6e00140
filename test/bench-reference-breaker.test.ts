/**
 * The bench's hand-written reference breaker is the floor every row is read against: these
 * tests make sure it does the job it stands for (a floor that skips work would flatter it).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ReferenceBreaker,
  ReferenceOpenError,
  ReferenceTimeoutError,
} from '../bench/reference-breaker.js';

const ok = async () => 'ok';
const fail = async () => {
  throw new Error('boom');
};
const noop = () => {};
const HUGE = Number.MAX_SAFE_INTEGER;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('reference breaker: count window', () => {
  it('opens once the failure rate of the last outcomes reaches the threshold', async () => {
    const r = new ReferenceBreaker({
      failureThreshold: HUGE,
      window: { type: 'count', size: 100 },
      failureRateThreshold: 0.5,
      minimumThroughput: 10,
    });
    for (let i = 0; i < 9; i++) await r.call(i % 2 === 0 ? ok : fail).catch(noop);
    expect(r.state).toBe('closed');
    await r.call(fail).catch(noop);
    expect(r.state).toBe('open');
    expect(r.totalFailures).toBe(5);
  });

  it('stays closed under 3 successes + 1 failure and counts every call', async () => {
    const r = new ReferenceBreaker({
      failureThreshold: HUGE,
      window: { type: 'count', size: 100 },
      failureRateThreshold: 0.5,
    });
    for (let i = 0; i < 1000; i++) await r.call(i % 4 === 3 ? fail : ok).catch(noop);
    expect(r.state).toBe('closed');
    expect([r.totalSuccesses, r.totalFailures]).toEqual([750, 250]);
  });

  it('forgets outcomes older than the window size', async () => {
    const r = new ReferenceBreaker({
      failureThreshold: HUGE,
      window: { type: 'count', size: 10 },
      failureRateThreshold: 0.5,
      minimumThroughput: 10,
    });
    for (let i = 0; i < 4; i++) await r.call(fail).catch(noop);
    for (let i = 0; i < 10; i++) await r.call(ok);
    // Four failures now would be 8 of 14 if the old ones still counted; they are 4 of 10.
    for (let i = 0; i < 4; i++) await r.call(fail).catch(noop);
    expect(r.state).toBe('closed');
  });
});

describe('reference breaker: time window', () => {
  it('rotates failures older than the duration out of the window', async () => {
    const r = new ReferenceBreaker({
      failureThreshold: HUGE,
      window: { type: 'time', duration: 60_000, buckets: 6 },
      failureRateThreshold: 0.5,
      minimumThroughput: 10,
    });
    for (let i = 0; i < 9; i++) await r.call(fail).catch(noop);
    vi.setSystemTime(Date.now() + 60_000);
    await r.call(fail).catch(noop);
    expect(r.state).toBe('closed');
    for (let i = 0; i < 9; i++) await r.call(fail).catch(noop);
    expect(r.state).toBe('open');
  });
});

describe('reference breaker: open state', () => {
  it('rejects with a stackless error, then lets one probe through once the timer fires', async () => {
    const r = new ReferenceBreaker({ failureThreshold: 1, resetTimeout: 1000 });
    await r.call(fail).catch(noop);
    const error = await r.call(ok).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReferenceOpenError);
    expect((error as Error).stack?.split('\n')).toHaveLength(1);
    expect(r.totalRejections).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(r.canExecute()).toBe(true);
    expect(r.state).toBe('halfOpen');
    expect(r.canExecute()).toBe(false);
    r.recordSuccess();
    expect(r.state).toBe('closed');
  });

  it('reads the clock every 16th rejection, so a late timer does not keep it open', async () => {
    const r = new ReferenceBreaker({ failureThreshold: 1, resetTimeout: 1000 });
    await r.call(fail).catch(noop);
    vi.setSystemTime(Date.now() + 5000);
    let admittedAt = -1;
    for (let i = 0; i < 16 && admittedAt === -1; i++) if (r.canExecute()) admittedAt = i;
    expect(admittedAt).toBe(15);
    expect(r.totalRejections).toBe(15);
  });

  it('dispose() clears the reset timer', async () => {
    const r = new ReferenceBreaker({ failureThreshold: 1, resetTimeout: 1000 });
    await r.call(fail).catch(noop);
    expect(vi.getTimerCount()).toBe(1);
    r.dispose();
    expect(vi.getTimerCount()).toBe(0);
    expect(r.disposed).toBe(true);
  });
});

describe('reference breaker: call timeout and listeners', () => {
  it('fails a call that outlives callTimeout and clears the timer of one that settles', async () => {
    const r = new ReferenceBreaker({ callTimeout: 1000 });
    await expect(r.call(ok)).resolves.toBe('ok');
    expect(vi.getTimerCount()).toBe(0);
    const pending = r.call(() => new Promise<never>(noop));
    vi.advanceTimersByTime(1000);
    await expect(pending).rejects.toBeInstanceOf(ReferenceTimeoutError);
    expect([r.totalSuccesses, r.totalFailures]).toEqual([1, 1]);
  });

  it('calls each success listener once per success with the event', async () => {
    const r = new ReferenceBreaker();
    const seen: unknown[] = [];
    const off = r.onSuccess((event) => seen.push(event));
    await r.call(ok);
    await r.call(fail).catch(noop);
    off();
    await r.call(ok);
    expect(seen).toEqual([{ type: 'success', at: Date.now(), late: false }]);
  });
});

describe('reference breaker: execute with a signal', () => {
  it('records what fn settles with, and removes its abort listener', async () => {
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const r = new ReferenceBreaker();
    await expect(r.execute(ok, controller.signal)).resolves.toBe('ok');
    await expect(r.execute(fail, controller.signal)).rejects.toThrow('boom');
    expect([r.totalSuccesses, r.totalFailures]).toEqual([1, 1]);
    expect(remove).toHaveBeenCalledTimes(2);
  });

  it('rejects at once with the reason when the signal aborts first, counting nothing', async () => {
    const controller = new AbortController();
    const r = new ReferenceBreaker();
    let finish: (value: string) => void = noop;
    const pending = r.execute(
      () => new Promise<string>((resolve) => (finish = resolve)),
      controller.signal,
    );
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    finish('late');
    await Promise.resolve();
    expect([r.totalSuccesses, r.totalFailures]).toEqual([0, 0]);
  });
});
