/**
 * The time a folded success of a time window is recorded at, at less than a clock read per call.
 * A success only has to land in the right bucket (the folder keeps a bucket's calls as one run,
 * and the machine's rule places them by `bucketStart`), and reading the system clock costs more
 * than the rest of such a success. So after a read, a timer is set for the end of that bucket,
 * and until it fires successes take the time of the last read: the same bucket. In case the
 * timer is late (a busy event loop), every `SUCCESSES_PER_CLOCK_READ`-th success reads the clock
 * anyway, so at most that many successes land in the bucket before their own. An injected clock
 * (tests, simulations) is read on every success, so simulated time is exact call by call.
 * Failures always read the clock: they can trip the circuit, and their time is a statistic.
 */
import type { CircuitBreakerConfig, SlidingWindow } from '../machine/options.js';
import { bucketStart } from '../machine/rules.js';
import { type BreakerClock, systemClock } from './clock.js';

/** Successes per read of the system clock while the bucket's timer has not fired. */
export const SUCCESSES_PER_CLOCK_READ = 16;

type TimeWindow = Extract<SlidingWindow, { type: 'time' }>;

export class BucketClock {
  readonly #clock: BreakerClock;
  readonly #config: CircuitBreakerConfig;
  readonly #width: number;
  readonly #sampleClock: boolean;
  /** The last time read, and the start of its bucket (NaN: nothing read yet). */
  #at = 0;
  #start = Number.NaN;
  /** Successes left that take `#at` without a read (0 once the bucket's timer fired). */
  #unread = 0;
  #timer: unknown;
  readonly #bucketEnded = (): void => {
    this.#timer = undefined;
    this.#unread = 0;
  };

  /** `window`: the time window of `config`, the only kind of window that needs a time. */
  constructor(clock: BreakerClock, config: CircuitBreakerConfig, window: TimeWindow) {
    this.#clock = clock;
    this.#config = config;
    this.#width = window.duration / window.buckets;
    this.#sampleClock = clock === systemClock;
  }

  /** A time in the bucket of now: the clock's, or the last read while that bucket lasts. */
  now(): number {
    if (this.#unread > 0) {
      this.#unread -= 1;
      return this.#at;
    }
    const at = this.#clock.now();
    if (!this.#sampleClock) return at;
    this.#at = at;
    const start = bucketStart(this.#config, at);
    if (start !== this.#start || this.#timer === undefined) {
      // A new bucket, or the timer fired (perhaps a little early): wait for this bucket's end.
      this.#start = start;
      this.#clear();
      this.#timer = this.#clock.setTimeout(
        this.#bucketEnded,
        Math.max(1, start + this.#width - at),
      );
    }
    this.#unread = SUCCESSES_PER_CLOCK_READ - 1;
    return at;
  }

  /** Stops the timer; the next call reads the clock. */
  dispose(): void {
    this.#clear();
    this.#unread = 0;
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
