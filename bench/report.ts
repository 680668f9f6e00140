/** Turns timings into the results document, the console table, the Markdown table and targets. */
import { FLOORS, LIBRARIES, type LibraryId, SCENARIOS, type ScenarioId } from './cases.js';
import type { CaseTiming } from './harness.js';

export interface Cell {
  medianNs: number;
  ratioToBare: number;
  roundMinNs: number;
  roundMaxNs: number;
  batches: number;
}

export interface Row {
  scenario: ScenarioId;
  title: string;
  reference: 'bareSuccess' | 'bareFailure' | 'bareMixed';
  referenceNs: number;
  cells: Partial<Record<LibraryId, Cell>>;
  notApplicable: Partial<Record<LibraryId, string>>;
  note?: string;
}

export interface MemoryResult {
  library: string;
  count: number;
  bytesPerBreaker: number;
}

export interface Target {
  name: string;
  met: boolean;
  detail: string;
}

export interface Results {
  meta: Record<string, unknown>;
  bare: { successNs: number; failureNs: number; mixedNs: number };
  rows: Row[];
  floors: { id: string; title: string; medianNs: number; ratioToBare: number }[];
  memory: MemoryResult[];
  scale: unknown;
  targets: Target[];
}

export function buildRows(
  timings: ReadonlyMap<string, CaseTiming>,
  key: (scenario: string, library: LibraryId) => string,
): { rows: Row[]; bare: Results['bare']; floors: Results['floors'] } {
  const bareNs = (id: string) => timings.get(key(id, 'bare'))?.medianNs ?? Number.NaN;
  const bareSuccess = bareNs('bareSuccess');
  const rows = SCENARIOS.map((scenario): Row => {
    const referenceNs = bareNs(scenario.reference);
    const cells: Row['cells'] = {};
    cells.bare = {
      medianNs: referenceNs,
      ratioToBare: 1,
      roundMinNs: timings.get(key(scenario.reference, 'bare'))?.roundMinNs ?? Number.NaN,
      roundMaxNs: timings.get(key(scenario.reference, 'bare'))?.roundMaxNs ?? Number.NaN,
      batches: timings.get(key(scenario.reference, 'bare'))?.batches ?? 0,
    };
    for (const { id } of LIBRARIES) {
      const timing = timings.get(key(scenario.id, id));
      if (timing === undefined) continue;
      cells[id] = {
        medianNs: timing.medianNs,
        ratioToBare: timing.medianNs / referenceNs,
        roundMinNs: timing.roundMinNs,
        roundMaxNs: timing.roundMaxNs,
        batches: timing.batches,
      };
    }
    const row: Row = {
      scenario: scenario.id,
      title: scenario.title,
      reference: scenario.reference,
      referenceNs,
      cells,
      notApplicable: scenario.notApplicable ?? {},
    };
    if (scenario.note !== undefined) row.note = scenario.note;
    return row;
  });
  const floors = FLOORS.flatMap(({ id, title }) => {
    const medianNs = timings.get(key(id, 'floor'))?.medianNs;
    return medianNs === undefined
      ? []
      : [{ id, title, medianNs, ratioToBare: medianNs / bareSuccess }];
  });
  return {
    rows,
    floors,
    bare: {
      successNs: bareSuccess,
      failureNs: bareNs('bareFailure'),
      mixedNs: bareNs('bareMixed'),
    },
  };
}

function ns(row: Row | undefined, library: LibraryId): number {
  return row?.cells[library]?.medianNs ?? Number.NaN;
}

const fmt = (value: number) => (Number.isFinite(value) ? `${Math.round(value)}` : '?');
const fx = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '?');

