import { describe, expect, it } from 'vitest';
import { createActor, createMachine, type InspectionEvent, SimulatedClock } from 'xstate';
import {
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
import { type GraphState, toStateGraph } from '../src/diagram/index.js';
import { type CircuitBreakerActor, circuitBreakerMachine } from '../src/index.js';

const graph = toStateGraph(circuitBreakerMachine);
const ESC = String.fromCharCode(27);
/** The states the machine declares, read from the graph (not from this test). */
const machineStates = [...graph.states.values()].filter(
  (state): state is GraphState => state.parentId !== undefined,
);
const stateKeys = machineStates.map((state) => state.key);
/** The states the breaker can be in: those without children. */
const leafKeys = machineStates.filter((state) => state.children.length === 0).map((s) => s.key);
/** The leaves drawn inside the `automatic` frame. */
const automaticKeys = graph.states
  .get('circuitBreaker.circuit.automatic')
  ?.children.map((s) => s.key);
/** The leaves of the circuit region: the states `breaker.state` names. */
const circuitKeys = leafKeys.filter(
  (key) => !['standalone', 'connected', 'degraded'].includes(key),
);

/**
 * The seven lines of the box row: the circuit frame's top, the automatic frame's top (beside
 * the store frame's), the boxes' three lines, the frames' bottoms.
 */
const boxLines = (lines: readonly string[]) => lines.slice(1, 8);
/** The line of the box row that holds the leaf names. */
const namesLine = (lines: readonly string[]) => lines[4] ?? '';
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
  it('is fed the two regions: circuit (automatic, its three children, two manual states) and store', () => {
    expect(stateKeys).toEqual([
      'circuit',
      'automatic',
      'closed',
      'open',
      'halfOpen',
      'forcedOpen',
      'disabled',
      'store',
      'standalone',
      'connected',
      'degraded',
    ]);
    expect(automaticKeys).toEqual(['closed', 'open', 'halfOpen']);
  });

  it('draws the children of automatic inside its frame, the region frames side by side', () => {
    const lines = renderStateDiagram(graph, 'closed', undefined, { ansi: false });
    expect(lines[0]).toBe(
      'circuitBreaker: 11 states, 29 transitions   (╔═╗ current, ▶ last transition)',
    );
    expect(boxLines(lines)).toEqual([
      '  ╭─ circuit ────────────────────────────────────────────────────────────╮',
      '  │ ╭─ automatic ────────────────────────╮                               │  ╭─ store ─────────────────────────────────────╮',
      '  │ │ ╔════════╗  ╭──────╮  ╭──────────╮ │  ╭────────────╮  ╭──────────╮ │  │ ╭────────────╮  ╭───────────╮  ╭──────────╮ │',
      '  │ │ ║ closed ║  │ open │  │ halfOpen │ │  │ forcedOpen │  │ disabled │ │  │ │ standalone │  │ connected │  │ degraded │ │',
      '  │ │ ╚════════╝  ╰──────╯  ╰──────────╯ │  ╰────────────╯  ╰──────────╯ │  │ ╰────────────╯  ╰───────────╯  ╰──────────╯ │',
      '  │ ╰────────────────────────────────────╯                               │  ╰─────────────────────────────────────────────╯',
      '  ╰──────────────────────────────────────────────────────────────────────╯',
    ]);
  });

  it.each(leafKeys)('highlights %s, and only it, with the escape codes', (current) => {
    const accent = 31;
    const lines = renderStateDiagram(graph, current, undefined, { accent });
    const segments = highlightedBox(current, accent);
    lines.slice(3, 6).forEach((line, row) => {
      expect(line).toContain(segments[row]);
    });
    for (const other of leafKeys.filter((key) => key !== current)) {
      expect(namesLine(lines)).toContain(`│ ${other} │`);
      expect(namesLine(lines)).not.toContain(`${SGR.label(accent)} ${other} `);
    }
    // The frames around the current state are tinted (never inverse), the others are not.
    const tinted = (name: string) => `${SGR.frame(accent)}╭─ ${name} `;
    const inAutomatic = automaticKeys?.includes(current) === true;
    const inCircuit = circuitKeys.includes(current);
    expect(lines[1]?.includes(tinted('circuit'))).toBe(inCircuit);
    expect(lines[2]?.includes(tinted('automatic'))).toBe(inAutomatic);
    expect(lines[2]?.includes(tinted('store'))).toBe(!inCircuit);
    for (const frame of ['circuit', 'automatic', 'store']) {
      expect(lines.join('\n')).not.toContain(`${SGR.label(accent)} ${frame} `);
    }
    // Nothing outside the boxes is highlighted when no transition was taken yet.
    for (const line of [lines[0], ...lines.slice(8)]) expect(line).not.toContain(ESC);
  });

  it('highlights the compound state itself with a double frame and its name inverse', () => {
    const lines = renderStateDiagram(graph, 'automatic');
    const frame = SGR.frame(DEFAULT_ACCENT);
    expect(lines[2]).toContain(
      `${frame}╔═${SGR.reset}${SGR.label(DEFAULT_ACCENT)} automatic ${SGR.reset}${frame}${'═'.repeat(24)}╗${SGR.reset}`,
    );
    expect(lines.slice(3, 6).join('\n')).not.toContain(SGR.label(DEFAULT_ACCENT));
    expect(stripAnsi(lines[6] ?? '')).toContain(`│ ╚${'═'.repeat(36)}╝`);
  });

  it('accepts the id, the path, the key alone and the snapshot value of a state', () => {
    const byPath = renderStateDiagram(graph, 'circuit.automatic.open');
    expect(byPath.join('\n')).toContain(highlightedBox('open', DEFAULT_ACCENT)[1]);
    expect(renderStateDiagram(graph, 'circuitBreaker.circuit.automatic.open')).toEqual(byPath);
    expect(renderStateDiagram(graph, 'open')).toEqual(byPath);
    expect(renderStateDiagram(graph, { circuit: { automatic: 'open' } })).toEqual(byPath);
    expect(renderStateDiagram(graph, 'disabled')).not.toEqual(byPath);
  });

  it('highlights the state a running actor is in, from its snapshot value', () => {
    const actor = createActor(circuitBreakerMachine, { input: { failureThreshold: 1 } }).start();
    const { generation } = actor.getSnapshot().context;
    actor.send({ type: 'FAILURE', at: 0, generation });
    const value = actor.getSnapshot().value;
    actor.stop();
    expect(value).toEqual({ circuit: { automatic: 'open' }, store: 'standalone' });
    const names = namesLine(renderStateDiagram(graph, value, undefined, { ansi: false }));
    // One state in each region: open, and standalone (no store).
    expect(names).toContain('║ open ║');
    expect(names).toContain('║ standalone ║');
    expect(names.match(/║/g)).toHaveLength(4);
  });

  it('highlights nothing for a state the machine does not have', () => {
    const lines = renderStateDiagram(graph, 'ajar');
    expect(lines.join('\n')).not.toContain(ESC);
    expect(boxLines(lines).join('\n')).not.toContain('═');
    expect(renderStateDiagram(graph, { circuit: { automatic: 'ajar' } })).toEqual(lines);
  });

  it('lists the initial states, every edge with a target, those of the circuit region once', () => {
    const edges = edgeLines(renderStateDiagram(graph, 'closed', undefined, { ansi: false }));
    const targeted = [graph.root, ...machineStates].flatMap((state) =>
      state.transitions.filter((t) => t.targets.length > 0),
    );
    expect(edges).toHaveLength(targeted.length + 3);
    expect(edges).toEqual([
      'circuit.[*] ─ initial → automatic',
      'automatic.[*] ─ initial → closed',
      'store.[*] ─ initial → standalone',
      'circuit ─ FORCE_OPEN [forOpenPeriod] → open',
      'circuit ─ FORCE_OPEN → forcedOpen',
      'circuit ─ FORCE_CLOSE → automatic',
      'circuit ─ RESET → automatic',
      'circuit ─ DISABLE → disabled',
      'circuit ─ REMOTE [remoteOpened] → open',
      'circuit ─ REMOTE [remoteHalfOpened] → halfOpen',
      'circuit ─ REMOTE [remoteClosed] → automatic',
      'circuit ─ REMOTE [remoteForcedOpen] → forcedOpen',
      'circuit ─ REMOTE [remoteDisabled] → disabled',
      'circuit ─ STORE_STATUS [storeLostOpens] → forcedOpen',
      'circuit ─ STORE_STATUS [storeLostCloses] → disabled',
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
      'standalone ─ STORE_STATUS [storeDegraded] → degraded',
      'standalone ─ STORE_STATUS → connected',
      'connected ─ STORE_STATUS [storeDegraded] → degraded',
      'degraded ─ STORE_STATUS [storeConnected] → connected',
    ]);
    for (const event of ['FORCE_CLOSE', 'RESET', 'DISABLE']) {
      expect(edges.filter((edge) => edge.includes(` ${event} `))).toHaveLength(1);
    }
  });

  it('aligns the arrows: sources are padded to the longest source', () => {
    const lines = renderStateDiagram(graph, 'closed', undefined, { ansi: false });
    expect(lines).toContain('  closed        ─ FAILURE [failureRateReached] → open');
    expect(lines).toContain('  automatic.[*] ─ initial → closed');
    expect(lines).toContain('  circuit       ─ RESET → automatic');
  });

  it('marks and highlights the transition just taken, and no other', () => {
    const taken = findTransition(graph, 'closed', 'open', 'FAILURE', becauseOf('failureRate'));
    const accent = 31;
    const lines = renderStateDiagram(graph, 'open', taken, { accent });
    const marked = lines.filter((line) => stripAnsi(line).startsWith(TAKEN_MARKER));
    expect(marked).toEqual([
      `${SGR.frame(accent)}▶ closed        ─ FAILURE [failureRateReached] → open${SGR.reset}`,
    ]);
    const others = lines.slice(8).filter((line) => !marked.includes(line));
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
      const taken = findTransition(graph, 'closed', 'open', 'FAILURE', becauseOf(reason));
      expect(taken?.guard).toEqual({ kind: 'named', name: guard });
    }
    // Without a test the first edge in document order is taken.
    expect(findTransition(graph, 'closed', 'open', 'FAILURE')?.guard).toEqual({
      kind: 'named',
      name: 'retryAfterGiven',
    });
    expect(findTransition(graph, 'closed', 'open', 'FAILURE', becauseOf('reset'))).toBeUndefined();
    expect(
      findTransition(graph, 'halfOpen', 'open', 'SUCCESS', hasAction('countSuccess'))?.guard,
    ).toEqual({ kind: 'named', name: 'slowProbe' });
    expect(
      findTransition(graph, 'halfOpen', 'open', 'SUCCESS', hasAction('nothingOfThatName')),
    ).toBeUndefined();
  });

  it('finds the edge a timer took from the event type XState raises', () => {
    const taken = findTransition(
      graph,
      'open',
      'halfOpen',
      'xstate.after.resetTimeout.circuitBreaker.circuit.automatic.open',
    );
    expect(taken).toMatchObject({
      source: 'circuitBreaker.circuit.automatic.open',
      targets: ['circuitBreaker.circuit.automatic.halfOpen'],
      trigger: { kind: 'after', delay: 'resetTimeout' },
    });
    const lines = renderStateDiagram(graph, 'halfOpen', taken, { ansi: false });
    expect(markedLines(lines)).toEqual(['▶ open          ─ after(resetTimeout) → halfOpen']);
    // The old ids (before the compound state, before the regions) name no timer of this machine.
    for (const old of ['circuitBreaker.open', 'circuitBreaker.automatic.open']) {
      expect(
        findTransition(graph, 'open', 'halfOpen', `xstate.after.resetTimeout.${old}`),
      ).toBeUndefined();
    }
  });

  it('finds a manual control from any state of the circuit and marks the edge of the region', () => {
    for (const from of circuitKeys) {
      const taken = findTransition(graph, from, 'forcedOpen', 'FORCE_OPEN');
      expect(taken?.source).toBe('circuitBreaker.circuit');
      const lines = renderStateDiagram(graph, 'forcedOpen', taken, { ansi: false });
      expect(markedLines(lines)).toEqual(['▶ circuit       ─ FORCE_OPEN → forcedOpen']);
    }
    expect(findTransition(graph, 'connected', 'forcedOpen', 'FORCE_OPEN')).toBeUndefined();
    // FORCE_OPEN for a period lands in automatic.open; FORCE_CLOSE in automatic's initial closed.
    expect(findTransition(graph, 'closed', 'open', 'FORCE_OPEN')?.guard).toEqual({
      kind: 'named',
      name: 'forOpenPeriod',
    });
    expect(findTransition(graph, 'forcedOpen', 'closed', 'FORCE_CLOSE')?.targets).toEqual([
      'circuitBreaker.circuit.automatic',
    ]);
    expect(findTransition(graph, 'forcedOpen', 'disabled', 'FORCE_CLOSE')).toBeUndefined();
  });

  it('tells apart the edges between the same two states by their event', () => {
    const byRequest = findTransition(graph, 'open', 'halfOpen', 'REQUEST');
    const byWake = findTransition(
      graph,
      'circuitBreaker.circuit.automatic.open',
      'halfOpen',
      'WAKE',
    );
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
      const taken = findTransition(graph, before.value, next.value, type, becauseOf(moved.reason));
      marks.push(...markedLines(renderStateDiagram(graph, next.value, taken, { ansi: false })));
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
      '▶ circuit ─ FORCE_OPEN → forcedOpen',
      '▶ circuit ─ RESET → automatic',
      '▶ circuit ─ DISABLE → disabled',
    ]);
  });

  it('with edges: "current" lists the moves out of the current state and the one just taken', () => {
    const taken = findTransition(graph, 'open', 'halfOpen', 'REQUEST');
    const lines = renderStateDiagram(graph, 'halfOpen', taken, { ansi: false, edges: 'current' });
    // The circuit region's own edges leave every state inside it, halfOpen too.
    expect(lines.slice(8)).toEqual([
      '  circuit  ─ FORCE_OPEN [forOpenPeriod] → open',
      '  circuit  ─ FORCE_OPEN → forcedOpen',
      '  circuit  ─ FORCE_CLOSE → automatic',
      '  circuit  ─ RESET → automatic',
      '  circuit  ─ DISABLE → disabled',
      '  circuit  ─ REMOTE [remoteOpened] → open',
      '  circuit  ─ REMOTE [remoteHalfOpened] → halfOpen',
      '  circuit  ─ REMOTE [remoteClosed] → automatic',
      '  circuit  ─ REMOTE [remoteForcedOpen] → forcedOpen',
      '  circuit  ─ REMOTE [remoteDisabled] → disabled',
      '  circuit  ─ STORE_STATUS [storeLostOpens] → forcedOpen',
      '  circuit  ─ STORE_STATUS [storeLostCloses] → disabled',
      '▶ open     ─ REQUEST [resetTimeoutElapsed] → halfOpen',
      '  halfOpen ─ SUCCESS [slowProbe] → open',
      '  halfOpen ─ SUCCESS [probesSucceeded] → closed',
      '  halfOpen ─ FAILURE [retryAfterGiven] → open',
      '  halfOpen ─ FAILURE [probeFailed] → open',
      '  halfOpen ─ after(halfOpenMaxWait) [hasHalfOpenMaxWait] → open',
      '  … 11 more transitions from other states',
    ]);
  });

  it('with edges: "current" in a state with no edges of its own shows the way out', () => {
    const lines = renderStateDiagram(graph, 'forcedOpen', undefined, { edges: 'current' });
    const shown = lines.slice(8);
    expect(shown.filter((line) => line.startsWith('  circuit ─ '))).toHaveLength(12);
    expect(shown).toContain('  circuit ─ RESET → automatic');
    expect(shown.at(-1)).toBe('  … 17 more transitions from other states');
    expect(shown).toHaveLength(13);
  });
});

