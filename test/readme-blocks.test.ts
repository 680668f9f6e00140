import { describe, expect, it } from 'vitest';
import { asModule, ownNames, readmeBlocks } from './readme/blocks.js';

describe('README blocks for the README test', () => {
  it('finds ts blocks with their README line and the no-run marker', () => {
    const markdown = [
      '# Title', // 1
      '```ts', // 2
      'const a = 1;', // 3
      '```',
      '```sh',
      'npm test',
      '```',
      '```typescript', // 8
      '// no-run: needs a browser', // 9
      'open();',
      '```',
    ].join('\n');
    expect(readmeBlocks(markdown)).toEqual([
      { line: 3, code: 'const a = 1;', runnable: true },
      { line: 9, code: '// no-run: needs a browser\nopen();', runnable: false },
    ]);
  });

  it('imports what a block uses, except what it imports or declares itself', () => {
    const code = [
      "import { toDot as dot } from 'xstate-circuit-breaker/diagram';",
      'const breaker = new CircuitBreaker({ resetTimeout: exponentialBackoff({ initial: 1 }) });',
      'function setup() {}',
      'const { assign } = helpers;',
      'createActor(machine);',
    ].join('\n');
    expect([...ownNames(code)].sort()).toEqual(['assign', 'breaker', 'dot', 'setup']);
    const module = asModule(code, [
      ['xstate-circuit-breaker', ['CircuitBreaker', 'exponentialBackoff', 'CircuitOpenError']],
      ['xstate-circuit-breaker/diagram', ['toDot']],
      ['xstate', ['setup', 'assign', 'createActor', 'CircuitBreaker']],
    ]);
    const [imports, ...rest] = module.split('\n');
    expect(imports).toBe(
      "import { CircuitBreaker, exponentialBackoff } from 'xstate-circuit-breaker'; import { createActor } from 'xstate';",
    );
    expect(rest.join('\n')).toBe(`${code}\nexport {};\n`);
  });
});
