import { describe, expect, it, vi } from 'vitest';
import {
  type AnyActorRef,
  assign,
  createActor,
  fromPromise,
  SimulatedClock,
  type SnapshotFrom,
  sendTo,
  setup,
  spawnChild,
} from 'xstate';
import {
  CircuitOpenError,
  type CircuitState,
  circuitBreakerMachine,
  circuitStateOf,
  fromBreaker,
} from '../src/index.js';
import { deferred, settle, simulated } from './helpers.js';

type BreakerSnapshot = SnapshotFrom<typeof circuitBreakerMachine>;

describe('the breaker machine as a child actor', () => {
  /** A parent that reports call outcomes to an invoked breaker and mirrors its state. */
  const parentMachine = setup({
    types: {
      context: {} as { breakerState: CircuitState; generation: number },
      events: {} as { type: 'CALL_FAILED'; at: number } | { type: 'CALL_OK'; at: number },
    },
    actors: { breaker: circuitBreakerMachine },
  }).createMachine({
    context: { breakerState: 'closed', generation: 0 },
    invoke: {
      id: 'breaker',
      src: 'breaker',
      input: { failureThreshold: 2, resetTimeout: 1000 },
      onSnapshot: {
        actions: assign(({ event }) => {
          const snapshot = event.snapshot as BreakerSnapshot;
          return {
            breakerState: circuitStateOf(snapshot.value),
            generation: snapshot.context.generation,
          };
        }),
      },
    },
    on: {
      CALL_FAILED: {
        actions: sendTo('breaker', ({ context, event }) => ({
          type: 'FAILURE' as const,
          at: event.at,
          generation: context.generation,
        })),
      },
      CALL_OK: {
        actions: sendTo('breaker', ({ context, event }) => ({
          type: 'SUCCESS' as const,
          at: event.at,
          generation: context.generation,
        })),
      },
    },
  });

  it('a parent invokes it with input, drives it with events, and sees its state and timer', () => {
    const clock = new SimulatedClock();
    const parent = createActor(parentMachine, { clock }).start();
    parent.send({ type: 'CALL_FAILED', at: 0 });
    expect(parent.getSnapshot().context.breakerState).toBe('closed');
    parent.send({ type: 'CALL_FAILED', at: 0 });
    expect(parent.getSnapshot().context.breakerState).toBe('open');
    clock.increment(1000); // the child's `after` timer runs on the parent's system clock
    expect(parent.getSnapshot().context.breakerState).toBe('halfOpen');
    const child = parent.getSnapshot().children.breaker as AnyActorRef;
    child.send({ type: 'REQUEST', at: 1000 });
    parent.send({ type: 'CALL_OK', at: 1001 });
    expect(parent.getSnapshot().context.breakerState).toBe('closed');
  });

  it('can be spawned, and its emitted events observed', () => {
    const parent = createActor(
      setup({ actors: { breaker: circuitBreakerMachine } }).createMachine({
        entry: spawnChild('breaker', {
          id: 'spawned',
          systemId: 'payments-breaker',
          input: { failureThreshold: 1 },
        }),
      }),
    ).start();
    const child = parent.system.get('payments-breaker') as ReturnType<
      typeof createActor<typeof circuitBreakerMachine>
    >;
    const opened = vi.fn();
    child.on('open', opened);
    child.send({ type: 'FAILURE', at: 5, generation: child.getSnapshot().context.generation });
    expect(child.getSnapshot().value).toEqual({
      circuit: { automatic: 'open' },
      store: 'standalone',
    });
    expect(opened).toHaveBeenCalledWith(
      expect.objectContaining({
        type: 'open',
        at: 5,
        reason: 'consecutiveFailures',
        consecutiveFailures: 1,
        forced: false,
      }),
    );
  });
});

