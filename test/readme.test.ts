import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, createConsumer, entryPoints, packageJson, root } from './consumer.js';
import { asModule, type ReadmeBlock, readmeBlocks } from './readme/blocks.js';

/**
 * The README can never lie: every ```ts block of README.md is type-checked (strict,
 * exactOptionalPropertyTypes) against the packed package, and every block not marked
 * `// no-run: reason` runs against it with node, and must exit by itself, cleanly, in seconds.
 * Fakes such as `fetchUser` or `store` live in test/readme/prelude.{d.ts,ts}.
 */
const blocks = readmeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
const RUN_TIMEOUT_MS = 8_000;
const fileOf = (block: ReadmeBlock) => `readme/line-${block.line}`;

/** The names each entry of the exports map exports, read from its built types. */
function exportedNames(): Array<[string, string[]]> {
  return entryPoints().map((specifier) => {
    const subpath = specifier === packageJson.name ? '.' : `./${specifier.split('/').pop()}`;
    const target = packageJson.exports[subpath] as { import: { types: string } };
    const types = readFileSync(join(root, target.import.types), 'utf8');
    const names = [...types.matchAll(/^export \{([^}]*)\}(?: from '[^']*')?;?$/gm)].flatMap(
      ([, list = '']) =>
        list.split(',').map(
          (part) =>
            part
              .trim()
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)
              .pop() ?? '',
        ),
    );
    return [specifier, names.filter((name) => name.length > 0)];
  });
}

let consumer: Consumer;
let typeErrors: string[] = [];

beforeAll(async () => {
  consumer = createConsumer();
  const xstateNames = Object.keys(await import('xstate'));
  const modules: Array<readonly [string, readonly string[]]> = [
    ...exportedNames(),
    ['xstate', xstateNames],
  ];
  for (const block of blocks) {
    const source = asModule(block.code, modules);
    consumer.write(`${fileOf(block)}.ts`, source);
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    consumer.write(`${fileOf(block)}.mjs`, js);
  }
  consumer.write(
    'readme/prelude.d.ts',
    readFileSync(join(root, 'test/readme/prelude.d.ts'), 'utf8'),
  );
  const prelude = readFileSync(join(root, 'test/readme/prelude.ts'), 'utf8');
  consumer.write(
    'readme/prelude.mjs',
    ts.transpileModule(prelude, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText,
  );
  // Snippets that open a browser (the inspector server does) open nothing here.
  consumer.write('bin/xdg-open', '#!/bin/sh\nexit 0\n');
  chmodSync(join(consumer.dir, 'bin/xdg-open'), 0o755);
  consumer.write(
    'readme/tsconfig.json',
    JSON.stringify({
      compilerOptions: {
        module: 'esnext',
        moduleResolution: 'bundler',
        target: 'es2022',
        lib: ['es2023'],
        types: ['node'],
        strict: true,
        exactOptionalPropertyTypes: true,
        // xstate's own types do not compile under exactOptionalPropertyTypes without it.
        skipLibCheck: true,
        noEmit: true,
      },
      files: [
        'prelude.d.ts',
        ...blocks.map((block) => `${fileOf(block).slice('readme/'.length)}.ts`),
      ],
    }),
  );
  const { output } = await consumer.tsc('readme/tsconfig.json');
  typeErrors = output.split('\n').filter((line) => line.includes('error TS'));
}, 120_000);

afterAll(() => consumer?.remove());

/** tsc's errors for a block, with README line numbers (line 1 of the module is its imports). */
function errorsOf(block: ReadmeBlock): string[] {
  const prefix = `${fileOf(block)}.ts(`;
  return typeErrors
    .filter((line) => line.startsWith(prefix))
    .map((line) =>
      line.replace(/^[^(]+\((\d+),(\d+)\)/, (_, row: string, column: string) => {
        return `README.md:${block.line + Number(row) - 2}:${column}`;
      }),
    );
}

describe('README.md', () => {
  it('has TypeScript blocks, and tsc reports only about them', () => {
    expect(blocks.length).toBeGreaterThan(5);
    const elsewhere = typeErrors.filter((line) => !line.startsWith('readme/line-'));
    expect(elsewhere).toEqual([]);
  });

  it.each(blocks.map((block) => [block.line, block] as const))(
    'the block at line %i type-checks under strict and exactOptionalPropertyTypes',
    (_, block) => {
      expect(errorsOf(block)).toEqual([]);
    },
  );

  const runnable = blocks.filter((block) => block.runnable);
  it.each(runnable.map((block) => [block.line, block] as const))(
    'the block at line %i runs against the built package and exits by itself',
    async (_, block) => {
      const { ok, output } = await consumer.node(
        ['--import', './readme/prelude.mjs', `./${fileOf(block)}.mjs`],
        RUN_TIMEOUT_MS,
        { PATH: `${join(consumer.dir, 'bin')}:${process.env.PATH ?? ''}` },
      );
      expect(ok, output).toBe(true);
    },
    RUN_TIMEOUT_MS + 5_000,
  );
});
