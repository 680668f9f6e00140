import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Stryker's workers set STRYKER_MUTATOR_WORKER. Under Stryker the suite skips what does not test
 * `src/` in-process: the built-package tests (the package, its published types, its metrics
 * subpaths and the README snippets run `dist/`, which the global setup builds), the real-network
 * fault injection (seconds of wall-clock time per mutant), the examples' offline experience (in
 * child processes and a vm, where no mutant is active), the tests on a real redis-server
 * (src/redis is not mutated) and the dashboard's browser and process tests.
 */
const underStryker = process.env.STRYKER_MUTATOR_WORKER !== undefined;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: underStryker
      ? [
          ...configDefaults.exclude,
          'test/package.test.ts',
          'test/package-types.test.ts',
          'test/metrics-package.test.ts',
          'test/readme.test.ts',
          'test/fault-injection.test.ts',
          'test/inspect-offline.test.ts',
          'test/redis/**',
          'test/dashboard-browser.test.ts',
          'test/dashboard-process.test.ts',
        ]
      : configDefaults.exclude,
    environment: 'node',
    globalSetup: underStryker ? [] : ['test/global-setup.ts'],
    testTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      // The dashboard page's script runs in the browser (test/dashboard-browser.test.ts).
      exclude: ['src/dashboard/client/app.ts'],
      reporter: ['text-summary'],
      thresholds: {
        statements: 95,
        'src/machine/**': { statements: 100 },
      },
    },
  },
});
