/** Turns timings and heap figures into the results document: rows, ratios and targets. */
import type { CaseTiming } from './harness.js';
import {
  type BareId,
  FLOORS,
  LIBRARIES,
  type LibraryId,
  SCENARIOS,
  type Scenario,
  type ScenarioId,
  type TargetSpec,
} from './scenarios.js';

export interface Cell {
  /** Median ns per operation, or bytes per breaker in a `bytes` row. */
  value: number;
  /** `value` over the row's reference (a bare loop, or the hand-written breaker). */
  ratio: number;
  /** Lowest and highest per-round median (timing rows only). */
  roundMin?: number;
  roundMax?: number;
  batches?: number;
}

export interface RowTarget {
  text: string;
  /** Ours over what the target names (or ours in ns for an absolute bound). */
  measured: number;
  kind: 'ratio' | 'ns';
  met: boolean;
}

export interface Row {
  scenario: ScenarioId;
  title: string;
  unit: 'ns' | 'bytes';
  reference: Scenario['reference'];
  referenceValue: number;
  cells: Partial<Record<LibraryId, Cell>>;
  notApplicable: Partial<Record<LibraryId, string>>;
  note?: string;
  target?: RowTarget;
}

export interface MemoryResult {
  library: string;
  count: number;
  bytesPerBreaker: number;
}

/** Which column of the memory row each memory child fills. */
const MEMORY_COLUMNS: Partial<Record<string, LibraryId>> = {
  ours: 'ours',
  floor: 'floor',
  cockatiel: 'cockatiel',
  opossum: 'opossumTimeout',
};

export interface Target {
  name: string;
  met: boolean;
  detail: string;
}

export interface Results {
  meta: Record<string, unknown>;
  bare: Partial<Record<BareId, number>>;
  rows: Row[];
  floors: { id: string; title: string; medianNs: number; ratioToBare: number }[];
  memory: MemoryResult[];
  scale: unknown;
  targets: Target[];
}

type Key = (scenario: string, library: LibraryId) => string;

function timingCell(timing: CaseTiming, referenceValue: number): Cell {
  return {
    value: timing.medianNs,
    ratio: timing.medianNs / referenceValue,
    roundMin: timing.roundMinNs,
    roundMax: timing.roundMaxNs,
    batches: timing.batches,
  };
}

/** The cells of one row: timings from this run, or heap figures for the memory row. */
function rowCells(
  scenario: Scenario,
  timings: ReadonlyMap<string, CaseTiming>,
  memory: readonly MemoryResult[],
  key: Key,
): { cells: Row['cells']; referenceValue: number } {
  const cells: Row['cells'] = {};
  if (scenario.unit === 'bytes') {
    const bytes = (id: LibraryId) =>
      memory.find((m) => MEMORY_COLUMNS[m.library] === id)?.bytesPerBreaker;
    const referenceValue = bytes('floor') ?? Number.NaN;
    for (const { id } of LIBRARIES) {
      const value = bytes(id);
      if (value !== undefined) cells[id] = { value, ratio: value / referenceValue };
    }
    return { cells, referenceValue };
  }
  const referenceTiming =
    scenario.reference === 'floor'
      ? timings.get(key(scenario.id, 'floor'))
      : timings.get(key(scenario.reference, 'bare'));
  const referenceValue = referenceTiming?.medianNs ?? Number.NaN;
  if (scenario.reference !== 'floor' && referenceTiming !== undefined)
    cells.bare = timingCell(referenceTiming, referenceValue);
  for (const { id } of LIBRARIES) {
    const timing = timings.get(key(scenario.id, id));
    if (timing !== undefined) cells[id] = timingCell(timing, referenceValue);
  }
  return { cells, referenceValue };
}

