/**
 * Child process (node --expose-gc): the scale checks. Usage:
 * `node --expose-gc --import tsx bench/scale.ts [inFlight] [sequential]`; prints one JSON line.
 *
 * 1. `inFlight` calls at once through one breaker, each a promise that settles later, then all
 *    failing: the circuit must open exactly once, every call must settle exactly once with its
 *    own error, the stats must count each failure once, and the heap must return to its start.
 *    Run twice: folded (no observer) and with an `inspect` observer (every outcome an event).
 * 2. `sequential` calls one after another through one breaker (1 in 100 failing, never enough
 *    to open): counters exact, and the heap where it began.
 */
import type { CircuitBreaker as Breaker, CircuitBreakerOptions } from '../src/index.js';
import { settledHeap } from './gc.js';
import { loadLibrary } from './library.js';

const { CircuitBreaker } = await loadLibrary();

interface InFlightResult {
  mode: 'folded' | 'inspected';
  calls: number;
  fnInvocations: number;
  settledWithOwnError: number;
  settledOtherwise: number;
  timesOpened: number;
  totalFailures: number;
  totalSuccesses: number;
  totalRejections: number;
  stateAfter: string;
  inspectionEvents: number;
  heapStart: number;
  heapPeak: number;
  heapEnd: number;
  heapDeltaBytes: number;
  ms: number;
  ok: boolean;
}

interface SequentialResult {
  calls: number;
  totalSuccesses: number;
  totalFailures: number;
  stateAfter: string;
  heapStart: number;
  /** Heap after each quarter of the calls, minus `heapStart`. */
  checkpoints: number[];
  heapEnd: number;
  heapDeltaBytes: number;
  /** Growth from the first checkpoint to the last: a per-call leak would show here. */
  trendBytes: number;
  ms: number;
  ok: boolean;
}

const ERROR = new Error('downstream failed');
/**
 * Heap noise allowance for "returns to its start": 512 KiB, against a peak of tens of MB. Code
 * V8 compiles during a run (optimised loops, inline caches) stays in the heap and accounts for a
 * few hundred KB of one-time growth; a leak shows as steady growth instead, which the sequential
 * run checks separately between its checkpoints.
 */
const NOISE = 512 * 1024;
/** Allowed growth between the first and the last checkpoint of the sequential run: 128 KiB. */
const TREND = 128 * 1024;

async function inFlight(calls: number, inspected: boolean): Promise<InFlightResult> {
  let inspectionEvents = 0;
  const options: CircuitBreakerOptions = { name: 'scale', failureThreshold: 5 };
  if (inspected) options.inspect = () => void inspectionEvents++;
  const heapStart = await settledHeap();
  const started = performance.now();

  let breaker: Breaker | undefined = new CircuitBreaker(options);
  let release!: () => void;
  let gate: Promise<void> | undefined = new Promise<void>((resolve) => {
    release = resolve;
  });
  let fnInvocations = 0;
  const fn = () => {
    fnInvocations++;
    return (gate as Promise<void>).then(() => {
      throw ERROR;
    });
  };
  let settledWithOwnError = 0;
  let settledOtherwise = 0;
  let pending: Promise<void>[] | undefined = new Array(calls);
  for (let i = 0; i < calls; i++) {
    pending[i] = breaker.call(fn).then(
      () => void settledOtherwise++,
      (error: unknown) => void (error === ERROR ? settledWithOwnError++ : settledOtherwise++),
    );
  }
  const heapPeak = process.memoryUsage().heapUsed;
  const stateWhileInFlight = breaker.state;
  release();
  await Promise.all(pending);
  const stats = breaker.getStats();
  const stateAfter = breaker.state;
  const ms = performance.now() - started;
  breaker.dispose();
  breaker = undefined;
  pending = undefined;
  gate = undefined;
  const heapEnd = await settledHeap();

  const ok =
    stateWhileInFlight === 'closed' &&
    fnInvocations === calls &&
    settledWithOwnError === calls &&
    settledOtherwise === 0 &&
    stats.timesOpened === 1 &&
    stats.totalFailures === calls &&
    stats.totalSuccesses === 0 &&
    stats.totalRejections === 0 &&
    stateAfter === 'open' &&
    (!inspected || inspectionEvents > calls) &&
    heapEnd - heapStart < NOISE;
  return {
    mode: inspected ? 'inspected' : 'folded',
    calls,
    fnInvocations,
    settledWithOwnError,
    settledOtherwise,
    timesOpened: stats.timesOpened,
    totalFailures: stats.totalFailures,
    totalSuccesses: stats.totalSuccesses,
    totalRejections: stats.totalRejections,
    stateAfter,
    inspectionEvents,
    heapStart,
    heapPeak,
    heapEnd,
    heapDeltaBytes: heapEnd - heapStart,
    ms: Math.round(ms),
    ok,
  };
}

async function sequential(calls: number): Promise<SequentialResult> {
  const breaker = new CircuitBreaker({ name: 'sequential', failureThreshold: 5 });
  const value = { ok: true };
  const succeed = async () => value;
  const fail = async () => {
    throw ERROR;
  };
  const noop = () => {};
  // Warm up the code paths (and fold once) so that the measured part allocates nothing lasting.
  for (let i = 0; i < 100_000; i++) await breaker.call(i % 100 === 99 ? fail : succeed).catch(noop);
  breaker.getStats();
  const base = breaker.getStats();
  const heapStart = await settledHeap();
  const checkpoints: number[] = [];
  let ms = 0;
  const quarter = Math.ceil(calls / 4);
  for (let from = 0; from < calls; from += quarter) {
    const started = performance.now();
    for (let i = from; i < Math.min(calls, from + quarter); i++) {
      if (i % 100 === 99) {
        try {
          await breaker.call(fail);
        } catch {}
      } else {
        await breaker.call(succeed);
      }
    }
    ms += performance.now() - started;
    checkpoints.push((await settledHeap()) - heapStart);
  }
  const heapEnd = heapStart + (checkpoints.at(-1) ?? 0);
  const trendBytes = (checkpoints.at(-1) ?? 0) - (checkpoints[0] ?? 0);
  const stats = breaker.getStats();
  const totalSuccesses = stats.totalSuccesses - base.totalSuccesses;
  const totalFailures = stats.totalFailures - base.totalFailures;
  const failures = Math.floor(calls / 100);
  const ok =
    totalSuccesses === calls - failures &&
    totalFailures === failures &&
    breaker.state === 'closed' &&
    heapEnd - heapStart < NOISE &&
    trendBytes < TREND;
  return {
    calls,
    totalSuccesses,
    totalFailures,
    stateAfter: breaker.state,
    heapStart,
    checkpoints,
    heapEnd,
    heapDeltaBytes: heapEnd - heapStart,
    trendBytes,
    ms: Math.round(ms),
    ok,
  };
}

async function main(): Promise<void> {
  const concurrent = Number(process.argv[2] ?? 100_000);
  const serial = Number(process.argv[3] ?? 1_000_000);
  // One small unmeasured run of each first: code compiled on first use stays in the heap, and
  // that is not what "returns to its start" is about.
  await inFlight(Math.min(concurrent, 10_000), false);
  await inFlight(Math.min(concurrent, 10_000), true);
  const folded = await inFlight(concurrent, false);
  const inspected = await inFlight(concurrent, true);
  const seq = await sequential(serial);
  process.stdout.write(`${JSON.stringify({ inFlight: [folded, inspected], sequential: seq })}\n`);
  process.exit(0);
}

await main();
