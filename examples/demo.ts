/**
 * `npm run demo`: a breaker guards a flaky fake service that fails in bursts. Watch it trip,
 * probe and recover. Runs for about five seconds on real time.
 */
import { CircuitBreaker, CircuitOpenError } from '../src/index.js';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(2).padStart(5)}s`;

/** Healthy, then down for 1.5 s, then flapping briefly, then healthy again. */
function serviceIsDown(): boolean {
  const t = Date.now() - started;
  if (t > 1000 && t < 2500) return true;
  if (t >= 2500 && t < 3000) return Math.random() < 0.5;
  return false;
}

async function flakyService(request: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  if (serviceIsDown()) throw new Error(`request ${request}: 503 Service Unavailable`);
  return `request ${request}: 200 OK`;
}

const breaker = new CircuitBreaker({
  name: 'flaky-service',
  failureThreshold: 3,
  resetTimeout: 600,
  halfOpenMaxCalls: 1,
});

breaker.on('stateChange', ({ from, to }) => {
  console.log(`${elapsed()}  ${from.padEnd(10)} -> ${to.padEnd(10)} ${breaker}`);
});

const tally = { ok: 0, failed: 0, rejected: 0 };
for (let request = 1; Date.now() - started < 5000; request++) {
  try {
    await breaker.call(flakyService, request);
    tally.ok += 1;
  } catch (error) {
    if (error instanceof CircuitOpenError) tally.rejected += 1;
    else tally.failed += 1;
  }
  if (request % 25 === 0) {
    console.log(
      `${elapsed()}  [${breaker.state.padEnd(8)}] ok=${tally.ok} failed=${tally.failed} rejected=${tally.rejected}`,
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}

console.log('\nfinal stats:', breaker.getStats());
breaker.dispose();
