/**
 * `npm run metrics:chart`: what the Grafana dashboard (`grafana/circuit-breakers.json`) would show,
 * drawn from real data. Three breakers run for an hour of simulated time (XState's
 * `SimulatedClock`: no waiting) through an outage, a maintenance window and a rate-limit burst; a
 * prom-client registry is scraped every 5 simulated seconds and each scrape's text parsed; the
 * panels are computed from the scrapes as the dashboard's PromQL does (`rate()` over 2 minutes)
 * and drawn into `docs/metrics.svg`, then rendered to `docs/metrics.png` with headless Chromium
 * when it is installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../src/index.js';
import { registerPrometheusMetrics } from '../src/metrics/prometheus.js';
import { type Exposition, parseExposition, select } from '../test/prometheus-text.js';
import { type Line, lineChart, STATE_COLORS, svgDocument, timeline } from './metrics-chart-svg.js';

const MINUTES = 60;
const STEP_MS = 5_000;
const SCRAPE_EVERY_MS = 5_000;
const RATE_WINDOW_MS = 120_000;
const USERS_FAILURE_RATE_THRESHOLD = 0.5;

const clock = new SimulatedClock();
clock.set(Date.UTC(2026, 0, 1));
const start = clock.now();
const minute = () => (clock.now() - start) / 60_000;

const users = new CircuitBreaker({
  name: 'users',
  clock,
  // Only the rate policy (no consecutive-failure count), so the outage trips it on the rate.
  slidingWindow: { type: 'count', size: 50 },
  failureRateThreshold: USERS_FAILURE_RATE_THRESHOLD,
  resetTimeout: 60_000,
});
const payments = new CircuitBreaker({ name: 'payments', clock, failureThreshold: 5 });
const llm = new CircuitBreaker({ name: 'llm', clock, failureThreshold: 3, resetTimeout: 45_000 });
const breakers = [users, payments, llm];

const register = new Registry();
const unregister = registerPrometheusMetrics({ breakers, register });

const ok = () => Promise.resolve('ok');
const down = () => Promise.reject(new Error('503'));
let calls = 0;

/** One step of traffic: how each service behaves at this minute. */
async function traffic(): Promise<void> {
  const m = minute();
  for (let i = 0; i < 12; i++) {
    calls++;
    // users: healthy, an outage from minute 15 to 22, every 9th call fails the rest of the time.
    const usersFail = (m >= 15 && m < 22) || calls % 9 === 0;
    await users.call(usersFail ? down : ok).catch(() => undefined);
    // payments: every 20th call fails; maintenance (forced open) from minute 35 to 42.
    await payments.call(calls % 20 === 0 ? down : ok).catch(() => undefined);
  }
  // llm: a rising load, a rate-limit burst from minute 45 to 48; every success costs tokens.
  const llmCalls = 2 + Math.floor(m / 10);
  for (let i = 0; i < llmCalls; i++) {
    const limited = m >= 45 && m < 48;
    const answered = await llm.call(limited ? down : ok).then(
      () => true,
      () => false,
    );
    if (answered) llm.recordCost({ inputTokens: 900, outputTokens: 250, estimatedCost: 0.0045 });
  }
}

const scrapes: Array<{ minute: number; exposition: Exposition }> = [];
let forced = false;
for (let t = 0; t < MINUTES * 60_000; t += STEP_MS) {
  const m = minute();
  if (m >= 35 && m < 42 && !forced) {
    payments.forceOpen();
    forced = true;
  }
  if (m >= 42 && forced && payments.state === 'forcedOpen') payments.forceClose();
  // Scraped before the step's traffic, so a state a timer entered (halfOpen) is seen.
  if (t % SCRAPE_EVERY_MS === 0) {
    scrapes.push({ minute: m, exposition: parseExposition(await register.metrics()) });
  }
  await traffic();
  clock.increment(STEP_MS);
}
unregister();
for (const breaker of breakers) breaker.dispose();

/** The value of a sample, or null when the series is absent from that scrape. */
function value(exposition: Exposition, name: string, labels: Record<string, string>) {
  const [sample] = select(exposition, name, labels);
  return sample ? sample.value : null;
}

/** `rate(name{labels}[2m])` at every scrape, per second. */
function rate(name: string, labels: Record<string, string>): Array<[number, number | null]> {
  const back = RATE_WINDOW_MS / SCRAPE_EVERY_MS;
  return scrapes.map((scrape, i) => {
    // As Grafana shows it: no rate until the window holds two minutes of samples.
    if (i < back) return [scrape.minute, null];
    const then = scrapes[i - back];
    const now = value(scrape.exposition, name, labels);
    const before = then ? value(then.exposition, name, labels) : null;
    const seconds = ((scrape.minute - (then?.minute ?? 0)) * 60_000) / 1000;
    return [
      scrape.minute,
      now === null || before === null || seconds === 0 ? null : (now - before) / seconds,
    ];
  });
}

