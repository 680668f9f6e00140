import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTimeout } from '../../src/redis/client.js';
import {
  redisStore,
  type SharedCircuitOptions,
  StoreUnavailableError,
} from '../../src/redis/index.js';
import { resolveCircuitOptions } from '../../src/redis/options.js';
import { connectClient, quietLogger } from './clients.js';
import { type RedisServer, startRedis } from './server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** Clients that are never connected: option checks and warnings need no server. */
const nodeRedis = (options: { disableOfflineQueue?: boolean } = {}) => createClient(options);
const ioredis = (options: { enableOfflineQueue?: boolean } = {}) =>
  new Redis({ lazyConnect: true, ...options });

describe('redisStore options', () => {
  it.each([
    [null, TypeError, 'redisStore options must be an object, got null'],
    [{ client: {} }, TypeError, 'client must be a node-redis 6 client'],
    [{ client: 42 }, TypeError, 'got number'],
    [{ client: null }, TypeError, 'got null'],
    [{ prefix: '' }, TypeError, 'prefix must be a non-empty string, got ""'],
    [{ prefix: 'a{b' }, RangeError, `prefix must not contain '{' or '}', got "a{b"`],
    [{ flushInterval: 2 }, RangeError, 'flushInterval must be between 5 and 60000, got 2'],
    [{ flushInterval: 1.5 }, TypeError, 'flushInterval must be an integer, got 1.5'],
    [{ commandTimeout: '100' }, TypeError, 'commandTimeout must be an integer, got "100"'],
    [{ keyTtl: 500 }, RangeError, 'keyTtl must be between 1000'],
    [{ replicaId: 7 }, TypeError, 'replicaId must be a non-empty string, got 7'],
    [{ logger: {} }, TypeError, 'logger must have a warn() method, got an object'],
    [{ flushEvery: 10 }, TypeError, 'redisStore options has an unknown option "flushEvery"'],
  ])('%j throws %s', (overrides, type, message) => {
    const options = { client: nodeRedis({ disableOfflineQueue: true }), ...(overrides ?? {}) };
    const make = () => redisStore((overrides === null ? null : options) as never);
    expect(make).toThrow(type);
    expect(make).toThrow(message);
  });

  it('refuses cluster clients of either library (not supported yet)', () => {
    const ioCluster = new Cluster([], { lazyConnect: true });
    const clients = [createCluster({ rootNodes: [] }), ioCluster];
    for (const client of clients) {
      expect(() => redisStore({ client: client as never, logger: quietLogger })).toThrow(
        'cluster clients are not supported yet',
      );
    }
    ioCluster.disconnect();
  });

  it('warns when a client queues commands while offline, and only then', () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };
    const io = [ioredis(), ioredis({ enableOfflineQueue: false })];
    redisStore({ client: nodeRedis(), logger });
    redisStore({ client: nodeRedis({ disableOfflineQueue: true }), logger });
    redisStore({ client: io[0] as Redis, logger });
    redisStore({ client: io[1] as Redis, logger });
    for (const client of io) client.disconnect();
    expect(warnings).toEqual([
      expect.stringContaining('{ disableOfflineQueue: true }'),
      expect.stringContaining('{ enableOfflineQueue: false }'),
    ]);
  });

  it('one circuit per name and store; names must fit a hash tag', async () => {
    const test = await connectClient('node-redis', redis.url);
    const store = redisStore({ client: test.client, logger: quietLogger });
    const circuit = store.circuit('a');
    expect(() => store.circuit('a')).toThrow('circuit "a" already exists in this store');
    expect(() => store.circuit('x}y')).toThrow(RangeError);
    expect(() => store.circuit('')).toThrow(TypeError);
    expect(() => circuit.report({ successes: -1, failures: 0 })).toThrow(
      'outcomes.successes must be between 0',
    );
    expect(() => circuit.report({ successes: 0, failures: 1, trailingFailures: 2 })).toThrow(
      'outcomes.trailingFailures must be <= failures, got 2',
    );
    expect(() => circuit.report({ successes: 0, failures: 1, tripped: 'bad' as never })).toThrow(
      'outcomes.tripped must be one of consecutiveFailures, failureRate, slowCallRate, got "bad"',
    );
    expect(() => circuit.report(null as never)).toThrow('outcomes must be an object, got null');
    await expect(circuit.command('explode' as never)).rejects.toThrow(
      'command must be one of forceOpen, forceClose, reset, disable, got "explode"',
    );
    await expect(circuit.command('reset', { for: 10 })).rejects.toThrow(
      'for is only accepted by forceOpen, got it with reset',
    );
    await expect(circuit.command('forceOpen', { reason: 5 as never })).rejects.toThrow(
      'reason must be a string, got 5',
    );
    await expect(circuit.command('forceOpen', { for: 0 })).rejects.toThrow(RangeError);
    const lease = { id: 'x', generation: 0, epoch: '', expiresAt: 0 };
    await expect(circuit.settleProbe(null as never, true)).rejects.toThrow('lease must come from');
    await expect(circuit.settleProbe(lease, 'yes' as never)).rejects.toThrow(
      'ok must be a boolean, got "yes"',
    );
    await expect(circuit.releaseProbe?.({} as never)).rejects.toThrow(
      'lease must come from acquireProbe(), got an object',
    );
    await store.close();
    await store.close();
    expect(() => store.circuit('b')).toThrow('the store is closed');
    test.close();
  });
});

