/** What every group of cases shares: the library under test, the functions called, the breakers. */
import {
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  CountBreaker,
  circuitBreaker,
  handleAll,
  SamplingBreaker,
} from 'cockatiel';
import OpossumBreaker from 'opossum';
import type { CircuitBreaker, CircuitBreakerStats } from '../src/index.js';
import type { Lib, ReferenceLib } from './library.js';
import type { ReferenceBreaker, ReferenceOptions } from './reference-breaker.js';

let current: Lib | undefined;
let currentReference: ReferenceLib | undefined;

/** Sets the library under test and the reference breaker (both built, see `library.ts`). */
export function useLibrary(library: Lib, referenceLibrary: ReferenceLib): void {
  current = library;
  currentReference = referenceLibrary;
}

/** The hand-written reference breaker's module. */
export function referenceLib(): ReferenceLib {
  if (currentReference === undefined) throw new Error('bench: useLibrary() first');
  return currentReference;
}

/** The library under test. */
export function lib(): Lib {
  if (current === undefined) throw new Error('bench: useLibrary() first');
  return current;
}

export const VALUE = { ok: true };
/** Preallocated, so no case pays for building an Error of its own function. */
export const ERROR = new Error('boom');
export const HUGE = Number.MAX_SAFE_INTEGER;
export const LONG = 2 ** 31 - 1;

export const ok = async () => VALUE;
export const fail = async () => {
  throw ERROR;
};
export const noop = () => {};

/** Anything a batch computes goes here, so no loop can be optimised away. */
export const sink = { value: 0 };

export function ours(
  options: ConstructorParameters<Lib['CircuitBreaker']>[0] = {},
): CircuitBreaker {
  return new (lib().CircuitBreaker)({ name: 'bench', ...options });
}

/** Ours, opened by one failure, with a reset timeout that will not pass during the run. */
export async function oursOpen(): Promise<CircuitBreaker> {
  const breaker = ours({ failureThreshold: 1, resetTimeout: LONG });
  await breaker.call(fail).catch(noop);
  if (breaker.state !== 'open') throw new Error('bench setup: ours did not open');
  return breaker;
}

export function reference(options: ReferenceOptions = {}): ReferenceBreaker {
  return new (referenceLib().ReferenceBreaker)({ name: 'bench', ...options });
}

/** The hand-written breaker, opened by one failure. */
export async function referenceOpen(): Promise<ReferenceBreaker> {
  const breaker = reference({ failureThreshold: 1, resetTimeout: LONG });
  await breaker.call(fail).catch(noop);
  if (breaker.state !== 'open') throw new Error('bench setup: hand-written did not open');
  return breaker;
}

export function opossum(
  action: (...args: never[]) => Promise<unknown>,
  options: OpossumBreaker.Options = {},
): OpossumBreaker {
  return new OpossumBreaker(action, { timeout: false, ...options });
}

export function cockatiel(threshold: number): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, {
    halfOpenAfter: LONG,
    breaker: new ConsecutiveBreaker(threshold),
  });
}

export const COUNT_WINDOW = {
  slidingWindow: { type: 'count', size: 100 },
  failureRateThreshold: 0.5,
} as const;

export const TIME_WINDOW = {
  slidingWindow: { type: 'time', duration: 60_000, buckets: 6 },
  failureRateThreshold: 0.5,
} as const;

export function cockatielCount(): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, {
    halfOpenAfter: LONG,
    breaker: new CountBreaker({ threshold: 0.5, size: 100 }),
  });
}

export function cockatielSampling(): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, {
    halfOpenAfter: LONG,
    breaker: new SamplingBreaker({ threshold: 0.5, duration: 60_000 }),
  });
}

/**
 * A `verify` for one of our breakers: after `ops` operations it must be in `state`, with
 * `counter` equal to `ops` and the other `fixed` counters as given.
 */
export function counted(
  breaker: CircuitBreaker,
  state: CircuitBreaker['state'],
  fixed: Partial<CircuitBreakerStats>,
  counter: keyof CircuitBreakerStats,
): (ops: number) => void {
  return (ops) => {
    const stats = breaker.getStats();
    const expected = { ...fixed, [counter]: ops };
    for (const [key, value] of Object.entries(expected)) {
      const actual = stats[key as keyof CircuitBreakerStats];
      if (actual !== value) {
        throw new Error(`bench verify: ${String(breaker)} ${key}=${actual}, expected ${value}`);
      }
    }
    if (breaker.state !== state)
      throw new Error(`bench verify: ${String(breaker)}, expected ${state}`);
  };
}

/** A `verify` for a windowed mix: still closed, and every call counted once. */
export function countedMix(breaker: CircuitBreaker): (ops: number) => void {
  return (ops) => {
    const stats = breaker.getStats();
    if (breaker.state !== 'closed' || stats.totalSuccesses + stats.totalFailures !== ops) {
      throw new Error(`bench verify: ${String(breaker)} ${JSON.stringify(stats)} after ${ops}`);
    }
  };
}

/** The same check for the hand-written breaker, so its column does the same work. */
export function referenceCounted(
  breaker: ReferenceBreaker,
  state: ReferenceBreaker['state'],
  counter: 'totalSuccesses' | 'totalFailures' | 'totalRejections' | 'calls',
): (ops: number) => void {
  return (ops) => {
    const actual =
      counter === 'calls' ? breaker.totalSuccesses + breaker.totalFailures : breaker[counter];
    if (actual !== ops || breaker.state !== state) {
      throw new Error(
        `bench verify: hand-written ${breaker.state} ${counter}=${actual}, expected ${ops} (${state})`,
      );
    }
  };
}
