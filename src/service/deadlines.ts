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

/** Slots an empty queue keeps for reuse; a burst beyond this gives its arrays back. */
const SLOTS_KEPT = 1024;

export class DeadlineQueue {
  readonly #clock: BreakerClock;
  /*
   * Slots `#head` to `#tail` hold the queued calls, each with its deadline at the same index;
   * the slots around them hold `SETTLED`. Emptying the queue only moves the two indices back
   * to 0, so the common case (each call settled before the next one starts) writes one slot
   * per call: resizing an array (`length = 0`) is a runtime call that costs more than that.
   */
  #calls: Expiring[] = [];
  #deadlines: number[] = [];
  #head = 0;
  #tail = 0;
  #timer: unknown;

  constructor(clock: BreakerClock) {
    this.#clock = clock;
  }

  /** Queues `call`, started at `now`, to expire `timeout` ms later unless it settles first. */
  add(call: Expiring, now: number, timeout: number): void {
    // Calls mostly settle in the order they started: drop the settled front first, so the
    // queue holds about the calls still running, not every call of the last `timeout` ms.
    this.#dropSettledFront();
    const tail = this.#tail;
    if (tail < this.#calls.length) {
      this.#calls[tail] = call;
      this.#deadlines[tail] = now + timeout;
    } else {
      this.#calls.push(call);
      this.#deadlines.push(now + timeout);
    }
    this.#tail = tail + 1;
    if (this.#timer === undefined) this.#arm(timeout);
  }

  /** Calls queued and not yet dropped (settled ones included until they reach the front). */
  get size(): number {
    return this.#tail - this.#head;
  }

  /** Slots the queue's arrays hold, queued or not: the memory it keeps. */
  get slots(): number {
    return this.#calls.length;
  }

  #arm(delay: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#fire(), delay);
  }

  /**
   * Expires every call whose deadline has passed, then arms the timer for the next one. The
   * fields are read afresh on every turn: an expiring call runs user code (a fallback, a
   * listener) that may start a call and so add to the queue.
   */
  #fire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    while (this.#head < this.#tail) {
      const at = this.#head;
      const call = this.#calls[at] as Expiring;
      const deadline = this.#deadlines[at] ?? 0;
      if (!call.settled && deadline > now) {
        this.#dropSettledFront();
        // A call started by an expiry's user code armed a timer for its own, later deadline.
        if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
        this.#arm(deadline - now);
        return;
      }
      this.#calls[at] = SETTLED; // let the call be collected
      this.#head = at + 1;
      if (!call.settled) call.expire();
    }
    this.#empty();
  }

  /** Drops settled calls from the front; copies the rest to new arrays once the front is long. */
  #dropSettledFront(): void {
    const calls = this.#calls;
    let head = this.#head;
    while (head < this.#tail && (calls[head] as Expiring).settled) {
      calls[head] = SETTLED;
      head += 1;
    }
    this.#head = head;
    if (head === this.#tail) {
      this.#empty();
      return;
    }
    if (head < SLOTS_KEPT || head * 2 < this.#tail) return;
    this.#calls = calls.slice(head, this.#tail);
    this.#deadlines = this.#deadlines.slice(head, this.#tail);
    this.#tail -= head;
    this.#head = 0;
  }

  /** Nothing is queued: start again at slot 0, keeping the arrays unless a burst grew them. */
  #empty(): void {
    this.#head = 0;
    this.#tail = 0;
    if (this.#calls.length > SLOTS_KEPT) {
      this.#calls = [];
      this.#deadlines = [];
    }
  }
}

const SETTLED: Expiring = { settled: true, expire() {} };
