/**
 * Drives the real `CircuitBreaker` (on a `SimulatedClock`) and the plain `ReferenceBreaker` in
 * lock step, for the model-based and property-based tests. Every operation does the same thing
 * to both and checks what it can see at once (was `fn` run, what did the caller get); `check()`
 * compares everything else.
 *
 * Besides agreement with the reference, it keeps its own books, independent of both, for the
 * invariants of issue 7: a rejected call never runs `fn`; half-open never has more than
 * `halfOpenMaxCalls` probes admitted at once; counters never go negative; a late result never
 * moves the machine.
 */
import { expect } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  type BreakerClock,
  CircuitBreaker,
  CircuitOpenError,
  type CircuitState,
} from '../src/index.js';
import { REJECTED, type RefConfig, ReferenceBreaker, type Ticket } from './reference-model.js';

/** `fast`: outcomes may be folded (the default); `full`: an inspector forces one event each. */
export type Fidelity = 'fast' | 'full';
export type CallOutcome = 'success' | 'failure';

/** A cheap JSON comparison first; only a mismatch pays for `expect`'s diff. */
export function agree(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual, what).toEqual(expected);
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

function settledOf(promise: Promise<unknown>): Promise<Settled> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** What the caller of `call` saw, in a comparable form. */
function seen(settled: Settled): string {
  if (settled.ok) return `value ${String(settled.value)}`;
  if (settled.error instanceof CircuitOpenError) return `CircuitOpenError(${settled.error.state})`;
  return `error ${settled.error instanceof Error ? settled.error.message : String(settled.error)}`;
}

/** A call let in and not settled yet. */
export interface PendingCall {
  readonly id: number;
  readonly ticket: Ticket;
  /** The lock step's own generation count when the call was let in. */
  readonly generation: number;
  /** The half-open episode the call was admitted in as a probe, or null. */
  readonly probeEpisode: number | null;
  readonly resolve: (value: string) => void;
  readonly reject: (error: Error) => void;
  /** Set for calls made with `execute` and a signal. */
  readonly controller: AbortController | null;
  readonly result: Promise<Settled>;
}

/**
 * XState's `SimulatedClock` with timers that can lag behind time, like real timers on a busy
 * event loop: a timer that comes due is held until `fire()`.
 */
export class LaggingClock implements BreakerClock {
  readonly inner = new SimulatedClock();
  readonly #held = new Map<unknown, () => void>();

