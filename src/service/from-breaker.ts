import { type EventObject, fromPromise, type PromiseActorLogic } from 'xstate';
import { describeValue } from '../validate.js';
import type { CircuitBreaker } from './circuit-breaker.js';

/** The function `fromPromise` is built from: what a promise actor runs on each invocation. */
type PromiseCreator<TOutput, TInput, TEmitted extends EventObject> = Parameters<
  typeof fromPromise<TOutput, TInput, TEmitted>
>[0];

/**
 * Guards a promise actor with a breaker: every invocation of the returned logic runs the
 * original one through `breaker.execute`, so an open circuit makes the invoked actor fail with
 * `CircuitOpenError` (handle it in `onError`), and stopping the actor aborts the signal the
 * original logic received. One breaker can guard any number of invocations and logics.
 *
 * @example
 * ```ts
 * const charge = fromBreaker(paymentsBreaker, fromPromise(({ input, signal }) => pay(input, signal)));
 * const order = setup({ actors: { charge } }).createMachine({
 *   initial: 'charging',
 *   states: {
 *     charging: {
 *       invoke: {
 *         src: 'charge',
 *         onDone: 'paid',
 *         onError: [
 *           { guard: ({ event }) => event.error instanceof CircuitOpenError, target: 'payLater' },
 *           { target: 'failed' },
 *         ],
 *       },
 *     },
 *     paid: {}, payLater: {}, failed: {},
 *   },
 * });
 * ```
 */
export function fromBreaker<TOutput, TInput, TEmitted extends EventObject = EventObject>(
  breaker: CircuitBreaker,
  logic: PromiseActorLogic<TOutput, TInput, TEmitted>,
): PromiseActorLogic<TOutput, TInput, TEmitted> {
  const run = logic?.config as PromiseCreator<TOutput, TInput, TEmitted> | undefined;
  if (typeof run !== 'function') {
    throw new TypeError(`logic must be made by fromPromise(), got ${describeValue(logic)}`);
  }
  return fromPromise<TOutput, TInput, TEmitted>((params) =>
    breaker.execute(() => run(params), { signal: params.signal }),
  );
}
