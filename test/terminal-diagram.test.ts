import { describe, expect, it } from 'vitest';
import {
  type AnyStateNode,
  createActor,
  createMachine,
  type InspectionEvent,
  SimulatedClock,
} from 'xstate';
import {
  ANY_STATE,
  clipLine,
  DEFAULT_ACCENT,
  findTransition,
  hasAction,
  renderStateDiagram,
  resolveState,
  SGR,
  stripAnsi,
  TAKEN_MARKER,
  visibleWidth,
} from '../examples/terminal-diagram.js';
import { type StateGraph, toStateGraph } from '../src/diagram/index.js';
import { type CircuitBreakerActor, circuitBreakerMachine } from '../src/index.js';

/**
 * The breaker's graph, built by each test that reads it: code run while the file loads belongs
 * to no test, so mutation testing would have to run the whole suite for every walk mutant.
 */
const graphOf = () => toStateGraph(circuitBreakerMachine);
const ESC = String.fromCharCode(27);
/** The states the machine declares, read from the graph (not from this test). */
const machineStatesOf = (graph: StateGraph) =>
  [...graph.states.values()].filter((state) => state.parentId !== undefined);

/** XState's own state nodes below `node`, in document order (no walk needed to name test cases). */
function nodesBelow(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((child) => [child, ...nodesBelow(child)]);
}
/** The states the breaker can be in: those without children. */
const leafKeys = nodesBelow(circuitBreakerMachine.root)
  .filter((node) => Object.keys(node.states).length === 0)
  .map((node) => node.key);

/** The five lines of the box row: the frame's top, the boxes' three lines, the frame's bottom. */
const boxLines = (lines: readonly string[]) => lines.slice(1, 6);
/** The line of the box row that holds the leaf names. */
const namesLine = (lines: readonly string[]) => lines[3] ?? '';
/** A line with its runs of spaces collapsed, escape codes removed. */
const squeeze = (line: string) => stripAnsi(line).replace(/ +/g, ' ').trim();
/** Edge lines: `source ─ LABEL → target`, escape codes removed. */
const edgeLines = (lines: readonly string[]) =>
  lines.map(squeeze).filter((line) => / ─ .* → /.test(line));
/** The lines marked as the transition just taken, escape codes removed. */
const markedLines = (lines: readonly string[]) =>
  lines.map(stripAnsi).filter((line) => line.startsWith(TAKEN_MARKER));
/** Finds a transition by the reason its `changeState` action gives. */
const becauseOf = (reason: string) => hasAction('changeState', { reason });

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

