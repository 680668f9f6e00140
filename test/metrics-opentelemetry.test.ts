import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  OPENTELEMETRY_INSTRUMENTS,
  registerOpenTelemetryMetrics,
} from '../src/metrics/opentelemetry.js';
import { BREAKER_STATES, registerPrometheusMetrics } from '../src/metrics/prometheus.js';
import { FakeBreakerSource, fakeStoreStatus } from './fake-breaker-source.js';
import { deferred, failTimes, ok, settle, simulated } from './helpers.js';
import { parseExposition, sampleValue } from './prometheus-text.js';

const disposers: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

/** A MeterProvider exporting into memory; `collect()` exports now and returns what was exported. */
function otel(temporality = AggregationTemporality.CUMULATIVE) {
  const exporter = new InMemoryMetricExporter(temporality);
  // The interval never fires during a test: every export is the forceFlush of collect().
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  disposers.push(() => provider.shutdown());
  const meter = provider.getMeter('test');
  const collect = async (): Promise<MetricData[]> => {
    exporter.reset();
    await reader.forceFlush();
    return exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
  };
  return { meter, collect };
}

type Point = { attributes: Record<string, unknown>; value: unknown };

function points(metrics: MetricData[], name: string): Point[] {
  const metric = metrics.find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as Point[];
}

function pointValue(metrics: MetricData[], name: string, attributes: Record<string, string>) {
  const found = points(metrics, name).filter((p) =>
    Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
  );
  if (found.length !== 1)
    throw new Error(`${found.length} points of ${name} ${JSON.stringify(attributes)}`);
  return found[0]?.value;
}

function currentState(metrics: MetricData[], name: string): unknown[] {
  return points(metrics, 'circuit_breaker.state')
    .filter((p) => p.attributes['circuit_breaker.name'] === name && p.value === 1)
    .map((p) => p.attributes['circuit_breaker.state']);
}

function breakerOn(name: string, options: Parameters<typeof simulated>[0] = {}) {
  const made = simulated({ name, failureThreshold: 2, resetTimeout: 1_000, ...options });
  disposers.push(() => made.breaker.dispose());
  return made;
}

