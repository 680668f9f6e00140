/**
 * `xstate-circuit-breaker/opentelemetry`: every breaker's state and counters as OpenTelemetry
 * observable instruments on a `Meter` of `@opentelemetry/api` (an optional peer dependency).
 *
 * No OpenTelemetry semantic convention for circuit breakers exists yet
 * (open-telemetry/semantic-conventions#2355 proposes `circuitbreaker.name` and
 * `circuitbreaker.state`), so the names here are this library's own, listed in
 * {@link OPENTELEMETRY_INSTRUMENTS} and in the README.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { registerOpenTelemetryMetrics } from 'xstate-circuit-breaker/opentelemetry';
 * const unregister = registerOpenTelemetryMetrics({ breakers: [usersBreaker], meter: metrics.getMeter('app') });
 * ```
 * @packageDocumentation
 */
import type { BatchObservableResult, Histogram, Meter, Observable } from '@opentelemetry/api';
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
 * Options of {@link registerOpenTelemetryMetrics}.
 *
 * @example
 * ```ts
 * const options: OpenTelemetryMetricsOptions = { breakers: [usersBreaker], meter };
 * ```
 */
export interface OpenTelemetryMetricsOptions {
  /** The breakers to report: a list, or a source (such as a registry) whose changes are followed. */
  breakers: Breakers;
  /** The meter the instruments are created on, e.g. `metrics.getMeter('my-service')`. */
  meter: Meter;
  /**
   * Adds the `circuit_breaker.call.duration` histogram (seconds). Off by default: it is the one
   * instrument that costs something per call.
   */
  durations?: boolean | DurationOptions;
}

/**
 * The instruments and attributes this exporter creates: instrument name → kind, unit and the
 * attributes besides `circuit_breaker.name` (which every one carries).
 *
 * @example
 * ```ts
 * OPENTELEMETRY_INSTRUMENTS['circuit_breaker.state'].attributes; // ['circuit_breaker.state']
 * ```
 */
export const OPENTELEMETRY_INSTRUMENTS = {
  'circuit_breaker.state': {
    kind: 'gauge',
    unit: '1',
    attributes: ['circuit_breaker.state'],
    description: '1 for the current state, 0 for the others',
  },
  'circuit_breaker.calls': {
    kind: 'counter',
    unit: '{call}',
    attributes: ['circuit_breaker.outcome'],
    description: 'Calls by outcome: success, failure, rejected, ignored, timeout, fallback',
  },
  'circuit_breaker.failure_rate': {
    kind: 'gauge',
    unit: '1',
    attributes: [],
    description: 'Failure rate of the sliding window (0-1); not observed while unknown',
  },
  'circuit_breaker.slow_call_rate': {
    kind: 'gauge',
    unit: '1',
    attributes: [],
    description: 'Slow-call rate of the sliding window (0-1); not observed while unknown',
  },
  'circuit_breaker.failure_rate.threshold': {
    kind: 'gauge',
    unit: '1',
    attributes: [],
    description: 'The failure rate (0-1) at which the breaker opens; not observed when it has none',
  },
  'circuit_breaker.slow_call_rate.threshold': {
    kind: 'gauge',
    unit: '1',
    attributes: [],
    description:
      'The slow-call rate (0-1) at which the breaker opens; not observed when it has none',
  },
  'circuit_breaker.buffered_calls': {
    kind: 'gauge',
    unit: '{call}',
    attributes: [],
    description: 'Calls in the sliding window',
  },
  'circuit_breaker.not_permitted_calls': {
    kind: 'gauge',
    unit: '{call}',
    attributes: [],
    description: 'Calls turned away since the current state was entered',
  },
  'circuit_breaker.transitions': {
    kind: 'counter',
    unit: '{transition}',
    attributes: [
      'circuit_breaker.transition.from',
      'circuit_breaker.transition.to',
      'circuit_breaker.transition.reason',
    ],
    description: 'State transitions since the exporter was attached',
  },
  'circuit_breaker.tokens': {
    kind: 'counter',
    unit: '{token}',
    attributes: ['circuit_breaker.token.type'],
    description: 'Tokens given to recordCost, by type (input, output)',
  },
  'circuit_breaker.cost': {
    kind: 'counter',
    unit: 'USD',
    attributes: [],
    description: 'Estimated cost given to recordCost, in US dollars',
  },
  'circuit_breaker.store.connected': {
    kind: 'gauge',
    unit: '1',
    attributes: [],
    description:
      'Whether the breaker reaches its shared-state store (1) or decides without it (0); only observed for breakers with a store',
  },
  'circuit_breaker.call.duration': {
    kind: 'histogram',
    unit: 's',
    attributes: ['circuit_breaker.outcome', 'error.type'],
    description:
      'Duration of calls run through the breaker (only with durations: true); error.type is the class name of what a failed call threw',
  },
} as const;

/** Meters with a live registration: a second one would observe every breaker twice. */
const registeredMeters = new WeakSet<Meter>();

/**
 * Creates observable instruments on `meter` for every breaker of `breakers`, all observed by one
 * batch callback at collection time (pull): nothing runs per call unless `durations` is on.
 * Breakers a source adds later are reported from then on; removed ones disappear. Throws if
 * this meter already has a live registration.
 *
 * @returns A function that removes the callback and every listener. (The OpenTelemetry API
 *   cannot delete instruments; once unregistered they observe nothing.)
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { registerOpenTelemetryMetrics } from 'xstate-circuit-breaker/opentelemetry';
 * const meter = metrics.getMeter('checkout');
 * const unregister = registerOpenTelemetryMetrics({ breakers: [usersBreaker], meter });
 * unregister();
 * ```
 */
