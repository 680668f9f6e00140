/**
 * The plain path (no per-call policy, no fallback) records a plain value as a success before
 * the entry point returns, and hands back the promise `fn` returned: the same for `call`,
 * `wrap` and `execute`.
 */
import { describe, expect, it } from 'vitest';
import { simulated } from './helpers.js';

describe('the plain path', () => {
  it('wrap counts a plain value before the wrapped function returns', async () => {
    const { breaker } = simulated();
    const wrapped = breaker.wrap((n: number) => n * 2);
    const result = wrapped(21);
    expect(breaker.getStats().totalSuccesses).toBe(1);
    await expect(result).resolves.toBe(42);
  });

  it('call, wrap and execute hand back the promise fn returned', () => {
    const { breaker } = simulated();
    const promise = Promise.resolve('same');
    expect(breaker.call(() => promise)).toBe(promise);
    expect(breaker.wrap(() => promise)()).toBe(promise);
    expect(breaker.execute(() => promise)).toBe(promise);
  });
});
