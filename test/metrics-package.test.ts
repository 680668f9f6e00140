import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'xcb-metrics-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the metrics subpaths of the built package', () => {
  it('load from ESM and CommonJS and report a breaker', async () => {
    const script = `
      const { Registry } = require('prom-client');
      const { CircuitBreaker } = require('xstate-circuit-breaker');
      const cjs = require('xstate-circuit-breaker/prometheus');
      const otel = require('xstate-circuit-breaker/opentelemetry');
      import('xstate-circuit-breaker/prometheus').then(async (esm) => {
        const register = new Registry();
        const off = esm.registerPrometheusMetrics({ breakers: [new CircuitBreaker({ name: 'pkg' })], register });
        const text = await register.metrics();
        off();
        console.log(typeof cjs.registerPrometheusMetrics, typeof otel.registerOpenTelemetryMetrics,
          text.includes('circuit_breaker_state{name="pkg",state="closed"} 1'));
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: root });
    expect(stdout.trim()).toBe('function function true');
  });

  it('have types under moduleResolution node10, node16 and bundler', {
    timeout: 90_000,
  }, async () => {
    mkdirSync(join(scratch, 'node_modules'), { recursive: true });
    symlinkSync(root, join(scratch, 'node_modules', 'xstate-circuit-breaker'), 'dir');
    for (const dep of ['prom-client', '@opentelemetry', '@types', 'xstate']) {
      symlinkSync(join(root, 'node_modules', dep), join(scratch, 'node_modules', dep), 'dir');
    }
    writeFileSync(
      join(scratch, 'use.ts'),
      `import { registerPrometheusMetrics, type PrometheusMetricsOptions } from 'xstate-circuit-breaker/prometheus';
import { registerOpenTelemetryMetrics } from 'xstate-circuit-breaker/opentelemetry';
import { CircuitBreaker } from 'xstate-circuit-breaker';
const options: PrometheusMetricsOptions = { breakers: [new CircuitBreaker()] };
export const off: () => void = registerPrometheusMetrics(options);
export const other: typeof registerOpenTelemetryMetrics = registerOpenTelemetryMetrics;
`,
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, resolution] of [
      ['commonjs', 'node10'],
      ['node16', 'node16'],
      ['esnext', 'bundler'],
    ]) {
      const args = [
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--types',
        'node',
        '--module',
        String(module),
      ];
      args.push('--moduleResolution', String(resolution), '--target', 'es2022', 'use.ts');
      const result = await run(process.execPath, [tsc, ...args], { cwd: scratch }).catch(
        (error: { stdout: string }) => ({ stdout: error.stdout }),
      );
      expect(result.stdout, `${module}/${resolution}`).toBe('');
    }
  });
});