describe('renderStateDiagram on the breaker machine', () => {
  it('is fed the compound state automatic, its three children and the two manual states', () => {
    const machineStates = machineStatesOf(graphOf());
    expect(machineStates.map((state) => state.key)).toEqual([
      'automatic',
      'closed',
      'open',
      'halfOpen',
      'forcedOpen',
      'disabled',
    ]);
    const automatic = graphOf().states.get('circuitBreaker.automatic');
    expect(automatic?.children.map((s) => s.key)).toEqual(['closed', 'open', 'halfOpen']);
    expect(leafKeys).toEqual(
      machineStates.filter((state) => state.children.length === 0).map((s) => s.key),
    );
  });

  it('draws the children of automatic inside its frame and the other states beside it', () => {
    const lines = renderStateDiagram(graphOf(), 'closed', undefined, { ansi: false });
    expect(lines[0]).toBe(
      'circuitBreaker: 6 states, 18 transitions   (╔═╗ current, ▶ last transition)',
    );
    expect(boxLines(lines)).toEqual([
      '  ╭─ automatic ────────────────────────╮',
      '  │ ╔════════╗  ╭──────╮  ╭──────────╮ │  ╭────────────╮  ╭──────────╮',
      '  │ ║ closed ║  │ open │  │ halfOpen │ │  │ forcedOpen │  │ disabled │',
      '  │ ╚════════╝  ╰──────╯  ╰──────────╯ │  ╰────────────╯  ╰──────────╯',
      '  ╰────────────────────────────────────╯',
    ]);
  });

  it.each(leafKeys)('highlights %s, and only it, with the escape codes', (current) => {
    const accent = 31;
    const lines = renderStateDiagram(graphOf(), current, undefined, { accent });
    const segments = highlightedBox(current, accent);
    const inside = ['closed', 'open', 'halfOpen'].includes(current);
    lines.slice(2, 5).forEach((line, row) => {
      expect(line).toContain(segments[row]);
      // Take the highlighted box and the frame's sides out: what is left has no escape code.
      const side = `${SGR.frame(accent)}│${SGR.reset}`;
      const rest = line.replace(segments[row] ?? '', '').replaceAll(side, '│');
      expect(rest).not.toContain(ESC);
      expect(line.includes(side)).toBe(inside);
    });
    for (const other of leafKeys.filter((key) => key !== current)) {
      expect(namesLine(lines)).toContain(`│ ${other} │`);
      expect(namesLine(lines)).not.toContain(`${SGR.label(accent)} ${other} `);
    }
    // The frame of automatic is tinted (never inverse) while the current state is inside it.
    const tintedTop = `${SGR.frame(accent)}╭─ automatic ${'─'.repeat(24)}╮${SGR.reset}`;
    expect(lines[1]).toBe(inside ? `  ${tintedTop}` : `  ${stripAnsi(tintedTop)}`);
    expect(lines.join('\n')).not.toContain(`${SGR.label(accent)} automatic `);
    // Nothing outside the boxes is highlighted when no transition was taken yet.
    for (const line of [lines[0], ...lines.slice(6)]) expect(line).not.toContain(ESC);
  });

  it('highlights the compound state itself with a double frame and its name inverse', () => {
    const lines = renderStateDiagram(graphOf(), 'automatic');
    const frame = SGR.frame(DEFAULT_ACCENT);
    expect(lines[1]).toBe(
      `  ${frame}╔═${SGR.reset}${SGR.label(DEFAULT_ACCENT)} automatic ${SGR.reset}${frame}${'═'.repeat(24)}╗${SGR.reset}`,
    );
    expect(lines.slice(2, 5).join('\n')).not.toContain(SGR.label(DEFAULT_ACCENT));
    expect(stripAnsi(lines[5] ?? '')).toBe(`  ╚${'═'.repeat(36)}╝`);
  });

  it('accepts the id, the path, the key alone and the snapshot value of a state', () => {
    const byPath = renderStateDiagram(graphOf(), 'automatic.open');
    expect(byPath.join('\n')).toContain(highlightedBox('open', DEFAULT_ACCENT)[1]);
    expect(renderStateDiagram(graphOf(), 'circuitBreaker.automatic.open')).toEqual(byPath);
    expect(renderStateDiagram(graphOf(), 'open')).toEqual(byPath);
    expect(renderStateDiagram(graphOf(), { automatic: 'open' })).toEqual(byPath);
    expect(renderStateDiagram(graphOf(), 'disabled')).not.toEqual(byPath);
  });

  it('highlights the state a running actor is in, from its snapshot value', () => {
    const actor = createActor(circuitBreakerMachine, { input: { failureThreshold: 1 } }).start();
    const { generation } = actor.getSnapshot().context;
    actor.send({ type: 'FAILURE', at: 0, generation });
    const value = actor.getSnapshot().value;
    actor.stop();
    expect(value).toEqual({ automatic: 'open' });
    const [, names] = boxLines(
      renderStateDiagram(graphOf(), value, undefined, { ansi: false }),
    ).slice(1);
    expect(names).toContain('║ open ║');
    expect(names?.match(/║/g)).toHaveLength(2);
  });

  it('highlights nothing for a state the machine does not have', () => {
    const lines = renderStateDiagram(graphOf(), 'ajar');
    expect(lines.join('\n')).not.toContain(ESC);
    expect(boxLines(lines).join('\n')).not.toContain('═');
    expect(renderStateDiagram(graphOf(), { automatic: 'ajar' })).toEqual(lines);
  });

  it('lists the initial states, every edge with a target, then the manual controls once', () => {
    const edges = edgeLines(renderStateDiagram(graphOf(), 'closed', undefined, { ansi: false }));
    const targeted = [graphOf().root, ...machineStatesOf(graphOf())].flatMap((state) =>
      state.transitions.filter((t) => t.targets.length > 0),
    );
    expect(edges).toHaveLength(targeted.length + 2);
    expect(edges).toEqual([
      '[*] ─ initial → automatic',
      'automatic.[*] ─ initial → closed',
      'closed ─ FAILURE [retryAfterGiven] → open',
      'closed ─ FAILURE [consecutiveFailuresReached] → open',
      'closed ─ FAILURE [failureRateReached] → open',
      'closed ─ FAILURE [slowCallRateReached] → open',
      'closed ─ SUCCESS [slowCallRateReached] → open',
      'open ─ REQUEST [resetTimeoutElapsed] → halfOpen',
      'open ─ WAKE [resetTimeoutElapsed] → halfOpen',
      'open ─ after(resetTimeout) → halfOpen',
      'halfOpen ─ SUCCESS [slowProbe] → open',
      'halfOpen ─ SUCCESS [probesSucceeded] → closed',
      'halfOpen ─ FAILURE [retryAfterGiven] → open',
      'halfOpen ─ FAILURE [probeFailed] → open',
      'halfOpen ─ after(halfOpenMaxWait) [hasHalfOpenMaxWait] → open',
      'any state ─ FORCE_OPEN [forOpenPeriod] → open',
      'any state ─ FORCE_OPEN → forcedOpen',
      'any state ─ FORCE_CLOSE → automatic',
      'any state ─ RESET → automatic',
      'any state ─ DISABLE → disabled',
    ]);
    for (const event of ['FORCE_CLOSE', 'RESET', 'DISABLE']) {
      expect(edges.filter((edge) => edge.includes(` ${event} `))).toHaveLength(1);
    }
  });

  it('aligns the arrows: sources are padded to the longest source', () => {
    const lines = renderStateDiagram(graphOf(), 'closed', undefined, { ansi: false });
    expect(lines).toContain('  closed        ─ FAILURE [failureRateReached] → open');
    expect(lines).toContain('  automatic.[*] ─ initial → closed');
    expect(lines).toContain(`  ${ANY_STATE}     ─ RESET → automatic`);
  });

  it('marks and highlights the transition just taken, and no other', () => {
    const taken = findTransition(graphOf(), 'closed', 'open', 'FAILURE', becauseOf('failureRate'));
    const accent = 31;
    const lines = renderStateDiagram(graphOf(), 'open', taken, { accent });
    const marked = lines.filter((line) => stripAnsi(line).startsWith(TAKEN_MARKER));
    expect(marked).toEqual([
      `${SGR.frame(accent)}▶ closed        ─ FAILURE [failureRateReached] → open${SGR.reset}`,
    ]);
    const others = lines.slice(6).filter((line) => !marked.includes(line));
    for (const line of others) expect(line).not.toContain(ESC);
  });

  it('picks among the edges with the same event by the action they run', () => {
    const reasons = {
      retryAfter: 'retryAfterGiven',
      consecutiveFailures: 'consecutiveFailuresReached',
      failureRate: 'failureRateReached',
      slowCallRate: 'slowCallRateReached',
    };
    for (const [reason, guard] of Object.entries(reasons)) {
      const taken = findTransition(graphOf(), 'closed', 'open', 'FAILURE', becauseOf(reason));
      expect(taken?.guard).toEqual({ kind: 'named', name: guard });
    }
    // Without a test the first edge in document order is taken.
    expect(findTransition(graphOf(), 'closed', 'open', 'FAILURE')?.guard).toEqual({
      kind: 'named',
      name: 'retryAfterGiven',
    });
    expect(
      findTransition(graphOf(), 'closed', 'open', 'FAILURE', becauseOf('reset')),
    ).toBeUndefined();
    expect(
      findTransition(graphOf(), 'halfOpen', 'open', 'SUCCESS', hasAction('countSuccess'))?.guard,
    ).toEqual({ kind: 'named', name: 'slowProbe' });
    expect(
      findTransition(graphOf(), 'halfOpen', 'open', 'SUCCESS', hasAction('nothingOfThatName')),
    ).toBeUndefined();
  });

  it('finds the edge a timer took from the event type XState raises', () => {
    const taken = findTransition(
      graphOf(),
      'open',
      'halfOpen',
      'xstate.after.resetTimeout.circuitBreaker.automatic.open',
    );
    expect(taken).toMatchObject({
      source: 'circuitBreaker.automatic.open',
      targets: ['circuitBreaker.automatic.halfOpen'],
      trigger: { kind: 'after', delay: 'resetTimeout' },
    });
    const lines = renderStateDiagram(graphOf(), 'halfOpen', taken, { ansi: false });
    expect(markedLines(lines)).toEqual(['▶ open          ─ after(resetTimeout) → halfOpen']);
    // The old id (before the compound state) names no timer of this machine.
    expect(
      findTransition(
        graphOf(),
        'open',
        'halfOpen',
        'xstate.after.resetTimeout.circuitBreaker.open',
      ),
    ).toBeUndefined();
  });

  it('finds a manual control from any state and marks it as the any-state edge', () => {
    for (const from of leafKeys) {
      const taken = findTransition(graphOf(), from, 'forcedOpen', 'FORCE_OPEN');
      expect(taken?.source).toBe('circuitBreaker');
      const lines = renderStateDiagram(graphOf(), 'forcedOpen', taken, { ansi: false });
      expect(markedLines(lines)).toEqual([`▶ ${ANY_STATE}     ─ FORCE_OPEN → forcedOpen`]);
    }
    // FORCE_OPEN for a period lands in automatic.open; FORCE_CLOSE in automatic's initial closed.
    expect(findTransition(graphOf(), 'closed', 'open', 'FORCE_OPEN')?.guard).toEqual({
      kind: 'named',
      name: 'forOpenPeriod',
    });
    expect(findTransition(graphOf(), 'forcedOpen', 'closed', 'FORCE_CLOSE')?.targets).toEqual([
      'circuitBreaker.automatic',
    ]);
    expect(findTransition(graphOf(), 'forcedOpen', 'disabled', 'FORCE_CLOSE')).toBeUndefined();
  });

  it('tells apart the edges between the same two states by their event', () => {
    const byRequest = findTransition(graphOf(), 'open', 'halfOpen', 'REQUEST');
    const byWake = findTransition(graphOf(), 'circuitBreaker.automatic.open', 'halfOpen', 'WAKE');
    expect(byRequest?.eventType).toBe('REQUEST');
    expect(byWake?.eventType).toBe('WAKE');
    expect(findTransition(graphOf(), 'halfOpen', 'closed', 'SUCCESS')?.guard).toEqual({
      kind: 'named',
      name: 'probesSucceeded',
    });
    expect(findTransition(graphOf(), 'closed', 'halfOpen', 'FAILURE')).toBeUndefined();
    expect(findTransition(graphOf(), 'closed', 'open', 'TALLY')).toBeUndefined();
    expect(findTransition(graphOf(), 'nowhere', 'open', 'FAILURE')).toBeUndefined();
  });

  it('marks each edge a running actor takes, found from its snapshots and their reasons', () => {
    const clock = new SimulatedClock();
    const marks: string[] = [];
    let previous: ReturnType<CircuitBreakerActor['getSnapshot']> | undefined;
    const inspect = (inspection: InspectionEvent) => {
      if (inspection.type !== '@xstate.snapshot') return;
      const next = inspection.snapshot as ReturnType<CircuitBreakerActor['getSnapshot']>;
      const before = previous;
      previous = next;
      const moved = next.context.stats.lastTransition;
      if (!before || !moved || moved === before.context.stats.lastTransition) return;
      const { type } = inspection.event;
      const taken = findTransition(
        graphOf(),
        before.value,
        next.value,
        type,
        becauseOf(moved.reason),
      );
      marks.push(...markedLines(renderStateDiagram(graphOf(), next.value, taken, { ansi: false })));
    };
    const input = { failureThreshold: 2, resetTimeout: 1000 };
    const actor = createActor(circuitBreakerMachine, { input, clock, inspect }).start();
    const generation = () => actor.getSnapshot().context.generation;
    actor.send({ type: 'FAILURE', at: 0, generation: generation() });
    actor.send({ type: 'FAILURE', at: 0, generation: generation() });
    clock.increment(1000);
    actor.send({ type: 'REQUEST', at: 1000 });
    actor.send({ type: 'FAILURE', at: 1000, generation: generation() });
    actor.send({ type: 'REQUEST', at: 2000 });
    actor.send({ type: 'SUCCESS', at: 2000, generation: generation() });
    actor.send({ type: 'FORCE_OPEN', at: 2000 });
    actor.send({ type: 'RESET', at: 2000 });
    actor.send({ type: 'DISABLE', at: 2000 });
    actor.stop();
    expect(marks.map(squeeze)).toEqual([
      '▶ closed ─ FAILURE [consecutiveFailuresReached] → open',
      '▶ open ─ after(resetTimeout) → halfOpen',
      '▶ halfOpen ─ FAILURE [probeFailed] → open',
      '▶ open ─ REQUEST [resetTimeoutElapsed] → halfOpen',
      '▶ halfOpen ─ SUCCESS [probesSucceeded] → closed',
      `▶ ${ANY_STATE} ─ FORCE_OPEN → forcedOpen`,
      `▶ ${ANY_STATE} ─ RESET → automatic`,
      `▶ ${ANY_STATE} ─ DISABLE → disabled`,
    ]);
  });

  it('with edges: "current" lists the moves out of the current state and the one just taken', () => {
    const taken = findTransition(graphOf(), 'open', 'halfOpen', 'REQUEST');
    const lines = renderStateDiagram(graphOf(), 'halfOpen', taken, {
      ansi: false,
      edges: 'current',
    });
    expect(lines.slice(6)).toEqual([
      '▶ open      ─ REQUEST [resetTimeoutElapsed] → halfOpen',
      '  halfOpen  ─ SUCCESS [slowProbe] → open',
      '  halfOpen  ─ SUCCESS [probesSucceeded] → closed',
      '  halfOpen  ─ FAILURE [retryAfterGiven] → open',
      '  halfOpen  ─ FAILURE [probeFailed] → open',
      '  halfOpen  ─ after(halfOpenMaxWait) [hasHalfOpenMaxWait] → open',
      `  ${ANY_STATE} ─ FORCE_OPEN, FORCE_CLOSE, RESET, DISABLE`,
      '  … 7 more transitions from other states',
    ]);
  });

  it('with edges: "current" in a state with no edges of its own shows the way out', () => {
    const lines = renderStateDiagram(graphOf(), 'forcedOpen', undefined, { edges: 'current' });
    expect(lines.slice(6)).toEqual([
      `  ${ANY_STATE} ─ FORCE_OPEN, FORCE_CLOSE, RESET, DISABLE`,
      '  … 13 more transitions from other states',
    ]);
  });
});

