/**
 * Whether a breaker with shared state (the `store` option) reaches its store, as exporters and
 * the dashboard read it. Read at scrape or poll time from `breaker.storeStatus`; the
 * `storeStatus` event lets the dashboard push a change at once instead of at its next poll.
 */
import type { CircuitBreaker } from '../service/circuit-breaker.js';

/**
 * A breaker's link to its store: `connected`, `degraded` (commands failing or timing out, the
 * breaker decides as `onStoreUnavailable` says), or `null` for a breaker without a store.
 *
 * @example
 * ```ts
 * const status: BreakerStoreStatus = 'degraded';
 * ```
 */
export type BreakerStoreStatus = 'connected' | 'degraded' | null;

/**
 * `breaker.storeStatus`, or `null` when the breaker has no store (anything else it holds, say a
 * breaker-like object of an older build without the property, is `null` too: no series, no badge).
 *
 * @example
 * ```ts
 * if (storeStatusOf(breaker) === 'degraded') console.warn(`${breaker.name} decides locally`);
 * ```
 */
export function storeStatusOf(breaker: CircuitBreaker): BreakerStoreStatus {
  // Read defensively: a source may hold breaker-like objects of another build.
  const status: unknown = breaker.storeStatus;
  return status === 'connected' || status === 'degraded' ? status : null;
}

/**
 * Calls `listener` on each `storeStatus` event of a breaker that has a store; returns the
 * unsubscribe function. A breaker without a store has no such event: nothing is subscribed.
 *
 * @example
 * ```ts
 * const stop = onStoreStatus(breaker, (status) => console.log(breaker.name, status));
 * stop();
 * ```
 */
export function onStoreStatus(
  breaker: CircuitBreaker,
  listener: (status: 'connected' | 'degraded') => void,
): () => void {
  if (storeStatusOf(breaker) === null) return noop;
  return breaker.on('storeStatus', ({ status }) => listener(status));
}

const noop = (): void => {};
