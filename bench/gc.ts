/** Heap measurement helpers for the child processes that run with `--expose-gc`. */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Collects until the heap stops shrinking (weak refs and finalizers settle over a few turns). */
export async function settledHeap(): Promise<number> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    gc();
    await nextTurn();
    const used = process.memoryUsage().heapUsed;
    if (i >= 2 && used >= last - 1024) return used;
    last = used;
  }
  return process.memoryUsage().heapUsed;
}
