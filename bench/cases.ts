/**
 * The timed cases: one per (scenario, library). Each case builds its breaker once and returns a
 * batch function that runs `n` operations back to back; the harness times whole batches.
 *
 * Every batch loop is written out as its own function literal on purpose: V8 keeps type
 * feedback per function literal, so a shared `makeLoop(fn)` factory would make every library's
 * loop polymorphic and slow them all down alike (and unlike real code).
 *
 * The rows and columns are described in `scenarios.ts`; the cases live in one file per group.
 */

import { addClosedCases } from './cases-closed.js';
import { addLifecycleCases } from './cases-lifecycle.js';
import { addMetricsCases } from './cases-metrics.js';
import { addOpenCases } from './cases-open.js';
import { addBareCases, addFloorCases } from './cases-reference.js';
import { addWindowCases } from './cases-window.js';
import { useLibrary } from './fixtures.js';
import type { Lib, ReferenceLib } from './library.js';
import type { BareId, Case, ScenarioId } from './scenarios.js';

export { sink } from './fixtures.js';
export type { Case, LibraryId, ScenarioId } from './scenarios.js';

export interface Selection {
  /** Rows to time. */
  scenarios: ReadonlySet<ScenarioId>;
  /** Bare loops to time (the references of those rows). */
  bare: ReadonlySet<BareId>;
  /** Whether to time the reference costs. */
  floors: boolean;
}

/** Builds the selected cases. Breakers are created here, outside any timing. */
export async function buildCases(
  library: Lib,
  referenceLibrary: ReferenceLib,
  selection: Selection,
): Promise<Case[]> {
  useLibrary(library, referenceLibrary);
  const cases: Case[] = [];
  const add = (c: Case) => cases.push(c);
  const wanted = (id: ScenarioId) => selection.scenarios.has(id);
  addBareCases(add, (id) => selection.bare.has(id));
  if (selection.floors) addFloorCases(add);
  addClosedCases(add, wanted);
  addWindowCases(add, wanted);
  addLifecycleCases(add, wanted);
  await addOpenCases(add, wanted);
  addMetricsCases(add, wanted);
  return cases;
}
