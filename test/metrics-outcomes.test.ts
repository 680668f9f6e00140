import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { TRANSITION_REASONS } from '../src/index.js';
import { CALL_OUTCOMES, registerPrometheusMetrics } from '../src/metrics/prometheus.js';
import { boom, ok, simulated } from './helpers.js';
import { parseExposition, sampleValue, select } from './prometheus-text.js';

const disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

const ignorable = () => Promise.reject(new Error('ignore me'));

describe('the Prometheus exporter over a breaker with a window, timeouts, ignores and fallbacks', () => {
  it('reports every outcome, the window rate against its threshold, and why each transition happened', async () => {
    const { breaker, clock } = simulated({
      name: 'api',
      slidingWindow: { type: 'count', size: 10 },
      failureRateThreshold: 0.5,
      minimumThroughput: 4,
      callTimeout: 100,
      resetTimeout: 1_000,
      isIgnored: (error) => error instanceof Error && error.message === 'ignore me',
    });
    disposers.push(() => breaker.dispose());
    const register = new Registry();
    disposers.push(registerPrometheusMetrics({ breakers: [breaker], register }));
    const scrape = async () => parseExposition(await register.metrics());
    const calls = (text: Awaited<ReturnType<typeof scrape>>) =>
      Object.fromEntries(
        CALL_OUTCOMES.map((outcome) => [
          outcome,
          sampleValue(text, 'circuit_breaker_calls_total', { name: 'api', outcome }),
        ]),
      );

    await breaker.call(ok);
    await breaker.call(ok);
    await breaker.call(ignorable).catch(() => undefined);
    let text = await scrape();
    expect(select(text, 'circuit_breaker_failure_rate')).toEqual([]); // below minimumThroughput
    expect(sampleValue(text, 'circuit_breaker_buffered_calls', { name: 'api' })).toBe(2);
    expect(sampleValue(text, 'circuit_breaker_failure_rate_threshold', { name: 'api' })).toBe(0.5);
    expect(select(text, 'circuit_breaker_slow_call_rate_threshold')).toEqual([]);

    await breaker.call(ok);
    await breaker.call(boom).catch(() => undefined);
    text = await scrape();
    expect(sampleValue(text, 'circuit_breaker_failure_rate', { name: 'api' })).toBe(0.25);
    expect(sampleValue(text, 'circuit_breaker_buffered_calls', { name: 'api' })).toBe(4);

    const hanging = breaker.call(() => new Promise<never>(() => {}));
    clock.increment(100);
    await hanging.catch(() => undefined);
    await breaker.call(boom).catch(() => undefined); // 3 of 6 failed: trips on the rate
    expect(breaker.state).toBe('open');
    await breaker.execute(ok, { fallback: () => 'cached' });
    await breaker.call(ok).catch(() => undefined);
    breaker.disable();

    text = await scrape();
    expect(calls(text)).toEqual({
      success: 3,
      failure: 2,
      rejected: 2,
      ignored: 1,
      timeout: 1,
      fallback: 1,
    });
    expect(sampleValue(text, 'circuit_breaker_state', { name: 'api', state: 'disabled' })).toBe(1);
    const moves = select(text, 'circuit_breaker_transitions_total').map(
      (s) => `${s.labels.from}->${s.labels.to} ${s.labels.reason}=${s.value}`,
    );
    expect(moves).toEqual(['closed->open failureRate=1', 'open->disabled disabled=1']);
  });

  it('labels each transition with a reason from the fixed list', async () => {
    const { breaker, clock } = simulated({ name: 'r', failureThreshold: 1, resetTimeout: 10 });
    disposers.push(() => breaker.dispose());
    const register = new Registry();
    disposers.push(registerPrometheusMetrics({ breakers: [breaker], register }));
    await breaker.call(boom).catch(() => undefined);
    clock.increment(10);
    await breaker.call(ok);
    breaker.forceOpen();
    breaker.forceClose();
    breaker.forceOpen();
    breaker.reset();
    const text = parseExposition(await register.metrics());
    const moves = select(text, 'circuit_breaker_transitions_total').map(
      (s) => `${s.labels.from}->${s.labels.to} ${s.labels.reason}=${s.value}`,
    );
    expect(moves).toEqual([
      'closed->open consecutiveFailures=1',
      'open->halfOpen resetTimeout=1',
      'halfOpen->closed probesSucceeded=1',
      'closed->forcedOpen forced=2',
      'forcedOpen->closed forceClose=1',
      'forcedOpen->closed reset=1',
    ]);
    for (const s of select(text, 'circuit_breaker_transitions_total')) {
      expect(TRANSITION_REASONS).toContain(s.labels.reason);
    }
  });
});
