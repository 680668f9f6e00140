/**
 * The call timeouts of one breaker, on one timer. Every call of a breaker has the same
 * `callTimeout`, so deadlines come in the order calls start: a queue, with one timer armed for
 * its oldest unsettled call, costs a clock read per call instead of a timer set and cleared per
 * call. A call that settles is only marked; the queue drops it when it reaches the front.
 */
import type { BreakerClock } from './clock.js';

/** A call that may time out. */
export interface Expiring {
  /** True once the call settled some other way; it then never expires. */
  readonly settled: boolean;
  /** The call's deadline passed while it was still running. */
  expire(): void;
}

export class DeadlineQueue {
  readonly #clock: BreakerClock;
  #calls: Expiring[] = [];
  #deadlines: number[] = [];
  /** Index of the oldest entry still queued. */
  #head = 0;
  #timer: unknown;

  constructor(clock: BreakerClock) {
    this.#clock = clock;
  }

  /** Queues `call`, started at `now`, to expire `timeout` ms later unless it settles first. */
  add(call: Expiring, now: number, timeout: number): void {
    // Calls mostly settle in the order they started: drop the settled front first, so the
    // queue holds about the calls still running, not every call of the last `timeout` ms.
    const calls = this.#calls;
    while (this.#head < calls.length && (calls[this.#head] as Expiring).settled) {
      calls[this.#head] = SETTLED;
      this.#head += 1;
    }
    this.#compact();
    this.#calls.push(call);
    this.#deadlines.push(now + timeout);
    if (this.#timer === undefined) this.#arm(timeout);
  }

  /** Calls queued and not yet dropped (settled ones included until they reach the front). */
  get size(): number {
    return this.#calls.length - this.#head;
  }

  #arm(delay: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#fire(), delay);
  }

  /** Expires every call whose deadline has passed, then arms the timer for the next one. */
  #fire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    const calls = this.#calls;
    const deadlines = this.#deadlines;
    while (this.#head < calls.length) {
      const call = calls[this.#head] as Expiring;
      const deadline = deadlines[this.#head] ?? 0;
      if (!call.settled && deadline > now) {
        this.#compact();
        this.#arm(deadline - now);
        return;
      }
      calls[this.#head] = SETTLED; // let the call be collected
      this.#head += 1;
      if (!call.settled) call.expire();
    }
    this.#calls = [];
    this.#deadlines = [];
    this.#head = 0;
  }

  /** Drops the front part already handled, once it is most of the arrays. */
  #compact(): void {
    if (this.#head === this.#calls.length) {
      this.#calls.length = 0;
      this.#deadlines.length = 0;
      this.#head = 0;
      return;
    }
    if (this.#head < 1024 || this.#head * 2 < this.#calls.length) return;
    this.#calls = this.#calls.slice(this.#head);
    this.#deadlines = this.#deadlines.slice(this.#head);
    this.#head = 0;
  }
}

const SETTLED: Expiring = { settled: true, expire() {} };
