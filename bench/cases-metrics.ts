/** Rows of ours with a metrics exporter attached. */
import { Registry } from 'prom-client';
// From the source even when the bench measures the bundle: the exporter runs when it is attached
// and when it is scraped, never during a call, so which build it is cannot show in the timings.
import { registerPrometheusMetrics } from '../src/metrics/prometheus.js';
import { counted, ok, ours } from './fixtures.js';
import type { AddCase, ScenarioId } from './scenarios.js';

export function addMetricsCases(add: AddCase, wanted: (id: ScenarioId) => boolean): void {
  if (!wanted('exported')) return;
  const b = ours();
  const unregister = registerPrometheusMetrics({ breakers: [b], register: new Registry() });
  add({
    scenario: 'exported',
    library: 'ours',
    batch: 256,
    run: async (n) => {
      for (let i = 0; i < n; i++) await b.call(ok);
    },
    dispose: () => {
      unregister();
      b.dispose();
    },
    verify: counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses'),
  });
}
