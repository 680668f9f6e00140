import { describe, expect, it } from 'vitest';
import { createMachine, stateIn } from 'xstate';
import { guardLabel, toStateGraph } from '../src/diagram/index.js';

/** The graph state of `id` in `machine`, failing the test when it is missing. */
function stateOf(machine: Parameters<typeof toStateGraph>[0], id: string) {
  const state = toStateGraph(machine).states.get(id);
  if (!state) throw new Error(`no state ${id}`);
  return state;
}

describe('toStateGraph on configs written by hand', () => {
  it('reads a null entry or exit (as JSON configs have) as none', () => {
    const machine = createMachine({
      id: 'json',
      initial: 'a',
      states: { a: { entry: null, exit: null } as never },
    });
    expect(stateOf(machine, 'json.a')).toMatchObject({ entry: [], exit: [] });
  });

  it('drops a history target that names no state', () => {
    const machine = createMachine({
      id: 'h',
      initial: 'a',
      states: { a: {}, back: { type: 'history', target: 'nowhere' } },
    });
    expect(stateOf(machine, 'h.back').historyTargets).toEqual([]);
  });

  it('names a function action by its own type when it has one', () => {
    const logged = Object.assign(() => {}, { type: 'logged' });
    const machine = createMachine({ id: 'f', initial: 'a', states: { a: { entry: logged } } });
    expect(stateOf(machine, 'f.a').entry).toEqual([{ name: 'logged' }]);
  });

  it('reads an `on` handler for a done event as an event when the state has no onDone', () => {
    const machine = createMachine({
      id: 'd',
      initial: 'a',
      states: { a: { on: { 'xstate.done.state.d.a': 'b' } }, b: {} },
    });
    expect(stateOf(machine, 'd.a').transitions[0]?.trigger).toEqual({
      kind: 'event',
      event: 'xstate.done.state.d.a',
    });
  });

  it('writes a stateIn guard without a state value as stateIn(null)', () => {
    const machine = createMachine({
      id: 's',
      initial: 'a',
      states: { a: { on: { E: { guard: stateIn(undefined as never), target: 'a' } } } },
    });
    const guard = stateOf(machine, 's.a').transitions[0]?.guard;
    expect(guard).toEqual({ kind: 'stateIn', state: 'null' });
    expect(guardLabel(guard ?? { kind: 'inline' })).toBe('stateIn(null)');
  });
});

describe('toStateGraph leaves out what a config does not have', () => {
  it('gives no params key to an action without params and no description key to a transition', () => {
    const machine = createMachine({
      id: 'bare',
      initial: 'a',
      states: { a: { entry: { type: 'load' }, on: { GO: 'b' } }, b: {} },
    });
    const a = stateOf(machine, 'bare.a');
    expect(Object.keys(a.entry[0] ?? {})).toEqual(['name']);
    expect(Object.keys(a.transitions[0] ?? {})).not.toContain('description');
  });

  it('drops a history target whose path stops resolving part way', () => {
    const machine = createMachine({
      id: 'h2',
      initial: 'a',
      states: { a: {}, back: { type: 'history', target: 'nowhere.deeper' } },
    });
    expect(stateOf(machine, 'h2.back').historyTargets).toEqual([]);
  });

  it('reads only the done event of a state with onDone as its onDone', () => {
    const machine = createMachine({
      id: 'od',
      initial: 'job',
      states: {
        job: {
          initial: 'run',
          states: { run: { on: { END: 'end' } }, end: { type: 'final' } },
          on: { CANCEL: 'idle' },
          onDone: 'idle',
        },
        idle: {},
      },
    });
    expect(stateOf(machine, 'od.job').transitions.map((t) => t.trigger)).toEqual([
      { kind: 'event', event: 'CANCEL' },
      { kind: 'done' },
    ]);
  });
});
