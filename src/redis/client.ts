import { createHash } from 'node:crypto';
import { StoreUnavailableError } from './errors.js';
import { REDIS_SCRIPTS, type RedisScriptName } from './scripts.js';

/**
 * A connected node-redis 6 client, as far as the store needs one (`createClient()` fits).
 * Create it with `disableOfflineQueue: true`: otherwise commands sent while disconnected wait
 * in a queue and run late.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client: NodeRedisClientLike = await createClient({ disableOfflineQueue: true }).connect();
 * ```
 */
export interface NodeRedisClientLike {
  sendCommand(args: ReadonlyArray<string>, options?: { timeout?: number }): Promise<unknown>;
  duplicate(): unknown;
  readonly isReady: boolean;
}

/**
 * An ioredis 6 client, as far as the store needs one (`new Redis()` fits). Create it with
 * `enableOfflineQueue: false` for the same reason as node-redis' `disableOfflineQueue`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const client: IoRedisClientLike = new Redis({ enableOfflineQueue: false });
 * ```
 */
export interface IoRedisClientLike {
  evalsha(sha: string, numberOfKeys: number, ...args: string[]): Promise<unknown>;
  duplicate(): unknown;
  readonly status: string;
}

/**
 * Either supported client; told apart by shape, so neither package is imported.
 *
 * @example
 * ```ts
 * declare const client: RedisClientLike;
 * ```
 */
export type RedisClientLike = NodeRedisClientLike | IoRedisClientLike;

type MessageListener = (message: string) => void;
interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
}
interface NodeRedisSubscriber extends Emitter {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  destroy(): void;
}
interface IoRedisFull extends IoRedisClientLike {
  eval(script: string, numberOfKeys: number, ...args: string[]): Promise<unknown>;
  options?: { enableOfflineQueue?: boolean };
}
interface IoRedisSubscriber extends Emitter {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  disconnect(): void;
}

/** What the store needs from Redis: scripts by SHA, pub/sub, and an end to what it opened. */
export interface RedisConnection {
  readonly kind: 'node-redis' | 'ioredis';
  /** A warning about the client's options, or `null` when they fit (no offline queue). */
  readonly warning: string | null;
  runScript(
    name: RedisScriptName,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<string>;
  subscribe(channel: string, listener: MessageListener): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Calls `listener` each time the subscriber reconnects, so circuits can resync; returns the
   * function that removes it. */
  onSubscriberReady(listener: () => void): () => void;
  /**
   * Calls `listener` each time the subscriber loses its connection (Redis went away: it is
   * restarting, or the connection was cut), even when no command failed meanwhile; returns
   * the function that removes it.
   */
  onSubscriberLost(listener: () => void): () => void;
  close(): void;
}

const SHAS = Object.fromEntries(
  Object.entries(REDIS_SCRIPTS).map(([name, source]) => [
    name,
    createHash('sha1').update(source).digest('hex'),
  ]),
) as Record<RedisScriptName, string>;

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Rejects after `ms` unless `promise` settles first; a late rejection is absorbed. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StoreUnavailableError(`${what} timed out after ${ms} ms`)),
      ms,
    );
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(new StoreUnavailableError(`${what} failed: ${describeError(error)}`, error));
      },
    );
  });
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isNodeRedis(client: unknown): client is NodeRedisClientLike {
  const candidate = client as Partial<Record<string, unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.sendCommand === 'function' &&
    typeof candidate.duplicate === 'function' &&
    'isReady' in candidate
  );
}

function isIoRedis(client: unknown): client is IoRedisFull {
  const candidate = client as Partial<Record<string, unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.evalsha === 'function' &&
    typeof candidate.eval === 'function' &&
    typeof candidate.duplicate === 'function' &&
    typeof candidate.status === 'string'
  );
}

/** Recognises the client and wraps it; throws a `TypeError` for anything else. */
export function connectRedis(client: unknown, commandTimeout: number): RedisConnection {
  // Cluster clients look alike but route commands (and pub/sub) differently: not tested yet.
  if (
    typeof client === 'object' &&
    client !== null &&
    ('masters' in client || (client as { isCluster?: unknown }).isCluster === true)
  ) {
    throw new TypeError(
      'client must be a standalone node-redis or ioredis client; cluster clients are not supported yet',
    );
  }
  if (isNodeRedis(client)) return nodeRedisConnection(client, commandTimeout);
  if (isIoRedis(client)) return ioRedisConnection(client, commandTimeout);
  throw new TypeError(
    `client must be a node-redis 6 client (createClient()) or an ioredis 6 client (new Redis()), got ${
      client === null ? 'null' : typeof client
    }`,
  );
}

