/**
 * The outcome folder. Outcomes that provably cannot move the machine are counted here instead
 * of being sent, and handed to the machine as one `TALLY` before anything reads it. Whether an
 * outcome "cannot move the machine" is answered by the machine's own pure rules
 * (`src/machine/rules.ts`), the functions its guards call: one rule, one place. With a sliding
 * window the folder keeps a mirror of the machine's window, pushed through the same rule
 * (`pushOutcome`) as the machine will replay the folded outcomes through.
 */
import {
  bucketStart,
  cloneWindow,
  countsAfter,
  failureRateExceeded,
  isLateResult,
  OUTCOME_FAILURE,
  pushOutcome,
  reachesFailureThreshold,
  slowCallRateExceeded,
  type WindowState,
} from '../machine/rules.js';
import type { CircuitBreakerContext, CircuitBreakerEvent, CircuitState } from '../machine/types.js';

type Tally = Extract<CircuitBreakerEvent, { type: 'TALLY' }>;

/** Where an outcome would land in the machine. */
export type FoldVerdict = 'late' | 'current' | 'send';

/** Runs of folded outcomes kept before they are handed over anyway (memory stays bounded). */
const MAX_RUNS = 1024;

/**
 * The counts folded since the last `TALLY`. Plain fields, one object per breaker, so a folded
 * outcome costs an increment (and, with a window, a push into the mirror).
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
  /** The folded calls the window records: runs of (code, time, count), in order. */
  readonly outcomes: number[] = [];
  /** The machine's window with the folded outcomes pushed in, or null (none folded yet). */
  #mirror: WindowState | null = null;

  get empty(): boolean {
    return this.successes + this.failures + this.rejections + this.ignored + this.fallbacks === 0;
  }

  /** True when so many runs are kept that they should be handed over now. */
  get full(): boolean {
    return this.outcomes.length >= MAX_RUNS * 3;
  }

  /** The window as the machine will have it once the folded outcomes are in. */
  window(context: CircuitBreakerContext): WindowState | null {
    return this.#mirror ?? context.window;
  }

  /**
   * How the machine would take an outcome (`code`: failure and slow bits) at `at` of a call
   * begun in `generation`, after the outcomes folded so far: counted as late, counted as the
   * current state's, or something only the machine can decide (`send`). It asks the rules the
   * machine's guards ask: a late result moves nothing; in `disabled` nothing trips; in `closed`
   * an outcome trips when it reaches the consecutive threshold (failures) or a rate threshold
   * of the window with it added.
   */
  verdict(
    state: CircuitState,
    context: CircuitBreakerContext,
    generation: number,
    code: number,
    at: number,
  ): FoldVerdict {
    if (isLateResult(context, generation)) return 'late';
    if (state === 'disabled') return 'current';
    if (state !== 'closed') return 'send';
    const { config } = context;
    const failed = (code & OUTCOME_FAILURE) !== 0;
    if (failed) {
      const consecutive = (this.consecutive ?? context.stats.consecutiveFailures) + 1;
      if (reachesFailureThreshold(config, consecutive)) return 'send';
    }
    const window = this.window(context);
    if (window === null || code === 0) return 'current'; // a fast success never trips
    const counts = countsAfter(window, config, code, at);
    if (failed && failureRateExceeded(config, counts)) return 'send';
    return slowCallRateExceeded(config, counts) ? 'send' : 'current';
  }

  /** Records a folded call of this state in the window (closed and disabled keep one). */
  record(context: CircuitBreakerContext, code: number, at: number): void {
    if (context.window === null) return;
    this.#mirror ??= cloneWindow(context.window);
    pushOutcome(this.#mirror, context.config, code, at);
    const runs = this.outcomes;
    const last = runs.length - 3;
    const { config } = context;
    if (
      last >= 0 &&
      runs[last] === code &&
      bucketStart(config, runs[last + 1] ?? 0) === bucketStart(config, at)
    ) {
      runs[last + 2] = (runs[last + 2] ?? 0) + 1;
    } else {
      runs.push(code, at, 1);
    }
  }

  /** The folded counts as one `TALLY` event, and a fresh start. */
  take(now: number): Tally {
    const tally: Tally = {
      type: 'TALLY',
      at: now,
      outcomes: this.outcomes.splice(0),
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
    this.#mirror = null;
    return tally;
  }
}
