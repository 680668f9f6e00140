import type { CircuitState } from '../machine/types.js';

/**
 * Brand stored on every error instance. It is a registered symbol, so the ESM and the CommonJS
 * build of the same install (two copies of each class) recognise each other's errors.
 */
const KINDS = Symbol.for('xstate-circuit-breaker.errorKinds');

interface Branded {
  [KINDS]?: readonly string[];
}

/**
 * Stores the kinds of `errorClass` and its ancestors on its prototype, once per class, so
 * creating an error costs nothing more than `Error` itself.
 */
export function brand(errorClass: { kind: string; prototype: object }): void {
  const kinds: string[] = [];
  for (let c: unknown = errorClass; typeof c === 'function' && Object.hasOwn(c, 'kind'); ) {
    kinds.push((c as unknown as { kind: string }).kind);
    c = Object.getPrototypeOf(c);
  }
  Object.defineProperty(errorClass.prototype, KINDS, { value: kinds });
}

/**
 * Base class of every error this library throws. `instanceof` works across the ESM and
 * CommonJS builds of the same install.
 *
 * @example
 * ```ts
 * try { await breaker.call(fetchUser, id); }
 * catch (error) { if (error instanceof CircuitBreakerError) metrics.count(error.name); }
 * ```
 */
export class CircuitBreakerError extends Error {
  /** The kind `instanceof` checks for; each subclass names itself. */
  static readonly kind: string = 'CircuitBreakerError';

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const kinds = (value as Branded)[KINDS];
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass `instanceof` asks about.
    return Array.isArray(kinds) && kinds.includes(this.kind);
  }

  static {
    brand(CircuitBreakerError);
  }

  /**
   * @param message - the error's message.
   * @param stack - capture a stack trace (default true). The breaker's own per-call errors
   *   (`CircuitOpenError`, `CircuitTimeoutError`) skip it unless its `errorStacks` option is on:
   *   a stack of our own frames costs about a microsecond a frame and tells the caller nothing
   *   its own `await` does not.
   */
  constructor(message: string, stack = true) {
    const limit = Error.stackTraceLimit;
    if (!stack) Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      if (!stack) Error.stackTraceLimit = limit;
    }
    this.name = new.target.kind;
  }
}

/**
 * Thrown (as a rejection from `call`/`execute`) when the circuit turns a call away without
 * running it: open, forced open, or half-open with every probe slot taken.
 *
 * @example
 * ```ts
 * try { await breaker.call(fetchUser, id); }
 * catch (error) {
 *   if (error instanceof CircuitOpenError) return cached(id, error.retryAfter);
 *   throw error;
 * }
 * ```
 */
export class CircuitOpenError extends CircuitBreakerError {
  static override readonly kind: string = 'CircuitOpenError';
  static {
    brand(CircuitOpenError);
  }
  /** Name of the breaker that rejected the call. */
  readonly breakerName: string;
  /** The state the circuit was in. */
  readonly state: CircuitState;
  /** Milliseconds until the circuit lets a probe through, or null when not known (forced open, half-open). */
  readonly retryAfter: number | null;

  constructor(breakerName: string, state: CircuitState, retryAfter: number | null, stack = true) {
    const when = retryAfter === null ? '' : `, retry in ${retryAfter}ms`;
    super(`circuit breaker "${breakerName}" is ${state}${when}`, stack);
    this.breakerName = breakerName;
    this.state = state;
    this.retryAfter = retryAfter;
  }
}

/**
 * Thrown by every method of a breaker after `dispose()`.
 *
 * @example
 * ```ts
 * breaker.dispose();
 * await breaker.call(fn); // rejects with CircuitBreakerDisposedError
 * ```
 */
export class CircuitBreakerDisposedError extends CircuitBreakerError {
  static override readonly kind: string = 'CircuitBreakerDisposedError';
  static {
    brand(CircuitBreakerDisposedError);
  }
  /** Name of the disposed breaker. */
  readonly breakerName: string;

  constructor(breakerName: string) {
    super(`circuit breaker "${breakerName}" has been disposed`);
    this.breakerName = breakerName;
  }
}

/**
 * Rejects a call that has not settled within `callTimeout`. It counts as a failure, and the
 * `AbortSignal` handed to `execute`'s function is aborted with it.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ callTimeout: 2_000 });
 * await breaker.execute(({ signal }) => fetch(url, { signal })); // CircuitTimeoutError after 2 s
 * ```
 */
export class CircuitTimeoutError extends CircuitBreakerError {
  static override readonly kind: string = 'CircuitTimeoutError';
  static {
    brand(CircuitTimeoutError);
  }
  /** Name of the breaker whose call timed out. */
  readonly breakerName: string;
  /** The timeout, ms. */
  readonly timeout: number;

  constructor(breakerName: string, timeout: number, stack = true) {
    super(`call through circuit breaker "${breakerName}" timed out after ${timeout}ms`, stack);
    this.breakerName = breakerName;
    this.timeout = timeout;
  }
}
