import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

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
