/**
 * `npm run bench`: the breaker against a bare call, a hand-written reference breaker, cockatiel
 * and opossum, in one process with the cases interleaved; then heap per idle breaker and the
 * scale checks in child processes started with `--expose-gc`. Prints the table, each row's
 * target and whether it is met. It writes `latest.json` and `latest.md` only when asked:
 * `--save` writes the published `bench/results` (a full run only), so a run only to look
 * leaves the tree clean.
 *
 * Options (after `npm run bench --`):
 * - `--only a,b`: only these rows (scenario ids of `bench/scenarios.ts`, e.g.
 *   `--only windowMixed,timeoutCall`), with their references and the rows their targets name;
 *   `idleBytes` runs the heap children, `scale` the scale checks, `floors` the reference costs
 *   (a full run has them all). An unknown id lists the valid ones.
 * - `--quick`: 3 rounds of 15 ms per case and a smaller scale run, for measuring while working.
 * - `--rounds N`, `--slice MS`: set the rounds and the milliseconds per case per round.
 * - `--filter a,b`: only the cases whose `scenario/library` contains one of the strings (plus
 *   the bare references), e.g. `--filter /ours` for our column alone.
 * - `--src`: the TypeScript source through tsx instead of the built bundle (see library.ts).
 * - `--no-children`: timing only (no heap or scale children).
 * - `--save`: write `bench/results` (refused for a partial run); `--out DIR`: write there.
 *   Otherwise results go to `node_modules/.cache/xstate-circuit-breaker-bench-results`, so a
 *   run never replaces the published results unless asked. Each run prints how our medians
 *   moved since the last run written to the same place.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildCases, type Case, type LibraryId, type ScenarioId, sink } from './cases.js';
import { type CaseTiming, timeCases } from './harness.js';
import { buildLibrary, loadLibrary, loadReference } from './library.js';
import { resultsDirectory } from './output.js';
import { buildRows, checkTargets, type MemoryResult, type Results } from './report.js';
import { toConsole, toMarkdown } from './report-format.js';
import { type BareId, SCENARIOS } from './scenarios.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const text = (name: string) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : String(args[at + 1]);
};
const value = (name: string, fallback: number) => {
  const given = text(name);
  if (given === undefined) return fallback;
  const n = Number(given);
  if (!Number.isFinite(n) || n <= 0)
    throw new RangeError(`${name} must be a positive number, got ${given}`);
  return n;
};
const quick = flag('--quick');
const rounds = value('--rounds', quick ? 3 : 16);
const sliceMs = value('--slice', quick ? 15 : 40);
const warmupMs = quick ? 30 : 150;
const only = text('--only')
  ?.split(',')
  .filter((id) => id !== '');
const filters = text('--filter')?.split(',') ?? [];
const partial = quick || only !== undefined || filters.length > 0 || flag('--src');
if (partial && flag('--save')) {
  throw new RangeError(
    '--save writes the published results: run without --quick/--only/--filter/--src',
  );
}
const outDir =
  resultsDirectory(args, root) ?? `${root}node_modules/.cache/xstate-circuit-breaker-bench-results`;

/** Ids `--only` takes besides the rows. */
const EXTRAS = ['floors', 'scale'] as const;

interface Plan {
  scenarios: Set<ScenarioId>;
  bare: Set<BareId>;
  floors: boolean;
  memory: boolean;
  scale: boolean;
}

