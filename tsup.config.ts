import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    diagram: 'src/diagram/index.ts',
    redis: 'src/redis/index.ts',
    dashboard: 'src/dashboard/index.ts',
    prometheus: 'src/metrics/prometheus.ts',
    opentelemetry: 'src/metrics/opentelemetry.ts',
  },
  format: ['esm', 'cjs'],
  dts: {
    // `CircuitBreaker` is `Disposable`. A browser project without @types/node (lib es2023 +
    // dom) has neither `Disposable` nor `Symbol.dispose`: the types bring their own lib.
    // esnext.disposable uses `Symbol.toStringTag` without referencing its lib, which a project
    // on TypeScript's default (ES5) lib lacks, so that one comes along too.
    banner:
      '/// <reference lib="esnext.disposable" />\n/// <reference lib="es2015.symbol.wellknown" />',
  },
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['xstate', 'redis', 'ioredis', '@viz-js/viz', 'prom-client', '@opentelemetry/api'],
  // Errors print as `CircuitOpenError`, not as esbuild's renamed `_CircuitOpenError`.
  keepNames: true,
});
