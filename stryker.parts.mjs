/**
 * The mutation run of test/MUTATION.md, one part of the tree at a time (the whole tree in one
 * run takes hours on a 2-core machine): `MUTATION_PART=core npx stryker run stryker.parts.mjs`.
 * Each part keeps its own incremental file, so running a part again re-tests only the mutants
 * whose code or covering tests changed, and writes reports/mutation/PART.json; then
 * `npx tsx scripts/mutation-score.ts` merges the reports into the whole-tree table.
 *
 * The parts leave static mutants out (code run once, when its module loads). The `static-*`
 * parts run exactly those, against the fast tests of `vitest.static.config.ts`.
 */
import base from './stryker.config.mjs';

const parts = {
  machine: [
    'src/machine/**/*.ts',
    'src/validate.ts',
    '!src/machine/index.ts',
    '!src/machine/types.ts',
  ],
  gate: ['src/service/open-gate.ts'],
  core: [
    'src/service/controller.ts',
    'src/service/fold.ts',
    'src/service/outcome-recorder.ts',
    'src/service/bucket-clock.ts',
    'src/service/settle.ts',
    'src/service/listeners.ts',
    'src/service/deadlines.ts',
    'src/service/retry-after.ts',
    'src/service/actor-host.ts',
    'src/service/transition-log.ts',
  ],
  entry: [
    'src/service/circuit-breaker.ts',
    'src/service/breaker-controls.ts',
    'src/service/guarded-call.ts',
    'src/service/guarded-entry.ts',
    'src/service/signalled-call.ts',
  ],
  setup: [
    'src/service/options.ts',
    'src/service/setup.ts',
    'src/service/snapshot.ts',
    'src/service/store-link.ts',
    'src/service/backoff.ts',
    'src/service/clock.ts',
    'src/service/errors.ts',
    'src/service/logger.ts',
    'src/service/from-breaker.ts',
  ],
  diagram: ['src/diagram/**/*.ts', '!src/diagram/model.ts', '!src/diagram/index.ts'],
  // The files with static mutants; their other mutants run here too (they are cheap), but
  // the score takes those from the parts above, which run the whole suite.
  'static-machine': [
    'src/machine/machine.ts',
    'src/machine/guards.ts',
    'src/machine/options.ts',
    'src/validate.ts',
  ],
  'static-service': [
    'src/service/options.ts',
    'src/service/snapshot.ts',
    'src/service/store-link.ts',
    'src/service/backoff.ts',
    'src/service/clock.ts',
    'src/service/errors.ts',
    'src/service/deadlines.ts',
  ],
};

const part = process.env.MUTATION_PART;
if (part === undefined || !Object.hasOwn(parts, part)) {
  throw new TypeError(
    `MUTATION_PART must be one of ${Object.keys(parts).join(', ')}, got ${JSON.stringify(part)}`,
  );
}
const isStatic = part.startsWith('static-');
if (isStatic) process.env.MUTATION_STATIC_PART = part.slice('static-'.length);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: parts[part],
  // The diagram's static mutants are cheap: only the diagram tests import its files.
  ignoreStatic: !isStatic && part !== 'diagram',
  ...(isStatic ? { vitest: { configFile: 'vitest.static.config.ts' } } : {}),
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${part}.json`,
  htmlReporter: { fileName: `reports/mutation/${part}.html` },
  jsonReporter: { fileName: `reports/mutation/${part}.json` },
};
