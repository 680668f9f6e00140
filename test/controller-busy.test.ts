/**
 * The state controller while the machine is in a step: code that runs during it (a logger's
 * line about the transition, an observer of the actor) sees the machine mid-step. Outcomes
 * recorded then are never folded against the stale answers kept for the hot path; they go to
 * the machine as events (XState queues them behind the step). A rejection announced then is
 * held with the machine's own events of that step, and delivered once the step is done. An event sent to the actor from outside is
 * handed to the listeners at once.
 */
import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { CircuitBreakerEmitted } from '../src/machine/types.js';
import type { CircuitBreakerOptions } from '../src/service/circuit-breaker.js';
import { BreakerController } from '../src/service/controller.js';
import { resolveServiceSetup } from '../src/service/setup.js';

/** A controller whose logger runs `during` inside the step that logs a transition. */
function withLogger(options: CircuitBreakerOptions, during: (core: BreakerController) => void) {
  const clock = new SimulatedClock();
  clock.set(1000);
  let core: BreakerController | undefined;
  let ran = false;
  const logger = {
    info: () => undefined,
    warn: () => {
      if (ran || core === undefined) return;
      ran = true;
      during(core);
    },
  };
  core = new BreakerController(resolveServiceSetup({ clock, logger, ...options }));
  const types: string[] = [];
  const actor = core.host();
  const send = actor.send.bind(actor);
  vi.spyOn(actor, 'send').mockImplementation((event) => {
    types.push(event.type);
    send(event);
  });
  return { core, types, clock };
}

describe('outcomes recorded while the machine is in a step', () => {
  it('sends a success of the generation just left', () => {
    const { core, types } = withLogger({ failureThreshold: 1 }, (core) => core.succeed(0));
    core.fail(0, new Error('down'));
    expect(types).toEqual(['FAILURE', 'SUCCESS']);
    expect(core.state()).toBe('open');
  });

  it('sends a slow success too', () => {
    const { core, types } = withLogger(
      {
        failureThreshold: 1,
        slidingWindow: { type: 'count', size: 5 },
        slowCallRateThreshold: 0.9,
        slowCallDuration: 100,
      },
      (core) => core.succeed(0, true),
    );
    core.fail(0, new Error('down'));
    expect(types).toEqual(['FAILURE', 'SUCCESS']);
  });

  it('sends a failure of the generation just left', () => {
    const { core, types } = withLogger({ failureThreshold: 1 }, (core) =>
      core.fail(0, new Error('again')),
    );
    core.fail(0, new Error('down'));
    expect(types).toEqual(['FAILURE', 'FAILURE']);
  });

  it('sends an ignored call', () => {
    const { core, types } = withLogger({ failureThreshold: 1 }, (core) => core.ignore(0));
    core.fail(0, new Error('down'));
    expect(types).toEqual(['FAILURE', 'IGNORE']);
  });
});

describe('admissions while the machine is in a step', () => {
  it('turns a call away without a REQUEST, and announces it once the step is done', () => {
    let inStep = false;
    let admitted: unknown;
    const { core, types } = withLogger(
      { failureThreshold: 1, inspect: () => undefined },
      (core) => {
        inStep = true;
        admitted = core.admit();
        inStep = false;
      },
    );
    const rejects: boolean[] = [];
    const opens: string[] = [];
    core.listeners.add('open', (event: CircuitBreakerEmitted) => opens.push(event.type));
    core.listeners.add('reject', () => rejects.push(inStep));
    core.fail(0, new Error('down'));
    expect(types).toEqual(['FAILURE']);
    expect(typeof admitted).toBe('symbol');
    expect(opens).toEqual(['open']);
    expect(rejects).toEqual([false]); // delivered after the step, not from inside it
  });
});

describe('events sent to the actor from outside', () => {
  it('reach the listeners at once', () => {
    const clock = new SimulatedClock();
    const core = new BreakerController(resolveServiceSetup({ clock }));
    const opened: string[] = [];
    core.listeners.add('open', (event: CircuitBreakerEmitted) => opened.push(event.type));
    core.host().send({ type: 'FORCE_OPEN', at: clock.now() });
    expect(opened).toEqual(['open']);
  });
});

describe('listeners and nested steps', () => {
  const ALL = ['stateChange', 'open', 'halfOpen', 'close', 'success', 'failure', 'reject'] as const;

  function flagged(options: CircuitBreakerOptions, during: (core: BreakerController) => void) {
    let inStep = false;
    const made = withLogger(options, (core) => {
      inStep = true;
      during(core);
      inStep = false;
    });
    const seen: Array<[string, boolean]> = [];
    for (const type of ALL) {
      made.core.listeners.add(type, (event: CircuitBreakerEmitted) =>
        seen.push([event.type, inStep]),
      );
    }
    return { ...made, seen };
  }

  it('delivers nothing from inside a step when an outcome is sent during it', () => {
    const { core, seen } = flagged({ failureThreshold: 1 }, (core) => core.succeed(0));
    core.fail(0, new Error('down'));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter(([, inside]) => inside)).toEqual([]);
  });
});
