import type { StateTransition, TripFigures } from '../machine/types.js';
import { onStoreStatus, storeStatusOf } from '../metrics/store-status.js';
import type { CircuitBreaker } from '../service/circuit-breaker.js';
import type { BreakerView } from './protocol.js';

/** How many transitions a card keeps in its timeline. */
export const TIMELINE_LENGTH = 20;

/**
 * One breaker as the dashboard watches it: its `stateChange` events (never per-call events,
 * which would make every call an XState event), its `storeStatus` events when it has a store,
 * its timeline, and the last view sent, so a poll pushes only what changed.
 */
export class BreakerWatch {
  readonly breaker: CircuitBreaker;
  readonly #chart: string | null;
  readonly #transitions: StateTransition[] = [];
  readonly #unsubscribes: Array<() => void>;
  #trip: (TripFigures & { reason: string }) | null = null;
  /** The last view pushed, without `retryAt` (which moves on every read). */
  #lastSent = '';

  constructor(
    breaker: CircuitBreaker,
    chart: string | null,
    onTransition: (watch: BreakerWatch, transition: StateTransition) => void,
    onStoreChange: (watch: BreakerWatch) => void = () => {},
  ) {
    this.breaker = breaker;
    this.#chart = chart;
    this.#unsubscribes = [
      breaker.on('open', ({ trip, forced, reason }) => {
        this.#trip = forced ? null : { ...trip, reason };
      }),
      breaker.on('stateChange', ({ from, to, at, reason }) => {
        const transition = { from, to, at, reason };
        this.#transitions.push(transition);
        if (this.#transitions.length > TIMELINE_LENGTH) this.#transitions.shift();
        onTransition(this, transition);
      }),
      // A store going away (or coming back) shows at once rather than at the next poll.
      onStoreStatus(breaker, () => onStoreChange(this)),
    ];
  }

  /** The card's data now. Reading stats folds the breaker's pending counts, nothing more. */
  view(): BreakerView {
    const breaker = this.breaker;
    const stats = breaker.getStats();
    const retryIn = breaker.timeUntilRetry();
    return {
      name: breaker.name,
      state: breaker.state,
      stats,
      metrics: breaker.getMetrics(),
      lastTransition: stats.lastTransition,
      config: breaker.config,
      trip: this.#trip,
      retryAt: retryIn === null ? null : Date.now() + retryIn,
      chart: this.#chart,
      transitions: [...this.#transitions],
      storeStatus: storeStatusOf(breaker),
    };
  }

  /** The view when it differs from the last one this returned, else null. */
  changedView(): BreakerView | null {
    const view = this.view();
    const key = JSON.stringify({ ...view, retryAt: view.retryAt === null });
    if (key === this.#lastSent) return null;
    this.#lastSent = key;
    return view;
  }

  /** Stops listening to the breaker. */
  stop(): void {
    for (const unsubscribe of this.#unsubscribes) unsubscribe();
  }
}
