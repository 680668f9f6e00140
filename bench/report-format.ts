/** The results as text: the console table and the Markdown document (bench/results/latest.md). */
import { fmt, fx, type Results, type Row, targetVerdict } from './report.js';
import { LIBRARIES, type LibraryId } from './scenarios.js';

const REFERENCE_LABELS: Record<Row['reference'], string> = {
  bareSuccess: 'await fn()',
  bareFailure: 'try { await fn() } catch {} (fn rejects)',
  bareMixed: 'the same, 1 call in 4 rejecting',
  bareSignal: 'await fn() with one abort listener added and removed',
  floor: 'the hand-written breaker',
};

function columns(results: Results): { id: LibraryId; title: string }[] {
  return LIBRARIES.filter(({ id }) => results.rows.some((row) => row.cells[id]));
}

function cellText(row: Row, id: LibraryId): string {
  const cell = row.cells[id];
  if (cell === undefined) return row.notApplicable[id] ? 'N/A' : '—';
  const unit = row.unit === 'bytes' ? ' B' : '';
  const isReference = id === 'bare' || (row.reference === 'floor' && id === 'floor');
  return isReference
    ? `${fmt(cell.value)}${unit}`
    : `${fmt(cell.value)}${unit} (${fx(cell.ratio)})`;
}

/** The Markdown document: the table with targets, notes, reference costs, memory, scale. */
export function toMarkdown(results: Results): string {
  const libs = columns(results);
  const lines: string[] = [];
  lines.push(
    '# Benchmark results',
    '',
    `${String(results.meta.date)} · Node ${String(results.meta.node)} · ${String(results.meta.cpu)} · ` +
      `${String(results.meta.rounds)} interleaved rounds × ${String(results.meta.sliceMs)} ms per case`,
    '',
    'Median ns per operation (bytes in the heap row), with the ratio to the reference of the row. ' +
      '`—` means no equivalent. The target column is the goal of the row; the last column is what ' +
      'this run measured for ours against it.',
    '',
    `| scenario | ${libs.map((lib) => lib.title).join(' | ')} | reference | target | ours vs target |`,
    `| --- | ${libs.map(() => '---:').join(' | ')} | --- | --- | --- |`,
  );
  for (const row of results.rows) {
    const cells = libs.map(({ id }) => cellText(row, id));
    const target =
      row.target === undefined ? ['', ''] : [row.target.text, targetVerdict(row.target)];
    lines.push(
      `| ${row.title} | ${cells.join(' | ')} | ${REFERENCE_LABELS[row.reference]} | ${target.join(' | ')} |`,
    );
  }
  lines.push('');
  for (const row of results.rows) {
    if (row.note) lines.push(`- *${row.title}*: ${row.note}.`);
    for (const [lib, why] of Object.entries(row.notApplicable)) {
      lines.push(`- *${row.title}*, ${lib}: N/A, ${why}.`);
    }
  }
  if (results.floors.length > 0) {
    lines.push('', '## Reference costs (same run)', '');
    lines.push('| operation | ns | ratio to bare call |', '| --- | ---: | ---: |');
    for (const f of results.floors)
      lines.push(`| ${f.title} | ${fmt(f.medianNs)} | ${fx(f.ratioToBare)} |`);
  }
  if (results.memory.length > 0) {
    lines.push('', '## Memory: heap per idle breaker (10,000 breakers)', '');
    lines.push('| library | bytes each |', '| --- | ---: |');
    for (const m of results.memory) {
      lines.push(`| ${MEMORY_LABELS[m.library] ?? m.library} | ${fmt(m.bytesPerBreaker)} |`);
    }
  }
  lines.push('', '## Scale', '', ...scaleTable(results.scale), '');
  lines.push('## Targets', '', '| target | met | measured |', '| --- | :---: | --- |');
  for (const t of results.targets)
    lines.push(`| ${t.name} | ${t.met ? 'yes' : 'NO'} | ${t.detail} |`);
  lines.push('');
  return lines.join('\n');
}

export const MEMORY_LABELS: Record<string, string> = {
  ours: 'xstate-circuit-breaker (`new CircuitBreaker()`)',
  floor: 'hand-written reference breaker (`bench/reference-breaker.ts`)',
  xstateActor: 'a started XState actor of `circuitBreakerMachine`, nothing else',
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

/** The console table: one line per scenario, value and ratio per library, then the target. */
export function toConsole(results: Results): string {
  const libs = columns(results);
  const width = 18;
  const head =
    'scenario'.padEnd(46) +
    libs.map((lib) => lib.id.padStart(width)).join('') +
    '  target'.padEnd(40) +
    'ours vs target';
  const body = results.rows.map((row) => {
    const cells = libs.map(({ id }) =>
      ` ${cellText(row, id).replace(/[()]/g, '')}`.padStart(width),
    );
    const target =
      row.target === undefined ? '' : `  ${row.target.text.padEnd(38)}${targetVerdict(row.target)}`;
    return `${row.title.slice(0, 45).padEnd(46)}${cells.join('')}${target}`;
  });
  const floors = results.floors.map(
    (f) => `${f.title.slice(0, 70).padEnd(72)}${fmt(f.medianNs).padStart(8)} ${fx(f.ratioToBare)}`,
  );
  const legend = `columns: ${libs.map((lib) => `${lib.id} = ${lib.title}`).join('; ')}`;
  return [
    head,
    ...body,
    legend,
    ...(floors.length > 0 ? ['', 'reference costs', ...floors] : []),
  ].join('\n');
}
