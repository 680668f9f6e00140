/**
 * The deadline queue's bookkeeping: `size` while settled calls wait at the front, and the
 * compaction of a long handled front, which must keep every call paired with its own deadline.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DeadlineQueue, type Expiring } from '../src/service/deadlines.js';

interface TestCall extends Expiring {
  settled: boolean;
  readonly name: string;
}

function call(log: string[], name: string, clock: SimulatedClock): TestCall {
  return {
    name,
    settled: false,
    expire() {
      log.push(`${name}@${clock.now()}`);
    },
  };
}

describe('DeadlineQueue bookkeeping', () => {
  it('counts only the calls after the dropped front', () => {
    const clock = new SimulatedClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    const a = call(log, 'a', clock);
    const b = call(log, 'b', clock);
    queue.add(a, clock.now(), 100);
    queue.add(b, clock.now(), 100);
    a.settled = true;
    // Adding drops the settled `a` from the front: `b` and `c` remain.
    queue.add(call(log, 'c', clock), clock.now(), 100);
    expect(queue.size).toBe(2);
  });

  it('keeps each call with its own deadline after dropping a long handled front', () => {
    const clock = new SimulatedClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    const timeout = 10_000;
    // Each call settles once the next one started, so one call runs at any time and the
    // handled front grows past the point where the queue copies the rest to new arrays.
    let previous: TestCall | undefined;
    for (let i = 0; i < 1500; i++) {
      const current = call(log, `c${i}`, clock);
      queue.add(current, clock.now(), timeout);
      if (previous) previous.settled = true;
      previous = current;
      clock.increment(1);
    }
    // Only the last call is still running: it started at t=1499.
    expect(queue.size).toBe(2);
    clock.increment(timeout - 1501); // t = 9999
    expect(log).toEqual([]);
    clock.increment(1); // t = 10000: the first call's deadline, not the last one's
    expect(log).toEqual([]);
    clock.increment(1498); // t = 11498
    expect(log).toEqual([]);
    clock.increment(1); // t = 11499 = 1499 + timeout
    expect(log).toEqual(['c1499@11499']);
    expect(queue.size).toBe(0);
  });

  it('gives a call that reuses an emptied slot its own deadline', () => {
    const clock = new SimulatedClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    const first = call(log, 'first', clock);
    queue.add(first, clock.now(), 100);
    first.settled = true;
    clock.increment(50);
    // The queue is empty again: `second` takes slot 0 of the same arrays.
    queue.add(call(log, 'second', clock), clock.now(), 100);
    clock.increment(50); // 100: the timer armed for `first` fires
    expect(log).toEqual([]);
    clock.increment(50); // 150 = 50 + timeout
    expect(log).toEqual(['second@150']);
  });

  it('keeps the running calls behind a long settled front when it copies them', () => {
    const clock = new SimulatedClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    const calls = Array.from({ length: 1100 }, (_, i) => call(log, `c${i}`, clock));
    for (const c of calls) queue.add(c, clock.now(), 1000);
    // 1050 settle while 50 run: the next add drops the front and copies the 50 (plus itself).
    for (const c of calls.slice(0, 1050)) c.settled = true;
    clock.increment(10);
    queue.add(call(log, 'last', clock), clock.now(), 1000);
    expect(queue.size).toBe(51);
    clock.increment(990); // 1000: the 50 still running time out, in the order they started
    expect(log).toEqual(calls.slice(1050).map((c) => `${c.name}@1000`));
    clock.increment(10);
    expect(log.at(-1)).toBe('last@1010');
  });

  it('keeps one slot while each call settles before the next one starts', () => {
    const clock = new SimulatedClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const c = call(log, `c${i}`, clock);
      queue.add(c, clock.now(), 1000);
      c.settled = true;
    }
    expect(queue.slots).toBe(1);
  });

  it('gives back the arrays of a burst once it is over', () => {
    const clock = new SimulatedClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    const burst = Array.from({ length: 3000 }, (_, i) => call(log, `c${i}`, clock));
    for (const c of burst) queue.add(c, clock.now(), 1000);
    expect(queue.slots).toBe(3000);
    for (const c of burst) c.settled = true;
    queue.add(call(log, 'next', clock), clock.now(), 1000);
    expect(queue.slots).toBe(1);
  });

  it('copies the running calls only once the settled front is long and at least half the queue', () => {
    // [settled front, running behind it]: the slots after one more call is added.
    const cases: Array<[number, number, number]> = [
      [10, 5, 16], // a short front stays where it is
      [1024, 1024, 1025], // 1024 settled and half the queue: copied
      [1024, 1976, 3001], // a long front, but less than half: kept
    ];
    for (const [settled, running, slots] of cases) {
      const clock = new SimulatedClock();
      const queue = new DeadlineQueue(clock);
      const log: string[] = [];
      const calls = Array.from({ length: settled + running }, (_, i) => call(log, `c${i}`, clock));
      for (const c of calls) queue.add(c, clock.now(), 1000);
      for (const c of calls.slice(0, settled)) c.settled = true;
      queue.add(call(log, 'last', clock), clock.now(), 1000);
      expect([settled, running, queue.slots]).toEqual([settled, running, slots]);
      expect(queue.size).toBe(running + 1);
    }
  });
});
