import type { BreakerClock } from './clock.js';
import type { DeadlineQueue, Expiring } from './deadlines.js';
import { CircuitTimeoutError } from './errors.js';

/** What admission answers when the circuit turns a call away. */
export const TURNED_AWAY: unique symbol = Symbol('turned away');

/**
 * What a guarded call needs from its breaker. `admit` returns the generation the call starts in
 * or {@link TURNED_AWAY}; the settle hooks record the outcome.
 */
export interface GuardedCallHooks {
  readonly name: string;
  readonly clock: BreakerClock;
  /** Whether the breaker's own errors capture a stack trace (`errorStacks`). */
  readonly errorStacks: boolean;
  /** With a shared store, a half-open probe first waits for its lease (`ready`). */
  admit(): number | typeof TURNED_AWAY | { ready: Promise<number | typeof TURNED_AWAY> };
  openError(): Error;
  succeed(generation: number, slow: boolean): void;
  fail(generation: number, error: unknown, slow: boolean, timeout: boolean): void;
  /** The call failed with an ignored error: release what it held, count it as ignored. */
  ignore(generation: number): void;
  /** The caller gave up: release what the call held, count nothing. */
  cancel(generation: number): void;
  /** A fallback answered instead of a rejection or a failure. */
  fellBack(): void;
  /** The breaker's call timeouts (one timer for all its calls). */
  readonly deadlines: DeadlineQueue;
}

/** Where a guarded call's `fn` gets its signal: made on first request, if at all. */
export interface SignalSource {
  signal(): AbortSignal;
}

/** How an error counts: `isIgnored` is asked first, then `isFailure`. */
export type ErrorVerdict = 'failure' | 'success' | 'ignored';

/**
 * Classifies an error by the user's `isIgnored` and `isFailure`. A classifier that throws
 * makes the call a failure with the classifier's error (thrown from here).
 */
export function classifyError(
  policy: Pick<GuardedCallPolicy, 'isIgnored' | 'isFailure'>,
  error: unknown,
): ErrorVerdict {
  if (policy.isIgnored?.(error) === true) return 'ignored';
  if (policy.isFailure?.(error) === false) return 'success';
  return 'failure';
}

/** The per-call policies; everything null/undefined is off. */
export interface GuardedCallPolicy {
  callTimeout: number | null;
  slowCallDuration: number | null;
  isFailure: ((error: unknown) => boolean) | undefined;
  isIgnored: ((error: unknown) => boolean) | undefined;
  isResultFailure: ((result: unknown) => boolean) | undefined;
  fallback: ((error: unknown, ...args: never[]) => unknown) | undefined;
}

let neverAborted: AbortSignal | undefined;

/** A signal that never aborts, shared by every call that has no signal of its own. */
export function signalThatNeverAborts(): AbortSignal {
  neverAborted ??= new AbortController().signal;
  return neverAborted;
}

/**
 * Runs one call under the per-call policies: call timeout, the caller's signal, slow-call
 * timing, error and result classification, and fallback. The breaker's plain path skips all of
 * this when none is configured.
 *
 * - A call still running at `callTimeout` rejects with {@link CircuitTimeoutError}, counts as a
 *   failure, and the signal handed to `invoke` aborts.
 * - The caller's signal aborting rejects with its reason and counts neither way (a probe slot
 *   is released).
 * - An error `isIgnored` accepts passes through unchanged and counts neither way (a probe slot
 *   is released); an error `isFailure` rejects passes through unchanged and counts as a success;
 *   a result `isResultFailure` accepts is returned but counts as a failure.
 * - `fallback(error, ...args)` answers instead of a rejection by the circuit or a counted
 *   failure; `args` are the call's own arguments.
 */
export function runGuardedCall<R>(
  hooks: GuardedCallHooks,
  policy: GuardedCallPolicy,
  invoke: (signal: SignalSource) => R | PromiseLike<R>,
  callerSignal: AbortSignal | undefined,
  args: readonly unknown[],
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    if (callerSignal?.aborted) return reject(callerSignal.reason);
    const call = new GuardedCall<R>(hooks, policy, callerSignal, args, resolve, reject);
    const admitted = hooks.admit();
    if (admitted === TURNED_AWAY) return call.answer(hooks.openError());
    if (typeof admitted === 'number') return call.start(admitted, invoke);
    // With a shared store, a half-open probe waits for its cluster-wide lease.
    admitted.ready.then((generation) => {
      if (generation === TURNED_AWAY) call.answer(hooks.openError());
      else if (callerSignal?.aborted) {
        hooks.cancel(generation);
        reject(callerSignal.reason);
      } else call.start(generation, invoke);
    }, reject);
  });
}

/**
 * One call's state, as fields of one object (a closure per step would be an allocation per
 * call). It is the caller's abort listener (`handleEvent`) and the deadline queue's entry.
 */