export function registerOpenTelemetryMetrics(options: OpenTelemetryMetricsOptions): () => void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describeValue(options)}`);
  }
  const { breakers, meter, durations } = options;
  if (
    typeof meter !== 'object' ||
    meter === null ||
    typeof meter.createObservableGauge !== 'function' ||
    typeof meter.addBatchObservableCallback !== 'function'
  ) {
    throw new TypeError(`meter must be an OpenTelemetry Meter, got ${describeValue(meter)}`);
  }
  if (registeredMeters.has(meter)) {
    throw new Error(
      'registerOpenTelemetryMetrics: this meter already reports circuit breakers; call the function the first registerOpenTelemetryMetrics returned before registering again',
    );
  }
  checkBreakers(breakers);
  const timing = resolveDurations(durations);

  const describe = (name: keyof typeof OPENTELEMETRY_INSTRUMENTS) => ({
    description: OPENTELEMETRY_INSTRUMENTS[name].description,
    unit: OPENTELEMETRY_INSTRUMENTS[name].unit,
  });
  const gauge = (name: keyof typeof OPENTELEMETRY_INSTRUMENTS) =>
    meter.createObservableGauge(name, describe(name));
  const counter = (name: keyof typeof OPENTELEMETRY_INSTRUMENTS) =>
    meter.createObservableCounter(name, describe(name));
  const state = gauge('circuit_breaker.state');
  const calls = counter('circuit_breaker.calls');
  const failureRate = gauge('circuit_breaker.failure_rate');
  const slowCallRate = gauge('circuit_breaker.slow_call_rate');
  const failureRateThreshold = gauge('circuit_breaker.failure_rate.threshold');
  const slowCallRateThreshold = gauge('circuit_breaker.slow_call_rate.threshold');
  const bufferedCalls = gauge('circuit_breaker.buffered_calls');
  const notPermittedCalls = gauge('circuit_breaker.not_permitted_calls');
  const transitionsCounter = counter('circuit_breaker.transitions');
  const tokens = counter('circuit_breaker.tokens');
  const cost = counter('circuit_breaker.cost');
  const storeConnected = gauge('circuit_breaker.store.connected');
  const observables: Observable[] = [
    state,
    calls,
    failureRate,
    slowCallRate,
    failureRateThreshold,
    slowCallRateThreshold,
    bufferedCalls,
    notPermittedCalls,
    transitionsCounter,
    tokens,
    cost,
    storeConnected,
  ];
  const histogram: Histogram | undefined = timing
    ? meter.createHistogram('circuit_breaker.call.duration', {
        ...describe('circuit_breaker.call.duration'),
        advice: { explicitBucketBoundaries: timing.buckets },
      })
    : undefined;

  const transitions = new TransitionCounter();
  const untimes = new Map<CircuitBreaker, () => void>();
  const watched = new WatchedBreakers(breakers, {
    attach(breaker) {
      transitions.watch(breaker);
      if (timing && histogram) {
        const name = breaker.name;
        untimes.set(
          breaker,
          timeCalls(breaker, timing.now, (outcome, seconds, errorType) =>
            histogram.record(
              seconds,
              errorType === null
                ? { 'circuit_breaker.name': name, 'circuit_breaker.outcome': outcome }
                : {
                    'circuit_breaker.name': name,
                    'circuit_breaker.outcome': outcome,
                    'error.type': errorType,
                  },
            ),
          ),
        );
      }
    },
    detach(breaker) {
      transitions.unwatch(breaker);
      untimes.get(breaker)?.();
      untimes.delete(breaker);
    },
  });

  const observeWindow = (
    result: BatchObservableResult,
    instrument: Observable,
    value: number | null,
    name: string,
  ) => {
    if (value !== null) result.observe(instrument, value, { 'circuit_breaker.name': name });
  };
  const callback = (result: BatchObservableResult): void => {
    for (const breaker of watched.values()) {
      const s: BreakerSignals = readBreakerSignals(breaker);
      const name = { 'circuit_breaker.name': s.name };
      for (const each of BREAKER_STATES) {
        result.observe(state, +(s.state === each), { ...name, 'circuit_breaker.state': each });
      }
      for (const outcome of CALL_OUTCOMES) {
        result.observe(calls, s.calls[outcome], { ...name, 'circuit_breaker.outcome': outcome });
      }
      observeWindow(result, failureRate, s.failureRate, s.name);
      observeWindow(result, slowCallRate, s.slowCallRate, s.name);
      observeWindow(result, failureRateThreshold, s.failureRateThreshold, s.name);
      observeWindow(result, slowCallRateThreshold, s.slowCallRateThreshold, s.name);
      observeWindow(result, bufferedCalls, s.bufferedCalls, s.name);
      observeWindow(result, notPermittedCalls, s.notPermittedCalls, s.name);
      for (const { from, to, reason, count } of transitions.entries(breaker)) {
        result.observe(transitionsCounter, count, {
          ...name,
          'circuit_breaker.transition.from': from,
          'circuit_breaker.transition.to': to,
          'circuit_breaker.transition.reason': reason,
        });
      }
      result.observe(tokens, s.inputTokens, { ...name, 'circuit_breaker.token.type': 'input' });
      result.observe(tokens, s.outputTokens, { ...name, 'circuit_breaker.token.type': 'output' });
      result.observe(cost, s.costUsd, name);
      if (s.storeStatus !== null) {
        result.observe(storeConnected, +(s.storeStatus === 'connected'), name);
      }
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  registeredMeters.add(meter);

  let registered = true;
  return () => {
    if (!registered) return;
    registered = false;
    meter.removeBatchObservableCallback(callback, observables);
    watched.stop();
    registeredMeters.delete(meter);
  };
}
