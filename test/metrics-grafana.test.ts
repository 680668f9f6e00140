import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerPrometheusMetrics } from '../src/metrics/prometheus.js';
import { fakeStoreStatus } from './fake-breaker-source.js';
import { failTimes, ok, settle, simulated } from './helpers.js';
import { parseExposition } from './prometheus-text.js';

interface Target {
  expr: string;
}
interface Panel {
  title: string;
  datasource: { uid: string };
  targets: Target[];
}
const dashboard = JSON.parse(
  readFileSync(new URL('../grafana/circuit-breakers.json', import.meta.url), 'utf8'),
) as {
  __inputs: Array<{ name: string; type: string; pluginId: string }>;
  panels: Panel[];
  templating: { list: Array<{ definition: string; datasource: { uid: string } }> };
};

/** The names and labels a fully exercised exporter really emits, from a real scrape. */
async function emitted(): Promise<{ names: Set<string>; labels: Set<string> }> {
  const register = new Registry();
  const { breaker, clock } = simulated({ name: 'all', failureThreshold: 1, resetTimeout: 10 });
  fakeStoreStatus(breaker, 'degraded');
  Object.assign(breaker, {
    getMetrics: () => ({
      failureRate: 0.1,
      slowCallRate: 0.2,
      bufferedCalls: 1,
      notPermittedCalls: 0,
    }),
  });
  Object.defineProperty(breaker, 'config', {
    get: () => ({ failureRateThreshold: 0.5, slowCallRateThreshold: 0.5 }),
  });
  const off = registerPrometheusMetrics({
    breakers: [breaker],
    register,
    durations: { now: () => clock.now() },
  });
  await breaker.call(ok);
  await failTimes(breaker, 1);
  breaker.recordCost({ inputTokens: 1, outputTokens: 1, estimatedCost: 0.1 });
  await settle();
  const { samples } = parseExposition(await register.metrics());
  off();
  breaker.dispose();
  return {
    names: new Set(samples.map((s) => s.name)),
    labels: new Set(samples.flatMap((s) => Object.keys(s.labels))),
  };
}

/** Grafana's placeholder for the datasource chosen on import. */
const DS_UID = `\${DS_PROMETHEUS}`;

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** Metric names and label names a PromQL expression refers to. */
function references(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(/\{([^}]*)\}/g, (_, matchers: string) => {
    for (const [, label] of matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) {
      labels.push(String(label));
    }
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g, (_, list: string) => {
    labels.push(
      ...list
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  const metrics: string[] = [];
  for (const match of rest.matchAll(/\$?[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    const [token, call] = [match[0], match[1]];
    if (call || token.startsWith('$') || KEYWORDS.has(token.toLowerCase())) continue;
    metrics.push(token);
  }
  return { metrics, labels };
}

describe('grafana/circuit-breakers.json', () => {
  it('is importable: a DS_PROMETHEUS datasource input used by every panel and variable', () => {
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({
        name: 'DS_PROMETHEUS',
        type: 'datasource',
        pluginId: 'prometheus',
      }),
    ]);
    for (const panel of dashboard.panels) expect(panel.datasource.uid, panel.title).toBe(DS_UID);
    for (const variable of dashboard.templating.list) expect(variable.datasource.uid).toBe(DS_UID);
    expect(dashboard.panels.map((p) => p.title)).toEqual(
      expect.arrayContaining([
        'Breakers by state',
        'State timeline',
        'Failure rate vs threshold',
        'Slow-call rate vs threshold',
        'Calls by outcome',
        'Rejections',
        'Cost per hour',
      ]),
    );
  });

  it('queries only metric names and labels the exporter really emits', async () => {
    const { names, labels } = await emitted();
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    for (const { definition } of dashboard.templating.list) {
      const [, metric, label] = /^label_values\((\w+), (\w+)\)$/.exec(definition) ?? [];
      expect(names).toContain(metric);
      expect(labels).toContain(label);
    }
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      const { metrics, labels: used } = references(expr);
      expect(metrics.length, expr).toBeGreaterThan(0);
      for (const metric of metrics) expect(names, `${metric} in ${expr}`).toContain(metric);
      for (const label of used) expect(labels, `${label} in ${expr}`).toContain(label);
    }
  });

  it('the reference check catches a name the exporter does not emit', () => {
    expect(
      references('sum by (name) (rate(circuit_breaker_calls{name=~"$name"}[5m])) * 3600'),
    ).toEqual({
      metrics: ['circuit_breaker_calls'],
      labels: ['name', 'name'],
    });
  });
});
