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
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node18',
  external: ['xstate', 'redis', 'ioredis', '@viz-js/viz', 'prom-client', '@opentelemetry/api'],
});