  now(): number {
    return this.inner.now();
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.inner.setTimeout(() => this.#held.set(id, callback), ms);
    return id;
  }

  clearTimeout(id: unknown): void {
    this.inner.clearTimeout(id as number);
    this.#held.delete(id);
  }

  increment(ms: number): void {
    this.inner.increment(ms);
  }

  set(time: number): void {
    this.inner.set(time);
  }

  /** Fires every timer that has come due. */
  fire(): void {
    this.inner.increment(0); // hands the timers due by now over to #held
    const due = [...this.#held.values()];
    this.#held.clear();
    for (const callback of due) callback();
  }
}

export interface LockStepOptions {
  config: RefConfig;
  fidelity: Fidelity;
  /** Timers fire only on `fireTimers()`, not when the clock moves. */
  lateTimers?: boolean;
  /** Clock time at the start (default 1000, so 0 is never a valid timestamp). */
  start?: number;
  name?: string;
}

export class LockStep {
  readonly clock: SimulatedClock | LaggingClock;
  readonly lateTimers: boolean;
  readonly breaker: CircuitBreaker;
  readonly ref: ReferenceBreaker;
  readonly config: RefConfig;
  readonly name: string;
  /** Calls let in and not settled, oldest first. */
  readonly pending: PendingCall[] = [];
  /** What the breaker's `stateChange` events reported. */
  readonly changes: Array<{ from: CircuitState; to: CircuitState; at: number; reason: string }> =
    [];
  /** True once the actor can be read without changing the breaker's mode. */
  #fullFidelity: boolean;
  #nextId = 0;
  /** Generations as counted here: one per state change, one per reset/forceClose in closed. */
  #generation = 0;
  /** Half-open episodes, and admissions/releases of probe slots in the current one. */
  #episode = 0;
  #admitted = 0;
  #released = 0;
  #perCallListener: (() => void) | null = null;

  constructor({
    config,
    fidelity,
    lateTimers = false,
    start = 1000,
    name = 'lockstep',
  }: LockStepOptions) {
    this.config = config;
    this.name = name;
    this.lateTimers = lateTimers;
    this.clock = lateTimers ? new LaggingClock() : new SimulatedClock();
    this.clock.set(start);
    this.breaker = new CircuitBreaker({
      name,
      clock: this.clock,
      ...config,
      ...(fidelity === 'full' ? { inspect: () => undefined } : {}),
    });
    this.#fullFidelity = fidelity === 'full';
    this.breaker.on('stateChange', ({ from, to, at, reason }) => {
      this.changes.push({ from, to, at, reason });
      this.#generation += 1;
      if (to === 'halfOpen') {
        this.#episode += 1;
        this.#admitted = 0;
        this.#released = 0;
      }
    });
    this.ref = new ReferenceBreaker(config, start);
  }

  /** Runs a call that settles at once (`sync`: `fn` returns or throws without a promise). */
  async callNow(outcome: CallOutcome, sync = false): Promise<void> {
    let runs = 0;
    const fn = () => {
      runs += 1;
      if (sync) {
        if (outcome === 'success') return 'ok';
        throw new Error('down');
      }
      return outcome === 'success' ? Promise.resolve('ok') : Promise.reject(new Error('down'));
    };
    const ticket = this.ref.request();
    const promise = this.breaker.call(fn);
    const probeEpisode = this.#noteAdmission(runs === 1, ticket);
    const settled = await settledOf(promise);
    const expected =
      ticket === REJECTED
        ? `CircuitOpenError(${this.ref.state})`
        : outcome === 'success'
          ? 'value ok'
          : 'error down';
    agree(
      { runs, seen: seen(settled) },
      { runs: ticket === REJECTED ? 0 : 1, seen: expected },
      'call',
    );
    if (probeEpisode !== null && probeEpisode === this.#episode) this.#released += 1;
    if (ticket !== REJECTED) this.ref.settle(ticket, { kind: outcome });
  }

  /**
   * Starts a call that hangs until `settle`/`abort`. With `abortable`, it goes through
   * `execute` with a signal and its `fn` rejects when that signal aborts.
   */
  async start(abortable = false): Promise<boolean> {
    let runs = 0;
    let resolve!: (value: string) => void;
    let reject!: (error: Error) => void;
    const gate = new Promise<string>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const controller = abortable ? new AbortController() : null;
    const ticket = this.ref.request();
    const promise = controller
      ? this.breaker.execute(
          ({ signal }) => {
            runs += 1;
            signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
            return gate;
          },
          { signal: controller.signal },
        )
      : this.breaker.call(() => {
          runs += 1;
          return gate;
        });
    const result = settledOf(promise);
    const probeEpisode = this.#noteAdmission(runs === 1, ticket);
    if (ticket === REJECTED) {
      agree(seen(await result), `CircuitOpenError(${this.ref.state})`, 'start: rejected');
      return false;
    }
    this.pending.push({
      id: this.#nextId++,
      ticket,
      generation: this.#generation,
      probeEpisode,
      resolve,
      reject,
      controller,
      result,
    });
    return true;
  }

  /** `execute` with a signal that is already aborted: rejects with its reason, runs nothing. */
  async executeAborted(): Promise<void> {
    let runs = 0;
    const reason = new Error('gave up before starting');
    const settled = await settledOf(
      this.breaker.execute(
        () => {
          runs += 1;
        },
        { signal: AbortSignal.abort(reason) },
      ),
    );
    agree(
      { runs, same: !settled.ok && settled.error === reason },
      { runs: 0, same: true },
      'pre-aborted',
    );
  }

  /**
   * Settles the pending call at `index` (any order). `abort` aborts the caller's signal of an
   * `execute` call: it rejects with the signal's reason and counts neither way, giving back a
   * probe slot it holds (for a call without a signal, `abort` is a failure).
   */
  async settle(index: number, how: CallOutcome | 'abort'): Promise<void> {
    const call = this.pending[index];
    if (!call) throw new Error(`no pending call at ${index}`);
    this.pending.splice(index, 1);
    const aborted = how === 'abort' && call.controller !== null;
    const outcome: CallOutcome = how === 'success' ? 'success' : 'failure';
    const late = call.generation !== this.#generation;
    const changesBefore = this.changes.length;
    if (aborted) call.controller?.abort(new Error(`caller gave up on ${call.id}`));
    else if (outcome === 'success') call.resolve(`done ${call.id}`);
    else call.reject(new Error(`failed ${call.id}`));
    const settled = await call.result;
    const expected = aborted
      ? `error caller gave up on ${call.id}`
      : outcome === 'success'
        ? `value done ${call.id}`
        : `error failed ${call.id}`;
    agree(seen(settled), expected, "settle: the caller gets fn's own result (or its abort reason)");
    if (late || aborted) {
      agree(
        this.changes.slice(changesBefore),
        [],
        'a late or cancelled call never moves the machine',
      );
    }
    if (call.probeEpisode !== null && call.probeEpisode === this.#episode) this.#released += 1;
    if (aborted) this.ref.cancel(call.ticket);
    else this.ref.settle(call.ticket, { kind: outcome });
  }

  canExecute(): void {
    const expected = this.ref.canExecute();
    const actual = this.breaker.canExecute();
    agree(actual, expected, 'canExecute');
    if (actual && this.breaker.state === 'halfOpen') this.#admitted += 1;
    this.#checkProbeBound();
  }

  record(outcome: CallOutcome): void {
    if (this.breaker.state === 'halfOpen') this.#released += 1;
    if (outcome === 'success') this.breaker.recordSuccess();
    else this.breaker.recordFailure(new Error('manual'));
    this.ref.record({ kind: outcome });
  }

  advance(ms: number): void {
    this.clock.increment(ms);
    this.ref.advance(ms, this.lateTimers);
  }

  /** Fires the timers that are due (only needed with `lateTimers`). */
  fireTimers(): void {
    if (this.clock instanceof LaggingClock) this.clock.fire();
    this.ref.fireDueTimer();
  }

  forceOpen(): void {
    if (this.breaker.state === 'forcedOpen') this.#generation += 1;
    this.breaker.forceOpen();
    this.ref.forceOpen();
  }

  forceOpenFor(ms: number): void {
    if (this.breaker.state === 'open') this.#generation += 1; // re-entered silently
    this.breaker.forceOpen({ for: ms });
    this.ref.forceOpenFor(ms);
  }

  disable(): void {
    if (this.breaker.state === 'disabled') this.#generation += 1; // re-entered silently
    this.breaker.disable();
    this.ref.disable();
  }

  forceClose(): void {
    this.#bumpIfClosed();
    this.breaker.forceClose();
    this.ref.forceClose();
  }

  reset(): void {
    this.#bumpIfClosed();
    this.breaker.reset();
    this.ref.reset();
  }

  recordCost(inputTokens: number, outputTokens: number, estimatedCost: number): void {
    this.breaker.recordCost({ inputTokens, outputTokens, estimatedCost });
    this.ref.recordCost(inputTokens, outputTokens, estimatedCost);
  }

  /** Turns a per-call (`success`) listener on or off: the breaker leaves or re-enters folding. */
  togglePerCallListener(): void {
    if (this.#perCallListener) {
      this.#perCallListener();
      this.#perCallListener = null;
    } else {
      this.#perCallListener = this.breaker.on('success', () => undefined);
    }
  }

  /** Reads `breaker.actor`, which turns on full fidelity for good. */
  readActor(): void {
    void this.breaker.actor;
    this.#fullFidelity = true;
  }

  /**
   * Compares every observable with the reference. `stats: false` leaves out what folds pending
   * outcomes in (`getStats()`, `toString()`), so that folding over several steps is exercised.
   */
  check({ stats = true }: { stats?: boolean } = {}): void {
    const { breaker, ref } = this;
    agree(
      {
        state: breaker.state,
        timeUntilRetry: breaker.timeUntilRetry(),
        changes: this.changes,
        // The generation counted here (from stateChange events) agrees with the reference's.
        pendingLate: this.pending.map((call) => call.generation !== this.#generation),
        isCostExceeded: breaker.isCostExceeded(0),
      },
      {
        state: ref.state,
        timeUntilRetry: ref.timeUntilRetry(),
        changes: ref.transitions,
        pendingLate: this.pending.map((call) => call.ticket !== ref.generation),
        isCostExceeded: ref.stats.totalEstimatedCost > 0,
      },
      'state',
    );
    if (stats) {
      const real = breaker.getStats();
      agree(real, ref.stats, 'getStats()');
      for (const [key, value] of Object.entries(real)) {
        if (typeof value === 'number' && value < 0)
          throw new Error(`${key} went negative: ${value}`);
      }
      agree(String(breaker), ref.describe(this.name), 'toString()');
    }
    if (this.#fullFidelity) {
      const { generation, openedAt, halfOpenInFlight, halfOpenSuccesses } =
        breaker.actor.getSnapshot().context;
      agree(
        { generation, openedAt, halfOpenInFlight, halfOpenSuccesses },
        ref.internals(),
        'context',
      );
    }
    this.#checkReference();
  }

  /** Lets every pending call go, oldest first, alternating outcomes, checking after each. */
  async drain(): Promise<void> {
    let i = 0;
    while (this.pending.length > 0) {
      await this.settle(0, i++ % 2 === 0 ? 'success' : 'failure');
      this.check();
    }
  }

  dispose(): void {
    this.breaker.dispose();
  }

  /** Bookkeeping after a call/canExecute was let in or turned away; returns its probe episode. */
  #noteAdmission(admitted: boolean, ticket: Ticket | null): number | null {
    if (admitted !== (ticket !== REJECTED)) {
      throw new Error(`the breaker ${admitted ? 'ran' : 'rejected'} a call the reference did not`);
    }
    if (!admitted || this.breaker.state !== 'halfOpen') return null;
    this.#admitted += 1;
    this.#checkProbeBound();
    return this.#episode;
  }

  #checkProbeBound(): void {
    const atOnce = this.#admitted - this.#released;
    if (atOnce > this.config.halfOpenMaxCalls) {
      throw new Error(
        `half-open admitted ${atOnce} probes at once (halfOpenMaxCalls ${this.config.halfOpenMaxCalls})`,
      );
    }
  }

  #bumpIfClosed(): void {
    if (this.breaker.state === 'closed') this.#generation += 1;
  }

  /** The reference's own invariants. */
  #checkReference(): void {
    const { ref } = this;
    if (ref.halfOpenInFlight < 0 || ref.halfOpenInFlight > this.config.halfOpenMaxCalls) {
      throw new Error(`reference halfOpenInFlight out of range: ${ref.halfOpenInFlight}`);
    }
  }
}