export function checkTargets(
  rows: readonly Row[],
  memory: readonly MemoryResult[],
  scale: { ok: boolean; detail: string },
): Target[] {
  const by = (id: ScenarioId) => rows.find((row) => row.scenario === id);
  const success = by('success');
  const failure = by('failure');
  const protocol = by('protocol');
  const rejectCall = by('rejectCall');
  const rejectCan = by('rejectCanExecute');
  const exported = by('exported');
  const ours = memory.find((m) => m.library === 'ours')?.bytesPerBreaker ?? Number.NaN;
  const successRatio = success?.cells.ours?.ratioToBare ?? Number.NaN;
  const targets: Target[] = [
    {
      name: 'success in closed <= 1.3x bare',
      met: successRatio <= 1.3,
      detail: `${fmt(ns(success, 'ours'))} ns = ${fx(successRatio)} bare (${fmt(ns(success, 'bare'))} ns)`,
    },
    {
      name: 'success in closed below cockatiel',
      met: ns(success, 'ours') < ns(success, 'cockatiel'),
      detail: `${fmt(ns(success, 'ours'))} ns vs cockatiel ${fmt(ns(success, 'cockatiel'))} ns`,
    },
    {
      name: 'failure below threshold below cockatiel',
      met: ns(failure, 'ours') < ns(failure, 'cockatiel'),
      detail: `${fmt(ns(failure, 'ours'))} ns vs cockatiel ${fmt(ns(failure, 'cockatiel'))} ns`,
    },
    {
      name: 'canExecute protocol below cockatiel',
      met: ns(protocol, 'ours') < ns(protocol, 'cockatiel'),
      detail: `${fmt(ns(protocol, 'ours'))} ns vs cockatiel execute ${fmt(ns(protocol, 'cockatiel'))} ns`,
    },
    {
      name: 'rejection via canExecute() <= 0.5x bare',
      met: (rejectCan?.cells.ours?.ratioToBare ?? Number.NaN) <= 0.5,
      detail: `${fmt(ns(rejectCan, 'ours'))} ns = ${fx(rejectCan?.cells.ours?.ratioToBare ?? Number.NaN)} bare`,
    },
    {
      name: 'rejection via call below opossum',
      met: ns(rejectCall, 'ours') < ns(rejectCall, 'opossum'),
      detail: `${fmt(ns(rejectCall, 'ours'))} ns vs opossum ${fmt(ns(rejectCall, 'opossum'))} ns`,
    },
    {
      name: 'idle breaker <= 4 KB heap',
      met: ours <= 4096,
      detail: `${fmt(ours)} bytes each (10,000 breakers)`,
    },
    {
      name: 'Prometheus exporter attached, not scraped: within 10% of success in closed',
      met: ns(exported, 'ours') <= ns(success, 'ours') * 1.1,
      detail: `${fmt(ns(exported, 'ours'))} ns vs ${fmt(ns(success, 'ours'))} ns without`,
    },
    { name: 'scale: opens once, nothing lost, heap returns', met: scale.ok, detail: scale.detail },
  ];
  return targets;
}

