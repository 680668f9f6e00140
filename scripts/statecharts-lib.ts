import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instance } from '@viz-js/viz';
import type { AnyStateMachine } from 'xstate';
import { toDot, toMermaid, toScxml, toStatelyCode } from '../src/diagram/index.js';
import { circuitBreakerMachine } from '../src/machine/index.js';

/** Where the committed statecharts live (`<repo>/statecharts`). */
export const STATECHARTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'statecharts');

/**
 * Renders one machine in every format, keyed by file name:
 * `<name>.mmd`, `<name>.dot`, `<name>.scxml`, `<name>.stately.ts` and `<name>.svg`
 * (the DOT drawn by Graphviz through `@viz-js/viz`).
 *
 * @example
 * ```ts
 * const files = await renderStatecharts(machine, 'my-machine');
 * Object.keys(files); // ['my-machine.mmd', 'my-machine.dot', ...]
 * ```
 */
export async function renderStatecharts(
  machine: AnyStateMachine,
  name: string,
): Promise<Record<string, string>> {
  const dot = toDot(machine);
  const viz = await instance();
  const result = viz.render(dot, { format: 'svg' });
  if (result.status !== 'success' || result.errors.length > 0) {
    throw new Error(
      `Graphviz could not render ${name}.dot cleanly: ${JSON.stringify(result.errors)}`,
    );
  }
  return {
    [`${name}.mmd`]: toMermaid(machine),
    [`${name}.dot`]: dot,
    [`${name}.scxml`]: toScxml(machine),
    [`${name}.stately.ts`]: toStatelyCode(machine),
    [`${name}.svg`]: result.output,
  };
}

/**
 * Everything that belongs in `statecharts/`: the circuit breaker machine in
 * every format, keyed by file name.
 *
 * @example
 * ```ts
 * const files = await generateStatecharts();
 * files['circuit-breaker.mmd']; // 'stateDiagram-v2\n...'
 * ```
 */
export function generateStatecharts(): Promise<Record<string, string>> {
  return renderStatecharts(circuitBreakerMachine, 'circuit-breaker');
}

/**
 * The files currently committed in `statecharts/`, keyed by file name.
 *
 * @example
 * ```ts
 * const committed = await readStatecharts();
 * ```
 */
export async function readStatecharts(): Promise<Record<string, string>> {
  const names = (await readdir(STATECHARTS_DIR)).filter((name) => !name.startsWith('.')).sort();
  const entries = await Promise.all(
    names.map(async (name) => [name, await readFile(join(STATECHARTS_DIR, name), 'utf8')] as const),
  );
  return Object.fromEntries(entries);
}

const START = '<!-- statechart:start -->';
const END = '<!-- statechart:end -->';

/**
 * `readme` with the Mermaid block between the statechart markers replaced by `mermaid`.
 *
 * @example
 * ```ts
 * const readme = embedMermaid(await readFile('README.md', 'utf8'), files['circuit-breaker.mmd']);
 * ```
 */
export function embedMermaid(readme: string, mermaid: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} markers`);
  const block = `${START}\n\`\`\`mermaid\n${mermaid.trimEnd()}\n\`\`\`\n`;
  return readme.slice(0, start) + block + readme.slice(end);
}
