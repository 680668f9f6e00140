import { randomUUID } from 'node:crypto';
import { connectRedis, type RedisClientLike } from './client.js';
import {
  checkInteger,
  checkKnownKeys,
  checkTagName,
  describeValue,
  resolveCircuitOptions,
} from './options.js';
import { RedisSharedCircuit } from './shared-circuit.js';
import type { CircuitStore, SharedCircuit, SharedCircuitOptions } from './store.js';

/**
 * Options of {@link redisStore}.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client = await createClient({ disableOfflineQueue: true }).connect();
 * const options: RedisStoreOptions = { client, prefix: 'cb', flushInterval: 100 };
 * ```
 */
export interface RedisStoreOptions {
  /** A connected node-redis 6 or ioredis 6 client; the store never closes it. */
  client: RedisClientLike;
  /** First part of every key and channel. Default `'cb'`. */
  prefix?: string;
  /** Ms between flushes of local counts (each also a poll of the shared state). Default 100. */
  flushInterval?: number;
  /** Ms a Redis command may take before it counts as failed. Default 500. */
  commandTimeout?: number;
  /** Ms after which keys no replica touched expire. Default 600 000 (10 minutes). */
  keyTtl?: number;
  /** This process's id in the store (quorum votes, leases). Default a random UUID. */
  replicaId?: string;
  /** Where warnings go (offline queue on, a throwing listener). Default `console`. */
  logger?: { warn(message: string): void };
}

const STORE_KEYS = [
  'client',
  'prefix',
  'flushInterval',
  'commandTimeout',
  'keyTtl',
  'replicaId',
  'logger',
] as const;

/**
 * Shared circuit state on Redis for many replicas: no lock around calls, one atomic Lua script
 * per transition, deadlines from Redis `TIME`, trips pushed by pub/sub.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client = await createClient({ disableOfflineQueue: true }).connect();
 * const store = redisStore({ client });
 * const circuit = store.circuit('payments', { failureRateThreshold: 0.5 });
 * circuit.onState((shared) => console.log(shared.state));
 * await store.close();
 * await client.close();
 * ```
 */
export function redisStore(options: RedisStoreOptions): CircuitStore {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`redisStore options must be an object, got ${describeValue(options)}`);
  }
  checkKnownKeys('redisStore options', options, STORE_KEYS);
  const prefix = checkTagName('prefix', options.prefix ?? 'cb');
  const flushInterval = checkInteger('flushInterval', options.flushInterval ?? 100, 5, 60_000);
  const commandTimeout = checkInteger('commandTimeout', options.commandTimeout ?? 500, 1, 60_000);
  const keyTtl = checkInteger(
    'keyTtl',
    options.keyTtl ?? 600_000,
    Math.max(1000, flushInterval * 10),
  );
  const replicaId = checkTagName('replicaId', options.replicaId ?? randomUUID());
  const logger = options.logger ?? console;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    throw new TypeError(`logger must have a warn() method, got ${describeValue(logger)}`);
  }
  const connection = connectRedis(options.client, commandTimeout);
  if (connection.warning !== null) logger.warn(connection.warning);
  const circuits = new Map<string, RedisSharedCircuit>();
  let closed = false;

  return {
    circuit(name: string, circuitOptions?: SharedCircuitOptions): SharedCircuit {
      if (closed) throw new Error('redisStore: the store is closed');
      checkTagName('name', name);
      if (circuits.has(name)) {
        throw new Error(`redisStore: circuit ${JSON.stringify(name)} already exists in this store`);
      }
      const circuit = new RedisSharedCircuit({
        connection,
        name,
        prefix,
        replicaId,
        flushInterval,
        keyTtl,
        options: resolveCircuitOptions(circuitOptions),
        warn: (message) => logger.warn(message),
        onClose: () => circuits.delete(name),
      });
      circuits.set(name, circuit);
      return circuit;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all([...circuits.values()].map((circuit) => circuit.close()));
      connection.close();
    },
  };
}
