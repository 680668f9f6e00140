/**
 * `xstate-circuit-breaker/prometheus`: every breaker's state and counters as Prometheus metrics,
 * through `prom-client` (an optional peer dependency).
 *
 * @example
 * ```ts
 * import { registerPrometheusMetrics } from 'xstate-circuit-breaker/prometheus';
 * const unregister = registerPrometheusMetrics({ breakers: [usersBreaker] });
 * ```
 * @packageDocumentation
 */
import { Counter, Gauge, register as globalRegistry, Histogram, type Registry } from 'prom-client';
import type { CircuitBreaker } from '../service/circuit-breaker.js';
import { describeValue } from '../validate.js';
import { type DurationOptions, resolveDurations, timeCalls } from './durations.js';
import {
  BREAKER_STATES,
  type BreakerSignals,
  CALL_OUTCOMES,
  readBreakerSignals,
  TransitionCounter,
} from './signals.js';
import { type Breakers, checkBreakers, WatchedBreakers } from './source.js';

export type { DurationOptions, TimedOutcome } from './durations.js';
export { BREAKER_STATES, CALL_OUTCOMES, type CallOutcome } from './signals.js';
export type { BreakerSource, Breakers } from './source.js';

/**
 * Options of {@link registerPrometheusMetrics}.
 *
 * @example
 * ```ts
 * const options: PrometheusMetricsOptions = { breakers: [usersBreaker], prefix: 'app_breaker_' };
 * ```
 */
export interface PrometheusMetricsOptions {
  /** The breakers to report: a list, or a source (such as a registry) whose changes are followed. */
  breakers: Breakers;
  /** Where the metrics go. Default: prom-client's global `register`. */
  register?: Registry;
  /** Prefix of every metric name. Default `circuit_breaker_`. */
  prefix?: string;
  /**
   * Adds the `call_duration_seconds{name,outcome}` histogram. Off by default: it is the one
   * metric that costs something per call (see the README's "Metrics" section).
   */
  durations?: boolean | DurationOptions;
}

/**
 * The names this exporter registers, without the prefix (`call_duration_seconds` only with
 * `durations`).
 *
 * @example
 * ```ts
 * const names = PROMETHEUS_METRIC_NAMES.map((name) => `circuit_breaker_${name}`);
 * ```
 */
export const PROMETHEUS_METRIC_NAMES = [
  'state',
  'calls_total',
  'failure_rate',
  'slow_call_rate',
  'failure_rate_threshold',
  'slow_call_rate_threshold',
  'buffered_calls',
  'not_permitted_calls',
  'transitions_total',
  'tokens_total',
  'cost_usd_total',
  'store_connected',
  'call_duration_seconds',
] as const;