/** What this run measures, from `--only` (everything without it). */
function plan(): Plan {
  const all = SCENARIOS.map((s) => s.id);
  if (only !== undefined) {
    const valid = new Set<string>([...all, ...EXTRAS]);
    const unknown = only.filter((id) => !valid.has(id));
    if (unknown.length > 0) {
      throw new RangeError(
        `--only: unknown ${unknown.join(', ')}; valid: ${[...valid].join(', ')}`,
      );
    }
  }
  const scenarios = new Set<ScenarioId>(
    only === undefined ? all : all.filter((id) => only.includes(id)),
  );
  // A target may name another row's cell (callTimeout via execute against the call row's peers).
  for (const s of SCENARIOS)
    if (scenarios.has(s.id) && s.target?.row !== undefined) scenarios.add(s.target.row);
  const bare = new Set<BareId>();
  for (const s of SCENARIOS)
    if (scenarios.has(s.id) && s.reference !== 'floor' && s.unit !== 'bytes') bare.add(s.reference);
  const children = !flag('--no-children');
  const wants = (id: string) => only === undefined || only.includes(id);
  return {
    scenarios,
    bare,
    floors: wants('floors'),
    memory: children && scenarios.has('idleBytes'),
    scale: children && wants('scale'),
  };
}

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
  const what = plan();
  if (flag('--src')) {
    process.env.BENCH_SOURCE = 'src';
  } else {
    buildLibrary();
  }
  const lib = await loadLibrary();
  const referenceLibrary = await loadReference();
  const cases: Case[] = (
    await buildCases(lib, referenceLibrary, {
      scenarios: what.scenarios,
      bare: what.bare,
      floors: what.floors,
    })
  ).filter(
    (c) =>
      filters.length === 0 ||
      c.library === 'bare' ||
      filters.some((f) => key(c.scenario, c.library).includes(f)),
  );
  console.log(
    `timing ${cases.length} cases: ${rounds} interleaved rounds x ${sliceMs} ms (Node ${process.version})`,
  );
  const timings: CaseTiming[] =
    cases.length === 0
      ? []
      : await timeCases(cases, { rounds, sliceMs, warmupMs, seed: 42 }, (round) =>
          process.stdout.write(`  round ${round + 1}/${rounds}\r`),
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
  if (what.memory) {
    console.log('memory: 10,000 idle breakers per library (child processes, --expose-gc)');
    memory = ['ours', 'floor', 'xstateActor', 'opossum', 'cockatiel'].map((library) =>
      child<MemoryResult>('memory.ts', library, '10000'),
    );
  }
  let scale: unknown = 'not run (--no-children, or not in --only)';
  let scaleCheck: { ok: boolean; detail: string } | undefined;
  if (what.scale) {
    const [inFlight, sequential] = quick ? ['20000', '200000'] : ['100000', '1000000'];
    console.log(`scale: ${inFlight} calls in flight, then ${sequential} sequential calls`);
    const run = child<ScaleRun>('scale.ts', inFlight, sequential);
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

  const { rows, bare, floors } = buildRows(byKey, memory, key, what.scenarios);
  const results: Results = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} threads)`,
      rounds,
      sliceMs,
      partial,
      tool: 'tinybench 6, batches timed with overriddenDuration',
      build: process.env.BENCH_SOURCE === 'src' ? 'src via tsx' : 'tsup bundle (esm, node20)',
      sink: sink.value > 0,
    },
    bare,
    rows,
    floors,
    memory,
    scale,
    targets: checkTargets(rows, scaleCheck),
  };

  console.log(`\nmedian ns per operation (ratio to the row's reference)\n${toConsole(results)}\n`);
  compareWithLast(results);
  for (const m of memory)
    console.log(`heap per idle breaker: ${m.library.padEnd(12)} ${m.bytesPerBreaker} B`);
  console.log('\ntargets');
  for (const t of results.targets)
    console.log(`  [${t.met ? 'met' : 'MISSED'}] ${t.name}: ${t.detail}`);

  const took = `${((performance.now() - started) / 1000).toFixed(0)} s`;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${outDir}/latest.md`, toMarkdown(results));
  console.log(`\nwrote ${outDir}/latest.json and latest.md in ${took}`);
  if (!outDir.endsWith('bench/results')) {
    console.log('(npm run bench -- --save writes the published bench/results)');
  }
}

function signed(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}

/** Prints how our medians moved since the results last written. */
function compareWithLast(results: Results): void {
  const file = `${outDir}/latest.json`;
  if (!existsSync(file)) return;
  try {
    const last = JSON.parse(readFileSync(file, 'utf8')) as Results;
    const lines = results.rows.flatMap((row) => {
      // Results written before cells had `value` called it `medianNs`.
      const cell = last.rows.find((r) => r.scenario === row.scenario)?.cells.ours as
        | { value?: number; medianNs?: number }
        | undefined;
      const before = cell?.value ?? cell?.medianNs;
      const now = row.cells.ours?.value;
      if (before === undefined || now === undefined) return [];
      const unit = row.unit === 'bytes' ? 'B' : 'ns';
      return [`  ${row.title.padEnd(46)} ${Math.round(before)} -> ${Math.round(now)} ${unit}`];
    });
    if (lines.length > 0)
      console.log(`ours since the last run (${String(last.meta.date)}):\n${lines.join('\n')}\n`);
  } catch {
    // an unreadable previous result is simply not compared
  }
}

await main();
process.exit(0);
