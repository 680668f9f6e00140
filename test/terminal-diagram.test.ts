import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import {
  clipLine,
  DEFAULT_ACCENT,
  findTransition,
  renderStateDiagram,
  SGR,
  stripAnsi,
  TAKEN_MARKER,
  visibleWidth,
} from '../examples/terminal-diagram.js';
import { type GraphState, toStateGraph } from '../src/diagram/index.js';
import { circuitBreakerMachine } from '../src/index.js';

const graph = toStateGraph(circuitBreakerMachine);
const ESC = String.fromCharCode(27);
/** The states the machine declares, read from the graph (not from this test). */
const machineStates = [...graph.states.values()].filter(
  (state): state is GraphState => state.parentId !== undefined,
);
const stateKeys = machineStates.map((state) => state.key);

/** The three lines of the box row (top border, names, bottom border). */
const boxLines = (lines: readonly string[]) => lines.slice(1, 4);
/** A line with its runs of spaces collapsed, escape codes removed. */
const squeeze = (line: string) => stripAnsi(line).replace(/ +/g, ' ').trim();
/** Edge lines: `source ─ LABEL → target`, escape codes removed. */
const edgeLines = (lines: readonly string[]) =>
  lines.map(squeeze).filter((line) => / ─ .* → /.test(line));

/** The current state's box segments exactly as drawn with ANSI highlights. */
function highlightedBox(name: string, accent: number): [string, string, string] {
  const bar = '═'.repeat(name.length + 2);
  const frame = SGR.frame(accent);
  return [
    `${frame}╔${bar}╗${SGR.reset}`,
    `${frame}║${SGR.reset}${SGR.label(accent)} ${name} ${SGR.reset}${frame}║${SGR.reset}`,
    `${frame}╚${bar}╝${SGR.reset}`,
  ];
}

function plainBox(name: string, current: boolean): [string, string, string] {
  const bar = (current ? '═' : '─').repeat(name.length + 2);
  return current
    ? [`╔${bar}╗`, `║ ${name} ║`, `╚${bar}╝`]
    : [`╭${bar}╮`, `│ ${name} │`, `╰${bar}╯`];
}

