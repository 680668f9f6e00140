import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { BreakerRegistry } from '../src/index.js';
import { registerOpenTelemetryMetrics } from '../src/metrics/opentelemetry.js';
import { registerPrometheusMetrics } from '../src/metrics/prometheus.js';
import { failTimes } from './helpers.js';
import { parseExposition, select } from './prometheus-text.js';

describe('both exporters over a real BreakerRegistry', () => {
  it('report the breakers the registry creates later and drop the ones it removes', async () => {
    const clock = new SimulatedClock();
    const registry = new BreakerRegistry();
    const users = registry.get('users', { clock, failureThreshold: 2 });
    const register = new Registry();
    const offPrometheus = registerPrometheusMetrics({ breakers: registry, register });
    const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const offOpenTelemetry = registerOpenTelemetryMetrics({
      breakers: registry,
      meter: provider.getMeter('test'),
    });
    const otelNames = async () => {
      exporter.reset();
      await reader.forceFlush();
      const points = exporter
        .getMetrics()
        .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
        .filter((m) => m.descriptor.name === 'circuit_breaker.state')
        .flatMap((m) => m.dataPoints as Array<{ attributes: Record<string, unknown> }>);
      return [...new Set(points.map((p) => p.attributes['circuit_breaker.name']))];
    };
    const promNames = async () => [
      ...new Set(
        select(parseExposition(await register.metrics()), 'circuit_breaker_state').map(
          (s) => s.labels.name,
        ),
      ),
    ];

    const orders = registry.get('orders', { clock, failureThreshold: 1 });
    await failTimes(orders, 1);
    expect(await promNames()).toEqual(['users', 'orders']);
    expect(await otelNames()).toEqual(['users', 'orders']);
    const text = parseExposition(await register.metrics());
    expect(select(text, 'circuit_breaker_state', { name: 'orders', state: 'open' })[0]?.value).toBe(
      1,
    );
    expect(
      select(text, 'circuit_breaker_transitions_total', { name: 'orders' }).map(
        (s) => s.labels.reason,
      ),
    ).toEqual(['consecutiveFailures']);

    registry.remove('users');
    expect(await promNames()).toEqual(['orders']);
    expect(await otelNames()).toEqual(['orders']);
    expect(users.state).toBe('closed');

    offPrometheus();
    offOpenTelemetry();
    registry.get('late', { clock });
    expect(register.getMetricsAsArray()).toHaveLength(0);
    expect(await otelNames()).toEqual([]);
    registry.dispose();
    await provider.shutdown();
  });
});
