/**
 * The hand-written reference breaker of the bench's `floor` column: the same observable job as
 * ours in each row (consecutive failures, a count or time window with a failure-rate check, an
 * open state read against the clock, one timer per call for a call timeout, per-call success
 * listeners, counters), written the plain way with no statechart. It is what a breaker costs
 * when nothing is paid for that nobody observes, so the distance from it is our overhead.
 *
 * Not a library: no validation, no half-open probe limit beyond one, no logging.
 */

export type ReferenceWindow =
  | { type: 'count'; size: number }
  | { type: 'time'; duration: number; buckets: number };

export interface ReferenceOptions {
  name?: string;
  /** Failures in a row that open the circuit. */
  failureThreshold?: number;
  resetTimeout?: number;
  window?: ReferenceWindow;
  /** Share of failed calls in `window` that opens the circuit. */
  failureRateThreshold?: number;
  minimumThroughput?: number;
  /** Milliseconds before a call counts as failed; one timer per call. */
  callTimeout?: number;
}

export interface ReferenceSuccessEvent {
  type: 'success';
  at: number;
  late: boolean;
}

/** A rejection error without a stack: capturing frames is what makes errors expensive. */
export class ReferenceOpenError extends Error {
  constructor(name: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`circuit breaker "${name}" is open`);
    Error.stackTraceLimit = limit;
    this.name = 'ReferenceOpenError';
  }
}

export class ReferenceTimeoutError extends Error {
  constructor(ms: number) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`call timed out after ${ms} ms`);
    Error.stackTraceLimit = limit;
    this.name = 'ReferenceTimeoutError';
  }
}

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;

/** Failures in a fixed-size ring of the last `size` outcomes. */
class CountWindow {
  readonly #ring: Uint8Array;
  #at = 0;
  filled = 0;
  failures = 0;

  constructor(size: number) {
    this.#ring = new Uint8Array(size);
  }

  record(failed: number): void {
    const ring = this.#ring;
    if (this.filled === ring.length) this.failures -= ring[this.#at] as number;
    else this.filled++;
    ring[this.#at] = failed;
    this.failures += failed;
    this.#at = this.#at + 1 === ring.length ? 0 : this.#at + 1;
  }

  clear(): void {
    this.#ring.fill(0);
    this.#at = 0;
    this.filled = 0;
    this.failures = 0;
  }
}

/** Calls and failures of the last `duration` ms in `buckets` buckets, rotated by the clock. */
class TimeWindow {
  readonly #calls: Int32Array;
  readonly #fails: Int32Array;
  readonly #bucketMs: number;
  #epoch = 0;
  filled = 0;
  failures = 0;

  constructor(duration: number, buckets: number) {
    this.#calls = new Int32Array(buckets);
    this.#fails = new Int32Array(buckets);
    this.#bucketMs = duration / buckets;
  }

