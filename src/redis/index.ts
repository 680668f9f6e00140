/**
 * Shared circuit state on Redis (node-redis 6 or ioredis 6) for breakers in many replicas.
 *
 * @example
 * ```ts
 * import { redisStore } from 'xstate-circuit-breaker/redis';
 * import { createClient } from 'redis';
 * const client = await createClient({ disableOfflineQueue: true }).connect();
 * const store = redisStore({ client });
 * ```
 * @packageDocumentation
 */
export type { IoRedisClientLike, NodeRedisClientLike, RedisClientLike } from './client.js';
export { StoreUnavailableError } from './errors.js';
export { type RedisStoreOptions, redisStore } from './redis-store.js';
export { REDIS_SCRIPTS, type RedisScriptName } from './scripts.js';
export type * from './store.js';