function gauge(name: string, labels: Record<string, string>): Array<[number, number | null]> {
  return scrapes.map((s) => [s.minute, value(s.exposition, name, labels)]);
}

const names = breakers.map((b) => b.name);
const rows = names.map((name) => ({
  name,
  states: scrapes.map((s): [number, string] => {
    const current = select(s.exposition, 'circuit_breaker_state', { name }).find(
      (x) => x.value === 1,
    );
    return [s.minute, String(current?.labels.state)];
  }),
}));

const PALETTE = ['#73bf69', '#f2495c', '#ff9830', '#5794f2', '#b877d9', '#fade2a'];
const outcomes = ['success', 'failure', 'rejected'];
const sumRate = (outcome: string) => {
  const perBreaker = names.map((name) => rate('circuit_breaker_calls_total', { name, outcome }));
  return (perBreaker[0] ?? []).map(([m], i): [number, number | null] => [
    m,
    perBreaker.reduce((sum, series) => sum + (series[i]?.[1] ?? 0), 0),
  ]);
};
const callsByOutcome: Line[] = outcomes.map((outcome, i) => ({
  label: outcome,
  color: PALETTE[i] as string,
  points: sumRate(outcome),
}));
const rejections: Line[] = names.map((name, i) => ({
  label: name,
  color: PALETTE[i + 3] as string,
  points: rate('circuit_breaker_calls_total', { name, outcome: 'rejected' }),
}));

// The failure-rate panel: the breaker's own window rate where it reports one; otherwise the share
// of failed calls over the last 2 minutes, computed from calls_total as a PromQL query would.
const failureRate = (name: string): { points: Array<[number, number | null]>; from: string } => {
  const reported = gauge('circuit_breaker_failure_rate', { name });
  if (reported.some(([, v]) => v !== null)) return { points: reported, from: 'failure_rate' };
  const failed = rate('circuit_breaker_calls_total', { name, outcome: 'failure' });
  const succeeded = rate('circuit_breaker_calls_total', { name, outcome: 'success' });
  return {
    from: 'calls_total',
    points: failed.map(([m, f], i) => {
      const s = succeeded[i]?.[1] ?? null;
      return [m, f === null || s === null || f + s === 0 ? null : f / (f + s)];
    }),
  };
};
const usersRate = failureRate('users');
const threshold = gauge('circuit_breaker_failure_rate_threshold', { name: 'users' });
const rateLines: Line[] = [
  {
    label: `users failure rate (${usersRate.from})`,
    color: PALETTE[0] as string,
    points: usersRate.points,
  },
  {
    label: 'users threshold',
    color: '#f2495c',
    dashed: true,
    points: threshold.some(([, v]) => v !== null)
      ? threshold
      : threshold.map(([m]) => [m, USERS_FAILURE_RATE_THRESHOLD]), // the option given above
  },
];
const cost: Line[] = [
  {
    label: 'llm USD / hour',
    color: '#fade2a',
    points: rate('circuit_breaker_cost_usd_total', { name: 'llm' }).map(([m, v]) => [
      m,
      v === null ? null : v * 3600,
    ]),
  },
];

const width = 1200;
const percent = (v: number) => `${Math.round(v * 100)}%`;
const perSecond = (v: number) => `${v.toFixed(1)}/s`;
const svg = svgDocument(
  width,
  800,
  'Circuit breakers: an hour of simulated traffic, scraped every 5 s',
  [
    timeline(16, 44, width - 32, 200, 'State timeline', rows, MINUTES),
    lineChart(
      16,
      256,
      576,
      240,
      'Calls by outcome (all breakers)',
      callsByOutcome,
      MINUTES,
      perSecond,
    ),
    lineChart(608, 256, 576, 240, 'Rejections', rejections, MINUTES, perSecond),
    lineChart(16, 508, 576, 240, 'Failure rate vs threshold', rateLines, MINUTES, percent),
    lineChart(608, 508, 576, 240, 'Cost per hour', cost, MINUTES, (v) => `$${v.toFixed(2)}`),
    `<text x="16" y="780" fill="#8e8e8e" font-size="12" font-family="Helvetica, Arial, sans-serif">Drawn by scripts/metrics-chart.ts from ${scrapes.length} prom-client scrapes of registerPrometheusMetrics; the same queries as grafana/circuit-breakers.json. States: ${Object.keys(STATE_COLORS).join(', ')}.</text>`,
  ],
);

const root = fileURLToPath(new URL('..', import.meta.url));
mkdirSync(`${root}docs`, { recursive: true });
writeFileSync(`${root}docs/metrics.svg`, svg);
console.log(`wrote docs/metrics.svg from ${scrapes.length} scrapes`);
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (chromium) {
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--hide-scrollbars',
      `--screenshot=${root}docs/metrics.png`,
      '--window-size=1200,800',
      `file://${root}docs/metrics.svg`,
    ],
    { stdio: 'ignore', timeout: 60_000 },
  );
  console.log('wrote docs/metrics.png');
} else {
  console.log('chromium not found: docs/metrics.png not rendered');
}
