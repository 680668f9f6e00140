/**
 * The state controller on its own: which outcomes it folds and which it sends, when it builds
 * the actor, which clock reads a call costs, and what it hands the per-call listeners. Folding
 * and sending end in the same counts, so these tests watch the seams instead: the events the
 * actor receives, whether it exists at all, the clock, the listeners' events and their flags.
 */
import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { CircuitBreakerEmitted } from '../src/machine/types.js';
import type { CircuitBreakerOptions } from '../src/service/circuit-breaker.js';
import { BreakerController } from '../src/service/controller.js';
import { resolveServiceSetup } from '../src/service/setup.js';

/** A simulated clock that counts its reads and timer calls. */
function countingClock() {
  const clock = new SimulatedClock();
  clock.set(1000);
  const reads = { now: 0 };
  const counted = {
    now: () => {
      reads.now += 1;
      return clock.now();
    },
    setTimeout: vi.fn((fn: () => void, ms: number) => clock.setTimeout(fn, ms)),
    clearTimeout: vi.fn((id: unknown) => clock.clearTimeout(id as never)),
  };
  return { clock, counted, reads };
}

function controller(options: CircuitBreakerOptions = {}) {
  const { clock, counted, reads } = countingClock();
  const core = new BreakerController(resolveServiceSetup({ clock: counted, ...options }));
  return { core, clock, counted, reads };
}

/** The types of the events the actor receives from now on (the actor is built here). */
function sentTypes(core: BreakerController): string[] {
  const actor = core.host();
  const types: string[] = [];
  const send = actor.send.bind(actor);
  vi.spyOn(actor, 'send').mockImplementation((event) => {
    types.push(event.type);
    send(event);
  });
  return types;
}

function listen(core: BreakerController, type: CircuitBreakerEmitted['type']) {
  const events: CircuitBreakerEmitted[] = [];
  core.listeners.add(type, (event: CircuitBreakerEmitted) => events.push(event));
  return events;
}

const countWindow = {
  slidingWindow: { type: 'count', size: 5 },
  failureRateThreshold: 0.9,
  slowCallRateThreshold: 0.9,
  slowCallDuration: 100,
} as const;

describe('with an inspector (every outcome is an event)', () => {
  it('admits in the initial generation and sends even a late success before the actor exists', () => {
    const { core } = controller({ inspect: () => undefined });
    expect(core.admit()).toBe(0);
    expect(core.actorIfBuilt).toBeUndefined();
    core.succeed(1);
    expect(core.actorIfBuilt).toBeDefined();
  });

  it('sends a plain success of the current generation too', () => {
    const { core } = controller({ inspect: () => undefined });
    core.succeed(0);
    expect(core.actorIfBuilt).toBeDefined();
  });

  it('sends an ignored call to the machine', () => {
    const { core } = controller({ inspect: () => undefined });
    const types = sentTypes(core);
    core.ignore(0);
    expect(types).toEqual(['IGNORE']);
  });
});

describe('folding without an actor', () => {
  it('builds no actor for ignored, cancelled or unadmitted calls in closed', () => {
    const { core } = controller();
    core.ignore(0);
    core.cancel(0);
    core.unadmit(0);
    expect(core.actorIfBuilt).toBeUndefined();
    expect(core.flushed().context.stats.totalIgnored).toBe(1);
  });

  it('folds a slow success and a late one without an actor', () => {
    const { core } = controller(countWindow);
    core.succeed(0, true);
    core.succeed(7);
    expect(core.actorIfBuilt).toBeUndefined();
    expect(core.flushed().context.stats.totalSuccesses).toBe(2);
  });
});

describe('clock reads', () => {
  it('reads no clock for a plain success, one for a slow one (count window)', () => {
    const { core, reads } = controller(countWindow);
    core.succeed(0);
    core.succeed(7); // late: the slow path, still a plain success
    expect(reads.now).toBe(0);
    core.succeed(0, true);
    expect(reads.now).toBe(1);
  });

  it('reads the clock once per success with a time window, and records it at that time', () => {
    const { core, clock, reads } = controller({
      slidingWindow: { type: 'time', duration: 1000, buckets: 10 },
      slowCallRateThreshold: 0.9,
      slowCallDuration: 100,
    });
    clock.set(5050);
    core.succeed(0);
    expect(reads.now).toBe(1);
    core.succeed(0, true);
    expect(reads.now).toBe(2);
    const { window } = core.flushed().context;
    expect(window).toMatchObject({ type: 'time', buckets: [{ start: 5000, calls: 2 }] });
  });

  it('reads no clock for a turned-away call without a reject listener', () => {
    const { core, reads } = controller({ failureThreshold: 1 });
    core.fail(0, new Error('down'));
    const before = reads.now;
    expect(core.admit()).not.toBe(0);
    expect(reads.now - before).toBeLessThanOrEqual(1);
    const after = reads.now;
    core.admit();
    expect(reads.now).toBe(after + 1); // the open gate's own read, no event's
  });

  it('reads no clock for a success nobody listens to, even with a failure listener', () => {
    const { core, reads } = controller();
    listen(core, 'failure');
    core.succeed(7);
    expect(reads.now).toBe(0);
  });
});

