/**
 * `tsx scripts/mutation-score.ts REPORT.json...`: merges Stryker JSON reports of runs over parts
 * of the tree into one table per file and one whole-tree score (the score of test/MUTATION.md).
 *
 * A mutant is known by its file, place, mutator and replacement. Reports are read in the order
 * given; a later report's result replaces an earlier one's, except that a mutant a run left out
 * (`Ignored`, a static mutant under `ignoreStatic`) never replaces a result. The reports after
 * `--static` are static runs (the `static-*` parts of `stryker.parts.mjs`, against a few fast
 * test files): they only decide the static mutants a part left undecided, the rest being the
 * whole suite's to judge. A part leaves a static mutant out, or (when a test imports the module
 * inside the test, as `test/machine-loads.test.ts` does) runs it against that one test, which
 * cannot kill it; a kill by a part stands. `--survivors` also lists every mutant that survived
 * or had no coverage.
 */
import { readFileSync } from 'node:fs';

interface Mutant {
  mutatorName: string;
  /** Covered only while a module loads (the machine definition): a part cannot judge it. */
  static?: boolean;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

const args = process.argv.slice(2);
const listSurvivors = args.includes('--survivors');
const staticFrom = args.includes('--static') ? args.indexOf('--static') : args.length;
const reports = args
  .map((arg, index) => ({ path: arg, staticRun: index > staticFrom }))
  .filter(({ path }) => !path.startsWith('--'));
if (reports.length === 0) {
  console.error(
    'usage: tsx scripts/mutation-score.ts [--survivors] PART.json... [--static STATIC.json...]',
  );
  process.exit(2);
}

/**
 * True when a part run could not judge a mutant: it left it out, or it is a static one that it
 * ran only against tests that load its module without testing it, and none of them failed.
 */
function undecided(mutant: Mutant): boolean {
  return (
    mutant.status === 'Ignored' ||
    (mutant.static === true && (mutant.status === 'Survived' || mutant.status === 'NoCoverage'))
  );
}

const results = new Map<string, { file: string; line: string; mutant: Mutant }>();
for (const { path, staticRun } of reports) {
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split('\n');
    for (const mutant of mutants) {
      const { start, end } = mutant.location;
      const key = `${file}:${start.line}:${start.column}-${end.line}:${end.column}:${mutant.mutatorName}:${mutant.replacement ?? ''}`;
      const known = results.get(key)?.mutant;
      if (known !== undefined && (mutant.status === 'Ignored' || (staticRun && !undecided(known))))
        continue;
      results.set(key, { file, line: (lines[start.line - 1] ?? '').trim(), mutant });
    }
  }
}

const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const perFile = new Map<string, Record<string, number>>();
for (const { file, mutant } of results.values()) {
  const counts = perFile.get(file) ?? {};
  counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
  perFile.set(file, counts);
}

const score = (detected: number, undetected: number) =>
  detected + undetected === 0 ? '-' : `${((100 * detected) / (detected + undetected)).toFixed(2)}%`;
const total: Record<string, number> = {};
console.log('| file | killed | timeout | survived | no coverage | not run | score |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [file, counts] of [...perFile].sort(([a], [b]) => a.localeCompare(b))) {
  for (const [status, n] of Object.entries(counts)) total[status] = (total[status] ?? 0) + n;
  const n = (status: string) => counts[status] ?? 0;
  const detected = n('Killed') + n('Timeout');
  const undetected = n('Survived') + n('NoCoverage');
  console.log(
    `| ${file} | ${n('Killed')} | ${n('Timeout')} | ${n('Survived')} | ${n('NoCoverage')} | ${n('Ignored')} | ${score(detected, undetected)} |`,
  );
}
const t = (status: string) => total[status] ?? 0;
const detected = t('Killed') + t('Timeout');
const undetected = t('Survived') + t('NoCoverage');
console.log(
  `\n${detected + undetected} mutants run: ${t('Killed')} killed, ${t('Timeout')} timed out, ` +
    `${t('Survived')} survived, ${t('NoCoverage')} without coverage; ${t('Ignored')} not run. ` +
    `Score ${score(detected, undetected)}.`,
);

if (listSurvivors) {
  console.log('');
  for (const { file, line, mutant } of results.values()) {
    if (!UNDETECTED.has(mutant.status)) continue;
    const { line: at, column } = mutant.location.start;
    const replacement = JSON.stringify(mutant.replacement ?? '').slice(0, 80);
    console.log(
      `${file}:${at}:${column} ${mutant.status} ${mutant.mutatorName} => ${replacement} | ${line}`,
    );
  }
}
