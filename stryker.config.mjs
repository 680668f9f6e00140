/**
 * Mutation testing (`npm run mutate`, not part of CI): Stryker 9 with its vitest runner (Stryker
 * 10 needs Node 22). The vitest config notices Stryker's workers and leaves out the tests that
 * do not exercise `src/` in-process (built package, real-network fault injection); the property
 * tests run fewer cases there. Reports go to reports/mutation/ (git-ignored); the surviving
 * mutants are discussed in test/MUTATION.md.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  // The breaker and the diagram exporters; barrels and type-only files have nothing to mutate.
  mutate: [
    'src/machine/**/*.ts',
    'src/service/**/*.ts',
    'src/diagram/**/*.ts',
    '!src/**/index.ts',
    '!src/machine/types.ts',
    '!src/diagram/model.ts',
  ],
  coverageAnalysis: 'perTest',
  // vitest does not type-check, so there is no need to add `// @ts-nocheck` to files (which
  // would also change the generated statecharts/ that a test compares byte for byte).
  disableTypeChecks: false,
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportTests: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 80, break: null },
  ignorePatterns: ['dist', 'coverage', 'reports', 'bench/results'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
