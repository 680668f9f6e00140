import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packedFiles } from './consumer.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
type Api = typeof import('../src/index.js');

describe('the built package', () => {
  it('ships ESM, CommonJS and types for each entry, as the exports map says', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    expect(pkg.dependencies).toEqual({ xstate: expect.any(String) });
    expect(pkg.sideEffects).toBe(false);
    for (const entry of Object.values(pkg.exports) as Array<
      string | Record<string, Record<string, string>>
    >) {
      if (typeof entry === 'string') continue;
      for (const condition of ['import', 'require']) {
        for (const file of Object.values(entry[condition] ?? {})) {
          expect(existsSync(`${root}${file}`), file).toBe(true);
        }
      }
    }
  });

  it('publishes its MIT LICENSE, and declares every package its examples import', () => {
    expect(packedFiles()).toContain('LICENSE');
    const license = readFileSync(`${root}LICENSE`, 'utf8');
    expect(license).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} xstate-circuit-breaker contributors\n/,
    );
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    expect(pkg.license).toBe('MIT');
    const declared = new Set(
      ['dependencies', 'devDependencies', 'peerDependencies'].flatMap((field) =>
        Object.keys(pkg[field] ?? {}),
      ),
    );
    const imported = new Set<string>();
    for (const folder of ['examples', 'bench', 'scripts']) {
      const files = readdirSync(`${root}${folder}`, { recursive: true, encoding: 'utf8' });
      for (const file of files.filter((name) => name.endsWith('.ts'))) {
        const source = readFileSync(`${root}${folder}/${file}`, 'utf8');
        for (const [, specifier = ''] of source.matchAll(/from '([^'.][^']*)'/g)) {
          if (specifier.startsWith('node:')) continue;
          const parts = specifier.split('/');
          imported.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? ''));
        }
      }
    }
    expect(imported).toContain('esbuild'); // examples/inspect-browser/serve.ts
    expect([...imported].filter((name) => !declared.has(name))).toEqual([]);
  });

  it('keeps the names its functions and classes are exported as, in both builds', async () => {
    const require = createRequire(import.meta.url);
    for (const file of ['index.cjs', 'index.js', 'diagram.cjs', 'diagram.js']) {
      const exported = (
        file.endsWith('.cjs') ? require(`${root}dist/${file}`) : await import(`${root}dist/${file}`)
      ) as Record<string, unknown>;
      for (const [key, value] of Object.entries(exported)) {
        if (typeof value === 'function') expect(value.name, `${file}: ${key}`).toBe(key);
      }
    }
  });

  it('prints errors by their class name (String, constructor, an uncaught throw)', async () => {
    const esm = (await import(`${root}dist/index.js`)) as Api;
    const error = new esm.CircuitOpenError('users', 'open', 5);
    expect(error.constructor.name).toBe('CircuitOpenError');
    expect(String(error)).toBe('CircuitOpenError: circuit breaker "users" is open, retry in 5ms');
    expect(new esm.CircuitBreakerDisposedError('users').constructor.name).toBe(
      'CircuitBreakerDisposedError',
    );
    const script = `
      const { CircuitOpenError } = require('xstate-circuit-breaker');
      throw new CircuitOpenError('users', 'open', 5);`;
    const failed = await run(process.execPath, ['-e', script], { cwd: root }).catch(
      (thrown: { stderr: string }) => thrown,
    );
    const stderr = 'stderr' in failed ? failed.stderr : '';
    expect(stderr).toContain('CircuitOpenError: circuit breaker "users" is open');
    expect(stderr).not.toContain('_CircuitOpenError');
  });

  it('errors are instanceof across the ESM and CommonJS builds of one install', async () => {
    const esm = (await import(`${root}dist/index.js`)) as Api;
    const cjs = createRequire(import.meta.url)(`${root}dist/index.cjs`) as Api;
    expect(esm.CircuitOpenError).not.toBe(cjs.CircuitOpenError); // two copies of the class...
    const fromCjs = new cjs.CircuitOpenError('a', 'open', 5);
    const fromEsm = new esm.CircuitOpenError('b', 'forcedOpen', null);
    expect(fromCjs).toBeInstanceOf(esm.CircuitOpenError); // ...that still know each other
    expect(fromEsm).toBeInstanceOf(cjs.CircuitOpenError);
    expect(fromCjs).toBeInstanceOf(esm.CircuitBreakerError);
    expect(fromCjs).toBeInstanceOf(Error);
    expect(fromCjs).not.toBeInstanceOf(esm.CircuitBreakerDisposedError);
    expect(new Error('plain')).not.toBeInstanceOf(esm.CircuitBreakerError);
    expect({ name: 'CircuitOpenError' }).not.toBeInstanceOf(esm.CircuitOpenError);

    const breaker = new cjs.CircuitBreaker({ failureThreshold: 1 });
    await breaker.call(() => Promise.reject(new Error('x'))).catch(() => undefined);
    const rejection = await breaker.call(() => 1).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(esm.CircuitOpenError);
    breaker.dispose();
  });

  it('resolves by package name from both module systems', async () => {
    const script = `
      const cjs = require('xstate-circuit-breaker');
      import('xstate-circuit-breaker').then((esm) => {
        console.log(typeof cjs.CircuitBreaker, typeof esm.CircuitBreaker, typeof esm.circuitBreakerMachine);
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: root });
    expect(stdout.trim()).toBe('function function object');
  });

  it('a Node process holding an open breaker exits on its own at once', async () => {
    const script = `
      import('xstate-circuit-breaker').then(async ({ CircuitBreaker }) => {
        const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 600000 });
        await breaker.call(() => Promise.reject(new Error('down'))).catch(() => {});
        console.log(breaker.state, breaker.timeUntilRetry() > 500000);
      });`;
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: root, timeout: 15_000 });
    expect(stdout.trim()).toBe('open true');
    // The reset timer is 10 minutes away: a process kept alive by it would hit the 15 s timeout.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