function nodeRedisConnection(client: NodeRedisClientLike, timeout: number): RedisConnection {
  const options = (client as { options?: { disableOfflineQueue?: boolean } }).options;
  const warning =
    options?.disableOfflineQueue === true
      ? null
      : 'redisStore: the node-redis client queues commands while offline; create it with ' +
        '{ disableOfflineQueue: true } so commands fail fast instead of running late';
  const run = (args: string[]) => client.sendCommand(args, { timeout }) as Promise<string>;
  return sharedConnection('node-redis', warning, timeout, {
    evalsha: (sha, keys, args) => run(['EVALSHA', sha, String(keys.length), ...keys, ...args]),
    eval: (source, keys, args) => run(['EVAL', source, String(keys.length), ...keys, ...args]),
    subscriber: () => {
      // The subscriber keeps an offline queue: a subscription may wait for the connection.
      const subscriber = (
        client as unknown as { duplicate(o: object): NodeRedisSubscriber }
      ).duplicate({ disableOfflineQueue: false });
      let connected = false;
      const ready = new Set<() => void>();
      const lost = new Set<() => void>();
      subscriber.on('error', () => undefined); // status comes from commands; keep errors quiet
      subscriber.on('ready', () => {
        if (connected) for (const listener of ready) listener();
      });
      // node-redis reconnects a dropped connection on its own, announcing each attempt.
      subscriber.on('reconnecting', () => {
        if (connected) for (const listener of lost) listener();
      });
      const connecting = subscriber.connect().then(() => {
        connected = true;
      });
      connecting.catch(() => undefined);
      return {
        subscribe: async (channel, listener) => {
          await connecting;
          await subscriber.subscribe(channel, listener);
        },
        unsubscribe: async (channel) => {
          await subscriber.unsubscribe(channel);
        },
        onReady: (listener) => ready.add(listener),
        onLost: (listener) => lost.add(listener),
        close: () => subscriber.destroy(),
      };
    },
  });
}

function ioRedisConnection(client: IoRedisFull, timeout: number): RedisConnection {
  const warning =
    client.options?.enableOfflineQueue === false
      ? null
      : 'redisStore: the ioredis client queues commands while offline; create it with ' +
        '{ enableOfflineQueue: false } so commands fail fast instead of running late';
  return sharedConnection('ioredis', warning, timeout, {
    evalsha: (sha, keys, args) =>
      client.evalsha(sha, keys.length, ...keys, ...args) as Promise<string>,
    eval: (source, keys, args) =>
      client.eval(source, keys.length, ...keys, ...args) as Promise<string>,
    subscriber: () => {
      // The subscriber keeps its offline queue: a subscription may wait for the connection.
      const subscriber = (
        client as unknown as { duplicate(o: object): IoRedisSubscriber }
      ).duplicate({ enableOfflineQueue: true });
      const listeners = new Map<string, MessageListener>();
      const ready = new Set<() => void>();
      const lost = new Set<() => void>();
      let connectedOnce = false;
      subscriber.on('error', () => undefined);
      subscriber.on('ready', () => {
        if (connectedOnce) for (const listener of ready) listener();
        connectedOnce = true;
      });
      // ioredis emits 'close' when an established connection drops (it then reconnects).
      subscriber.on('close', () => {
        if (connectedOnce) for (const listener of lost) listener();
      });
      subscriber.on('message', (channel: string, message: string) => {
        listeners.get(channel)?.(message);
      });
      return {
        subscribe: async (channel, listener) => {
          listeners.set(channel, listener);
          await subscriber.subscribe(channel);
        },
        unsubscribe: async (channel) => {
          listeners.delete(channel);
          await subscriber.unsubscribe(channel);
        },
        onReady: (listener) => ready.add(listener),
        onLost: (listener) => lost.add(listener),
        close: () => subscriber.disconnect(),
      };
    },
  });
}

interface Driver {
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<string>;
  eval(source: string, keys: readonly string[], args: readonly string[]): Promise<string>;
  subscriber(): {
    subscribe(channel: string, listener: MessageListener): Promise<void>;
    unsubscribe(channel: string): Promise<void>;
    onReady(listener: () => void): void;
    onLost(listener: () => void): void;
    close(): void;
  };
}

function sharedConnection(
  kind: RedisConnection['kind'],
  warning: string | null,
  timeout: number,
  driver: Driver,
): RedisConnection {
  let subscriber: ReturnType<Driver['subscriber']> | null = null;
  let closed = false;
  const readyListeners = new Set<() => void>();
  const lostListeners = new Set<() => void>();
  const getSubscriber = () => {
    if (subscriber === null) {
      subscriber = driver.subscriber();
      subscriber.onReady(() => {
        for (const listener of readyListeners) listener();
      });
      subscriber.onLost(() => {
        if (closed) return; // our own close() ends the connection: nothing went away
        for (const listener of lostListeners) listener();
      });
    }
    return subscriber;
  };
  return {
    kind,
    warning,
    async runScript(name, keys, args) {
      // EVALSHA first; a Redis that lost its script cache (restart, SCRIPT FLUSH) gets EVAL,
      // which caches the script again.
      const attempt = async () => {
        try {
          return await driver.evalsha(SHAS[name], keys, args);
        } catch (error) {
          if (!isNoScript(error)) throw error;
          return await driver.eval(REDIS_SCRIPTS[name], keys, args);
        }
      };
      return withTimeout(attempt(), timeout, `redis script ${name}`);
    },
    async subscribe(channel, listener) {
      if (closed) return;
      await withTimeout(getSubscriber().subscribe(channel, listener), timeout, 'subscribe');
    },
    async unsubscribe(channel) {
      if (subscriber === null) return;
      await withTimeout(subscriber.unsubscribe(channel), timeout, 'unsubscribe');
    },
    onSubscriberReady(listener) {
      readyListeners.add(listener);
      return () => readyListeners.delete(listener);
    },
    onSubscriberLost(listener) {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
    close() {
      closed = true;
      subscriber?.close();
      subscriber = null;
    },
  };
}
