/** The deadline queue: one timer for every call timeout of a breaker. */
import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DeadlineQueue, type Expiring } from '../src/service/deadlines.js';

function call(log: string[], name: string): Expiring & { settled: boolean } {
  return {
    settled: false,
    expire() {
      log.push(`${name}@expired`);
    },
  };
}

/** Counts the timers of `clock` set and neither fired nor cleared yet. */
function liveTimers(clock: SimulatedClock): () => number {
  const pending = new Set<unknown>();
  const set = clock.setTimeout.bind(clock);
  const clear = clock.clearTimeout.bind(clock);
  clock.setTimeout = (callback: () => void, ms: number) => {
    const handle: unknown = set(() => {
      pending.delete(handle);
      callback();
    }, ms);
    pending.add(handle);
    return handle as ReturnType<SimulatedClock['setTimeout']>;
  };
  clock.clearTimeout = (handle: ReturnType<SimulatedClock['setTimeout']>) => {
    pending.delete(handle);
    clear(handle);
  };
  return () => pending.size;
}

describe('DeadlineQueue', () => {
  it('expires running calls at their own deadlines, in the order they started', () => {
    const clock = new SimulatedClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    queue.add(call(log, 'a'), clock.now(), 100);
    clock.increment(30);
    queue.add(call(log, 'b'), clock.now(), 100);
    clock.increment(69);
    expect(log).toEqual([]);
    clock.increment(1); // 100: a is due
    expect(log).toEqual(['a@expired']);
    clock.increment(29);
    expect(log).toEqual(['a@expired']);
    clock.increment(1); // 130: b is due
    expect(log).toEqual(['a@expired', 'b@expired']);
    expect(queue.size).toBe(0);
  });

  it('never expires a call that settled, and arms one timer for many calls', () => {
    const clock = new SimulatedClock();
    const timers = vi.spyOn(clock, 'setTimeout');
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    const calls = ['a', 'b', 'c'].map((name) => call(log, name));
    for (const c of calls) queue.add(c, clock.now(), 50);
    expect(timers).toHaveBeenCalledTimes(1);
    (calls[1] as { settled: boolean }).settled = true;
    clock.increment(50);
    expect(log).toEqual(['a@expired', 'c@expired']);
  });

  it('drops the settled front when a call is added, so it holds about the calls running', () => {
    const clock = new SimulatedClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const c = call(log, String(i));
      queue.add(c, clock.now(), 1000);
      c.settled = true; // settles before the next one starts
    }
    expect(queue.size).toBe(1);
    const late = call(log, 'late');
    queue.add(late, clock.now(), 1000);
    clock.increment(1000);
    expect(log).toEqual(['late@expired']);
  });

  it('re-arms for the next deadline when its timer fires early', () => {
    const clock = new SimulatedClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    queue.add(call(log, 'a'), clock.now() + 10, 100); // as if the clock read came late
    clock.increment(100);
    expect(log).toEqual([]);
    clock.increment(10);
    expect(log).toEqual(['a@expired']);
  });

  it('keeps the older deadline when an expiry starts a call with a later one', () => {
    const clock = new SimulatedClock();
    const live = liveTimers(clock);
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    // `a` expires at 100 and, like a fallback or listener would, starts `c` (due at 200).
    const a: Expiring = {
      settled: false,
      expire() {
        log.push('a@expired');
        queue.add(call(log, 'c'), clock.now(), 100);
      },
    };
    queue.add(a, clock.now(), 100);
    clock.increment(40);
    queue.add(call(log, 'b'), clock.now(), 100); // due at 140, before `c`
    clock.increment(60);
    expect(log).toEqual(['a@expired']);
    expect(live()).toBe(1); // one timer, for `b`
    clock.increment(40); // 140
    expect(log).toEqual(['a@expired', 'b@expired']);
    clock.increment(59);
    expect(log).toEqual(['a@expired', 'b@expired']);
    clock.increment(1); // 200
    expect(log).toEqual(['a@expired', 'b@expired', 'c@expired']);
  });

  it('reuses its slots after a burst, and expires what comes after it', () => {
    const clock = new SimulatedClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    const burst = Array.from({ length: 3000 }, (_, i) => call(log, `burst${i}`));
    for (const c of burst) queue.add(c, clock.now(), 1000);
    expect(queue.size).toBe(3000);
    for (const c of burst) c.settled = true;
    const next = call(log, 'next');
    queue.add(next, clock.now(), 1000);
    expect(queue.size).toBe(1);
    next.settled = true;
    clock.increment(1000);
    expect(log).toEqual([]);
    expect(queue.size).toBe(0);
    queue.add(call(log, 'after'), clock.now(), 1000);
    clock.increment(1000);
    expect(log).toEqual(['after@expired']);
  });
});
