/**
 * Which build of the library the bench measures. By default the bundle users get: `src/` built
 * with tsup into `node_modules/.cache/xstate-circuit-breaker-bench/` (ESM, target node20, xstate
 * external, as `tsup.config.ts` does; a private directory, so a test run rebuilding `dist/` at
 * the same time cannot pull the floor from under the bench). `--src` measures the TypeScript
 * source through tsx instead, whose esbuild transform adds a `__name(fn, ...)` call to every
 * named closure: that costs about 256 bytes of heap per closure and would inflate the memory
 * figures. The hand-written reference breaker (`reference-breaker.ts`) is built into the same
 * directory the same way, so the `floor` column pays for neither.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Library from '../src/index.js';
import type * as Reference from './reference-breaker.js';

export type Lib = typeof Library;
export type ReferenceLib = typeof Reference;

const root = fileURLToPath(new URL('..', import.meta.url));
export const BUILD_DIR = `${root}node_modules/.cache/xstate-circuit-breaker-bench`;

/** Builds the bundles the bench loads, the library and the reference breaker (a second or two). */
export function buildLibrary(): void {
  execFileSync(
    process.execPath,
    [
      `${root}node_modules/tsup/dist/cli-default.js`,
      '--entry.index',
      'src/index.ts',
      '--entry.reference-breaker',
      'bench/reference-breaker.ts',
      '--no-config',
      '--format',
      'esm',
      '--target',
      'node20',
      '--external',
      'xstate',
      '--out-dir',
      BUILD_DIR,
      '--clean',
      '--silent',
    ],
    { cwd: root, stdio: 'inherit' },
  );
}

/** Where `npm run bench:redis` builds the core and the `/redis` entry. */
export const REDIS_BUILD_DIR = `${root}node_modules/.cache/xstate-circuit-breaker-bench-redis`;

/**
 * Builds the core and `xstate-circuit-breaker/redis` as the package ships them (ESM, node20,
 * xstate and the Redis clients external), for `npm run bench:redis` and its replica processes.
 */
export function buildRedisLibrary(): void {
  execFileSync(
    process.execPath,
    [
      `${root}node_modules/tsup/dist/cli-default.js`,
      '--entry.index',
      'src/index.ts',
      '--entry.redis',
      'src/redis/index.ts',
      '--no-config',
      '--format',
      'esm',
      '--target',
      'node20',
      '--external',
      'xstate',
      '--external',
      'redis',
      '--external',
      'ioredis',
      '--out-dir',
      REDIS_BUILD_DIR,
      '--clean',
      '--silent',
    ],
    { cwd: root, stdio: 'inherit' },
  );
}

/** Loads the library: the bundle, or the source when `BENCH_SOURCE=src`. */
export async function loadLibrary(): Promise<Lib> {
  const url =
    process.env.BENCH_SOURCE === 'src'
      ? new URL('../src/index.ts', import.meta.url).href
      : pathToFileURL(`${BUILD_DIR}/index.js`).href;
  return (await import(url)) as Lib;
}

/** Loads the hand-written reference breaker, built like the library (or its source with `--src`). */
export async function loadReference(): Promise<ReferenceLib> {
  const url =
    process.env.BENCH_SOURCE === 'src'
      ? new URL('./reference-breaker.ts', import.meta.url).href
      : pathToFileURL(`${BUILD_DIR}/reference-breaker.js`).href;
  return (await import(url)) as ReferenceLib;
}
