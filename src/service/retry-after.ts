/**
 * The `retryAfter` option's answer for an error: whole ms in 0 … 2^31-1, or undefined. Any other
 * answer, or a throw, is reported through the logger and treated as no answer, so a bad
 * classifier never stops a call from being counted.
 */
import { describeValue, isTimerDelay } from '../validate.js';
import type { BreakerLogger } from './logger.js';

export function retryAfterAnswer(
  retryAfter: (error: unknown) => number | undefined,
  error: unknown,
  name: string,
  logger: BreakerLogger | undefined,
): number | undefined {
  let answer: unknown;
  try {
    answer = retryAfter(error);
  } catch (thrown) {
    logger?.warn(`circuit_breaker_bad_retry_after name=${name} retryAfter threw ${String(thrown)}`);
    return undefined;
  }
  if (answer === undefined) return undefined;
  if (isTimerDelay(answer)) return answer;
  logger?.warn(
    `circuit_breaker_bad_retry_after name=${name} retryAfter returned ${describeValue(answer)}`,
  );
  return undefined;
}
