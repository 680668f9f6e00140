import type { CircuitBreaker } from '../service/circuit-breaker.js';
import type { BreakerView, TransitionView } from './protocol.js';

/** How many transitions a card keeps in its timeline. */
export const TIMELINE_LENGTH = 20;

/** What issue-by-issue additions to `CircuitBreaker` the dashboard reads when present. */
interface OptionalBreakerApi {
  getMetrics?: () => unknown;
  config?: unknown;
}

const asRecord = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null ? { ...(value as Record<string, unknown>) } : null;

function toTransition(value: unknown): TransitionView | null {
  const record = asRecord(value);
  if (record === null || typeof record.from !== 'string' || typeof record.to !== 'string') {
    return null;
  }
  return {
    from: record.from,
    to: record.to,
    at: typeof record.at === 'number' ? record.at : 0,
    reason: typeof record.reason === 'string' ? record.reason : null,
  };
}

/**
 * One breaker as the dashboard watches it: its `stateChange` events (never per-call events,
 * which would make every call an XState event), its timeline, and the last view sent, so a poll
 * pushes only what changed.
 */
export class BreakerWatch {
  readonly breaker: CircuitBreaker;
  readonly #chart: string | null;
  readonly #config: Record<string, unknown> | null;
  readonly #transitions: TransitionView[] = [];
  readonly #unsubscribe: () => void;
  /** The last view pushed, without `retryAt` (which moves on every read). */
  #lastSent = '';

  constructor(
    breaker: CircuitBreaker,
    chart: string | null,
    onTransition: (watch: BreakerWatch, transition: TransitionView) => void,
  ) {
    this.breaker = breaker;
    this.#chart = chart;
    this.#config = readConfig(breaker);
    this.#unsubscribe = breaker.on('stateChange', (event) => {
      const transition = toTransition(event);
      if (transition === null) return;
      this.#transitions.push(transition);
      if (this.#transitions.length > TIMELINE_LENGTH) this.#transitions.shift();
      onTransition(this, transition);
    });
  }

  /** The card's data now. Reading stats folds the breaker's pending counts, nothing more. */
  view(): BreakerView {
    const breaker = this.breaker;
    const optional = breaker as CircuitBreaker & OptionalBreakerApi;
    const stats = breaker.getStats() as unknown as Record<string, unknown>;
    const retryIn = breaker.timeUntilRetry();
    return {
      name: breaker.name,
      state: breaker.state,
      stats: { ...stats },
      metrics: typeof optional.getMetrics === 'function' ? asRecord(optional.getMetrics()) : null,
      lastTransition: toTransition(stats.lastTransition) ?? this.#transitions.at(-1) ?? null,
      config: this.#config,
      retryAt: retryIn === null ? null : Date.now() + retryIn,
      chart: this.#chart,
      transitions: [...this.#transitions],
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
    this.#unsubscribe();
  }
}

/**
 * The resolved options, read once: `breaker.config` where the breaker has it, else the copy in
 * its machine's context (the options cannot change after construction).
 */
function readConfig(breaker: CircuitBreaker): Record<string, unknown> | null {
  const exposed = (breaker as CircuitBreaker & OptionalBreakerApi).config;
  if (exposed !== undefined) return asRecord(exposed);
  return asRecord(breaker.toJSON().snapshot.context?.config);
}
