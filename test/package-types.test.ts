import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, createConsumer, entryPoints } from './consumer.js';

/**
 * The published types, seen by a consumer: every entry of the `exports` map must resolve in
 * every module resolution a project may use, for ESM and CommonJS, in projects that have no
 * `@types/node`, with the library checks on (`skipLibCheck: false`; xstate's own types need it
 * under exactOptionalPropertyTypes, which the README test covers). One compiler run per mode:
 * each also checks a kind of project (its libs), to keep the runs few.
 */
const BROWSER = { target: 'es2022', lib: ['es2023', 'dom'] };
const MODES = {
  // The libs of TypeScript's ES5 default (ES2015 target for the classes' private fields).
  'node10 (CommonJS), es5 + dom libs': {
    module: 'commonjs',
    moduleResolution: 'node10',
    type: 'commonjs',
    libs: { target: 'es2015', lib: ['es5', 'dom'] },
  },
  'node16 CommonJS, browser libs': {
    module: 'node16',
    moduleResolution: 'node16',
    type: 'commonjs',
    libs: BROWSER,
  },
  'node16 ESM, browser libs': {
    module: 'node16',
    moduleResolution: 'node16',
    type: 'module',
    libs: BROWSER,
  },
  'bundler ESM, browser libs, disposal used': {
    module: 'esnext',
    moduleResolution: 'bundler',
    type: 'module',
    libs: BROWSER,
  },
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

/** A browser app using the breaker as a `Disposable`: no @types/node to lend it the types. */
const DISPOSAL = [
  "import { CircuitBreaker, CircuitOpenError } from 'xstate-circuit-breaker';",
  "const breaker = new CircuitBreaker({ name: 'users' });",
  'const asDisposable: Disposable = breaker;',
  'asDisposable[Symbol.dispose]();',
  "export const open = new CircuitOpenError('users', 'open', 5);",
  '',
].join('\n');

const folderOf = (mode: string) => mode.replace(/\W+/g, '-');
let consumer: Consumer;

beforeAll(() => {
  consumer = createConsumer();
  for (const [mode, { module, moduleResolution, type, libs }] of Object.entries(MODES)) {
    const folder = folderOf(mode);
    const files = ['entries.ts'];
    consumer.write(`${folder}/package.json`, JSON.stringify({ type }));
    consumer.write(`${folder}/entries.ts`, entrySource());
    if (mode.includes('disposal')) {
      consumer.write(`${folder}/app.ts`, DISPOSAL);
      files.push('app.ts');
    }
    consumer.write(
      `${folder}/tsconfig.json`,
      JSON.stringify({
        compilerOptions: {
          module,
          moduleResolution,
          ...libs,
          types: [],
          strict: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files,
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

  it.each(Object.keys(MODES))('resolve and compile for every entry under %s', async (mode) => {
    const { ok, output } = await consumer.tsc(`${folderOf(mode)}/tsconfig.json`);
    expect(output).toBe('');
    expect(ok).toBe(true);
  });
});
