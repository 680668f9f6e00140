import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { boom, failTimes, ok, simulated } from './helpers.js';

/** Listener errors never vanish: without a logger they reach `console.error`. */
describe('errors thrown by listeners', () => {
  let consoleError: MockInstance<typeof console.error>;
  beforeEach(() => {
    consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => consoleError.mockRestore());

  it('without a logger, each one reaches console.error once, with the error itself', async () => {
    const { breaker, clock } = simulated({ name: 'users', failureThreshold: 1, resetTimeout: 10 });
    const first = new Error('first');
    const second = new TypeError('second');
    breaker.on('stateChange', () => {
      throw first;
    });
    breaker.on('success', () => {
      throw second;
    });
    await failTimes(breaker, 1); // closed -> open
    expect(consoleError.mock.calls).toEqual([
      ['circuit_breaker_listener_error name=users event=stateChange', first],
    ]);
    clock.increment(10); // open -> halfOpen
    await breaker.call(ok); // a success, then halfOpen -> closed
    expect(consoleError.mock.calls.map(([line]) => line)).toEqual([
      'circuit_breaker_listener_error name=users event=stateChange',
      'circuit_breaker_listener_error name=users event=stateChange',
      'circuit_breaker_listener_error name=users event=success',
      'circuit_breaker_listener_error name=users event=stateChange',
    ]);
    expect(consoleError.mock.calls[2]?.[1]).toBe(second);
    expect(breaker.state).toBe('closed');
  });

  it('with a logger, they go to logger.warn and not to the console', async () => {
    const warn = vi.fn();
    const { breaker } = simulated({ logger: { info: () => undefined, warn }, failureThreshold: 1 });
    breaker.on('open', () => {
      throw new Error('listener bug');
    });
    await expect(breaker.call(boom)).rejects.toThrow('boom');
    expect(warn).toHaveBeenCalledWith(
      'circuit_breaker_listener_error name=default event=open error=Error: listener bug',
    );
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('a listener that does not throw reports nothing', async () => {
    const { breaker } = simulated({ failureThreshold: 1 });
    const seen: string[] = [];
    breaker.on('open', () => seen.push('open'));
    await failTimes(breaker, 1);
    expect(seen).toEqual(['open']);
    expect(consoleError).not.toHaveBeenCalled();
  });
});
