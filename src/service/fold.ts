/**
 * The outcome folder. Outcomes that provably cannot move the machine are counted here instead
 * of being sent, and handed to the machine as one `TALLY` before anything reads it. Whether an
 * outcome "cannot move the machine" is answered by the machine's own pure rules
 * (`src/machine/rules.ts`), the functions its guards call: one rule, one place.
 */
import type { CircuitBreakerConfig } from '../machine/options.js';
import { bucketStart, isLateResult, reachesFailureThreshold } from '../machine/rules.js';
import type { CircuitBreakerContext, CircuitBreakerEvent, CircuitState } from '../machine/types.js';

type Tally = Extract<CircuitBreakerEvent, { type: 'TALLY' }>;

/** Where an outcome would land in the machine. */
export type FoldVerdict = 'late' | 'current' | 'send';

/**
 * How the machine would take a success of a call begun in `generation`: counted as late, counted
 * as the current state's (closed or disabled: nothing can trip on a fast success), or something
 * only the machine can decide (`send`). A late success is folded only without a window, since a
 * folded success goes into the window.
 */
export function successVerdict(
  state: CircuitState,
  context: CircuitBreakerContext,
  generation: number,
): FoldVerdict {
  if (isLateResult(context, generation)) return context.window === null ? 'late' : 'send';
  return state === 'closed' || state === 'disabled' ? 'current' : 'send';
}

/**
 * How the machine would take a failure of a call begun in `generation`, when the failures in a
 * row would then be `consecutive`: only without a window (failures are never folded into one),
 * late, or current in `disabled`, or in `closed` below the consecutive threshold.
 */
export function failureVerdict(
  state: CircuitState,
  context: CircuitBreakerContext,
  generation: number,
  consecutive: number,
): FoldVerdict {
  if (context.window !== null) return 'send';
  if (isLateResult(context, generation)) return 'late';
  if (state === 'disabled') return 'current';
  return state === 'closed' && !reachesFailureThreshold(context.config, consecutive)
    ? 'current'
    : 'send';
}

/**
 * The counts folded since the last `TALLY`. Plain fields, one object per breaker, so a folded
 * outcome costs an increment.
 */
export class OutcomeFold {
  successes = 0;
  failures = 0;
  rejections = 0;
  ignored = 0;
  timeouts = 0;
  fallbacks = 0;
  lastFailureAt: number | null = null;
  /** The consecutive-failure count after the folded outcomes, or null when untouched. */
  consecutive: number | null = null;
  /** Clock time of the first success folded since the last `TALLY` (time windows only). */
  at: number | null = null;

  get empty(): boolean {
    return this.successes + this.failures + this.rejections + this.ignored + this.fallbacks === 0;
  }

  /**
   * True when a success at `now` falls in another time-window bucket than the successes folded
   * so far: they must be handed over first, since one `TALLY` puts its successes in one bucket.
   */
  needsFlushBefore(config: CircuitBreakerConfig, now: number): boolean {
    return this.at !== null && bucketStart(config, now) !== bucketStart(config, this.at);
  }

  /** The folded counts as one `TALLY` event, and a fresh start. */
  take(now: number): Tally {
    const tally: Tally = {
      type: 'TALLY',
      at: this.at ?? now,
      successes: this.successes,
      failures: this.failures,
      rejections: this.rejections,
      ignored: this.ignored,
      timeouts: this.timeouts,
      fallbacks: this.fallbacks,
      lastFailureAt: this.lastFailureAt,
      consecutiveFailures: this.consecutive,
    };
    this.successes = 0;
    this.failures = 0;
    this.rejections = 0;
    this.ignored = 0;
    this.timeouts = 0;
    this.fallbacks = 0;
    this.lastFailureAt = null;
    this.consecutive = null;
    this.at = null;
    return tally;
  }
}