/** The Markdown document: the timing table, memory, scale and targets. */
export function toMarkdown(results: Results): string {
  const libs = LIBRARIES.filter(({ id }) => results.rows.some((row) => row.cells[id]));
  const lines: string[] = [];
  const floors = results.floors.map(
    (f) => `| ${f.title} | ${fmt(f.medianNs)} | ${fx(f.ratioToBare)} |`,
  );
  lines.push(
    '# Benchmark results',
    '',
    `${String(results.meta.date)} · Node ${String(results.meta.node)} · ${String(results.meta.cpu)} · ` +
      `${String(results.meta.rounds)} interleaved rounds × ${String(results.meta.sliceMs)} ms per case`,
    '',
    'Median ns per awaited call (ratio to the bare call of the same row). `—` means no equivalent.',
    '',
    `| scenario | ${libs.map((lib) => lib.title).join(' | ')} |`,
    `| --- | ${libs.map(() => '---:').join(' | ')} |`,
  );
  for (const row of results.rows) {
    const cells = libs.map(({ id }) => {
      const cell = row.cells[id];
      if (cell === undefined) return row.notApplicable[id] ? 'N/A' : '—';
      return id === 'bare' ? fmt(cell.medianNs) : `${fmt(cell.medianNs)} (${fx(cell.ratioToBare)})`;
    });
    lines.push(`| ${row.title} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push(
    'Bare references: `await fn()` for success rows and both canExecute rows; `try { await fn() } catch {}` with a rejecting `fn` (preallocated error) for the failure and reject-via-call rows; the same loop with 1 call in 4 rejecting for the mixed row.',
  );
  for (const row of results.rows) {
    if (row.note) lines.push(`- *${row.title}*: ${row.note}.`);
    for (const [lib, why] of Object.entries(row.notApplicable)) {
      lines.push(`- *${row.title}*, ${lib}: N/A, ${why}.`);
    }
  }
  lines.push('', '## Reference costs (same run)', '');
  lines.push('| operation | ns | ratio to bare call |', '| --- | ---: | ---: |', ...floors);
  lines.push('', '## Memory: heap per idle breaker (10,000 breakers)', '');
  lines.push('| library | bytes each |', '| --- | ---: |');
  for (const m of results.memory) {
    lines.push(`| ${MEMORY_LABELS[m.library] ?? m.library} | ${fmt(m.bytesPerBreaker)} |`);
  }
  lines.push('', '## Scale', '', ...scaleTable(results.scale), '');
  lines.push('## Targets', '', '| target | met | measured |', '| --- | :---: | --- |');
  for (const t of results.targets)
    lines.push(`| ${t.name} | ${t.met ? 'yes' : 'NO'} | ${t.detail} |`);
  lines.push('');
  return lines.join('\n');
}

const MEMORY_LABELS: Record<string, string> = {
  ours: 'xstate-circuit-breaker (`new CircuitBreaker()`)',
  xstateActor: 'a started XState actor of `circuitBreakerMachine`, nothing else (our floor)',
  opossum: 'opossum (`new CircuitBreaker(fn)`)',
  cockatiel: 'cockatiel (`circuitBreaker(handleAll, ConsecutiveBreaker)`)',
};

interface ScaleShape {
  inFlight: Array<{
    mode: string;
    calls: number;
    fnInvocations: number;
    settledWithOwnError: number;
    timesOpened: number;
    totalFailures: number;
    heapStart: number;
    heapPeak: number;
    heapDeltaBytes: number;
    ms: number;
    ok: boolean;
  }>;
  sequential: {
    calls: number;
    totalSuccesses: number;
    totalFailures: number;
    checkpoints: number[];
    heapDeltaBytes: number;
    trendBytes: number;
    ms: number;
    ok: boolean;
  };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** The scale results as Markdown (the full numbers are in latest.json). */
function scaleTable(scale: unknown): string[] {
  const run = scale as Partial<ScaleShape> | undefined;
  if (run?.inFlight === undefined || run.sequential === undefined) return [String(scale)];
  const lines = [
    '| run | calls | fn ran | settled with own error | opened | failures counted | heap start → peak | heap after vs start | ms | ok |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |',
  ];
  for (const r of run.inFlight) {
    lines.push(
      `| all in flight, then all fail (${r.mode}) | ${r.calls} | ${r.fnInvocations} | ${r.settledWithOwnError} | ${r.timesOpened} | ${r.totalFailures} | ${kb(r.heapStart)} → ${kb(r.heapPeak)} | ${r.heapDeltaBytes >= 0 ? '+' : ''}${kb(r.heapDeltaBytes)} | ${Math.round(r.ms)} | ${r.ok ? 'yes' : 'NO'} |`,
    );
  }
  const q = run.sequential;
  lines.push(
    '',
    `Sequential: ${q.calls} calls one after another (1 in 100 failing): ${q.totalSuccesses} successes and ${q.totalFailures} failures counted; heap after each quarter vs start: ${q.checkpoints.map((c) => `${c >= 0 ? '+' : ''}${kb(c)}`).join(', ')} (first to last quarter ${q.trendBytes >= 0 ? '+' : ''}${kb(q.trendBytes)}); ${Math.round(q.ms)} ms; ${q.ok ? 'ok' : 'NOT ok'}.`,
  );
  return lines;
}

/** The console table: one line per scenario, ns and ratio per library. */
export function toConsole(results: Results): string {
  const libs = LIBRARIES.filter(({ id }) => results.rows.some((row) => row.cells[id]));
  const width = 14;
  const head = `${'scenario'.padEnd(44)}${libs.map((lib) => lib.id.padStart(width + 4)).join('')}`;
  const body = results.rows.map((row) => {
    const cells = libs.map(({ id }) => {
      const cell = row.cells[id];
      if (cell === undefined) return (row.notApplicable[id] ? 'N/A' : '-').padStart(width + 4);
      const text =
        id === 'bare' ? fmt(cell.medianNs) : `${fmt(cell.medianNs)} ${fx(cell.ratioToBare)}`;
      return text.padStart(width + 4);
    });
    return `${row.title.padEnd(44)}${cells.join('')}`;
  });
  const floors = results.floors.map(
    (f) => `${f.title.slice(0, 70).padEnd(72)}${fmt(f.medianNs).padStart(8)} ${fx(f.ratioToBare)}`,
  );
  return [head, ...body, '', 'reference costs', ...floors].join('\n');
}
