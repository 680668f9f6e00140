/**
 * Property-based tests (fast-check, model-based style with `fc.commands`): random sequences of
 * calls that succeed, fail (synchronously or not), hang, are aborted, interleave and settle out
 * of order, clock advances (with timers on time or lagging), manual `canExecute`/`record*`,
 * force/reset, cost records, listeners that switch folding off and on, and stats reads, run on
 * the real `CircuitBreaker` and the plain reference in lock step (`lockstep.ts`).
 *
 * After every step the state, `timeUntilRetry()`, the `stateChange` events and whether each call
 * in flight is late agree with the reference; stats and `toString()` are compared after every
 * step in half the runs and only at explicit reads in the other half, so that outcomes folded
 * over several steps are checked too. Invariants checked on the way, independently of the
 * reference: a rejected call never runs `fn`; half-open never has more than `halfOpenMaxCalls`
 * probes admitted at once; counters never go negative; a late result never moves the machine.
 *
 * Every property runs in both modes: the folded fast path and full fidelity (an `inspect`
 * observer makes every outcome a machine event, and the actor's context is compared too).
 */
import { fc, test } from '@fast-check/vitest';
import { describe } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../src/index.js';
import { agree, type CallOutcome, type Fidelity, LockStep } from './lockstep.js';
import type { RefConfig } from './reference-model.js';

/** What every command sees: the lock step, and whether to compare stats after every step. */
interface Ctx {
  run: LockStep;
  observeEvery: boolean;
}

/** One step: acts on the breaker and the reference, then compares them. */
class Step implements fc.AsyncCommand<Ctx, Ctx> {
  constructor(
    readonly label: string,
    readonly act: (run: LockStep) => unknown,
    readonly canRun: (run: LockStep) => boolean = () => true,
  ) {}

  check({ run }: Readonly<Ctx>): boolean {
    return this.canRun(run);
  }

  async run(_model: Ctx, { run, observeEvery }: Ctx): Promise<void> {
    await this.act(run);
    run.check({ stats: observeEvery });
  }

  toString(): string {
    return this.label;
  }
}

const outcome = fc.constantFrom<CallOutcome>('success', 'failure');

type Advance = 'due' | 'justBefore' | number;

/** How far the clock moves: to the retry or just before it, nothing, a little, or far. */
const advance: fc.Arbitrary<Advance> = fc.oneof(
  fc.constantFrom<Advance>('due', 'justBefore', 0, 1),
  fc.integer({ min: 0, max: 3000 }),
);

function advanceBy(run: LockStep, how: Advance): number {
  if (typeof how === 'number') return how;
  const left = run.ref.timeUntilRetry() ?? run.config.resetTimeout;
  return how === 'due' ? left : Math.max(0, left - 1);
}

const hasPending = (run: LockStep) => run.pending.length > 0;

function commands(fidelity: Fidelity): fc.Arbitrary<Step>[] {
  const steps: Array<{ arbitrary: fc.Arbitrary<Step>; weight: number }> = [
    {
      weight: 6,
      arbitrary: fc
        .tuple(outcome, fc.boolean())
        .map(
          ([o, sync]) =>
            new Step(`callNow(${o}${sync ? ', sync' : ''})`, (run) => run.callNow(o, sync)),
        ),
    },
    {
      weight: 4,
      arbitrary: fc
        .boolean()
        .map(
          (abortable) =>
            new Step(`start(${abortable ? 'abortable' : ''})`, (run) => run.start(abortable)),
        ),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.nat(), fc.constantFrom<CallOutcome | 'abort'>('success', 'failure', 'abort'))
        .map(
          ([seed, how]) =>
            new Step(
              `settle(#${seed}, ${how})`,
              (run) => run.settle(seed % run.pending.length, how),
              hasPending,
            ),
        ),
    },
    { weight: 2, arbitrary: fc.constant(new Step('canExecute()', (run) => run.canExecute())) },
    {
      weight: 2,
      arbitrary: outcome.map((o) => new Step(`record(${o})`, (run) => run.record(o))),
    },
    {
      weight: 3,
      arbitrary: advance.map(
        (how) => new Step(`advance(${how})`, (run) => run.advance(advanceBy(run, how))),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constant(
        new Step(
          'fireTimers()',
          (run) => run.fireTimers(),
          (run) => run.lateTimers,
        ),
      ),
    },
    { weight: 1, arbitrary: fc.constant(new Step('forceOpen()', (run) => run.forceOpen())) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 2000 })
        .map((ms) => new Step(`forceOpen({ for: ${ms} })`, (run) => run.forceOpenFor(ms))),
    },
    { weight: 1, arbitrary: fc.constant(new Step('disable()', (run) => run.disable())) },
    { weight: 1, arbitrary: fc.constant(new Step('forceClose()', (run) => run.forceClose())) },
    { weight: 1, arbitrary: fc.constant(new Step('reset()', (run) => run.reset())) },
    {
      weight: 1,
      arbitrary: fc.constant(new Step('getStats()', (run) => run.check({ stats: true }))),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat(1000), fc.nat(1000), fc.constantFrom(0, 0.25, 1.5))
        .map(
          ([input, output, cost]) =>
            new Step(`recordCost(${input}, ${output}, ${cost})`, (run) =>
              run.recordCost(input, output, cost),
            ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.constant(new Step('executeAborted()', (run) => run.executeAborted())),
    },
  ];
  if (fidelity === 'fast') {
    // A per-call listener turns folding off while it is subscribed; reading the actor for good.
    steps.push(
      {
        weight: 1,
        arbitrary: fc.constant(
          new Step('togglePerCallListener()', (run) => run.togglePerCallListener()),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.constant(new Step('readActor()', (run) => run.readActor())),
      },
    );
  }
  return [fc.oneof(...steps)];
}

