import { defineConfig } from 'vitest/config';
import base from './vitest.config';

/**
 * A static mutant (one in code that runs once, when its module loads, such as the machine
 * definition `setup({...}).createMachine({...})`) cannot be traced to the tests that cover it, so
 * Stryker runs every related test file for each one: some 40 s per mutant with the whole suite.
 * The static runs of test/MUTATION.md use this config instead: the fast test files that drive
 * the part directly, chosen by MUTATION_STATIC_PART. A mutant that survives here may still die
 * in the whole suite, so the score it gives is a lower bound.
 */
const parts = {
  machine: [
    'test/machine*.test.ts',
    'test/statecharts.test.ts',
    'test/why-it-moved.test.ts',
    'test/guards-outcome-code.test.ts',
    'test/policies.test.ts',
    'test/diagram-golden.test.ts',
  ],
  service: [
    'test/circuit-breaker.test.ts',
    'test/options*.test.ts',
    'test/persistence*.test.ts',
    'test/policies.test.ts',
    'test/service-*.test.ts',
    'test/store-link*.test.ts',
    'test/deadlines*.test.ts',
    'test/operator-controls.test.ts',
    'test/listener-errors.test.ts',
  ],
} as const;

const part = process.env.MUTATION_STATIC_PART;
if (part !== 'machine' && part !== 'service') {
  throw new TypeError(
    `MUTATION_STATIC_PART must be "machine" or "service", got ${JSON.stringify(part)}`,
  );
}

export default defineConfig({
  ...base,
  test: { ...base.test, include: [...parts[part]], exclude: [], globalSetup: [] },
});