describe('shared circuit options', () => {
  it('defaults match the breaker: consecutive failures 5, no rate rule, 30 s open', () => {
    expect(resolveCircuitOptions()).toEqual({
      failureThreshold: 5,
      failureRateThreshold: null,
      slowCallRateThreshold: null,
      minimumThroughput: 10,
      windowMs: 60_000,
      bucketMs: 10_000,
      resetTimeout: 30_000,
      backoffMultiplier: 1,
      maxResetTimeout: 30_000,
      halfOpenMaxCalls: 1,
      halfOpenSuccessThreshold: 1,
      probeLease: 10_000,
      quorum: 1,
    });
    expect(resolveCircuitOptions({ failureRateThreshold: 0.5 }).failureThreshold).toBeNull();
    expect(resolveCircuitOptions({ failureThreshold: null }).failureThreshold).toBeNull();
    expect(resolveCircuitOptions({ halfOpenMaxCalls: 3 }).halfOpenSuccessThreshold).toBe(3);
  });

  it.each<[unknown, ErrorConstructor, string]>([
    [42, TypeError, 'circuit options must be an object, got 42'],
    [{ failureRateThreshold: 0 }, RangeError, 'failureRateThreshold must be > 0 and <= 1, got 0'],
    [{ slowCallRateThreshold: 'x' }, TypeError, 'slowCallRateThreshold must be a number, got "x"'],
    [{ failureThreshold: 0 }, RangeError, 'failureThreshold must be between 1'],
    [{ slidingWindow: { type: 'count', size: 10 } }, TypeError, 'only time windows can be shared'],
    [{ slidingWindow: { type: 'time', duration: 100, buckets: 3 } }, RangeError, 'multiple of'],
    [{ slidingWindow: { type: 'time', duration: 100, buckets: 0 } }, RangeError, 'buckets must'],
    [{ backoffMultiplier: 0.5 }, RangeError, 'backoffMultiplier must be a number >= 1, got 0.5'],
    [{ resetTimeout: 100, maxResetTimeout: 50 }, RangeError, 'maxResetTimeout must be between 100'],
    [{ probeLease: -1 }, RangeError, 'probeLease must be between 1'],
    [{ quorum: 1.5 }, TypeError, 'quorum must be an integer, got 1.5'],
    [{ halfOpen: 1 }, TypeError, 'circuit options has an unknown option "halfOpen"'],
  ])('%j throws %s', (options, type, message) => {
    const resolve = () => resolveCircuitOptions(options as SharedCircuitOptions);
    expect(resolve).toThrow(type);
    expect(resolve).toThrow(message);
  });
});

describe('command timeouts', () => {
  it('reject with StoreUnavailableError after the timeout, and absorb a late rejection', async () => {
    let rejectLate: (error: Error) => void = () => undefined;
    const never = new Promise<string>((_, reject) => {
      rejectLate = reject;
    });
    const error = await withTimeout(never, 5, 'read').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe('read timed out after 5 ms');
    rejectLate(new Error('late')); // no unhandled rejection: withTimeout already caught it
    const failed = await withTimeout(Promise.reject(new Error('boom')), 1000, 'flush').catch(
      (e: unknown) => e,
    );
    expect((failed as Error).message).toBe('flush failed: boom');
    expect((failed as Error).cause).toEqual(new Error('boom'));
    expect(await withTimeout(Promise.resolve('ok'), 1000, 'read')).toBe('ok');
  });
});