describe('renderStateDiagram without ANSI (stdout is not a TTY)', () => {
  const cases = leafKeys.flatMap((current) => [
    [current, undefined] as const,
    [current, findTransition(graph, 'halfOpen', 'closed', 'SUCCESS')] as const,
  ]);

  it.each(cases)('has no escape codes for %s', (current, taken) => {
    const lines = renderStateDiagram(graph, current, taken, { ansi: false });
    expect(lines.join('\n')).not.toContain(ESC);
  });

  it.each(circuitKeys)('shows %s as the current state with double borders', (current) => {
    const names = namesLine(renderStateDiagram(graph, current, undefined, { ansi: false }));
    expect(names).toContain(`║ ${current} ║`);
    for (const other of leafKeys.filter((key) => key !== current)) {
      expect(names).toContain(`│ ${other} │`);
    }
    expect(names.match(/║/g)).toHaveLength(2);
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
    const taken = findTransition(graph, 'closed', 'open', 'FAILURE', becauseOf('failureRate'));
    const lines = renderStateDiagram(graph, 'open', taken, { width: 40 });
    for (const line of lines) expect(visibleWidth(line)).toBeLessThanOrEqual(40);
    const plain = lines.map(stripAnsi);
    expect(plain.slice(1, 15)).toEqual([
      '  ╭─ circuit ────────────────────╮',
      '  │ ╭─ automatic ──────────╮     │',
      '  │ │ ╭────────╮  ╔══════╗ │     │',
      '  │ │ │ closed │  ║ open ║ │     │',
      '  │ │ ╰────────╯  ╚══════╝ │     │',
      '  │ │ ╭──────────╮         │     │',
      '  │ │ │ halfOpen │         │     │',
      '  │ │ ╰──────────╯         │     │',
      '  │ ╰──────────────────────╯     │',
      '  │ ╭────────────╮  ╭──────────╮ │',
      '  │ │ forcedOpen │  │ disabled │ │',
      '  │ ╰────────────╯  ╰──────────╯ │',
      '  ╰──────────────────────────────╯',
      '  ╭─ store ───────────────────────╮',
    ]);
    const cut = lines.find((line) => stripAnsi(line).startsWith(TAKEN_MARKER));
    expect(cut).toBe(
      `${SGR.frame(DEFAULT_ACCENT)}▶ closed        ─ FAILURE [failureRateR…${SGR.reset}`,
    );
  });

  it('wraps the children inside a frame when the frame would not fit', () => {
    const plain = renderStateDiagram(graph, 'halfOpen', undefined, { ansi: false, width: 30 });
    expect(plain.slice(2, 10)).toEqual([
      '  │ ╭─ automatic ──────────╮ │',
      '  │ │ ╭────────╮  ╭──────╮ │ │',
      '  │ │ │ closed │  │ open │ │ │',
      '  │ │ ╰────────╯  ╰──────╯ │ │',
      '  │ │ ╔══════════╗         │ │',
      '  │ │ ║ halfOpen ║         │ │',
      '  │ │ ╚══════════╝         │ │',
      '  │ ╰──────────────────────╯ │',
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
  const doorGraph = toStateGraph(door);

  it('draws nested and final states, initial children, guards and delays', () => {
    const taken = findTransition(doorGraph, 'closed.locked', 'closed.unlocked', 'UNLOCK');
    expect(renderStateDiagram(doorGraph, 'closed.unlocked', taken, { ansi: false })).toEqual([
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
    const taken = findTransition(doorGraph, 'opened', 'locked', 'xstate.after.5000.door.opened');
    expect(taken?.targets).toEqual(['door.closed']);
    // OPEN is declared on closed, so it is found from either of its children.
    expect(findTransition(doorGraph, { closed: 'unlocked' }, 'opened', 'OPEN')?.source).toBe(
      'door.closed',
    );
  });

  it('with edges: "current" lists the edges of the states around the current one too', () => {
    const lines = renderStateDiagram(doorGraph, 'locked', undefined, { edges: 'current' });
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
    const before = JSON.stringify([...doorGraph.states.entries()]);
    const once = renderStateDiagram(doorGraph, 'opened');
    expect(renderStateDiagram(doorGraph, 'opened')).toEqual(once);
    expect(JSON.stringify([...doorGraph.states.entries()])).toBe(before);
  });
});
