import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from './clients.js';
import { type RedisServer, startRedis } from './server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('the built xstate-circuit-breaker/redis entry', () => {
  it('resolves by package name from both module systems', async () => {
    const script = `
      const cjs = require('xstate-circuit-breaker/redis');
      import('xstate-circuit-breaker/redis').then((esm) => {
        console.log(typeof cjs.redisStore, typeof esm.redisStore, typeof esm.REDIS_SCRIPTS.flush);
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: root });
    expect(stdout.trim()).toBe('function function string');
  });

  it.each(CLIENT_KINDS)(
    'a process exits on its own once the store and its %s client are closed',
    async (kind) => {
      const connect =
        kind === 'node-redis'
          ? `const { createClient } = await import('redis');
           const client = await createClient({ url, disableOfflineQueue: true }).connect();
           const end = () => client.close();`
          : `const { Redis } = await import('ioredis');
           const client = new Redis(url, { enableOfflineQueue: false, lazyConnect: true });
           await client.connect();
           const end = () => client.quit();`;
      const script = `
      (async () => {
        const url = process.argv[1];
        ${connect}
        const { redisStore } = await import('xstate-circuit-breaker/redis');
        const store = redisStore({ client, flushInterval: 10 });
        const circuit = store.circuit('exit', { resetTimeout: 600000 });
        circuit.report({ successes: 0, failures: 1, tripped: 'consecutiveFailures' });
        const shared = await circuit.flushNow();
        await store.close();
        await end();
        console.log(shared.state, shared.retryIn > 500000);
      })();`;
      const started = Date.now();
      const { stdout } = await run(process.execPath, ['-e', script, redis.url], {
        cwd: root,
        timeout: 10_000,
      });
      expect(stdout.trim()).toBe('open true');
      expect(Date.now() - started).toBeLessThan(10_000);
    },
  );

  it('has types that resolve under moduleResolution node10 too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-node10-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(root, join(dir, 'node_modules', 'xstate-circuit-breaker'), 'dir');
      writeFileSync(
        join(dir, 'index.ts'),
        `import { redisStore, type SharedState } from 'xstate-circuit-breaker/redis';
         export const make: typeof redisStore = redisStore;
         export const open = (s: SharedState): boolean => s.state === 'open';\n`,
      );
      const options = {
        compilerOptions: {
          module: 'commonjs',
          moduleResolution: 'node10',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
          ignoreDeprecations: '5.0',
        },
        files: ['index.ts'],
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(options));
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await run(process.execPath, [tsc, '-p', dir]).catch(
        (error: { stdout: string }) => error,
      );
      expect(result.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