describe('renderStateDiagram on the breaker machine', () => {
  it('is fed the four states of the machine', () => {
    expect(stateKeys).toEqual(['closed', 'open', 'halfOpen', 'forcedOpen']);
  });

  it('draws every state of the machine as a box, in document order', () => {
    const lines = renderStateDiagram(graph, 'closed', undefined, { ansi: false });
    expect(lines[0]).toBe(
      'circuitBreaker: 4 states, 17 transitions   (╔═╗ current, ▶ last transition)',
    );
    const [top, names, bottom] = boxLines(lines);
    const boxes = machineStates.map((state) => plainBox(state.key, state.key === 'closed'));
    expect(top).toBe(`  ${boxes.map((b) => b[0]).join('  ')}`);
    expect(names).toBe(`  ${boxes.map((b) => b[1]).join('  ')}`);
    expect(bottom).toBe(`  ${boxes.map((b) => b[2]).join('  ')}`);
    expect(names).toBe('  ║ closed ║  │ open │  │ halfOpen │  │ forcedOpen │');
  });

  it.each(stateKeys)('highlights %s, and only it, with the escape codes', (current) => {
    const accent = 31;
    const lines = renderStateDiagram(graph, current, undefined, { accent });
    const segments = highlightedBox(current, accent);
    boxLines(lines).forEach((line, row) => {
      expect(line).toContain(segments[row]);
      // Take the highlighted box out: what is left (the other boxes) has no escape code.
      const rest = line.replace(segments[row] ?? '', '');
      expect(rest).not.toContain(ESC);
    });
    for (const other of stateKeys.filter((key) => key !== current)) {
      expect(lines[2]).toContain(`│ ${other} │`);
      expect(lines[2]).not.toContain(`${SGR.label(accent)} ${other} `);
    }
    // Nothing outside the boxes is highlighted when no transition was taken yet.
    for (const line of [lines[0], ...lines.slice(4)]) expect(line).not.toContain(ESC);
  });

  it('accepts the state id as well as its name', () => {
    expect(renderStateDiagram(graph, 'circuitBreaker.open')).toEqual(
      renderStateDiagram(graph, 'open'),
    );
  });

  it('highlights nothing for a state the machine does not have', () => {
    const lines = renderStateDiagram(graph, 'ajar');
    expect(lines.join('\n')).not.toContain(ESC);
    expect(boxLines(lines).join('\n')).not.toContain('═');
  });

  it('lists the initial state and every transition that has a target, with its label', () => {
    const edges = edgeLines(renderStateDiagram(graph, 'closed', undefined, { ansi: false }));
    const targeted = machineStates.flatMap((state) =>
      state.transitions.filter((t) => t.targets.length > 0),
    );
    expect(edges).toHaveLength(targeted.length + 1);
    expect(edges).toEqual([
      '[*] ─ initial → closed',
      'closed ─ SUCCESS [and(isSlow, rateThresholdReached)] → open',
      'closed ─ FAILURE [or(failureThresholdReached, rateThresholdReached)] → open',
      'closed ─ FORCE_OPEN → forcedOpen',
      'open ─ REQUEST [resetTimeoutElapsed] → halfOpen',
      'open ─ WAKE [resetTimeoutElapsed] → halfOpen',
      'open ─ FORCE_OPEN → forcedOpen',
      'open ─ FORCE_CLOSE → closed',
      'open ─ RESET → closed',
      'open ─ after(resetTimeout) → halfOpen',
      'halfOpen ─ SUCCESS [probesSucceeded] → closed',
      'halfOpen ─ FAILURE → open',
      'halfOpen ─ FORCE_OPEN → forcedOpen',
      'halfOpen ─ FORCE_CLOSE → closed',
      'halfOpen ─ RESET → closed',
      'halfOpen ─ after(halfOpenMaxWait) [hasHalfOpenMaxWait] → open',
      'forcedOpen ─ FORCE_CLOSE → closed',
      'forcedOpen ─ RESET → closed',
    ]);
  });

  it('aligns the arrows: sources are padded to the longest state name', () => {
    const lines = renderStateDiagram(graph, 'closed', undefined, { ansi: false });
    expect(lines).toContain(
      '  closed     ─ FAILURE [or(failureThresholdReached, rateThresholdReached)] → open',
    );
    expect(lines).toContain('  forcedOpen ─ RESET → closed');
  });

  it('marks and highlights the transition just taken, and no other', () => {
    const taken = findTransition(graph, 'closed', 'open', 'FAILURE');
    const accent = 31;
    const lines = renderStateDiagram(graph, 'open', taken, { accent });
    const marked = lines.filter((line) => stripAnsi(line).startsWith(TAKEN_MARKER));
    expect(marked).toEqual([
      `${SGR.frame(accent)}▶ closed     ─ FAILURE [or(failureThresholdReached, rateThresholdReached)] → open${SGR.reset}`,
    ]);
    const others = lines.slice(4).filter((line) => !marked.includes(line));
    for (const line of others) expect(line).not.toContain(ESC);
  });

  it('finds the edge a timer took from the event type XState raises', () => {
    const taken = findTransition(
      graph,
      'open',
      'halfOpen',
      'xstate.after.resetTimeout.circuitBreaker.open',
    );
    expect(taken).toMatchObject({
      source: 'circuitBreaker.open',
      targets: ['circuitBreaker.halfOpen'],
      trigger: { kind: 'after', delay: 'resetTimeout' },
    });
    const lines = renderStateDiagram(graph, 'halfOpen', taken, { ansi: false });
    expect(lines.filter((line) => line.startsWith(TAKEN_MARKER))).toEqual([
      '▶ open       ─ after(resetTimeout) → halfOpen',
    ]);
  });

  it('tells apart the edges between the same two states by their event', () => {
    const byRequest = findTransition(graph, 'open', 'halfOpen', 'REQUEST');
    const byWake = findTransition(graph, 'circuitBreaker.open', 'halfOpen', 'WAKE');
    expect(byRequest?.eventType).toBe('REQUEST');
    expect(byWake?.eventType).toBe('WAKE');
    expect(findTransition(graph, 'halfOpen', 'closed', 'SUCCESS')?.guard).toEqual({
      kind: 'named',
      name: 'probesSucceeded',
    });
    expect(findTransition(graph, 'closed', 'halfOpen', 'FAILURE')).toBeUndefined();
    expect(findTransition(graph, 'closed', 'open', 'TALLY')).toBeUndefined();
    expect(findTransition(graph, 'nowhere', 'open', 'FAILURE')).toBeUndefined();
  });

  it('with edges: "current" lists the moves out of the current state and the one just taken', () => {
    const taken = findTransition(graph, 'open', 'halfOpen', 'REQUEST');
    const lines = renderStateDiagram(graph, 'halfOpen', taken, { ansi: false, edges: 'current' });
    expect(edgeLines(lines)).toEqual([
      '▶ open ─ REQUEST [resetTimeoutElapsed] → halfOpen',
      'halfOpen ─ SUCCESS [probesSucceeded] → closed',
      'halfOpen ─ FAILURE → open',
      'halfOpen ─ FORCE_OPEN → forcedOpen',
      'halfOpen ─ FORCE_CLOSE → closed',
      'halfOpen ─ RESET → closed',
      'halfOpen ─ after(halfOpenMaxWait) [hasHalfOpenMaxWait] → open',
    ]);
    expect(lines.at(-1)).toBe('  … 10 more transitions from other states');
  });
});

