/**
 * `execute(fn, { signal })` with no per-call policy: the caller's signal is handed to `fn` as it
 * is, and its abort rejects the call at once with the signal's reason (counted neither way, a
 * probe slot given back). The call's state is one object that is also the abort listener, so
 * the cost over a bare call is about the listener added and removed.
 */
import type { BreakerController } from './controller.js';
import { isThenable } from './settle.js';

export function runSignalled<R>(
  core: BreakerController,
  generation: number,
  fn: (context: { signal: AbortSignal }) => R | PromiseLike<R>,
  signal: AbortSignal,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const call = new SignalledCall<R>(core, generation, signal, resolve, reject);
    signal.addEventListener('abort', call);
    let result: R | PromiseLike<R>;
    try {
      result = fn({ signal });
    } catch (error) {
      call.failed(error);
      return;
    }
    if (result instanceof Promise || isThenable(result)) {
      Promise.resolve(result).then(
        (value) => call.succeeded(value),
        (error: unknown) => call.failed(error),
      );
    } else {
      call.succeeded(result);
    }
  });
}

class SignalledCall<R> implements EventListenerObject {
  #settled = false;
  readonly #core: BreakerController;
  readonly #generation: number;
  readonly #signal: AbortSignal;
  readonly #resolve: (value: R) => void;
  readonly #reject: (error: unknown) => void;

  constructor(
    core: BreakerController,
    generation: number,
    signal: AbortSignal,
    resolve: (value: R) => void,
    reject: (error: unknown) => void,
  ) {
    this.#core = core;
    this.#generation = generation;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** The caller's signal aborted first: give back what the call holds, count nothing. */
  handleEvent(): void {
    if (!this.#finish()) return;
    try {
      this.#core.cancel(this.#generation);
    } finally {
      this.#reject(this.#signal.reason);
    }
  }

  succeeded(value: R): void {
    if (!this.#finish()) return;
    try {
      this.#core.succeed(this.#generation);
    } catch (internal) {
      this.#reject(internal); // the breaker's own bookkeeping failed (a throwing clock)
      return;
    }
    this.#resolve(value);
  }

  failed(error: unknown): void {
    if (!this.#finish()) return;
    try {
      this.#core.fail(this.#generation, error);
    } catch (internal) {
      this.#reject(internal);
      return;
    }
    this.#reject(error);
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#signal.removeEventListener('abort', this);
    return true;
  }
}
