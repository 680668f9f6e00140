import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { RedisClientLike } from '../../src/redis/index.js';

/** The two clients every Redis test runs with. */
export const CLIENT_KINDS = ['node-redis', 'ioredis'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** A connected client as the README tells users to make one, plus raw commands for the test. */
export interface TestClient {
  client: RedisClientLike;
  command(args: string[]): Promise<unknown>;
  close(): void;
}

/** Reconnects quickly, so restart tests stay short. */
const retry = (attempt: number) => Math.min(20 * (attempt + 1), 200);

export async function connectClient(kind: ClientKind, url: string): Promise<TestClient> {
  if (kind === 'node-redis') {
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: retry },
    });
    client.on('error', () => undefined);
    await client.connect();
    return {
      client,
      command: (args) => client.sendCommand(args),
      close: () => client.destroy(),
    };
  }
  const client = new Redis(url, {
    enableOfflineQueue: false,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: retry,
  });
  client.on('error', () => undefined);
  await client.connect();
  return {
    client,
    command: ([name, ...args]) => client.call(name as string, ...args),
    close: () => client.disconnect(),
  };
}

/** Polls `check` until it holds or `ms` pass (integration tests wait on real events). */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const quietLogger = { warn: () => undefined };
