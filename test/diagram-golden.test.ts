import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { toDot, toMermaid, toScxml, toStatelyCode } from '../src/diagram/index.js';
import {
  atomicMachine,
  cornersMachine,
  regionsMachine,
  widthMachine,
} from './fixtures/edge-machines.js';
import { fixtureMachines } from './fixtures/machines.js';

/**
 * Every exporter's whole output for every fixture, compared with the reviewed files in
 * test/fixtures/diagrams/ (`npx vitest run test/diagram-golden.test.ts -u` rewrites them after
 * an intended change; review the diff). The other diagram tests check properties of the
 * output (grammar, rendering, round trips); these pin every character, so a change in
 * indentation, ordering, escaping or an attribute cannot pass unnoticed.
 */
const machines: Record<string, AnyStateMachine> = {
  ...fixtureMachines,
  corners: cornersMachine,
  atomic: atomicMachine,
  width: widthMachine,
  regions: regionsMachine,
};

const formats: Array<[string, (machine: AnyStateMachine) => string]> = [
  ['mmd', (machine) => toMermaid(machine)],
  ['actions.mmd', (machine) => toMermaid(machine, { actions: true })],
  ['dot', (machine) => toDot(machine)],
  ['actions.dot', (machine) => toDot(machine, { actions: true })],
  ['scxml', toScxml],
  // Not `.ts`: the corners fixture's code is valid but not laid out as Biome would.
  ['stately.txt', toStatelyCode],
];

describe.each(Object.entries(machines))('the %s machine', (name, machine) => {
  it.each(formats)('as %s is the reviewed output', async (extension, render) => {
    await expect(render(machine)).toMatchFileSnapshot(`fixtures/diagrams/${name}.${extension}`);
  });
});