describe('renderStateDiagram without ANSI (stdout is not a TTY)', () => {
  // The transition is looked up inside each test (see graphOf).
  const cases = leafKeys.flatMap((current) => [
    [current, false] as const,
    [current, true] as const,
  ]);
  const takenIf = (wanted: boolean) =>
    wanted ? findTransition(graphOf(), 'halfOpen', 'closed', 'SUCCESS') : undefined;

  it.each(cases)('has no escape codes for %s', (current, withTaken) => {
    const taken = takenIf(withTaken);
    const lines = renderStateDiagram(graphOf(), current, taken, { ansi: false });
    expect(lines.join('\n')).not.toContain(ESC);
  });

  it.each(leafKeys)('shows %s as the current state with double borders', (current) => {
    const names = namesLine(renderStateDiagram(graphOf(), current, undefined, { ansi: false }));
    expect(names).toContain(`║ ${current} ║`);
    for (const other of leafKeys.filter((key) => key !== current)) {
      expect(names).toContain(`│ ${other} │`);
    }
    expect(names.match(/║/g)).toHaveLength(2);
  });

  it.each(cases)('is the ANSI drawing of %s with the escape codes taken out', (current, wt) => {
    const taken = takenIf(wt);
    const ansi = renderStateDiagram(graphOf(), current, taken, { accent: DEFAULT_ACCENT });
    const plain = renderStateDiagram(graphOf(), current, taken, { ansi: false });
    expect(ansi.map(stripAnsi)).toEqual(plain);
    expect(ansi).not.toEqual(plain);
  });
});