describe('the per-call events of folded outcomes', () => {
  it('stamps a plain success with the time, and a late one as late', () => {
    const { core, clock } = controller(countWindow);
    const successes = listen(core, 'success');
    clock.set(4321);
    core.succeed(0);
    core.succeed(7);
    expect(successes).toEqual([
      { type: 'success', at: 4321, late: false },
      { type: 'success', at: 4321, late: true },
    ]);
  });

  it('reads the clock once for a slow success that is announced', () => {
    const { core, reads } = controller(countWindow);
    listen(core, 'success');
    core.succeed(0, true);
    expect(reads.now).toBe(1);
  });

  it('flags a late failure as late', () => {
    const { core, clock } = controller();
    const failures = listen(core, 'failure');
    const error = new Error('late');
    clock.set(2000);
    core.fail(3, error);
    core.fail(0, error);
    expect(failures).toEqual([
      { type: 'failure', at: 2000, late: true, error },
      { type: 'failure', at: 2000, late: false, error },
    ]);
  });
});

describe('after dispose', () => {
  it('neither folds nor announces outcomes, and admits in no generation of its own', () => {
    const { core } = controller();
    const successes = listen(core, 'success');
    const failures = listen(core, 'failure');
    core.dispose();
    core.succeed(0);
    core.succeed(1);
    core.fail(0, new Error('x'));
    expect(successes).toEqual([]);
    expect(failures).toEqual([]);
    expect(core.admit()).toBe(0);
  });

  it('clears a pending wake timer once, even when disposed twice', () => {
    const { core, counted } = controller();
    core.host();
    core.scheduleWake(100);
    expect(counted.setTimeout).toHaveBeenCalledTimes(1);
    core.dispose();
    core.dispose();
    expect(counted.clearTimeout).toHaveBeenCalledTimes(1);
  });
});

describe('scheduling the wake', () => {
  it('sets no timer when the retry is already due', () => {
    const { core, counted } = controller();
    core.host();
    core.scheduleWake(0);
    core.scheduleWake(-5);
    expect(counted.setTimeout).not.toHaveBeenCalled();
  });
});

describe('a timeout failure sent to the machine', () => {
  it('counts the timeout and trips', () => {
    const { core } = controller({ failureThreshold: 1 });
    core.fail(0, new Error('slow'), false, true);
    expect(core.state()).toBe('open');
    expect(core.flushed().context.stats.totalTimeouts).toBe(1);
  });
});

describe('half-open', () => {
  function halfOpen() {
    const made = controller({ failureThreshold: 1, resetTimeout: 100, halfOpenMaxCalls: 1 });
    made.core.fail(0, new Error('down'));
    made.clock.increment(100);
    expect(made.core.state()).toBe('halfOpen');
    return made;
  }

  it('admits one probe, turns the next away, and sends an ignored probe to the machine', () => {
    const { core } = halfOpen();
    const generation = core.flushed().context.generation;
    const types = sentTypes(core);
    expect(core.admit()).toBe(generation);
    expect(core.admit()).not.toBe(generation);
    expect(core.flushed().context.halfOpenInFlight).toBe(1);
    core.ignore(generation);
    expect(core.flushed().context.halfOpenInFlight).toBe(0);
    expect(types).toContain('IGNORE');
  });

  it('sends a success of the open generation to the machine as a late one', () => {
    const { core } = controller({ failureThreshold: 1 });
    core.fail(0, new Error('down'));
    const open = core.flushed().context.generation;
    const types = sentTypes(core);
    core.succeed(open);
    expect(types).toEqual(['SUCCESS']);
  });
});

describe('folded runs that fill up', () => {
  const timeWindow = {
    slidingWindow: { type: 'time', duration: 1000, buckets: 10 },
    failureRateThreshold: 0.99,
    minimumThroughput: 100_000,
  } as const;

  for (const first of ['success', 'failure'] as const) {
    it(`hands them to the machine as soon as 1024 are kept (${first === 'success' ? 'last one a success' : 'last one a failure'})`, () => {
      const { core, clock } = controller(timeWindow);
      // One call per bucket, alternating; call 1024 (0-based) closes the 1024th run.
      for (let i = 0; i < 1024; i++) {
        const success = (i % 2 === 0) === (first === 'success');
        if (success) core.succeed(0);
        else core.fail(0, new Error('x'));
        clock.increment(100);
      }
      expect(core.actorIfBuilt).toBeUndefined();
      if (first === 'success') core.succeed(0);
      else core.fail(0, new Error('x'));
      expect(core.actorIfBuilt).toBeDefined();
    });
  }
});