/** Checks one row's goal against this run's cells (of this row, or the row the goal names). */
function evaluate(spec: TargetSpec, row: Row, rows: readonly Row[]): RowTarget {
  const ours = row.cells.ours;
  if (spec.maxNs !== undefined) {
    const measured = ours?.value ?? Number.NaN;
    return { text: spec.text, measured, kind: 'ns', met: measured <= spec.maxNs };
  }
  let measured = Number.NaN;
  if (spec.against === 'reference') {
    measured = ours?.ratio ?? Number.NaN;
  } else if (spec.against !== undefined) {
    const other = spec.row === undefined ? row : rows.find((r) => r.scenario === spec.row);
    measured = (ours?.value ?? Number.NaN) / (other?.cells[spec.against]?.value ?? Number.NaN);
  }
  const max = spec.max ?? Number.NaN;
  const met = spec.strict === true ? measured < max : measured <= max;
  return { text: spec.text, measured, kind: 'ratio', met };
}

/**
 * The rows of the scenarios in `selected` (all when undefined), their targets checked, and the
 * reference costs that were timed.
 */
export function buildRows(
  timings: ReadonlyMap<string, CaseTiming>,
  memory: readonly MemoryResult[],
  key: Key,
  selected?: ReadonlySet<ScenarioId>,
): { rows: Row[]; bare: Results['bare']; floors: Results['floors'] } {
  const rows = SCENARIOS.filter((s) => selected === undefined || selected.has(s.id)).map(
    (scenario): Row => {
      const { cells, referenceValue } = rowCells(scenario, timings, memory, key);
      const row: Row = {
        scenario: scenario.id,
        title: scenario.title,
        unit: scenario.unit ?? 'ns',
        reference: scenario.reference,
        referenceValue,
        cells,
        notApplicable: scenario.notApplicable ?? {},
      };
      if (scenario.note !== undefined) row.note = scenario.note;
      return row;
    },
  );
  for (const row of rows) {
    const spec = SCENARIOS.find((s) => s.id === row.scenario)?.target;
    if (spec !== undefined) row.target = evaluate(spec, row, rows);
  }
  const bare: Results['bare'] = {};
  for (const id of ['bareSuccess', 'bareFailure', 'bareMixed', 'bareSignal'] as const) {
    const ns = timings.get(key(id, 'bare'))?.medianNs;
    if (ns !== undefined) bare[id] = ns;
  }
  const bareSuccess = bare.bareSuccess ?? Number.NaN;
  const floors = FLOORS.flatMap(({ id, title }) => {
    const medianNs = timings.get(key(id, 'floor'))?.medianNs;
    return medianNs === undefined
      ? []
      : [{ id, title, medianNs, ratioToBare: medianNs / bareSuccess }];
  });
  return { rows, floors, bare };
}

export const fmt = (value: number) => (Number.isFinite(value) ? `${Math.round(value)}` : '?');
export const fx = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '?');

/** How a row's goal reads in a table: what was measured, then met or not. */
export function targetVerdict(target: RowTarget): string {
  const measured = target.kind === 'ns' ? `${fmt(target.measured)} ns` : fx(target.measured);
  return `${measured} ${target.met ? 'met' : 'NOT met'}`;
}

/** Every goal of the run: each row's, then the ones across rows and the scale checks. */
export function checkTargets(
  rows: readonly Row[],
  scale: { ok: boolean; detail: string } | undefined,
): Target[] {
  const targets: Target[] = rows.flatMap((row) =>
    row.target === undefined
      ? []
      : [
          {
            name: `${row.title}: ${row.target.text}`,
            met: row.target.met,
            detail: `${targetVerdict(row.target)} (ours ${fmt(row.cells.ours?.value ?? Number.NaN)} ${row.unit === 'bytes' ? 'B' : 'ns'})`,
          },
        ],
  );
  const below = (id: ScenarioId, text: string) => {
    const row = rows.find((r) => r.scenario === id);
    const ours = row?.cells.ours?.value;
    const peer = row?.cells.cockatiel?.value;
    if (ours === undefined || peer === undefined) return;
    targets.push({
      name: `${text} below cockatiel`,
      met: ours < peer,
      detail: `${fmt(ours)} ns vs cockatiel ${fmt(peer)} ns`,
    });
  };
  below('success', 'success in closed');
  below('failure', 'failure below threshold');
  below('protocol', 'canExecute protocol');
  if (scale !== undefined)
    targets.push({
      name: 'scale: opens once, nothing lost, heap returns',
      met: scale.ok,
      detail: scale.detail,
    });
  return targets;
}