describe('renderStateDiagram without ANSI (stdout is not a TTY)', () => {
  const cases = stateKeys.flatMap((current) => [
    [current, undefined] as const,
    [current, findTransition(graph, 'halfOpen', 'closed', 'SUCCESS')] as const,
  ]);

  it.each(cases)('has no escape codes for %s', (current, taken) => {
    const lines = renderStateDiagram(graph, current, taken, { ansi: false });
    expect(lines.join('\n')).not.toContain(ESC);
  });

  it.each(stateKeys)('shows %s as the current state with double borders', (current) => {
    const [, names] = boxLines(renderStateDiagram(graph, current, undefined, { ansi: false }));
    expect(names).toContain(`║ ${current} ║`);
    for (const other of stateKeys.filter((key) => key !== current)) {
      expect(names).toContain(`│ ${other} │`);
    }
    expect(names?.match(/║/g)).toHaveLength(2);
  });

  it.each(cases)('is the ANSI drawing of %s with the escape codes taken out', (current, taken) => {
    const ansi = renderStateDiagram(graph, current, taken, { accent: DEFAULT_ACCENT });
    const plain = renderStateDiagram(graph, current, taken, { ansi: false });
    expect(ansi.map(stripAnsi)).toEqual(plain);
    expect(ansi).not.toEqual(plain);
  });
});

describe('renderStateDiagram in a narrow terminal', () => {
  it('wraps the boxes and cuts long lines to the width, closing the highlight', () => {
    const taken = findTransition(graph, 'closed', 'open', 'FAILURE');
    const lines = renderStateDiagram(graph, 'open', taken, { width: 40 });
    for (const line of lines) expect(visibleWidth(line)).toBeLessThanOrEqual(40);
    const plain = lines.map(stripAnsi);
    expect(plain.slice(1, 7)).toEqual([
      '  ╭────────╮  ╔══════╗  ╭──────────╮',
      '  │ closed │  ║ open ║  │ halfOpen │',
      '  ╰────────╯  ╚══════╝  ╰──────────╯',
      '  ╭────────────╮',
      '  │ forcedOpen │',
      '  ╰────────────╯',
    ]);
    const cut = lines.find((line) => stripAnsi(line).startsWith(TAKEN_MARKER));
    expect(cut).toBe(
      `${SGR.frame(DEFAULT_ACCENT)}▶ closed     ─ FAILURE [or(failureThres…${SGR.reset}`,
    );
  });

  it('clipLine leaves short lines alone and counts no escape code as a column', () => {
    expect(clipLine('abc', 3)).toBe('abc');
    expect(clipLine('abcdef', 4)).toBe('abc…');
    expect(clipLine(`${SGR.frame(32)}abcdef${SGR.reset}`, 6)).toBe(
      `${SGR.frame(32)}abcdef${SGR.reset}`,
    );
    expect(clipLine(`ab${SGR.frame(32)}cdef${SGR.reset}`, 4)).toBe(
      `ab${SGR.frame(32)}c…${SGR.reset}`,
    );
  });
});

describe('renderStateDiagram on other machines', () => {
  const door = createMachine({
    id: 'door',
    initial: 'closed',
    states: {
      closed: {
        initial: 'locked',
        states: {
          locked: { on: { UNLOCK: 'unlocked' } },
          unlocked: { on: { LOCK: 'locked' } },
        },
        on: { OPEN: { guard: 'isUnlocked', target: 'opened' } },
      },
      opened: { after: { 5000: 'closed' }, on: { BREAK: 'broken', PING: {} } },
      broken: { type: 'final' },
    },
  });
  const doorGraph = toStateGraph(door);

  it('draws nested and final states, initial children, guards and delays', () => {
    const taken = findTransition(doorGraph, 'closed.locked', 'closed.unlocked', 'UNLOCK');
    expect(renderStateDiagram(doorGraph, 'closed.unlocked', taken, { ansi: false })).toEqual([
      'door: 5 states, 5 transitions   (╔═╗ current, ▶ last transition)',
      '  ╭────────╮  ╭───────────────╮  ╔═════════════════╗  ╭────────╮  ╭────────────────╮',
      '  │ closed │  │ closed.locked │  ║ closed.unlocked ║  │ opened │  │ broken (final) │',
      '  ╰────────╯  ╰───────────────╯  ╚═════════════════╝  ╰────────╯  ╰────────────────╯',
      '  [*]             ─ initial → closed',
      '  closed.[*]      ─ initial → closed.locked',
      '  closed          ─ OPEN [isUnlocked] → opened',
      '▶ closed.locked   ─ UNLOCK → closed.unlocked',
      '  closed.unlocked ─ LOCK → closed.locked',
      '  opened          ─ BREAK → broken',
      '  opened          ─ after(5000ms) → closed',
    ]);
  });

  it('finds a transition into a compound state from the leaf it lands in', () => {
    const taken = findTransition(
      doorGraph,
      'opened',
      'closed.locked',
      'xstate.after.5000.door.opened',
    );
    expect(taken?.targets).toEqual(['door.closed']);
  });

  it('is pure: the same input gives the same lines and leaves the graph as it was', () => {
    const before = JSON.stringify([...doorGraph.states.entries()]);
    const once = renderStateDiagram(doorGraph, 'opened');
    expect(renderStateDiagram(doorGraph, 'opened')).toEqual(once);
    expect(JSON.stringify([...doorGraph.states.entries()])).toBe(before);
  });
});
