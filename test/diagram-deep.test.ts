import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, createMachine, not } from 'xstate';
import {
  guardLabel,
  toDot,
  toMermaid,
  toScxml,
  toStateGraph,
  toStatelyCode,
} from '../src/diagram/index.js';

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

describe('exporters on guards and params nested 1,000 levels deep', () => {
  let guard: ReturnType<typeof not> = not('ready');
  for (let level = 1; level < LEVELS; level++) guard = not(guard);
  let params: Record<string, unknown> = { leaf: true };
  for (let level = 0; level < LEVELS; level++) params = { inner: params };
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const machine = createMachine({
    id: 'guarded',
    initial: 'idle',
    states: {
      idle: {
        on: {
          GO: { target: 'done', guard, actions: [{ type: 'deep', params }] },
          LOOP: { actions: [{ type: 'cyclic', params: cyclic }] },
        },
      },
      done: {},
    },
  });
  const nots = `${'not('.repeat(LEVELS)}ready${')'.repeat(LEVELS)}`;

  it('toStateGraph keeps the guard and the plain params, and drops cyclic ones', () => {
    const graph = toStateGraph(machine);
    const [go, loop] = graph.states.get('guarded.idle')?.transitions ?? [];
    expect(guardLabel(go?.guard ?? { kind: 'inline' })).toBe(nots);
    expect(JSON.stringify(go?.actions[0]?.params)).toBe(JSON.stringify(params));
    expect(loop?.actions[0]).toEqual({ name: 'cyclic' });
  });

  it('every exporter writes the whole guard', () => {
    expect(toMermaid(machine)).toContain(`GO [${nots}]`);
    expect(toDot(machine)).toContain(nots);
    expect(toScxml(machine)).toContain(`cond="${nots}"`);
    const code = toStatelyCode(machine);
    expect(code).toContain(nots.replace('ready', "'ready'"));
    expect(code.match(/inner: /g)).toHaveLength(LEVELS);
  });
});
