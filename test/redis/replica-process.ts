/**
 * One replica in its own Node process, driven by the parent test over IPC: it holds one shared
 * circuit and answers requests (report, flush, acquire probes, commands); it sends every state
 * it hears, stamped with the time it heard it.
 */
import { redisStore, type SharedCircuitOptions } from '../../src/redis/index.js';
import { type ClientKind, connectClient, quietLogger } from './clients.js';

export type ReplicaRequest =
  | { id: number; op: 'report'; failures: number; tripped?: 'consecutiveFailures' }
  | { id: number; op: 'acquire'; count: number }
  | { id: number; op: 'forceOpen'; for: number }
  | { id: number; op: 'reset' };

export type ReplicaEvent =
  | { event: 'ready' }
  | { event: 'state'; state: string; generation: number; source: string; at: number }
  | { event: 'reply'; id: number; result: unknown };

const [url, kind, name, options, flushInterval] = process.argv.slice(2);
const send = (message: ReplicaEvent) => process.send?.(message);

const test = await connectClient(kind as ClientKind, url ?? '');
const store = redisStore({
  client: test.client,
  replicaId: `pid${process.pid}`,
  flushInterval: Number(flushInterval),
  logger: quietLogger,
});
const circuit = store.circuit(name ?? '', JSON.parse(options ?? '{}') as SharedCircuitOptions);
circuit.onState((shared) =>
  send({
    event: 'state',
    state: shared.state,
    generation: shared.generation,
    source: shared.source,
    at: Date.now(),
  }),
);

async function handle(request: ReplicaRequest): Promise<unknown> {
  switch (request.op) {
    case 'report': {
      const tripped = request.tripped;
      const startedAt = Date.now();
      circuit.report({ successes: 0, failures: request.failures, ...(tripped ? { tripped } : {}) });
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
  }
}

process.on('message', (request: ReplicaRequest) => {
  handle(request).then(
    (result) => send({ event: 'reply', id: request.id, result }),
    (error: unknown) => send({ event: 'reply', id: request.id, result: { error: String(error) } }),
  );
});
process.on('disconnect', () => {
  void store.close().then(() => test.close());
});
await circuit.flushNow();
send({ event: 'ready' });