describe('registerOpenTelemetryMetrics', () => {
  it('observes state, calls, transitions, tokens and cost through every state', async () => {
    const { meter, collect } = otel();
    const { breaker, clock } = breakerOn('users');
    disposers.push(registerOpenTelemetryMetrics({ breakers: [breaker], meter }));

    let metrics = await collect();
    expect(currentState(metrics, 'users')).toEqual(['closed']);
    expect(
      points(metrics, 'circuit_breaker.state').map((p) => p.attributes['circuit_breaker.state']),
    ).toEqual([...BREAKER_STATES]);
    await breaker.call(ok);
    await failTimes(breaker, 2);
    await breaker.call(ok).catch(() => undefined);
    metrics = await collect();
    expect(currentState(metrics, 'users')).toEqual(['open']);
    clock.increment(1_000);
    expect(currentState(await collect(), 'users')).toEqual(['halfOpen']);
    await breaker.call(ok);
    breaker.forceOpen();
    expect(currentState(await collect(), 'users')).toEqual(['forcedOpen']);
    breaker.forceClose();
    breaker.recordCost({ inputTokens: 10, outputTokens: 4, estimatedCost: 0.125 });

    metrics = await collect();
    expect(currentState(metrics, 'users')).toEqual(['closed']);
    const calls = (outcome: string) =>
      pointValue(metrics, 'circuit_breaker.calls', {
        'circuit_breaker.name': 'users',
        'circuit_breaker.outcome': outcome,
      });
    expect([
      calls('success'),
      calls('failure'),
      calls('rejected'),
      calls('ignored'),
      calls('timeout'),
      calls('fallback'),
    ]).toEqual([2, 2, 1, 0, 0, 0]);
    expect(
      points(metrics, 'circuit_breaker.transitions').map(
        (p) =>
          `${p.attributes['circuit_breaker.transition.from']}->${p.attributes['circuit_breaker.transition.to']}=${p.value}`,
      ),
    ).toEqual([
      'closed->open=1',
      'open->halfOpen=1',
      'halfOpen->closed=1',
      'closed->forcedOpen=1',
      'forcedOpen->closed=1',
    ]);
    expect(
      pointValue(metrics, 'circuit_breaker.tokens', { 'circuit_breaker.token.type': 'input' }),
    ).toBe(10);
    expect(
      pointValue(metrics, 'circuit_breaker.tokens', { 'circuit_breaker.token.type': 'output' }),
    ).toBe(4);
    expect(pointValue(metrics, 'circuit_breaker.cost', { 'circuit_breaker.name': 'users' })).toBe(
      0.125,
    );

    const calls_ = metrics.find((m) => m.descriptor.name === 'circuit_breaker.calls');
    expect(calls_?.dataPointType).toBe(DataPointType.SUM);
    expect(calls_?.descriptor.unit).toBe('{call}');
    for (const metric of metrics) {
      expect(Object.keys(OPENTELEMETRY_INSTRUMENTS)).toContain(metric.descriptor.name);
    }
  });

  it('agrees with the Prometheus exporter on the same breakers', async () => {
    const { meter, collect } = otel();
    const register = new Registry();
    const { breaker: a } = breakerOn('a');
    const { breaker: b } = breakerOn('b');
    Object.assign(b, {
      getMetrics: () => ({
        failureRate: 0.5,
        slowCallRate: null,
        bufferedCalls: 4,
        notPermittedCalls: 1,
      }),
    });
    Object.defineProperty(b, 'config', {
      get: () => ({ failureRateThreshold: 0.6, slowCallRateThreshold: null }),
    });
    disposers.push(registerOpenTelemetryMetrics({ breakers: [a, b], meter }));
    disposers.push(registerPrometheusMetrics({ breakers: [a, b], register }));
    await failTimes(a, 2);
    await a.call(ok).catch(() => undefined);
    await b.call(ok);
    b.recordCost({ inputTokens: 7, outputTokens: 3, estimatedCost: 0.01 });

    const metrics = await collect();
    const text = parseExposition(await register.metrics());
    for (const name of ['a', 'b']) {
      for (const outcome of ['success', 'failure', 'rejected']) {
        expect(
          pointValue(metrics, 'circuit_breaker.calls', {
            'circuit_breaker.name': name,
            'circuit_breaker.outcome': outcome,
          }),
        ).toBe(sampleValue(text, 'circuit_breaker_calls_total', { name, outcome }));
      }
      for (const state of BREAKER_STATES) {
        expect(
          pointValue(metrics, 'circuit_breaker.state', {
            'circuit_breaker.name': name,
            'circuit_breaker.state': state,
          }),
        ).toBe(sampleValue(text, 'circuit_breaker_state', { name, state }));
      }
    }
    expect(
      pointValue(metrics, 'circuit_breaker.failure_rate', { 'circuit_breaker.name': 'b' }),
    ).toBe(0.5);
    expect(points(metrics, 'circuit_breaker.slow_call_rate')).toEqual([]);
    expect(
      pointValue(metrics, 'circuit_breaker.failure_rate.threshold', {
        'circuit_breaker.name': 'b',
      }),
    ).toBe(sampleValue(text, 'circuit_breaker_failure_rate_threshold', { name: 'b' }));
    expect(points(metrics, 'circuit_breaker.slow_call_rate.threshold')).toEqual([]);
    expect(
      pointValue(metrics, 'circuit_breaker.buffered_calls', { 'circuit_breaker.name': 'b' }),
    ).toBe(4);
    expect(
      pointValue(metrics, 'circuit_breaker.not_permitted_calls', { 'circuit_breaker.name': 'b' }),
    ).toBe(1);
    expect(
      points(metrics, 'circuit_breaker.failure_rate').map(
        (p) => p.attributes['circuit_breaker.name'],
      ),
    ).toEqual(['b']);
  });

  it('observes store.connected for breakers with a store, as Prometheus reports it', async () => {
    const { meter, collect } = otel(AggregationTemporality.DELTA);
    const register = new Registry();
    const { breaker: local } = breakerOn('local');
    const { breaker: shared } = breakerOn('shared');
    const store = fakeStoreStatus(shared, 'degraded');
    disposers.push(registerOpenTelemetryMetrics({ breakers: [local, shared], meter }));
    disposers.push(registerPrometheusMetrics({ breakers: [local, shared], register }));

    const read = async () => {
      const metrics = await collect();
      const text = parseExposition(await register.metrics());
      return {
        otel: points(metrics, 'circuit_breaker.store.connected').map((p) => [
          p.attributes['circuit_breaker.name'],
          p.value,
        ]),
        prometheus: sampleValue(text, 'circuit_breaker_store_connected', { name: 'shared' }),
      };
    };
    expect(await read()).toEqual({ otel: [['shared', 0]], prometheus: 0 });
    store.set('connected');
    expect(await read()).toEqual({ otel: [['shared', 1]], prometheus: 1 });
  });

  it('follows a source and stops observing on unregister', async () => {
    // Delta temporality shows exactly what each collection observed: under cumulative temporality
    // the SDK keeps exporting the last value of an attribute set nobody observes any more.
    const { meter, collect } = otel(AggregationTemporality.DELTA);
    const { breaker: first } = breakerOn('first');
    const source = new FakeBreakerSource([first]);
    const unregister = registerOpenTelemetryMetrics({ breakers: source, meter });
    const { breaker: later } = breakerOn('later');
    source.add(later);
    await failTimes(later, 2);
    let metrics = await collect();
    expect(currentState(metrics, 'later')).toEqual(['open']);
    expect(currentState(metrics, 'first')).toEqual(['closed']);

    source.remove(first);
    metrics = await collect();
    expect(
      points(metrics, 'circuit_breaker.state').some(
        (p) => p.attributes['circuit_breaker.name'] === 'first',
      ),
    ).toBe(false);

    unregister();
    unregister();
    expect(source.listenerCount).toBe(0);
    metrics = await collect();
    expect(metrics.flatMap((m) => m.dataPoints as unknown[])).toEqual([]);
    // The meter is free again.
    disposers.push(registerOpenTelemetryMetrics({ breakers: source, meter }));
    expect(currentState(await collect(), 'later')).toEqual(['open']);
  });

  it('records call durations with durations on', async () => {
    const { meter, collect } = otel();
    const { breaker, clock } = breakerOn('timed');
    const unregister = registerOpenTelemetryMetrics({
      breakers: [breaker],
      meter,
      durations: { buckets: [0.1, 1], now: () => clock.now() },
    });
    const slow = deferred<string>();
    const call = breaker.call(() => slow.promise);
    clock.increment(400);
    slow.resolve('ok');
    await call;
    class QuotaError extends Error {}
    await breaker.call(() => Promise.reject(new QuotaError('429'))).catch(() => undefined);
    await breaker.call(() => Promise.reject('a string')).catch(() => undefined);
    await settle();
    const metrics = await collect();
    const [point, ...failures] = points(metrics, 'circuit_breaker.call.duration');
    expect(failures.map((p) => p.attributes['error.type'])).toEqual(['QuotaError', '_OTHER']);
    expect(failures.map((p) => p.attributes['circuit_breaker.outcome'])).toEqual([
      'failure',
      'failure',
    ]);
    expect(point?.attributes).toEqual({
      'circuit_breaker.name': 'timed',
      'circuit_breaker.outcome': 'success',
    });
    expect(point?.value).toMatchObject({
      count: 1,
      sum: 0.4,
      buckets: { boundaries: [0.1, 1], counts: [0, 1, 0] },
    });
    unregister();
    expect(Object.hasOwn(breaker, 'execute')).toBe(false);
  });

  it('refuses a second registration on one meter, and bad options', () => {
    const { meter } = otel();
    const { breaker } = breakerOn('v');
    disposers.push(registerOpenTelemetryMetrics({ breakers: [breaker], meter }));
    expect(() => registerOpenTelemetryMetrics({ breakers: [breaker], meter })).toThrow(
      /this meter already reports circuit breakers/,
    );
    const bad = (options: unknown) => () =>
      registerOpenTelemetryMetrics(options as Parameters<typeof registerOpenTelemetryMetrics>[0]);
    expect(bad(undefined)).toThrow(new TypeError('options must be an object, got undefined'));
    expect(bad({ breakers: [breaker], meter: {} })).toThrow(
      /meter must be an OpenTelemetry Meter, got \{\}/,
    );
    const { meter: other } = otel();
    expect(bad({ breakers: 'x', meter: other })).toThrow(/breakers must be an array/);
    expect(bad({ breakers: [breaker], meter: other, durations: 1 })).toThrow(
      /durations must be a boolean/,
    );
  });
});
