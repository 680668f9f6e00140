/**
 * One replica of a service in its own Node process: a `CircuitBreaker` sharing its circuit
 * through `redisStore` (node-redis or ioredis), driven by the parent test over IPC. It sends
 * every state change and store status it sees (with the wall-clock time it saw it), and counts
 * unhandled rejections. Plain JavaScript over the built `dist/` (the suite's global setup builds
 * it), so a replica starts in milliseconds.
 */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { CircuitBreaker, CircuitOpenError } from '../../dist/index.js';
import { redisStore } from '../../dist/redis.js';

const [url, kind, name, breakerOptions, storeOptions] = process.argv.slice(2);
const send = (message) => process.send?.(message);
const retry = (attempt) => Math.min(20 * (attempt + 1), 200);
let unhandled = 0;
process.on('unhandledRejection', (reason) => {
  unhandled += 1;
  send({ event: 'unhandled', error: String(reason) });
});

async function connect() {
  if (kind === 'node-redis') {
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: retry },
    });
    client.on('error', () => undefined);
    await client.connect();
    return { client, close: () => client.destroy() };
  }
  const client = new Redis(url, {
    enableOfflineQueue: false,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: retry,
  });
  client.on('error', () => undefined);
  await client.connect();
  return { client, close: () => client.disconnect() };
}

const connection = await connect();
const store = redisStore({
  client: connection.client,
  replicaId: `pid${process.pid}`,
  logger: { warn: () => undefined },
  ...JSON.parse(storeOptions),
});
// The breaker asks the store for its circuit; keep it, so the test can flush on demand.
let circuit;
const watched = {
  circuit: (circuitName, options) => {
    circuit = store.circuit(circuitName, options);
    return circuit;
  },
  close: () => store.close(),
};
const breaker = new CircuitBreaker({ name, store: watched, ...JSON.parse(breakerOptions) });
breaker.on('stateChange', ({ from, to, reason }) =>
  send({ event: 'transition', from, to, reason, wall: Date.now() }),
);
breaker.on('storeStatus', ({ status }) => send({ event: 'storeStatus', status, wall: Date.now() }));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const work = {
  ok: (ms) => () => (ms > 0 ? sleep(ms).then(() => 'ok') : Promise.resolve('ok')),
  fail: (ms) => () => sleep(ms).then(() => Promise.reject(new Error('downstream failed'))),
  hang: () => () => new Promise(() => undefined),
};

/** `count` calls at once; how many ran, succeeded, failed, and were turned away by the circuit. */
async function calls({ count, outcome, ms = 0 }) {
  let ran = 0;
  const fn = work[outcome](ms);
  const counted = () => {
    ran += 1;
    return fn();
  };
  const settled = Array.from({ length: count }, () =>
    breaker.call(counted).then(
      () => 'ok',
      (error) => (error instanceof CircuitOpenError ? 'rejected' : 'failed'),
    ),
  );
  if (outcome === 'hang') {
    await sleep(50);
    return { ran };
  }
  const results = await Promise.all(settled);
  const tally = (what) => results.filter((result) => result === what).length;
  return { ran, ok: tally('ok'), failed: tally('failed'), rejected: tally('rejected') };
}

async function handle(request) {
  switch (request.op) {
    case 'calls':
      return calls(request);
    case 'status': {
      const { totalSuccesses, totalFailures, totalRejections, lastTransition } = breaker.getStats();
      return {
        state: breaker.state,
        storeStatus: breaker.storeStatus,
        totalSuccesses,
        totalFailures,
        totalRejections,
        lastTransition,
        unhandled,
      };
    }
    case 'flush': {
      const shared = await circuit.flushNow();
      return shared && { state: shared.state, generation: shared.generation };
    }
    case 'forceOpen':
      breaker.forceOpen(request.for === undefined ? {} : { for: request.for });
      return null;
    case 'reset':
      breaker.reset({ reason: request.reason ?? '' });
      return null;
    default:
      throw new Error(`unknown request ${request.op}`);
  }
}

process.on('message', (request) => {
  handle(request).then(
    (result) => send({ event: 'reply', id: request.id, result }),
    (error) => send({ event: 'reply', id: request.id, result: { error: String(error) } }),
  );
});
process.on('disconnect', () => {
  breaker.dispose();
  void store.close().then(() => connection.close());
});
await circuit.flushNow();
send({ event: 'ready' });