describe('renderStateDiagram in a narrow terminal', () => {
  it('wraps the boxes and cuts long lines to the width, closing the highlight', () => {
    const taken = findTransition(graphOf(), 'closed', 'open', 'FAILURE', becauseOf('failureRate'));
    const lines = renderStateDiagram(graphOf(), 'open', taken, { width: 40 });
    for (const line of lines) expect(visibleWidth(line)).toBeLessThanOrEqual(40);
    const plain = lines.map(stripAnsi);
    expect(plain.slice(1, 9)).toEqual([
      '  ╭─ automatic ────────────────────────╮',
      '  │ ╭────────╮  ╔══════╗  ╭──────────╮ │',
      '  │ │ closed │  ║ open ║  │ halfOpen │ │',
      '  │ ╰────────╯  ╚══════╝  ╰──────────╯ │',
      '  ╰────────────────────────────────────╯',
      '  ╭────────────╮  ╭──────────╮',
      '  │ forcedOpen │  │ disabled │',
      '  ╰────────────╯  ╰──────────╯',
    ]);
    const cut = lines.find((line) => stripAnsi(line).startsWith(TAKEN_MARKER));
    expect(cut).toBe(
      `${SGR.frame(DEFAULT_ACCENT)}▶ closed        ─ FAILURE [failureRateR…${SGR.reset}`,
    );
  });

  it('wraps the children inside a frame when the frame would not fit', () => {
    const plain = renderStateDiagram(graphOf(), 'halfOpen', undefined, { ansi: false, width: 30 });
    expect(plain.slice(1, 9)).toEqual([
      '  ╭─ automatic ──────────╮',
      '  │ ╭────────╮  ╭──────╮ │',
      '  │ │ closed │  │ open │ │',
      '  │ ╰────────╯  ╰──────╯ │',
      '  │ ╔══════════╗         │',
      '  │ ║ halfOpen ║         │',
      '  │ ╚══════════╝         │',
      '  ╰──────────────────────╯',
    ]);
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
  // Built inside each test, as graphOf is.
  const doorGraphOf = () => toStateGraph(door);

  it('draws nested and final states, initial children, guards and delays', () => {
    const taken = findTransition(doorGraphOf(), 'closed.locked', 'closed.unlocked', 'UNLOCK');
    expect(renderStateDiagram(doorGraphOf(), 'closed.unlocked', taken, { ansi: false })).toEqual([
      'door: 5 states, 5 transitions   (╔═╗ current, ▶ last transition)',
      '  ╭─ closed ─────────────────╮',
      '  │ ╭────────╮  ╔══════════╗ │  ╭────────╮  ╭────────────────╮',
      '  │ │ locked │  ║ unlocked ║ │  │ opened │  │ broken (final) │',
      '  │ ╰────────╯  ╚══════════╝ │  ╰────────╯  ╰────────────────╯',
      '  ╰──────────────────────────╯',
      '  [*]        ─ initial → closed',
      '  closed.[*] ─ initial → locked',
      '  closed     ─ OPEN [isUnlocked] → opened',
      '▶ locked     ─ UNLOCK → unlocked',
      '  unlocked   ─ LOCK → locked',
      '  opened     ─ BREAK → broken',
      '  opened     ─ after(5000ms) → closed',
    ]);
  });

  it('finds a transition into a compound state from the leaf it lands in', () => {
    const taken = findTransition(
      doorGraphOf(),
      'opened',
      'locked',
      'xstate.after.5000.door.opened',
    );
    expect(taken?.targets).toEqual(['door.closed']);
    // OPEN is declared on closed, so it is found from either of its children.
    expect(findTransition(doorGraphOf(), { closed: 'unlocked' }, 'opened', 'OPEN')?.source).toBe(
      'door.closed',
    );
  });

  it('with edges: "current" lists the edges of the states around the current one too', () => {
    const lines = renderStateDiagram(doorGraphOf(), 'locked', undefined, { edges: 'current' });
    expect(edgeLines(lines)).toEqual([
      'closed ─ OPEN [isUnlocked] → opened',
      'locked ─ UNLOCK → unlocked',
    ]);
    expect(lines.at(-1)).toBe('  … 3 more transitions from other states');
  });

  it('names states with the same key by their path, and finds them only by it', () => {
    const twins = toStateGraph(
      createMachine({
        id: 'twins',
        type: 'parallel',
        states: {
          left: { initial: 'idle', states: { idle: { on: { GO: 'busy' } }, busy: {} } },
          right: { initial: 'idle', states: { idle: { on: { GO: 'busy' } }, busy: {} } },
        },
      }),
    );
    expect(resolveState(twins, 'idle')).toBeUndefined();
    expect(resolveState(twins, 'right.idle')?.id).toBe('twins.right.idle');
    const lines = renderStateDiagram(twins, { left: 'idle', right: 'busy' }, undefined, {
      ansi: false,
    });
    expect(lines.slice(1, 6)).toEqual([
      '  ╭─ left ─────────────╮  ╭─ right ────────────╮',
      '  │ ╔══════╗  ╭──────╮ │  │ ╭──────╮  ╔══════╗ │',
      '  │ ║ idle ║  │ busy │ │  │ │ idle │  ║ busy ║ │',
      '  │ ╚══════╝  ╰──────╯ │  │ ╰──────╯  ╚══════╝ │',
      '  ╰────────────────────╯  ╰────────────────────╯',
    ]);
    expect(edgeLines(lines)).toEqual([
      'left.[*] ─ initial → left.idle',
      'right.[*] ─ initial → right.idle',
      'left.idle ─ GO → left.busy',
      'right.idle ─ GO → right.busy',
    ]);
  });

  it('is pure: the same input gives the same lines and leaves the graph as it was', () => {
    const doorGraph = doorGraphOf();
    const before = JSON.stringify([...doorGraph.states.entries()]);
    const once = renderStateDiagram(doorGraph, 'opened');
    expect(renderStateDiagram(doorGraph, 'opened')).toEqual(once);
    expect(JSON.stringify([...doorGraph.states.entries()])).toBe(before);
  });
});
