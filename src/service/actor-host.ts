/**
 * Building the breaker's actor: the machine (with the service's backoff, when `resetTimeout`
 * is a function), the clock it schedules its timers on, and the snapshot it starts from.
 */
import { type Actor, assign, createActor, type InspectionEvent, type Observer } from 'xstate';
import { initialContextFor } from '../machine/context.js';
import { circuitBreakerMachine } from '../machine/machine.js';
import {
  type CircuitBreakerConfig,
  DEFAULT_BREAKER_CONFIG,
  describeValue,
  isTimerDelay,
} from '../machine/options.js';
import type { ResetTimeoutFunction } from './backoff.js';
import type { BreakerClock } from './clock.js';
import type { BreakerLogger } from './logger.js';
import type { PersistedBreakerState } from './snapshot.js';

/**
 * The running breaker actor.
 *
 * @example
 * ```ts
 * const actor: CircuitBreakerActor = breaker.actor;
 * actor.subscribe((snapshot) => console.log(snapshot.value));
 * ```
 */
export type CircuitBreakerActor = Actor<typeof circuitBreakerMachine>;

/** What the actor is built from. */
export interface ActorPlan {
  config: CircuitBreakerConfig;
  clock: BreakerClock;
  backoff: ResetTimeoutFunction | undefined;
  logger: BreakerLogger | undefined;
  inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  /** A restored state, or undefined for a fresh breaker. */
  restored: Pick<PersistedBreakerState, 'value' | 'context'> | undefined;
  /** Runs a timer's callback: the breaker folds its counts in and marks itself busy around it. */
  runTimer(callback: () => void): void;
}

/**
 * The machine with `planRetry` asking the `resetTimeout` function. Its answer is checked: one
 * outside 0 … 2^31-1 is replaced by the default and reported through the logger.
 */
function withBackoff(
  backoff: ResetTimeoutFunction,
  name: string,
  logger: BreakerLogger | undefined,
): typeof circuitBreakerMachine {
  return circuitBreakerMachine.provide({
    actions: {
      planRetry: assign({
        openTimeout: ({ context, event }) => {
          const lastError = event.type === 'FAILURE' ? event.error : undefined;
          let answer: unknown;
          let problem: string;
          try {
            answer = backoff({ attempt: context.openAttempts, lastError });
            problem = `resetTimeout returned ${describeValue(answer)}`;
          } catch (error) {
            // A throwing backoff must not stop the machine: report it and use the default.
            problem = `resetTimeout threw ${String(error)}`;
          }
          if (isTimerDelay(answer)) return answer;
          logger?.warn(
            `circuit_breaker_bad_reset_timeout name=${name} ${problem}, using ${DEFAULT_BREAKER_CONFIG.resetTimeout}`,
          );
          return DEFAULT_BREAKER_CONFIG.resetTimeout;
        },
      }),
    },
  });
}

/**
 * Creates (not starts) the breaker's actor, with its name as `id` and `systemId` so that any
 * inspector tells breakers apart. A fresh breaker starts from the machine's initial state with
 * the context made from the already validated `config`.
 */
export function createBreakerActor(plan: ActorPlan): CircuitBreakerActor {
  const { config, clock } = plan;
  const machine = plan.backoff
    ? withBackoff(plan.backoff, config.name, plan.logger)
    : circuitBreakerMachine;
  const start = plan.restored ?? {
    value: { circuit: { automatic: 'closed' as const }, store: 'standalone' as const },
    context: initialContextFor(config),
  };
  return createActor(machine, {
    id: config.name,
    systemId: config.name,
    // The context comes with the snapshot, made from the validated config: no input to resolve.
    input: undefined,
    snapshot: machine.resolveState(start),
    ...(plan.inspect === undefined ? {} : { inspect: plan.inspect }),
    clock: {
      setTimeout: (callback: () => void, ms: number) =>
        clock.setTimeout(() => plan.runTimer(callback), ms),
      clearTimeout: (handle: unknown) => clock.clearTimeout(handle),
    },
  });
}
