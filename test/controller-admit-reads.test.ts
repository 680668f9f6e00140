/**
 * What an admission costs in clock reads outside closed: the open gate reads the clock only
 * while the circuit is open, a half-open probe reads it once (for its REQUEST), and an open
 * circuit restored past its retry time checks that time against the clock before it asks the
 * machine. The clock is the breaker's own option, so its reads are part of what a caller sees.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { CircuitBreakerOptions } from '../src/service/circuit-breaker.js';
import { BreakerController } from '../src/service/controller.js';
import { resolveServiceSetup } from '../src/service/setup.js';

function controller(options: CircuitBreakerOptions, at = 1000) {
  const clock = new SimulatedClock();
  clock.set(at);
  const reads = { now: 0 };
  const counted = {
    now: () => {
      reads.now += 1;
      return clock.now();
    },
    setTimeout: (fn: () => void, ms: number) => clock.setTimeout(fn, ms),
    clearTimeout: (id: unknown) => clock.clearTimeout(id as never),
  };
  const core = new BreakerController(resolveServiceSetup({ clock: counted, ...options }));
  return { core, clock, reads };
}

const options = { failureThreshold: 1, resetTimeout: 100, halfOpenMaxCalls: 2 };

describe('clock reads of an admission', () => {
  it('reads the clock once to admit a half-open probe', () => {
    const { core, clock, reads } = controller(options);
    core.fail(0, new Error('down'));
    clock.increment(100);
    expect(core.state()).toBe('halfOpen');
    const before = reads.now;
    expect(typeof core.admit()).toBe('number');
    expect(reads.now - before).toBe(1);
  });

  it('checks an open circuit restored past its retry time against the clock, then asks the machine', () => {
    const source = controller(options);
    source.core.fail(0, new Error('down'));
    const { value, context } = source.core.flushed();
    expect(source.core.state()).toBe('open');
    const { core, reads } = controller(options, 5000);
    core.start({ value, context });
    const before = reads.now;
    expect(typeof core.admit()).toBe('number');
    expect(core.state()).toBe('halfOpen');
    // The gate's read, the retry-time check's, the REQUEST's.
    expect(reads.now - before).toBe(3);
  });
});
