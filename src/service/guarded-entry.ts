/**
 * How `call`, `wrap` and `execute` enter the guarded path (per-call policies, a caller's signal,
 * a fallback). Kept apart from the entry points on purpose: a closure built in an entry point
 * would capture its parameters, and V8 then allocates a context for them on every call, the
 * plain path included.
 */
import { describeValue } from '../validate.js';
import type { BreakerController } from './controller.js';
import { DeadlineQueue } from './deadlines.js';
import {
  type GuardedCallHooks,
  type GuardedCallPolicy,
  runGuardedCall,
  type SignalSource,
} from './guarded-call.js';
import { type ExecuteContext, NO_POLICY } from './options.js';

type Fallback = GuardedCallPolicy['fallback'];

/** `fn.apply(thisArg, args)` under the policies (`call` and `wrap`). */
export function applyGuarded<T, A extends unknown[], R>(
  hooks: GuardedCallHooks,
  policy: GuardedCallPolicy | null,
  fn: (this: T, ...args: A) => R | PromiseLike<R>,
  thisArg: T,
  args: A,
  fallback: Fallback,
): Promise<R> {
  return guarded(hooks, policy, fn, () => fn.apply(thisArg, args), undefined, fallback, args);
}

/** `fn({ signal })` under the policies (`execute`). */
export function executeGuarded<R>(
  hooks: GuardedCallHooks,
  policy: GuardedCallPolicy | null,
  fn: (context: ExecuteContext) => R | PromiseLike<R>,
  signal: AbortSignal | undefined,
  fallback: Fallback,
): Promise<R> {
  return guarded(
    hooks,
    policy,
    fn,
    (callSignal) => fn(new LazyExecuteContext(callSignal)),
    signal,
    fallback,
    [],
  );
}

function guarded<R>(
  hooks: GuardedCallHooks,
  policy: GuardedCallPolicy | null,
  fn: unknown,
  invoke: (signal: SignalSource) => R | PromiseLike<R>,
  signal: AbortSignal | undefined,
  fallback: Fallback,
  args: readonly unknown[],
): Promise<R> {
  if (typeof fn !== 'function') {
    return Promise.reject(new TypeError(`fn must be a function, got ${describeValue(fn)}`));
  }
  const base = policy ?? NO_POLICY;
  return runGuardedCall(
    hooks,
    fallback === undefined ? base : { ...base, fallback },
    invoke,
    signal,
    args,
  );
}

/**
 * What `execute` hands its `fn` under per-call policies: the signal is made when `fn` first
 * reads it, so a call that never does costs no `AbortController`.
 */
class LazyExecuteContext implements ExecuteContext {
  readonly #source: SignalSource;

  constructor(source: SignalSource) {
    this.#source = source;
  }

  get signal(): AbortSignal {
    return this.#source.signal();
  }
}

/**
 * Validates `execute`'s options: the caller's signal (an AbortSignal, or nothing) and the
 * fallback (a function, or nothing).
 */
export function checkExecuteOptions(options: { signal?: unknown; fallback?: unknown }): void {
  const { signal, fallback } = options ?? {};
  if (
    signal !== undefined &&
    (typeof signal !== 'object' ||
      signal === null ||
      typeof (signal as AbortSignal).aborted !== 'boolean')
  ) {
    throw new TypeError(`signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  if (fallback !== undefined && typeof fallback !== 'function') {
    throw new TypeError(`fallback must be a function, got ${describeValue(fallback)}`);
  }
}

/** What guarded calls need from the breaker, as hooks into its controller. */
export function guardHooksOf(core: BreakerController): GuardedCallHooks {
  return {
    name: core.name,
    clock: core.clock,
    errorStacks: core.errorStacks,
    admit: () => {
      core.assertLive();
      return core.admit();
    },
    openError: () => core.openError(),
    succeed: (generation, slow) => core.succeed(generation, slow),
    fail: (generation, error, slow, timeout) => core.fail(generation, error, slow, timeout),
    ignore: (generation) => core.ignore(generation),
    cancel: (generation) => core.cancel(generation),
    fellBack: () => core.fellBack(),
    deadlines: new DeadlineQueue(core.clock),
  };
}
