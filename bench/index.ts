/**
 * `npm run bench`: the breaker against a bare call, opossum and cockatiel, in one process with the
 * cases interleaved; then heap per idle breaker and the scale checks in child processes started
 * with `--expose-gc`. Prints the table; with `--save` also writes `bench/results/latest.json` and
 * `latest.md` (`npm run bench -- --save`), so a run only to look leaves the tree clean.
 *
 * Options: `--quick` (fewer, shorter rounds, for a smoke run), `--rounds N`, `--slice MS`,
 * `--src` (the TypeScript source through tsx instead of the built bundle, see library.ts),
 * `--no-children` (timing only), `--out DIR` (write there instead), `--filter a,b` (only the
 * cases whose `scenario/library` contains one of the strings, plus the bare references).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildCases, type Case, type LibraryId, sink } from './cases.js';
import { type CaseTiming, timeCases } from './harness.js';
import { buildLibrary, loadLibrary } from './library.js';
import { resultsDirectory } from './output.js';
import {
  buildRows,
  checkTargets,
  type MemoryResult,
  type Results,
  toConsole,
  toMarkdown,
} from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const quick = flag('--quick');
const rounds = value('--rounds', quick ? 3 : 16);
const sliceMs = value('--slice', quick ? 15 : 40);
const warmupMs = quick ? 30 : 150;
const outDir = resultsDirectory(args, root);
/** The results compared against: the saved ones, wherever this run writes. */
const lastResults = `${outDir ?? `${root}bench/results`}/latest.json`;

const key = (scenario: string, library: LibraryId) => `${scenario}/${library}`;

/** Runs a bench script in a child Node with `--expose-gc`; returns its JSON line. */
function child<T>(script: string, ...scriptArgs: string[]): T {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', `${root}bench/${script}`, ...scriptArgs],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as T;
}

interface ScaleRun {
  inFlight: Array<{
    mode: string;
    calls: number;
    timesOpened: number;
    totalFailures: number;
    settledWithOwnError: number;
    heapDeltaBytes: number;
    ok: boolean;
  }>;
  sequential: { calls: number; heapDeltaBytes: number; trendBytes: number; ok: boolean };
}

async function main(): Promise<void> {
  const started = performance.now();
  const filterAt = args.indexOf('--filter');
  const filters = filterAt === -1 ? [] : String(args[filterAt + 1]).split(',');
  if (flag('--src')) {
    process.env.BENCH_SOURCE = 'src';
  } else {
    buildLibrary();
  }
  const lib = await loadLibrary();
  const cases: Case[] = (await buildCases(lib)).filter(
    (c) =>
      filters.length === 0 ||
      c.library === 'bare' ||
      filters.some((f) => key(c.scenario, c.library).includes(f)),
  );
  console.log(
    `timing ${cases.length} cases: ${rounds} interleaved rounds x ${sliceMs} ms (Node ${process.version})`,
  );
  const timings: CaseTiming[] = await timeCases(
    cases,
    { rounds, sliceMs, warmupMs, seed: 42 },
    (round) => process.stdout.write(`  round ${round + 1}/${rounds}\r`),
  );
  process.stdout.write('\n');
  const byKey = new Map<string, CaseTiming>();
  cases.forEach((c, index) => {
    const timing = timings[index] as CaseTiming;
    byKey.set(key(c.scenario, c.library), timing);
    c.verify?.(timing.ops);
    c.dispose?.();
  });

  let memory: MemoryResult[] = [];
  let scale: unknown = 'skipped (--no-children)';
  let scaleCheck = { ok: false, detail: 'not run' };
  if (!flag('--no-children')) {
    console.log('memory: 10,000 idle breakers per library (child processes, --expose-gc)');
    memory = ['ours', 'xstateActor', 'opossum', 'cockatiel'].map((library) =>
      child<MemoryResult>('memory.ts', library, '10000'),
    );
    console.log('scale: 100,000 calls in flight, then 1,000,000 sequential calls');
    const run = child<ScaleRun>('scale.ts', '100000', '1000000');
    scale = run;
    const ok = run.inFlight.every((r) => r.ok) && run.sequential.ok;
    const detail = [
      ...run.inFlight.map(
        (r) =>
          `${r.mode}: ${r.calls} in flight, opened ${r.timesOpened}x, ${r.totalFailures} failures counted, ` +
          `${r.settledWithOwnError} settled with own error, heap ${signed(r.heapDeltaBytes)} B`,
      ),
      `${run.sequential.calls} sequential: heap ${signed(run.sequential.heapDeltaBytes)} B ` +
        `(${signed(run.sequential.trendBytes)} B from the first quarter to the last)`,
    ].join('; ');
    scaleCheck = { ok, detail };
  }

  const { rows, bare, floors } = buildRows(byKey, key);
  const results: Results = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} threads)`,
      rounds,
      sliceMs,
      tool: 'tinybench 6, batches timed with overriddenDuration',
      build: process.env.BENCH_SOURCE === 'src' ? 'src via tsx' : 'tsup bundle (esm, node18)',
      sink: sink.value > 0,
    },
    bare,
    rows,
    floors,
    memory,
    scale,
    targets: checkTargets(rows, memory, scaleCheck),
  };

  console.log(`\nmedian ns per call (ratio to bare)\n${toConsole(results)}\n`);
  compareWithLast(results);
  for (const m of memory)
    console.log(`heap per idle breaker: ${m.library.padEnd(12)} ${m.bytesPerBreaker} B`);
  console.log('\ntargets');
  for (const t of results.targets)
    console.log(`  [${t.met ? 'met' : 'MISSED'}] ${t.name}: ${t.detail}`);

  const took = `${((performance.now() - started) / 1000).toFixed(0)} s`;
  if (outDir === null) {
    console.log(`\ndone in ${took}; not saved (npm run bench -- --save writes bench/results)`);
    return;
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${outDir}/latest.md`, toMarkdown(results));
  console.log(`\nwrote ${outDir}/latest.json and latest.md in ${took}`);
}

function signed(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}

/** Prints how our medians moved since the results last written. */
function compareWithLast(results: Results): void {
  const file = lastResults;
  if (!existsSync(file)) return;
  try {
    const last = JSON.parse(readFileSync(file, 'utf8')) as Results;
    const lines = results.rows.flatMap((row) => {
      const before = last.rows.find((r) => r.scenario === row.scenario)?.cells.ours?.medianNs;
      const now = row.cells.ours?.medianNs;
      if (before === undefined || now === undefined) return [];
      return [`  ${row.title.padEnd(44)} ${Math.round(before)} -> ${Math.round(now)} ns`];
    });
    if (lines.length > 0)
      console.log(`ours since the last run (${String(last.meta.date)}):\n${lines.join('\n')}\n`);
  } catch {
    // an unreadable previous result is simply not compared
  }
}

await main();
process.exit(0);
