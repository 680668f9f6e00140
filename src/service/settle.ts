/**
 * Recording the outcome of an admitted call on the plain path (no per-call policies). A promise
 * from `fn` gets one pair of settle handlers, made once per generation, and goes back to the
 * caller as it is, so the caller awaits exactly what a bare call would. Nothing here is
 * `async`: an async wrapper costs a second promise and a second microtask hop per call.
 */
import type { BreakerController } from './controller.js';

export class CallSettler {
  readonly #controller: BreakerController;
  /** The generation whose handlers `#onOk`/`#onError` are (-1: none yet). */
  #generation = -1;
  #onOk: (() => void) | undefined;
  #onError: ((error: unknown) => void) | undefined;

  constructor(controller: BreakerController) {
    this.#controller = controller;
  }

  /**
   * Records the outcome of a call admitted in `generation`. Our handlers are attached first, so
   * the outcome is recorded before the caller's continuation runs. Other thenables are adopted
   * into a promise first; a plain value is a success at once.
   */
  track<R>(generation: number, result: R | PromiseLike<R>): Promise<R> {
    let promise: Promise<R>;
    if (result instanceof Promise) {
      promise = result;
    } else if (isThenable(result)) {
      promise = Promise.resolve(result);
    } else {
      try {
        this.#controller.succeed(generation);
      } catch (internal) {
        return Promise.reject(internal);
      }
      return Promise.resolve(result);
    }
    if (this.#generation !== generation) this.#makeHandlers(generation);
    promise.then(this.#onOk, this.#onError);
    return promise;
  }

  /** `fn` threw synchronously: a failure, rethrown as the call's rejection. */
  thrown(generation: number, error: unknown): Promise<never> {
    try {
      this.#controller.fail(generation, error);
    } catch (internal) {
      return Promise.reject(internal);
    }
    return Promise.reject(error);
  }

  /**
   * A closed circuit keeps its generation for as long as it stays closed, so the hot path
   * allocates no closure per call. The handlers never throw: nobody observes the promise `then`
   * derives from them, so a rejection of it would be an unhandled rejection.
   */
  #makeHandlers(generation: number): void {
    const controller = this.#controller;
    this.#generation = generation;
    this.#onOk = () => {
      try {
        controller.succeed(generation);
      } catch (internal) {
        reportLater(internal);
      }
    };
    this.#onError = (error: unknown) => {
      try {
        controller.fail(generation, error);
      } catch (internal) {
        reportLater(internal);
      }
    };
  }
}

const settledPromise = Promise.resolve();

/**
 * A promise that rejects with `error` one microtask from now, for the open circuit's turned-away
 * calls. A promise rejected before anyone handles it (`Promise.reject`) makes Node track it as
 * possibly unhandled and untrack it when the caller's `await` or `catch` arrives, which costs
 * more than the extra microtask (about 0.9 µs per rejection on the bench machine). The caller
 * attaches its handler synchronously, before this rejection happens; a rejection nobody handles
 * is still reported as unhandled.
 */
export function rejectSoon(error: unknown): Promise<never> {
  return new Promise<never>((_, reject) => {
    settledPromise.then(() => reject(error));
  });
}

/** True for a non-promise object or function with a `then` method. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Rethrows an error of the breaker's own bookkeeping (a throwing clock, say) outside the call
 * it happened in, as XState does with errors it cannot hand to anyone.
 */
function reportLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}
