/**
 * Issue 12: whatever the service folds leaves the machine exactly where sending every outcome
 * would have. Two breakers get the same random calls on the same simulated time: one folds
 * (the default), the other has an inspector, so every outcome is its own XState event and the
 * machine's own transitions decide everything. After every step their states agree; at the end
 * their whole machine context does (state, generation, window, every counter).
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker, type CircuitBreakerOptions } from '../src/index.js';

type Op =
  | { kind: 'call'; outcome: 'success' | 'failure'; ms: number }
  | { kind: 'record'; outcome: 'success' | 'failure' }
  | { kind: 'advance'; ms: number }
  | { kind: 'control'; which: 'forceOpen' | 'reset' | 'disable' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('call' as const),
      outcome: fc.constantFrom('success' as const, 'failure' as const),
      ms: fc.constantFrom(0, 5, 50),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('record' as const),
      outcome: fc.constantFrom('success' as const, 'failure' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(1, 100, 1000, 5000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('control' as const),
      which: fc.constantFrom('forceOpen' as const, 'reset' as const, 'disable' as const),
    }),
  },
);

const window = fc.oneof(
  fc.record({
    type: fc.constant('count' as const),
    size: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    type: fc.constant('time' as const),
    duration: fc.constantFrom(1000, 3000),
    buckets: fc.constantFrom(1, 2, 5, 10),
  }),
);

const config: fc.Arbitrary<CircuitBreakerOptions> = fc
  .record({
    window,
    failureThreshold: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    failureRateThreshold: fc.constantFrom(0.25, 0.5, 1),
    slow: fc.boolean(),
    minimumThroughput: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ window, failureThreshold, failureRateThreshold, slow, minimumThroughput }) => ({
    slidingWindow: window,
    failureRateThreshold,
    minimumThroughput:
      window.type === 'count' ? Math.min(minimumThroughput, window.size) : minimumThroughput,
    resetTimeout: 500,
    ...(failureThreshold === undefined ? {} : { failureThreshold }),
    ...(slow ? { slowCallDuration: 20, slowCallRateThreshold: 0.5 } : {}),
  }));

function pair(options: CircuitBreakerOptions) {
  const clock = new SimulatedClock();
  clock.set(1000);
  const folding = new CircuitBreaker({ ...options, clock, name: 'folding' });
  const sending = new CircuitBreaker({
    ...options,
    clock,
    name: 'sending',
    inspect: () => undefined,
  });
  return { clock, folding, sending };
}

async function run(breaker: CircuitBreaker, clock: SimulatedClock, step: Op): Promise<void> {
  if (step.kind === 'call') {
    const call = breaker.call(
      () =>
        new Promise((resolve, reject) => {
          clock.setTimeout(() => {
            if (step.outcome === 'success') resolve('ok');
            else reject(new Error('boom'));
          }, step.ms);
        }),
    );
    return call.then(
      () => undefined,
      () => undefined,
    );
  }
  if (step.kind === 'record') {
    if (breaker.canExecute()) {
      if (step.outcome === 'success') breaker.recordSuccess();
      else breaker.recordFailure(new Error('manual'));
    }
    return;
  }
  if (step.kind === 'control') breaker[step.which]();
}

/** The machine's context without the breaker's name, which differs on purpose. */
function machineOf(breaker: CircuitBreaker) {
  const { value, context } = breaker.actor.getSnapshot();
  return { value, context: { ...context, config: { ...context.config, name: '' } } };
}

test.prop([config, fc.array(op, { maxLength: 60 })], { numRuns: 150 })(
  'folding leaves the machine where one event per outcome leaves it',
  async (options, ops) => {
    const { clock, folding, sending } = pair(options);
    try {
      for (const step of ops) {
        if (step.kind === 'advance') {
          clock.increment(step.ms);
          continue;
        }
        // Calls settle on the simulated clock: start both, then let time pass for both at once.
        const done = Promise.all([run(folding, clock, step), run(sending, clock, step)]);
        if (step.kind === 'call') clock.increment(step.ms);
        await done;
        expect(folding.state).toBe(sending.state);
      }
      expect(folding.getStats()).toEqual(sending.getStats());
      expect(folding.getMetrics()).toEqual(sending.getMetrics());
      expect(machineOf(folding)).toEqual(machineOf(sending));
    } finally {
      folding.dispose();
      sending.dispose();
    }
  },
);
