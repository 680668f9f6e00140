import type { BreakerClock } from './clock.js';
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
  invoke: (signal: () => AbortSignal) => R | PromiseLike<R>,
  callerSignal: AbortSignal | undefined,
  args: readonly unknown[],
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const answer = (error: unknown) => {
      const { fallback } = policy;
      if (fallback === undefined) return reject(error);
      hooks.fellBack();
      try {
        resolve((fallback as (e: unknown, ...a: unknown[]) => unknown)(error, ...args) as R);
      } catch (fallbackError) {
        reject(fallbackError);
      }
    };
    if (callerSignal?.aborted) return reject(callerSignal.reason);
    const admitted = hooks.admit();
    if (admitted === TURNED_AWAY) return answer(hooks.openError());
    if (typeof admitted === 'number') return run(admitted);
    admitted.ready.then((generation) => {
      if (generation === TURNED_AWAY) answer(hooks.openError());
      else if (callerSignal?.aborted) {
        hooks.cancel(generation);
        reject(callerSignal.reason);
      } else run(generation);
    }, reject);

    function run(generation: number): void {
      const { clock } = hooks;
      const started = policy.slowCallDuration === null ? 0 : clock.now();
      const isSlow = () =>
        policy.slowCallDuration !== null && clock.now() - started >= policy.slowCallDuration;
      // Only a timeout needs a signal of our own, and only once `fn` asks for it (`call` and
      // `wrap` never do): the caller's alone is handed on as it is.
      let controller: AbortController | undefined;
      let abortedWith: { reason: unknown } | undefined;
      const abort = (reason: unknown) => {
        abortedWith = { reason };
        controller?.abort(reason);
      };
      const signal = (): AbortSignal => {
        if (policy.callTimeout === null) return callerSignal ?? signalThatNeverAborts();
        if (controller === undefined) {
          controller = new AbortController();
          if (abortedWith !== undefined) controller.abort(abortedWith.reason);
        }
        return controller.signal;
      };
      let settled = false;
      let timer: unknown;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        if (timer !== undefined) clock.clearTimeout(timer);
        callerSignal?.removeEventListener('abort', onCallerAbort);
        return true;
      };
      function onCallerAbort() {
        if (!finish()) return;
        const reason = callerSignal?.reason;
        hooks.cancel(generation);
        abort(reason);
        reject(reason);
      }
      callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
      if (policy.callTimeout !== null) {
        const timeout = policy.callTimeout;
        timer = clock.setTimeout(() => {
          timer = undefined;
          if (!finish()) return;
          const error = new CircuitTimeoutError(hooks.name, timeout, hooks.errorStacks);
          hooks.fail(generation, error, policy.slowCallDuration !== null, true);
          abort(error);
          answer(error);
        }, timeout);
      }

      /** Runs a user classifier; one that throws makes the call a failure with its error. */
      const judge = <V>(classify: () => V, slow: boolean): { verdict: V } | undefined => {
        try {
          return { verdict: classify() };
        } catch (classifierError) {
          hooks.fail(generation, classifierError, slow, false);
          reject(classifierError);
          return undefined;
        }
      };
      const onValue = (value: R) => {
        if (!finish()) return;
        const slow = isSlow();
        const judged = judge(() => policy.isResultFailure?.(value) === true, slow);
        if (judged === undefined) return;
        if (judged.verdict) hooks.fail(generation, value, slow, false);
        else hooks.succeed(generation, slow);
        resolve(value);
      };
      const onError = (error: unknown) => {
        if (!finish()) return;
        const slow = isSlow();
        const judged = judge(() => classifyError(policy, error), slow);
        if (judged === undefined) return;
        if (judged.verdict === 'ignored') {
          hooks.ignore(generation);
          return reject(error);
        }
        if (judged.verdict === 'success') {
          hooks.succeed(generation, slow);
          return reject(error);
        }
        hooks.fail(generation, error, slow, false);
        answer(error);
      };
      try {
        Promise.resolve(invoke(signal)).then(onValue, onError);
      } catch (error) {
        onError(error);
      }
    }
  });
}
