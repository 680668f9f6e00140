/**
 * What a breaker logs through: `console`, pino, winston and most loggers fit.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: 'redis', logger: console });
 * // circuit_breaker_open name=redis failures=5
 * ```
 */
import { describeValue } from '../validate.js';
export interface BreakerLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Validates the `logger` option. */
export function checkLogger(logger: unknown): BreakerLogger {
  const candidate = logger as Partial<Record<keyof BreakerLogger, unknown>> | null;
  if (
    // A function with both methods is a logger too (some logging libraries export one).
    (typeof candidate !== 'object' && typeof candidate !== 'function') ||
    candidate === null ||
    typeof candidate.info !== 'function' ||
    typeof candidate.warn !== 'function'
  ) {
    throw new TypeError(`logger must have info() and warn() methods, got ${describeValue(logger)}`);
  }
  return logger as BreakerLogger;
}

/**
 * Reports an error thrown by a breaker listener. The breaker goes on (a listener cannot break
 * it), but the error must never vanish: it goes to `logger.warn`, or to `console.error` with
 * the error itself (stack included) when no logger was given, once per error.
 */
export function reportListenerError(
  logger: BreakerLogger | undefined,
  name: string,
  type: string,
  error: unknown,
): void {
  const line = `circuit_breaker_listener_error name=${name} event=${type}`;
  if (logger) logger.warn(`${line} error=${String(error)}`);
  else console.error(line, error);
}