class GuardedCall<R> implements Expiring, SignalSource, EventListenerObject {
  settled = false;
  #generation = 0;
  #started = 0;
  /** Made only when `fn` asks for a signal under a timeout. */
  #controller: AbortController | undefined;
  #abortedWith: { reason: unknown } | undefined;
  readonly #hooks: GuardedCallHooks;
  readonly #policy: GuardedCallPolicy;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #args: readonly unknown[];
  readonly #resolve: (value: R) => void;
  readonly #reject: (error: unknown) => void;

  constructor(
    hooks: GuardedCallHooks,
    policy: GuardedCallPolicy,
    callerSignal: AbortSignal | undefined,
    args: readonly unknown[],
    resolve: (value: R) => void,
    reject: (error: unknown) => void,
  ) {
    this.#hooks = hooks;
    this.#policy = policy;
    this.#callerSignal = callerSignal;
    this.#args = args;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(generation: number, invoke: (signal: SignalSource) => R | PromiseLike<R>): void {
    this.#generation = generation;
    const { clock } = this.#hooks;
    const { callTimeout, slowCallDuration } = this.#policy;
    if (callTimeout !== null) {
      const now = clock.now();
      this.#started = now;
      this.#hooks.deadlines.add(this, now, callTimeout);
    } else if (slowCallDuration !== null) {
      this.#started = clock.now();
    }
    this.#callerSignal?.addEventListener('abort', this);
    let result: R | PromiseLike<R>;
    try {
      result = invoke(this);
    } catch (error) {
      this.#onError(error);
      return;
    }
    const promise = result instanceof Promise ? result : Promise.resolve(result);
    promise.then(
      (value: R) => this.#onValue(value),
      (error: unknown) => this.#onError(error),
    );
  }

  /** The signal `fn` sees: the caller's as it is, or without a timeout, one of our own. */
  signal(): AbortSignal {
    if (this.#policy.callTimeout === null) return this.#callerSignal ?? signalThatNeverAborts();
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortedWith !== undefined) this.#controller.abort(this.#abortedWith.reason);
    }
    return this.#controller.signal;
  }

  /** A rejection, or the fallback's answer instead. */
  answer(error: unknown): void {
    const { fallback } = this.#policy;
    if (fallback === undefined) {
      this.#reject(error);
      return;
    }
    this.#hooks.fellBack();
    try {
      this.#resolve(
        (fallback as (e: unknown, ...a: unknown[]) => unknown)(error, ...this.#args) as R,
      );
    } catch (fallbackError) {
      this.#reject(fallbackError);
    }
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    if (!this.#finish()) return;
    const reason = this.#callerSignal?.reason;
    this.#hooks.cancel(this.#generation);
    this.#abort(reason);
    this.#reject(reason);
  }

  /** The call timeout passed. */
  expire(): void {
    if (!this.#finish()) return;
    const { name, errorStacks } = this.#hooks;
    const timeout = this.#policy.callTimeout ?? 0;
    const error = new CircuitTimeoutError(name, timeout, errorStacks);
    this.#hooks.fail(this.#generation, error, this.#policy.slowCallDuration !== null, true);
    this.#abort(error);
    this.answer(error);
  }

  #abort(reason: unknown): void {
    this.#abortedWith = { reason };
    this.#controller?.abort(reason);
  }

  #finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.#callerSignal?.removeEventListener('abort', this);
    return true;
  }

  #isSlow(): boolean {
    const { slowCallDuration } = this.#policy;
    return slowCallDuration !== null && this.#hooks.clock.now() - this.#started >= slowCallDuration;
  }

  #onValue(value: R): void {
    if (!this.#finish()) return;
    const slow = this.#isSlow();
    const { isResultFailure } = this.#policy;
    let failed = false;
    if (isResultFailure !== undefined) {
      try {
        failed = isResultFailure(value) === true;
      } catch (classifierError) {
        this.#classifierFailed(classifierError, slow);
        return;
      }
    }
    if (failed) this.#hooks.fail(this.#generation, value, slow, false);
    else this.#hooks.succeed(this.#generation, slow);
    this.#resolve(value);
  }

  #onError(error: unknown): void {
    if (!this.#finish()) return;
    const slow = this.#isSlow();
    let verdict: ErrorVerdict;
    try {
      verdict = classifyError(this.#policy, error);
    } catch (classifierError) {
      this.#classifierFailed(classifierError, slow);
      return;
    }
    if (verdict === 'ignored') {
      this.#hooks.ignore(this.#generation);
      this.#reject(error);
      return;
    }
    if (verdict === 'success') {
      this.#hooks.succeed(this.#generation, slow);
      this.#reject(error);
      return;
    }
    this.#hooks.fail(this.#generation, error, slow, false);
    this.answer(error);
  }

  /** A user classifier threw: the call is a failure with the classifier's error. */
  #classifierFailed(classifierError: unknown, slow: boolean): void {
    this.#hooks.fail(this.#generation, classifierError, slow, false);
    this.#reject(classifierError);
  }
}