const config: fc.Arbitrary<RefConfig> = fc.record(
  {
    failureThreshold: fc.integer({ min: 1, max: 4 }),
    resetTimeout: fc.constantFrom(0, 1, 50, 1000),
    halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
    halfOpenSuccessThreshold: fc.integer({ min: 1, max: 4 }),
  },
  { requiredKeys: ['failureThreshold', 'resetTimeout', 'halfOpenMaxCalls'] },
);

/**
 * Runs per property and mode: 800, or 100 under Stryker (every surviving mutant reruns the
 * file); `PROPERTY_RUNS=30000 npx vitest run test/property.test.ts` digs deeper.
 */
const NUM_RUNS = Number(
  process.env.PROPERTY_RUNS ?? (process.env.STRYKER_MUTATOR_WORKER === undefined ? 800 : 100),
);
const TIMEOUT = Math.max(20_000, NUM_RUNS * 10);
/** The focused properties need fewer runs to cover their small input space. */
const FOCUSED_RUNS = Math.ceil(NUM_RUNS / 4);

describe.each(['fast', 'full'] as const)('%s fidelity', (fidelity) => {
  test.prop(
    [
      config,
      fc.boolean(),
      fc.boolean(),
      fc.commands(commands(fidelity), { maxCommands: 80, size: 'max' }),
    ],
    { numRuns: NUM_RUNS },
  )(
    'state, timeUntilRetry and every counter agree with the reference after every step',
    async (config, observeEvery, lateTimers, steps) => {
      const run = new LockStep({ config, fidelity, lateTimers });
      const ctx: Ctx = { run, observeEvery };
      await fc.asyncModelRun(() => ({ model: ctx, real: ctx }), steps);
      await run.drain();
      run.check();
      run.dispose();
    },
    TIMEOUT,
  );
});

describe.each(['fast', 'full'] as const)('%s fidelity: focused properties', (fidelity) => {
  test.prop([config, fc.integer({ min: 1, max: 120 }), fc.boolean()], { numRuns: FOCUSED_RUNS })(
    'a burst of concurrent calls in half-open runs exactly min(burst, halfOpenMaxCalls) probes',
    async (config, burst, viaTimer) => {
      // Half-open through the timer, or (timer lagging) through the first call once it is due.
      const run = new LockStep({ config, fidelity, lateTimers: !viaTimer });
      for (let i = 0; i < config.failureThreshold; i++) await run.callNow('failure');
      run.advance(config.resetTimeout);
      agree(run.breaker.state, viaTimer ? 'halfOpen' : 'open', 'before the burst');
      for (let i = 0; i < burst; i++) await run.start();
      const admitted = Math.min(burst, config.halfOpenMaxCalls);
      run.check();
      agree(run.pending.length, admitted, 'probes let in');
      agree(run.breaker.getStats().totalRejections, burst - admitted, 'rejections');
      await run.drain();
      run.dispose();
    },
    TIMEOUT,
  );

  test.prop([fc.anything(), fc.boolean(), fc.boolean()], { numRuns: FOCUSED_RUNS })(
    "fn's own value or error passes through unchanged, sync or async",
    async (value, fails, sync) => {
      const breaker = new CircuitBreaker({
        clock: new SimulatedClock(),
        ...(fidelity === 'full' ? { inspect: () => undefined } : {}),
      });
      const fn = () => {
        if (sync && fails) throw value;
        if (sync) return value;
        return fails ? Promise.reject(value) : Promise.resolve(value);
      };
      const settled = await breaker.call(fn).then(
        (result) => ({ fulfilled: true, result }),
        (result: unknown) => ({ fulfilled: false, result }),
      );
      // A thenable value is adopted by the promise, as `await` would; everything else is kept.
      if (!isThenable(value)) {
        agree(settled.fulfilled, !fails, 'outcome');
        if (!Object.is(settled.result, value)) throw new Error('value changed on the way');
      }
      breaker.dispose();
    },
    TIMEOUT,
  );
});

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
