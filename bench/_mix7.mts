import { CircuitBreaker } from '../src/index.js';
import { OutcomeFold } from '../src/service/fold.js';

const ok = async () => 1;
const err = new Error('x');
const fail = async () => {
  throw err;
};
const origRecord = OutcomeFold.prototype.record;
const origVerdict = OutcomeFold.prototype.verdict;
async function run(label: string, opts: object) {
  const b = new CircuitBreaker(opts as never);
  let s = 0;
  for (let i = 0; i < 50000; i++) {
    try {
      await b.call(i % 4 === 3 ? fail : ok);
    } catch {
      s++;
    }
  }
  const t = performance.now();
  for (let i = 0; i < 300000; i++) {
    try {
      await b.call(i % 4 === 3 ? fail : ok);
    } catch {
      s++;
    }
  }
  console.log(label, (((performance.now() - t) * 1e6) / 300000).toFixed(0));
}
const W = { slidingWindow: { type: 'count', size: 100 }, failureRateThreshold: 0.5 };
await run('plain', { failureThreshold: 1e9 });
await run('count', W);
OutcomeFold.prototype.record = () => {};
await run('count, no record', W);
OutcomeFold.prototype.verdict = () => 'current';
await run('count, no record, no verdict', W);
OutcomeFold.prototype.record = origRecord;
await run('count, record, no verdict', W);
