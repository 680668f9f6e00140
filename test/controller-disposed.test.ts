/**
 * A disposed breaker sends nothing to its stopped actor (XState warns about every event sent
 * to a stopped actor): not a half-open probe's cancel, unadmit or ignore, and not the wake of a
 * timer the clock failed to clear.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { BreakerController } from '../src/service/controller.js';
import { resolveServiceSetup } from '../src/service/setup.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function disposedInHalfOpen() {
  const clock = new SimulatedClock();
  clock.set(1000);
  const core = new BreakerController(
    resolveServiceSetup({ clock, failureThreshold: 1, resetTimeout: 10 }),
  );
  core.fail(0, new Error('down'));
  clock.increment(10);
  expect(core.state()).toBe('halfOpen');
  const generation = core.flushed().context.generation;
  core.dispose();
  return { core, generation };
}

describe('after dispose', () => {
  for (const settle of ['cancel', 'unadmit', 'ignore'] as const) {
    it(`sends a half-open probe's ${settle} nowhere`, () => {
      const { core, generation } = disposedInHalfOpen();
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      core[settle](generation);
      expect(warn).not.toHaveBeenCalled();
    });
  }

  it('sends no wake when a timer the clock did not clear fires', () => {
    const clock = new SimulatedClock();
    clock.set(1000);
    const leaky = {
      now: () => clock.now(),
      setTimeout: (fn: () => void, ms: number) => clock.setTimeout(fn, ms),
      clearTimeout: () => undefined, // never clears
    };
    const core = new BreakerController(resolveServiceSetup({ clock: leaky }));
    core.host();
    core.scheduleWake(100);
    core.dispose();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    clock.increment(100);
    expect(warn).not.toHaveBeenCalled();
  });
});
