/**
 * The outcome folder. Outcomes that provably cannot move the machine are counted here instead
 * of being sent, and handed to the machine as one `TALLY` before anything reads it. Whether an
 * outcome "cannot move the machine" is answered by the machine's own pure rules
 * (`src/machine/rules.ts`), the functions its guards call: one rule, one place. With a sliding
 * window the folder keeps a mirror of the machine's window, pushed through the same rule
 * (`pushOutcome`'s halves) as the machine will replay the folded outcomes through.
 */

import type { CircuitBreakerConfig } from '../machine/options.js';
import {
  cloneWindow,
  countsAfter,
  failureRateExceeded,
  isLateResult,
  OUTCOME_FAILURE,
  pushCountOutcome,
  pushTimeOutcome,
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
  /** A time window's folded calls of past buckets: runs of (code, time, count), in order. */
  readonly outcomes: number[] = [];
  /** The machine's window with the folded outcomes pushed in, or null (none folded yet). */
  #mirror: WindowState | null = null;
  #config: CircuitBreakerConfig | null = null;
  /** Calls pushed into a count window's mirror since the last `TALLY`. */
  #pushed = 0;
  /** A time window's calls of the current bucket, counted per outcome code (0 … 3). */
  #group: number[] | null = null;
  #groupStart = 0;
  #groupAt = 0;

  get empty(): boolean {
    return this.successes + this.failures + this.rejections + this.ignored + this.fallbacks === 0;
  }

  /** True when so many runs are kept that they should be handed over now (time windows). */
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

  /** Counts a folded success of the current state, with no window to record it in. */
  countCurrentSuccess(): void {
    this.successes += 1;
    this.consecutive = 0;
  }

  /**
   * Counts a folded success; `current`: of the state it began in (else late, which moves no
   * count of the state's).
   */
  countSuccess(context: CircuitBreakerContext, code: number, at: number, current: boolean): void {
    if (!current) {
      this.successes += 1;
      return;
    }
    this.countCurrentSuccess();
    this.record(context, code, at);
  }

  /** Counts a folded failure at `at`; `current` as for {@link OutcomeFold.countSuccess}. */
  countFailure(
    context: CircuitBreakerContext,
    code: number,
    at: number,
    current: boolean,
    timeout: boolean,
  ): void {
    this.failures += 1;
    if (timeout) this.timeouts += 1;
    this.lastFailureAt = at;
    if (!current) return;
    this.consecutive = (this.consecutive ?? context.stats.consecutiveFailures) + 1;
    this.record(context, code, at);
  }

  /**
   * Records a folded call of this state in the window (closed and disabled keep one): pushed
   * into the mirror at once (the verdicts read it), and remembered for the `TALLY` in the
   * cheapest form the machine's replay turns into the same window (see `#runs`).
   */
  record(context: CircuitBreakerContext, code: number, at: number): void {
    if (context.window === null) return;
    if (this.#mirror === null) {
      this.#mirror = cloneWindow(context.window);
      this.#config = context.config;
    }
    const mirror = this.#mirror;
    if (mirror.type === 'count') {
      pushCountOutcome(mirror, context.config, code);
      this.#pushed += 1;
      return;
    }
    // A time window: calls of one bucket land in one bucket whatever their order, so they are
    // kept as counts per outcome code until a call falls in another bucket.
    const start = pushTimeOutcome(mirror, context.config, code, at);
    if (start !== this.#groupStart || this.#group === null) {
      this.#closeGroup();
      this.#group = [0, 0, 0, 0];
      this.#groupStart = start;
      this.#groupAt = at;
    }
    this.#group[code] = (this.#group[code] ?? 0) + 1;
  }

  /** The time window's open group of calls as runs, in code order. */
  #closeGroup(): void {
    const group = this.#group;
    if (group === null) return;
    for (let code = 0; code < group.length; code++) {
      const count = group[code] ?? 0;
      if (count > 0) this.outcomes.push(code, this.#groupAt, count);
    }
    this.#group = null;
  }

  /**
   * The folded calls as runs (code, time, count) that `pushOutcome`, replayed in order, turns
   * the machine's window into exactly the mirror. A count window keeps only its last `size`
   * calls, so only those are listed, in order, after one run that stands for the calls they
   * pushed out (their outcomes are overwritten, only their number moves the ring).
   */
  #runs(): number[] {
    const mirror = this.#mirror;
    if (mirror === null) return [];
    if (mirror.type === 'time') {
      this.#closeGroup();
      return this.outcomes.splice(0);
    }
    const window = this.#config?.slidingWindow;
    const size = window?.type === 'count' ? window.size : 1;
    const pushed = this.#pushed;
    const kept = Math.min(pushed, size);
    const runs: number[] = [];
    if (pushed > kept) runs.push(0, 0, pushed - kept);
    for (let i = 0; i < kept; i++) {
      const code = mirror.outcomes[(mirror.next - kept + i + size * 2) % size] ?? 0;
      const last = runs.length - 3;
      if (last >= 0 && runs[last] === code && i > 0) runs[last + 2] = (runs[last + 2] ?? 0) + 1;
      else runs.push(code, 0, 1);
    }
    return runs;
  }

  /** The folded counts as one `TALLY` event, and a fresh start. */
  take(now: number): Tally {
    const tally: Tally = {
      type: 'TALLY',
      at: now,
      outcomes: this.#runs(),
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
    this.#pushed = 0;
    return tally;
  }
}
