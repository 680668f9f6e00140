/**
 * Interleaved timing on top of tinybench. A run is `rounds` rounds; each round builds one
 * tinybench `Bench` holding every case in a fresh shuffled order and gives each case a short time
 * slice. Machine drift (thermal, frequency, a noisy neighbour) therefore lands on every case
 * alike instead of on whichever ran last. Each tinybench iteration is one batch of calls timed
 * by the task itself (`overriddenDuration` = batch time / batch size), so the timer's own cost
 * and tinybench's per-iteration await are spread over the whole batch.
 */
import { Bench } from 'tinybench';
import type { Case } from './cases.js';

export interface TimingOptions {
  rounds: number;
  /** Milliseconds each case runs per round. */
  sliceMs: number;
  /** Milliseconds of warm-up each case gets in the first round. */
  warmupMs: number;
  seed: number;
}

export interface CaseTiming {
  /** Median over every batch of every round, in nanoseconds per call. */
  medianNs: number;
  /** Lowest and highest per-round median: how much the rounds disagree. */
  roundMinNs: number;
  roundMaxNs: number;
  p75Ns: number;
  batches: number;
  /** Operations the case ran in all (warm-up included), for its `verify`. */
  ops: number;
}

/** A small seeded PRNG (mulberry32), so the shuffles are the same from run to run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (at - lo);
}

/** What the harness needs of a case: its batch size and batch function. */
export type TimedCase = Pick<Case, 'batch' | 'run' | 'sync'>;

/** Times every case; returns one entry per case, in the order given. */
export async function timeCases(
  cases: readonly TimedCase[],
  options: TimingOptions,
  onRound?: (round: number) => void,
): Promise<CaseTiming[]> {
  const next = random(options.seed);
  const samples = cases.map(() => [] as number[]);
  const roundMedians = cases.map(() => [] as number[]);
  const ops = cases.map(() => 0);

  for (let round = 0; round < options.rounds; round++) {
    onRound?.(round);
    const bench = new Bench({
      time: options.sliceMs,
      iterations: 8,
      warmup: round === 0,
      warmupTime: options.warmupMs,
      warmupIterations: 8,
      retainSamples: true,
      throws: true,
    });
    const order = shuffled(
      cases.map((_, index) => index),
      next,
    );
    const now = () => performance.now();
    for (const index of order) {
      const c = cases[index] as TimedCase;
      const isAsync = c.sync !== true;
      const measure = isAsync
        ? async () => {
            const start = now();
            await c.run(c.batch);
            const elapsed = now() - start;
            ops[index] = (ops[index] as number) + c.batch;
            return { overriddenDuration: elapsed / c.batch, overriddenIterationCost: elapsed };
          }
        : () => {
            const start = now();
            c.run(c.batch);
            const elapsed = now() - start;
            ops[index] = (ops[index] as number) + c.batch;
            return { overriddenDuration: elapsed / c.batch, overriddenIterationCost: elapsed };
          };
      bench.add(`${index}`, measure, { async: isAsync });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const index = Number(task.name);
      const result = task.result;
      if (!('latency' in result))
        throw new Error(`case ${index} did not complete: ${result.state}`);
      const got = [...(result.latency.samples ?? [])].map((ms) => ms * 1e6);
      (samples[index] as number[]).push(...got);
      (roundMedians[index] as number[]).push(result.latency.p50 * 1e6);
    }
  }

  return cases.map((_, index) => {
    const all = (samples[index] as number[]).sort((a, b) => a - b);
    const rounds = (roundMedians[index] as number[]).sort((a, b) => a - b);
    return {
      medianNs: quantile(all, 0.5),
      p75Ns: quantile(all, 0.75),
      roundMinNs: rounds[0] as number,
      roundMaxNs: rounds.at(-1) as number,
      batches: all.length,
      ops: ops[index] as number,
    };
  });
}
