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
});
