/**
 * One replica in its own Node process, driven by the parent test over IPC: it holds one shared
 * circuit and answers requests (report, flush, acquire probes, commands); it sends every state
 * it hears, stamped with the time it heard it. Plain JavaScript over the built `dist/redis.js`
 * (the suite's global setup builds it), so a replica starts in milliseconds, without a compiler.
 */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { redisStore } from '../../dist/redis.js';

const [url, kind, name, options, flushInterval] = process.argv.slice(2);
const send = (message) => process.send?.(message);
const retry = (attempt) => Math.min(20 * (attempt + 1), 200);

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
  flushInterval: Number(flushInterval),
  logger: { warn: () => undefined },
});
const circuit = store.circuit(name, JSON.parse(options));
circuit.onState((shared) =>
  send({
    event: 'state',
    state: shared.state,
    generation: shared.generation,
    source: shared.source,
    at: Date.now(),
  }),
);

async function handle(request) {
  switch (request.op) {
    case 'report': {
      const startedAt = Date.now();
      circuit.report({ successes: 0, failures: request.failures, tripped: request.tripped });
      const state = await circuit.flushNow();
      return { state: state?.state, generation: state?.generation, startedAt };
    }
    case 'acquire': {
      // All at once: `count` concurrent callers race for the cluster-wide probe slots.
      const decisions = await Promise.all(
        Array.from({ length: request.count }, () => circuit.acquireProbe()),
      );
      return {
        granted: decisions.filter((decision) => decision.granted).length,
        generations: [...new Set(decisions.map((decision) => decision.state.generation))],
      };
    }
    case 'forceOpen':
      return (await circuit.command('forceOpen', { for: request.for })).generation;
    case 'reset':
      return (await circuit.command('reset')).generation;
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
  void store.close().then(() => connection.close());
});
await circuit.flushNow();
send({ event: 'ready' });
