/**
 * The plain (no per-call policy) path of `call`/`execute`/`wrap`: no async wrapper, `fn`'s own
 * promise handed back with the breaker's settle handlers attached first. These pin what that
 * design must keep: outcomes recorded before the caller resumes, every kind of result and
 * refusal handled, never a synchronous throw, exact counts under heavy concurrency.
 */
import { describe, expect, it, vi } from 'vitest';
import { CircuitBreakerDisposedError, CircuitOpenError } from '../src/index.js';
import { deferred, simulated } from './helpers.js';

describe('the plain call path', () => {
  it('records the outcome before the caller resumes', async () => {
    const { breaker } = simulated({ failureThreshold: 1 });
    const ok = deferred<string>();
    const pending = breaker.call(() => ok.promise);
    ok.resolve('done');
    expect(await pending).toBe('done');
    expect(breaker.getStats().totalSuccesses).toBe(1);

    const bad = deferred();
    const failing = breaker.call(() => bad.promise);
    const error = new Error('down');
    bad.reject(error);
    await expect(failing).rejects.toBe(error);
    expect(breaker.state).toBe('open'); // already, in the caller's very next line
  });

  it('counts synchronous values and throws, thenables and promises, and passes each through', async () => {
    const { breaker } = simulated({ failureThreshold: 10 });
    const thrown = new Error('sync');
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a non-promise thenable is the point here.
      then(resolve: (value: number) => void) {
        resolve(42);
      },
    } as PromiseLike<number>;
    const rejectingThenable = {
      // biome-ignore lint/suspicious/noThenProperty: a non-promise thenable is the point here.
      then(_: unknown, reject: (error: unknown) => void) {
        reject(thrown);
      },
    } as PromiseLike<never>;
    const syncValue = breaker.call(() => 7);
    expect(breaker.getStats().totalSuccesses).toBe(1); // known at once, counted at once
    expect(await syncValue).toBe(7);
    const syncThrow = breaker.call(() => {
      throw thrown;
    });
    expect(breaker.getStats().totalFailures).toBe(1);
    await expect(syncThrow).rejects.toBe(thrown);
    expect(await breaker.call(() => thenable)).toBe(42);
    await expect(breaker.call(() => rejectingThenable)).rejects.toBe(thrown);
    expect(await breaker.call(async () => 'async')).toBe('async');
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 3, totalFailures: 2 });
  });

  it('never throws synchronously: every refusal is a rejected promise', async () => {
    const { breaker } = simulated({ failureThreshold: 1 });
    const fn = vi.fn(async () => 'ran');
    const notAFunction = breaker.call(42 as never);
    await expect(notAFunction).rejects.toThrow(TypeError);
    await breaker.call(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(breaker.state).toBe('open');
    for (const refused of [breaker.call(fn), breaker.execute(fn), breaker.wrap(fn)()]) {
      expect(refused).toBeInstanceOf(Promise);
      await expect(refused).rejects.toBeInstanceOf(CircuitOpenError);
    }
    breaker.dispose();
    await expect(breaker.call(fn)).rejects.toBeInstanceOf(CircuitBreakerDisposedError);
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.getStats().totalRejections).toBe(3);
  });

  it('keeps the counts exact with 10,000 calls in flight that all fail, and opens once', async () => {
    const { breaker } = simulated({ failureThreshold: 5 });
    const gate = deferred<void>();
    const error = new Error('down');
    let invoked = 0;
    const fn = () => {
      invoked++;
      return gate.promise.then(() => {
        throw error;
      });
    };
    const opened = vi.fn();
    breaker.on('open', opened);
    const outcomes = Array.from({ length: 10_000 }, () =>
      breaker.call(fn).then(
        () => 'resolved',
        (reason: unknown) => (reason === error ? 'own error' : 'other'),
      ),
    );
    expect(breaker.state).toBe('closed');
    gate.resolve();
    const settled = await Promise.all(outcomes);
    expect(invoked).toBe(10_000);
    expect(settled.every((outcome) => outcome === 'own error')).toBe(true);
    expect(opened).toHaveBeenCalledTimes(1);
    expect(breaker.getStats()).toMatchObject({
      totalFailures: 10_000,
      totalSuccesses: 0,
      totalRejections: 0,
      timesOpened: 1,
    });
  });

  it('attaches one pair of settle handlers per generation, not one per call', async () => {
    const { breaker } = simulated();
    const seen: unknown[] = [];
    class Watched<T> extends Promise<T> {
      // biome-ignore lint/suspicious/noThenProperty: recording who attaches handlers is the point.
      override then<A = T, B = never>(
        onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
        onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
      ): Promise<A | B> {
        seen.push(onFulfilled);
        return super.then(onFulfilled, onRejected);
      }
    }
    for (let i = 0; i < 3; i++) await breaker.call(() => Watched.resolve('v'));
    const counts = new Map<unknown, number>();
    for (const handler of seen) counts.set(handler, (counts.get(handler) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBe(3); // the breaker's handler, the same each time
  });
});
