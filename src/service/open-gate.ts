/**
 * The open circuit's answer to "is the timeout still ahead?", at less than a clock read per call.
 * Reading the system clock costs more than the rest of a rejection, so while the last read found
 * more than a second left, only every `REJECTIONS_PER_CLOCK_READ`-th rejection reads it. The
 * reset timer moves the machine on time; this only matters when that timer is late (a busy event
 * loop): a call after the timeout then half-opens the circuit within that many rejections, and
 * at the very next call in the last second. An injected clock (tests, simulations) is read on
 * every rejection, so simulated time is exact call by call.
 */
import { type BreakerClock, systemClock } from './clock.js';

/** Rejections while open per read of the system clock, while the timeout is far. */
export const REJECTIONS_PER_CLOCK_READ = 16;
/** Within this many ms of the timeout, every rejection reads the clock. */
export const CLOCK_READ_EVERY_CALL_WITHIN_MS = 1000;

export class OpenGate {
  readonly #clock: BreakerClock;
  readonly #sampleClock: boolean;
  /** The time the open circuit's timeout passes, or -1 (not open, or not known to be). */
  #until = -1;
  /** Rejections left before the clock is read again. */
  #unread = 0;

  constructor(clock: BreakerClock) {
    this.#clock = clock;
    this.#sampleClock = clock === systemClock;
  }

  /** True while the gate knows the circuit is open (its timeout time is set). */
  get armed(): boolean {
    return this.#until >= 0;
  }

  /** The circuit is open until `until` (the machine's `retryDueAt`). */
  arm(until: number): void {
    this.#until = until;
    this.#unread = 0;
  }

  /** Not open any more (or nothing is known): the machine is asked again. */
  clear(): void {
    this.#until = -1;
    this.#unread = 0;
  }

  /** True when the timeout is still ahead, so the call is turned away without the machine. */
  shut(): boolean {
    if (this.#unread > 0) {
      this.#unread -= 1;
      return true;
    }
    const left = this.#until - this.#clock.now();
    if (left <= 0) return false;
    if (this.#sampleClock && left > CLOCK_READ_EVERY_CALL_WITHIN_MS) {
      this.#unread = REJECTIONS_PER_CLOCK_READ - 1;
    }
    return true;
  }
}
