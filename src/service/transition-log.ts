import type { Actor } from 'xstate';
import type { circuitBreakerMachine } from '../machine/machine.js';
import type { TripFigures } from '../machine/types.js';
import type { BreakerLogger } from './logger.js';

/** `key=value` pairs of the trip figures that are set, for one structured log line. */
function figures(trip: TripFigures): string {
  const parts = [`failures=${trip.consecutiveFailures}`];
  if (trip.failureThreshold !== null) parts[0] += `/${trip.failureThreshold}`;
  if (trip.failureRate !== null) parts.push(`failureRate=${round(trip.failureRate)}`);
  if (trip.failureRateThreshold !== null)
    parts.push(`failureRateThreshold=${trip.failureRateThreshold}`);
  if (trip.slowCallRate !== null && trip.slowCallRateThreshold !== null) {
    parts.push(
      `slowCallRate=${round(trip.slowCallRate)}`,
      `slowCallRateThreshold=${trip.slowCallRateThreshold}`,
    );
  }
  if (trip.failureRate !== null)
    parts.push(`calls=${trip.calls}`, `minimumThroughput=${trip.minimumThroughput}`);
  if (trip.retryAfter !== null) parts.push(`retryAfter=${trip.retryAfter}`);
  return parts.join(' ');
}

function round(rate: number): number {
  return Math.round(rate * 1000) / 1000;
}

/**
 * Writes one structured line per transition, with its reason (and, on opening, the figures
 * that tripped it): `circuit_breaker_open name=users reason=failureRate failures=3 ...`.
 * Returns a function that stops logging.
 */
export function logTransitions(
  actor: Actor<typeof circuitBreakerMachine>,
  name: string,
  logger: BreakerLogger,
): () => void {
  const subscriptions = [
    actor.on('open', ({ reason, forced, trip }) =>
      logger.warn(
        forced
          ? `circuit_breaker_forced_open name=${name} reason=${reason}`
          : `circuit_breaker_open name=${name} reason=${reason} ${figures(trip)}`,
      ),
    ),
    actor.on('halfOpen', ({ reason }) =>
      logger.info(`circuit_breaker_half_open name=${name} reason=${reason}`),
    ),
    actor.on('close', ({ reason }) =>
      logger.info(`circuit_breaker_closed name=${name} reason=${reason}`),
    ),
    actor.on('stateChange', ({ to, reason }) => {
      if (to === 'disabled') logger.warn(`circuit_breaker_disabled name=${name} reason=${reason}`);
    }),
  ];
  return () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
  };
}
