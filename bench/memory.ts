/**
 * Child process (node --expose-gc): heap bytes per idle breaker. Usage:
 * `node --expose-gc --import tsx bench/memory.ts <library> [count]`; prints one JSON line.
 * Each library gets a process of its own so that one library's garbage or loaded code never
 * lands in another's measurement.
 */
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import OpossumBreaker from 'opossum';
import { createActor } from 'xstate';
import { settledHeap } from './gc.js';
import { loadLibrary, loadReference } from './library.js';

const { CircuitBreaker, circuitBreakerMachine } = await loadLibrary();
const { ReferenceBreaker } = await loadReference();

const makers: Record<string, () => unknown> = {
  ours: () => new CircuitBreaker(),
  /** The hand-written reference breaker with its defaults (no window, no listener). */
  floor: () => new ReferenceBreaker(),
  opossum: () => new OpossumBreaker(async () => 1),
  cockatiel: () =>
    circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
  /** The floor under ours: a started XState actor of the same machine, nothing else. */
  xstateActor: () => createActor(circuitBreakerMachine, { input: {} }).start(),
};

async function main(): Promise<void> {
  const library = process.argv[2] ?? 'ours';
  const count = Number(process.argv[3] ?? 10_000);
  const make = makers[library];
  if (make === undefined) throw new Error(`unknown library ${library}`);
  // Warm up: load every lazily created piece of code and shape before measuring.
  let warm: unknown[] = Array.from({ length: 200 }, make);
  warm = [];
  const before = await settledHeap();
  const kept = Array.from({ length: count }, make);
  const after = await settledHeap();
  const bytesPerBreaker = Math.round((after - before) / count);
  process.stdout.write(
    `${JSON.stringify({ library, count, bytesPerBreaker, warm: warm.length })}\n`,
  );
  // The array stays reachable until after the measurement.
  if (kept.length !== count) throw new Error('unreachable');
  process.exit(0);
}

await main();
