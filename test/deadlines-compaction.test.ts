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
});
