import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, createConsumer, entryPoints } from './consumer.js';

/**
 * The published types, seen by a consumer: every entry of the `exports` map must resolve in
 * every module resolution a project may use, for ESM and CommonJS, in a browser project that
 * has no `@types/node`, with the library checks on (`skipLibCheck: false`).
 */
const MODES = {
  'node10 (CommonJS)': { module: 'commonjs', moduleResolution: 'node10', type: 'commonjs' },
  'node16 CommonJS': { module: 'node16', moduleResolution: 'node16', type: 'commonjs' },
  'node16 ESM': { module: 'node16', moduleResolution: 'node16', type: 'module' },
  'nodenext ESM': { module: 'nodenext', moduleResolution: 'nodenext', type: 'module' },
  'bundler ESM': { module: 'esnext', moduleResolution: 'bundler', type: 'module' },
} as const;

/** One module per entry; `Check` fails to compile when the entry's types came out empty. */
function entrySource(): string {
  const lines = entryPoints().flatMap((specifier, i) => [
    `import * as entry${i} from '${specifier}';`,
    `type Check${i} = keyof typeof entry${i} extends never ? 'no exports' : 'ok';`,
    `export const check${i}: Check${i} = 'ok';`,
  ]);
  return `${lines.join('\n')}\n`;
}

let consumer: Consumer;

beforeAll(() => {
  consumer = createConsumer();
  for (const [mode, { module, moduleResolution, type }] of Object.entries(MODES)) {
    const folder = mode.replace(/\W+/g, '-');
    consumer.write(`${folder}/package.json`, JSON.stringify({ type }));
    consumer.write(`${folder}/entries.ts`, entrySource());
    consumer.write(
      `${folder}/tsconfig.json`,
      JSON.stringify({
        compilerOptions: {
          module,
          moduleResolution,
          target: 'es2022',
          // A browser project: no Node globals.
          lib: ['es2023', 'dom'],
          types: [],
          strict: true,
          // xstate's own types need skipLibCheck under exactOptionalPropertyTypes, and
          // skipLibCheck would hide errors in ours: the README test covers that option.
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['entries.ts'],
      }),
    );
  }
});

afterAll(() => consumer?.remove());

describe('the published types', () => {
  it('list every entry of the exports map', () => {
    expect(entryPoints()).toContain('xstate-circuit-breaker');
    expect(entryPoints()).toContain('xstate-circuit-breaker/diagram');
  });

  it.each(Object.keys(MODES))('resolve for every entry under %s', async (mode) => {
    const { ok, output } = await consumer.tsc(`${mode.replace(/\W+/g, '-')}/tsconfig.json`);
    expect(output).toBe('');
    expect(ok).toBe(true);
  });

  it("compile with the libs of TypeScript's ES5 default (es5 + dom), library checks on", async () => {
    consumer.write('es5-lib/entries.ts', entrySource());
    consumer.write(
      'es5-lib/tsconfig.json',
      JSON.stringify({
        compilerOptions: {
          module: 'commonjs',
          moduleResolution: 'node10',
          // ES2015 for the classes' private fields; the libs of an ES5 project.
          target: 'es2015',
          lib: ['es5', 'dom'],
          types: [],
          strict: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['entries.ts'],
      }),
    );
    const { ok, output } = await consumer.tsc('es5-lib/tsconfig.json');
    expect(output).toBe('');
    expect(ok).toBe(true);
  });

  it('compile in a browser project without @types/node, disposal included', async () => {
    consumer.write(
      'browser/app.ts',
      [
        "import { CircuitBreaker, CircuitOpenError } from 'xstate-circuit-breaker';",
        "const breaker = new CircuitBreaker({ name: 'users' });",
        'const asDisposable: Disposable = breaker;',
        'asDisposable[Symbol.dispose]();',
        "export const open = new CircuitOpenError('users', 'open', 5);",
        '',
      ].join('\n'),
    );
    consumer.write(
      'browser/tsconfig.json',
      JSON.stringify({
        compilerOptions: {
          module: 'esnext',
          moduleResolution: 'bundler',
          target: 'es2022',
          lib: ['es2023', 'dom'],
          types: [],
          strict: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['app.ts'],
      }),
    );
    const { ok, output } = await consumer.tsc('browser/tsconfig.json');
    expect(output).toBe('');
    expect(ok).toBe(true);
  });
});