const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Registers gauges and counters for every breaker of `breakers` in a prom-client registry. They
 * are read at scrape time (pull): nothing runs per call unless `durations` is on. Breakers a
 * source adds later are reported from then on; removed ones disappear. Never calls
 * `collectDefaultMetrics`. Throws if this prefix is already registered in that registry.
 *
 * @returns A function that removes every metric and listener it added.
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { registerPrometheusMetrics } from 'xstate-circuit-breaker/prometheus';
 * const register = new Registry();
 * const unregister = registerPrometheusMetrics({ breakers: [usersBreaker], register });
 * console.log(await register.metrics());
 * unregister();
 * ```
 */
export function registerPrometheusMetrics(options: PrometheusMetricsOptions): () => void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describeValue(options)}`);
  }
  const { breakers, register = globalRegistry, prefix = 'circuit_breaker_', durations } = options;
  if (typeof prefix !== 'string' || !METRIC_PREFIX.test(prefix)) {
    throw new TypeError(
      `prefix must match ${METRIC_PREFIX} (a Prometheus metric name start), got ${describeValue(prefix)}`,
    );
  }
  if (
    typeof register !== 'object' ||
    register === null ||
    typeof register.getSingleMetric !== 'function' ||
    typeof register.removeSingleMetric !== 'function'
  ) {
    throw new TypeError(`register must be a prom-client Registry, got ${describeValue(register)}`);
  }
  checkBreakers(breakers);
  const timing = resolveDurations(durations);
  const taken = PROMETHEUS_METRIC_NAMES.filter((name) => register.getSingleMetric(prefix + name));
  if (taken.length > 0) {
    throw new Error(
      `registerPrometheusMetrics: ${prefix}${taken[0]} is already registered in this registry; call the function the first registerPrometheusMetrics returned before registering again, or use another prefix`,
    );
  }

  const transitions = new TransitionCounter();
  const untimes = new Map<CircuitBreaker, () => void>();
  const registers = [register];
  const histogram = timing
    ? new Histogram({
        name: `${prefix}call_duration_seconds`,
        help: 'Duration of calls run through the breaker, by outcome (success, failure, timeout).',
        labelNames: ['name', 'outcome'],
        buckets: timing.buckets,
        registers,
      })
    : undefined;
  const watched = new WatchedBreakers(breakers, {
    attach(breaker) {
      transitions.watch(breaker);
      if (timing && histogram) {
        const metric = histogram;
        const name = breaker.name;
        untimes.set(
          breaker,
          timeCalls(breaker, timing.now, (outcome, seconds) =>
            metric.observe({ name, outcome }, seconds),
          ),
        );
      }
    },
    detach(breaker) {
      transitions.unwatch(breaker);
      untimes.get(breaker)?.();
      untimes.delete(breaker);
      histogram?.remove({ name: breaker.name, outcome: 'success' });
      histogram?.remove({ name: breaker.name, outcome: 'failure' });
      histogram?.remove({ name: breaker.name, outcome: 'timeout' });
    },
  });

  // One reading per breaker per scrape: prom-client calls every metric's collect() in the same
  // tick, so the first one reads all breakers and the rest reuse it until the next microtask.
  let reading: BreakerSignals[] | null = null;
  const read = (): readonly BreakerSignals[] => {
    if (reading === null) {
      reading = [...watched.values()].map(readBreakerSignals);
      queueMicrotask(() => {
        reading = null;
      });
    }
    return reading;
  };
  const metrics: unknown[] = [
    new Gauge({
      name: `${prefix}state`,
      help: 'Circuit state: 1 for the current state, 0 for the others.',
      labelNames: ['name', 'state'],
      registers,
      collect() {
        this.reset();
        for (const s of read()) {
          for (const state of BREAKER_STATES)
            this.set({ name: s.name, state }, +(s.state === state));
        }
      },
    }),
    new Counter({
      name: `${prefix}calls_total`,
      help: 'Calls by outcome: success, failure (timeouts excluded), rejected, ignored, timeout, fallback.',
      labelNames: ['name', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const s of read()) {
          for (const outcome of CALL_OUTCOMES)
            this.inc({ name: s.name, outcome }, s.calls[outcome]);
        }
      },
    }),
    windowGauge(
      `${prefix}failure_rate`,
      'Failure rate of the sliding window (0-1); absent while unknown.',
      registers,
      read,
      (s) => s.failureRate,
    ),
    windowGauge(
      `${prefix}slow_call_rate`,
      'Slow-call rate of the sliding window (0-1); absent while unknown.',
      registers,
      read,
      (s) => s.slowCallRate,
    ),
    windowGauge(
      `${prefix}failure_rate_threshold`,
      'The failure rate (0-1) at which the breaker opens; absent when it has none.',
      registers,
      read,
      (s) => s.failureRateThreshold,
    ),
    windowGauge(
      `${prefix}slow_call_rate_threshold`,
      'The slow-call rate (0-1) at which the breaker opens; absent when it has none.',
      registers,
      read,
      (s) => s.slowCallRateThreshold,
    ),
    windowGauge(
      `${prefix}buffered_calls`,
      'Calls in the sliding window.',
      registers,
      read,
      (s) => s.bufferedCalls,
    ),
    windowGauge(
      `${prefix}not_permitted_calls`,
      'Calls turned away since the current state was entered.',
      registers,
      read,
      (s) => s.notPermittedCalls,
    ),
    new Counter({
      name: `${prefix}transitions_total`,
      help: 'State transitions since the exporter was attached, by from, to and reason.',
      labelNames: ['name', 'from', 'to', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const breaker of watched.values()) {
          for (const { from, to, reason, count } of transitions.entries(breaker)) {
            this.inc({ name: breaker.name, from, to, reason }, count);
          }
        }
      },
    }),
    new Counter({
      name: `${prefix}tokens_total`,
      help: 'Tokens given to recordCost, by kind (input, output).',
      labelNames: ['name', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const s of read()) {
          this.inc({ name: s.name, kind: 'input' }, s.inputTokens);
          this.inc({ name: s.name, kind: 'output' }, s.outputTokens);
        }
      },
    }),
    new Counter({
      name: `${prefix}cost_usd_total`,
      help: 'Estimated cost given to recordCost, in US dollars.',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        for (const s of read()) this.inc({ name: s.name }, s.costUsd);
      },
    }),
    windowGauge(
      `${prefix}store_connected`,
      'Whether the breaker reaches its shared-state store (1) or decides without it (0); only for breakers with a store.',
      registers,
      read,
      (s) => (s.storeStatus === null ? null : +(s.storeStatus === 'connected')),
    ),
  ];
  if (histogram) metrics.push(histogram);
  // None of these names was taken before (checked above), so whatever holds them now is ours.
  const owned = PROMETHEUS_METRIC_NAMES.map(
    (name) => [prefix + name, register.getSingleMetric(prefix + name)] as const,
  ).filter(([, metric]) => metric !== undefined && metrics.includes(metric));

  let registered = true;
  return () => {
    if (!registered) return;
    registered = false;
    watched.stop();
    for (const [name, metric] of owned) {
      if (register.getSingleMetric(name) === metric) register.removeSingleMetric(name);
    }
  };
}

/** A gauge of one figure per breaker, left out for breakers where it is null. */
function windowGauge(
  name: string,
  help: string,
  registers: Registry[],
  read: () => readonly BreakerSignals[],
  pick: (signals: BreakerSignals) => number | null,
): Gauge<'name'> {
  return new Gauge({
    name,
    help,
    labelNames: ['name'],
    registers,
    collect() {
      this.reset();
      for (const s of read()) {
        const value = pick(s);
        if (value !== null) this.set({ name: s.name }, value);
      }
    },
  });
}