describe('fromBreaker', () => {
  const orderMachine = (charge: ReturnType<typeof fromBreaker<string, { amount: number }>>) =>
    setup({
      types: { context: {} as { result: string } },
      actors: { charge },
      guards: {
        circuitOpen: ({ event }) =>
          (event as { error?: unknown }).error instanceof CircuitOpenError,
      },
    }).createMachine({
      context: { result: '' },
      initial: 'charging',
      states: {
        charging: {
          invoke: {
            src: 'charge',
            input: { amount: 42 },
            onDone: { target: 'paid', actions: assign({ result: ({ event }) => event.output }) },
            onError: [
              { guard: 'circuitOpen', target: 'payLater' },
              { target: 'failed', actions: assign({ result: ({ event }) => String(event.error) }) },
            ],
          },
          on: { CANCEL: 'cancelled' },
        },
        paid: { type: 'final' },
        payLater: { type: 'final' },
        failed: { type: 'final' },
        cancelled: { type: 'final' },
      },
    });

  async function runOrder(machine: ReturnType<typeof orderMachine>) {
    const actor = createActor(machine).start();
    await settle();
    return actor.getSnapshot();
  }

  it('passes input through and reports success to the breaker', async () => {
    const { breaker } = simulated();
    const pay = vi.fn(async ({ input }: { input: { amount: number } }) => `paid ${input.amount}`);
    const snapshot = await runOrder(orderMachine(fromBreaker(breaker, fromPromise(pay))));
    expect(snapshot.value).toBe('paid');
    expect(snapshot.context.result).toBe('paid 42');
    expect(breaker.getStats().totalSuccesses).toBe(1);
  });

  it("a failure reaches onError as the logic's own error and counts for the breaker", async () => {
    const { breaker } = simulated({ failureThreshold: 2 });
    const machine = orderMachine(
      fromBreaker(
        breaker,
        fromPromise<string, { amount: number }>(async () => {
          throw new Error('card declined');
        }),
      ),
    );
    expect((await runOrder(machine)).context.result).toBe('Error: card declined');
    expect((await runOrder(machine)).value).toBe('failed');
    expect(breaker.state).toBe('open');
  });

  it('an open circuit fails the invocation with CircuitOpenError, handled in onError', async () => {
    const { breaker } = simulated();
    breaker.forceOpen();
    const pay = vi.fn(async () => 'paid');
    const snapshot = await runOrder(orderMachine(fromBreaker(breaker, fromPromise(pay))));
    expect(snapshot.value).toBe('payLater');
    expect(pay).not.toHaveBeenCalled();
    expect(breaker.getStats().totalRejections).toBe(1);
  });

  it('one breaker guards many invocations', async () => {
    const { breaker } = simulated({ failureThreshold: 3 });
    const charge = fromBreaker(
      breaker,
      fromPromise<string, { amount: number }>(() => Promise.reject(new Error('down'))),
    );
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push((await runOrder(orderMachine(charge))).value);
    expect(outcomes).toEqual(['failed', 'failed', 'failed', 'payLater', 'payLater']);
  });

  it('stopping the invoked actor aborts the signal the logic received', async () => {
    const { breaker } = simulated();
    const gate = deferred<string>();
    let received: AbortSignal | undefined;
    const machine = orderMachine(
      fromBreaker(
        breaker,
        fromPromise<string, { amount: number }>(({ signal }) => {
          received = signal;
          return gate.promise;
        }),
      ),
    );
    const actor = createActor(machine).start();
    expect(received?.aborted).toBe(false);
    actor.send({ type: 'CANCEL' });
    expect(actor.getSnapshot().value).toBe('cancelled');
    expect(received?.aborted).toBe(true);
    gate.resolve('too late');
    await settle();
    expect(actor.getSnapshot().value).toBe('cancelled');
    // A cancelled call counts neither as a success nor as a failure.
    expect(breaker.getStats()).toMatchObject({ totalSuccesses: 0, totalFailures: 0 });
  });

  it('rejects logic that is not a promise logic', () => {
    const { breaker } = simulated();
    // @ts-expect-error: runtime guard
    expect(() => fromBreaker(breaker, async () => 1)).toThrow(/logic must be made by fromPromise/);
  });
});
