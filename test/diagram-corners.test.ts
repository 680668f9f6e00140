import { instance } from '@viz-js/viz';
import { XMLValidator } from 'fast-xml-parser';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import * as xstate from 'xstate';
import { toDot, toMermaid, toScxml, toStatelyCode } from '../src/diagram/index.js';
import {
  atomicMachine,
  cornersMachine,
  regionsMachine,
  widthMachine,
} from './fixtures/edge-machines.js';

const corners: Array<[string, AnyStateMachine]> = [
  ['corners', cornersMachine],
  ['atomic', atomicMachine],
  ['width', widthMachine],
  ['regions', regionsMachine],
];

/** Transpiles generated Stately code and evaluates it with the real `xstate`. */
function evaluateStately(code: string): AnyStateMachine {
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const exports: { machine?: AnyStateMachine } = {};
  const require = (id: string): unknown => {
    if (id !== 'xstate') throw new Error(`unexpected import ${id}`);
    return xstate;
  };
  new Function('require', 'exports', js)(require, exports);
  if (!exports.machine) throw new Error('no machine exported');
  return exports.machine;
}

describe('exporters on corner cases', () => {
  it.each(corners)('recreate the same statechart from the Stately code (%s)', (_name, machine) => {
    const code = toStatelyCode(machine);
    const copy = evaluateStately(code);
    expect(toMermaid(copy, { actions: true })).toBe(toMermaid(machine, { actions: true }));
    expect(toDot(copy, { actions: true })).toBe(toDot(machine, { actions: true }));
    expect(toScxml(copy)).toBe(toScxml(machine));
    expect(toStatelyCode(copy)).toBe(code);
  });

  it.each(corners)('write well-formed SCXML and DOT that Graphviz draws (%s)', async (_n, m) => {
    expect(XMLValidator.validate(toScxml(m))).toBe(true);
    const viz = await instance();
    for (const options of [{}, { actions: true }]) {
      const result = viz.render(toDot(m, options), { format: 'svg' });
      expect(result.errors).toEqual([]);
      expect(result.status).toBe('success');
    }
  });

  // XState reads a bare string inside an `after` list as a transition without a target (it
  // does not for `on`): the exporter writes `{ target: 'c' }` there.
  it('keeps the target of a plain transition listed after a guarded one on a delay', () => {
    const machine = xstate.createMachine({
      id: 'delays',
      initial: 'a',
      states: {
        a: { after: { 500: [{ target: 'b', guard: 'quick' }, { target: 'c' }] } },
        b: {},
        c: {},
      },
    });
    expect(toMermaid(evaluateStately(toStatelyCode(machine)))).toBe(toMermaid(machine));
  });

  it('keeps a Stately config on one line up to 100 characters with its comma, and no further', () => {
    const all = toStatelyCode(widthMachine).split('\n');
    const fits = all.find((line) => line.trimStart().startsWith('fits: '));
    expect(fits).toBe(`    fits: { description: '${'x'.repeat(70)}' },`);
    expect(fits).toHaveLength(100);
    const wraps = all.indexOf('    wraps: {');
    expect(wraps).toBeGreaterThan(-1);
    expect(all[wraps + 1]).toBe(`      description: '${'x'.repeat(70)}',`);
    expect(all[wraps + 2]).toBe('    },');
  });

  it('numbers ids that sanitise alike in order: x_y, x_y_2, x_y_3', () => {
    const mermaid = toMermaid(cornersMachine)
      .split('\n')
      .map((line) => line.trim());
    expect(mermaid).toEqual(
      expect.arrayContaining([
        'state "x y" as x_y',
        'state "x_y" as x_y_2',
        'state "x+y" as x_y_3',
      ]),
    );
    const scxml = toScxml(cornersMachine);
    for (const id of ['corners.x_y', 'corners.x_y_2', 'corners.x_y_3']) {
      expect(scxml).toContain(`<state id="${id}"`);
    }
  });

  it('marks a transition internal in SCXML only when every target lies inside its source', () => {
    const scxml = toScxml(regionsMachine)
      .split('\n')
      .map((line) => line.trim());
    expect(scxml).toContain(
      '<transition event="BOTH" target="regions.left.off regions.right.busy"/>',
    );
    expect(scxml).toContain('<transition event="FLIP" target="regions.left.off"/>');
  });

  it('lists every default target of a history state in SCXML', () => {
    const scxml = toScxml(regionsMachine);
    expect(scxml).toContain(
      '<history id="regions.back" type="deep">\n      <transition target="regions.left.off regions.right.busy"/>\n    </history>',
    );
  });

  it('writes Stately targets relative to a nested source, and expands a list around a long guard', () => {
    const long = xstate.and([
      'aVeryLongGuardName',
      'anotherVeryLongGuardName',
      'yetAnotherLongGuardName',
      'andTheLastOne',
      'plusOneMore',
    ]);
    const machine = xstate.createMachine({
      id: 'refs',
      initial: 'top',
      states: {
        top: {
          initial: 'inner',
          on: { DEEPER: '.box.item' },
          states: {
            inner: { on: { ACROSS: 'box.item' } },
            box: { initial: 'item', states: { item: {} } },
          },
        },
        other: { on: { CHECK: [{ target: 'top', guard: long }, { target: 'other' }] } },
      },
    });
    const code = toStatelyCode(machine);
    const all = code.split('\n').map((line) => line.trim());
    expect(all).toContain("on: { DEEPER: '.box.item' },");
    expect(all).toContain("inner: { on: { ACROSS: 'box.item' } },");
    expect(all).toContain('CHECK: [');
    expect(all.slice(all.indexOf('CHECK: [') + 1, all.indexOf('CHECK: [') + 4)).toEqual([
      '{',
      "target: 'top',",
      'guard: and([',
    ]);
    expect(toMermaid(evaluateStately(code))).toBe(toMermaid(machine));
  });

  it('refers by id to the root from the root and to the parent of a history state', () => {
    const unnamed = xstate.createMachine({
      initial: 'a',
      on: { RESTART: { target: '#(machine)', reenter: true } },
      states: { a: {} },
    });
    expect(toStatelyCode(unnamed)).toContain(
      "on: { RESTART: { target: '#(machine)', reenter: true } },",
    );
    const back = xstate.createMachine({
      id: 'p',
      initial: 'a',
      states: { a: { initial: 'x', states: { x: {}, h: { type: 'history', target: '#p.a' } } } },
    });
    expect(toStatelyCode(back)).toContain("h: { type: 'history', target: '#p.a' },");
  });

  it('draws a machine without states as an empty diagram with no start edge', () => {
    expect(toMermaid(atomicMachine)).toBe('stateDiagram-v2\n');
    expect(toDot(atomicMachine)).not.toContain('->');
    expect(toScxml(atomicMachine)).toContain('<state id="_9_lives"/>');
  });
});