  record(failed: number, now: number): void {
    const epoch = Math.floor(now / this.#bucketMs);
    const count = this.#calls.length;
    if (epoch !== this.#epoch) {
      const stale = Math.min(epoch - this.#epoch, count);
      for (let k = 1; k <= stale; k++) {
        const slot = (this.#epoch + k) % count;
        this.filled -= this.#calls[slot] as number;
        this.failures -= this.#fails[slot] as number;
        this.#calls[slot] = 0;
        this.#fails[slot] = 0;
      }
      this.#epoch = epoch;
    }
    const slot = epoch % count;
    this.#calls[slot] = (this.#calls[slot] as number) + 1;
    this.#fails[slot] = (this.#fails[slot] as number) + failed;
    this.filled++;
    this.failures += failed;
  }

  clear(): void {
    this.#calls.fill(0);
    this.#fails.fill(0);
    this.filled = 0;
    this.failures = 0;
  }
}

export class ReferenceBreaker {
  readonly name: string;
  readonly #failureThreshold: number;
  readonly #resetTimeout: number;
  readonly #rate: number;
  readonly #minimumThroughput: number;
  readonly #callTimeout: number;
  readonly #window: CountWindow | TimeWindow | null;
  /** Whether the window needs the clock (a time window). */
  readonly #clocked: boolean;
  #state = CLOSED;
  #openUntil = 0;
  #consecutive = 0;
  #listeners: Array<(event: ReferenceSuccessEvent) => void> | null = null;
  #disposed = false;
  /** Set by the reset timer: the next call may probe. */
  #due = false;
  #sinceClock = 0;
  #resetTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  totalSuccesses = 0;
  totalFailures = 0;
  totalRejections = 0;

  constructor(options: ReferenceOptions = {}) {
    this.name = options.name ?? 'reference';
    this.#failureThreshold = options.failureThreshold ?? 5;
    this.#resetTimeout = options.resetTimeout ?? 30_000;
    this.#rate = options.failureRateThreshold ?? 1;
    this.#minimumThroughput = options.minimumThroughput ?? 10;
    this.#callTimeout = options.callTimeout ?? 0;
    const window = options.window;
    this.#window =
      window === undefined
        ? null
        : window.type === 'count'
          ? new CountWindow(window.size)
          : new TimeWindow(window.duration, window.buckets);
    this.#clocked = window?.type === 'time';
  }

  get state(): 'closed' | 'open' | 'halfOpen' {
    return this.#state === CLOSED ? 'closed' : this.#state === OPEN ? 'open' : 'halfOpen';
  }

  /**
   * Admission. While open, a timer flag says when the reset timeout has passed; the clock is
   * read only every 16th rejection, so a late timer still lets the next calls through.
   */
  canExecute(): boolean {
    if (this.#state === CLOSED) return true;
    if (
      this.#state === OPEN &&
      (this.#due || ((++this.#sinceClock & 15) === 0 && Date.now() >= this.#openUntil))
    ) {
      this.#halfOpen();
      return true;
    }
    this.totalRejections++;
    return false;
  }

  recordSuccess(): void {
    this.totalSuccesses++;
    this.#consecutive = 0;
    if (this.#window !== null) this.#window.record(0, this.#clocked ? Date.now() : 0);
    if (this.#state === HALF_OPEN) this.#close();
    const listeners = this.#listeners;
    if (listeners !== null) {
      const event: ReferenceSuccessEvent = { type: 'success', at: Date.now(), late: false };
      for (let i = 0; i < listeners.length; i++)
        (listeners[i] as (e: ReferenceSuccessEvent) => void)(event);
    }
  }

  recordFailure(): void {
    this.totalFailures++;
    this.#consecutive++;
    const window = this.#window;
    if (this.#state === HALF_OPEN || this.#consecutive >= this.#failureThreshold) {
      this.#open();
    } else if (window !== null) {
      window.record(1, this.#clocked ? Date.now() : 0);
      if (window.filled >= this.#minimumThroughput && window.failures / window.filled >= this.#rate)
        this.#open();
    }
  }

  /** Runs `fn` through the breaker; an open circuit rejects with a stackless error. */
  call<R>(fn: () => R | PromiseLike<R>): Promise<R> {
    if (this.#state !== CLOSED && !this.canExecute())
      return Promise.reject(new ReferenceOpenError(this.name));
    if (this.#callTimeout > 0) return this.#timed(fn);
    let result: R | PromiseLike<R>;
    try {
      result = fn();
    } catch (error) {
      this.recordFailure();
      return Promise.reject(error);
    }
    // Observe the caller's own promise and hand it back: one reaction, no derived promise.
    if (result instanceof Promise) {
      result.then(this.#onValue, this.#onError);
      return result;
    }
    this.recordSuccess();
    return Promise.resolve(result);
  }

  /**
   * `fn({ signal })`, rejected at once with the signal's reason if it aborts first (counted
   * neither way). The breaker must own the promise it returns to reject it early, so this is
   * one promise and one listener object over a bare call.
   */
  execute<R>(
    fn: (context: { signal: AbortSignal }) => PromiseLike<R>,
    signal: AbortSignal,
  ): Promise<R> {
    if (this.#state !== CLOSED && !this.canExecute())
      return Promise.reject(new ReferenceOpenError(this.name));
    return new Promise<R>((resolve, reject) => {
      const run = new SignalledRun(this, signal, resolve, reject);
      signal.addEventListener('abort', run);
      Promise.resolve(fn({ signal })).then(
        (value) => run.settle(true, value),
        (error: unknown) => run.settle(false, error),
      );
    });
  }

  /** Per-call success listener (only success: the bench row that needs it). */
  onSuccess(listener: (event: ReferenceSuccessEvent) => void): () => void {
    const listeners = this.#listeners ?? [];
    this.#listeners = listeners;
    listeners.push(listener);
    return () => {
      const at = listeners.indexOf(listener);
      if (at !== -1) listeners.splice(at, 1);
    };
  }

  dispose(): void {
    this.#disposed = true;
    this.#listeners = null;
    if (this.#resetTimer !== undefined) clearTimeout(this.#resetTimer);
    this.#resetTimer = undefined;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  readonly #onValue = (): void => {
    this.recordSuccess();
  };

  readonly #onError = (): void => {
    this.recordFailure();
  };

  readonly #onResetTimer = (): void => {
    this.#resetTimer = undefined;
    this.#due = true;
  };

  /** One timer per call, cleared when the call settles first. */
  #timed<R>(fn: () => R | PromiseLike<R>): Promise<R> {
    const ms = this.#callTimeout;
    let result: R | PromiseLike<R>;
    try {
      result = fn();
    } catch (error) {
      this.recordFailure();
      return Promise.reject(error);
    }
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.recordFailure();
        reject(new ReferenceTimeoutError(ms));
      }, ms);
      // A pending call must not keep the process alive, as in any library.
      timer.unref();
      Promise.resolve(result).then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.recordSuccess();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.recordFailure();
          reject(error);
        },
      );
    });
  }

  #open(): void {
    this.#state = OPEN;
    this.#openUntil = Date.now() + this.#resetTimeout;
    this.#consecutive = 0;
    this.#window?.clear();
    this.#due = false;
    if (this.#resetTimer !== undefined) clearTimeout(this.#resetTimer);
    this.#resetTimer = setTimeout(this.#onResetTimer, Math.min(this.#resetTimeout, 2 ** 31 - 1));
    this.#resetTimer.unref();
  }

  #halfOpen(): void {
    this.#state = HALF_OPEN;
    this.#due = false;
    if (this.#resetTimer !== undefined) clearTimeout(this.#resetTimer);
    this.#resetTimer = undefined;
  }

  #close(): void {
    this.#state = CLOSED;
    this.#consecutive = 0;
    this.#window?.clear();
  }
}

/** One signalled call: the caller's abort listener, and what settles the call's promise. */
class SignalledRun<R> implements EventListenerObject {
  #settled = false;
  constructor(
    readonly breaker: ReferenceBreaker,
    readonly signal: AbortSignal,
    readonly resolve: (value: R) => void,
    readonly reject: (error: unknown) => void,
  ) {}

  handleEvent(): void {
    if (this.#finish()) this.reject(this.signal.reason);
  }

  settle(ok: boolean, outcome: unknown): void {
    if (!this.#finish()) return;
    if (ok) {
      this.breaker.recordSuccess();
      this.resolve(outcome as R);
    } else {
      this.breaker.recordFailure();
      this.reject(outcome);
    }
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.signal.removeEventListener('abort', this);
    return true;
  }
}
