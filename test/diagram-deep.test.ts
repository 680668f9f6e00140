import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, createMachine } from 'xstate';
import { toDot, toMermaid, toScxml, toStateGraph, toStatelyCode } from '../src/diagram/index.js';

const LEVELS = 1000;

/**
 * A machine nested `levels` deep (`s0 > s1 > ... `), built by a loop as XState allows, with a
 * transition from the innermost state back to the top so every level is referenced.
 */
function nestedMachine(levels: number): AnyStateMachine {
  let config: Record<string, unknown> = { on: { UP: '#deep.s0' }, tags: ['innermost'] };
  for (let level = levels - 1; level >= 0; level--) {
    config = { initial: `s${level}`, states: { [`s${level}`]: config } };
  }
  return createMachine({ id: 'deep', ...config });
}

describe('exporters on a machine nested 1,000 levels deep', () => {
  const machine = nestedMachine(LEVELS);

  it('toStateGraph walks every level', () => {
    const graph = toStateGraph(machine);
    expect(graph.states.size).toBe(LEVELS + 1);
    const innermost = [...graph.states.values()].at(-1);
    expect(innermost?.path).toHaveLength(LEVELS);
    expect(innermost?.tags).toEqual(['innermost']);
  });

  it('toStatelyCode exports it without overflowing the stack', () => {
    const code = toStatelyCode(machine);
    expect(code).toContain(`s${LEVELS - 1}: {`);
    expect(code).toContain("tags: 'innermost'");
    expect(code.match(/ initial: /g)).toHaveLength(LEVELS);
  });

  it('toMermaid exports it', () => {
    const text = toMermaid(machine);
    expect(text.match(/\[\*\] --> /g)).toHaveLength(LEVELS); // one initial per level
    expect(text).toContain(`state "s${LEVELS - 1}" as `);
  });

  it('toDot exports it', () => {
    const dot = toDot(machine);
    expect(dot.match(/subgraph /g)).toHaveLength(LEVELS - 1); // the innermost is a node
    expect(dot).toContain(`[label="s${LEVELS - 1}"]`);
  });

  it('toScxml exports it', () => {
    const scxml = toScxml(machine);
    expect(scxml.match(/<state /g)).toHaveLength(LEVELS + 1); // and the root
    expect(scxml.match(/<\/state>/g)).toHaveLength(LEVELS + 1);
  });
});
