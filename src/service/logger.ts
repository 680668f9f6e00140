import { describeValue } from '../machine/options.js';

/**
 * What a breaker logs through: `console`, pino, winston and most loggers fit.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: 'redis', logger: console });
 * // circuit_breaker_open name=redis failures=5
 * ```
 */
export interface BreakerLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Validates the `logger` option. */
export function checkLogger(logger: unknown): BreakerLogger {
  const candidate = logger as Partial<Record<keyof BreakerLogger, unknown>> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.info !== 'function' ||
    typeof candidate.warn !== 'function'
  ) {
    throw new TypeError(`logger must have info() and warn() methods, got ${describeValue(logger)}`);
  }
  return logger as BreakerLogger;
}
