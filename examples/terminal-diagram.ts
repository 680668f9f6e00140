/**
 * A statechart drawn for the terminal, from the graph `toStateGraph` derives from a machine: one
 * box per state, a compound state's children drawn inside its frame, the current state
 * highlighted (and the frames around it tinted), then the list of labelled transitions with the
 * one just taken marked. Transitions of the machine itself (the root) apply in every state and
 * are listed once, from `any state`. Pure: the same graph, state and options always give the
 * same lines.
 *
 * @example
 * ```ts
 * import { toStateGraph } from '../src/diagram/index.js';
 * import { circuitBreakerMachine } from '../src/index.js';
 * import { renderStateDiagram } from './terminal-diagram.js';
 *
 * const graph = toStateGraph(circuitBreakerMachine);
 * console.log(renderStateDiagram(graph, { automatic: 'open' }, undefined, { ansi: false }).join('\n'));
 * ```
 */
import type { StateValue } from 'xstate';
import {
  type GraphAction,
  type GraphState,
  type GraphTransition,
  type StateGraph,
  transitionLabel,
} from '../src/diagram/index.js';

const ESC = String.fromCharCode(27);

/** The escape codes used for highlights, exported so tests can look for them precisely. */
export const SGR = {
  reset: `${ESC}[0m`,
  /** Borders of the current state's box, frames around it, the line of the transition just taken. */
  frame: (accent: number): string => `${ESC}[1;${accent}m`,
  /** The current state's name: bold, inverse, in the accent colour. */
  label: (accent: number): string => `${ESC}[1;7;${accent}m`,
} as const;

/** Cyan: the highlight colour unless `accent` says otherwise. */
export const DEFAULT_ACCENT = 36;

const ANSI_SEQUENCE = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g');

/** Marks the transition just taken in the edge list (blank on the other lines). */
export const TAKEN_MARKER = '▶';

/** How the edge list names the machine itself as a source: its transitions apply everywhere. */
export const ANY_STATE = 'any state';

/**
 * @example
 * ```ts
 * renderStateDiagram(graph, 'open', undefined, { ansi: false, width: 80, edges: 'current' });
 * ```
 */
export interface TerminalDiagramOptions {
  /** Highlight with ANSI colour/inverse (default). `false`: plain text, no escape codes. */
  readonly ansi?: boolean;
  /** SGR colour code of the highlights, e.g. 31 for red. Default {@link DEFAULT_ACCENT}. */
  readonly accent?: number;
  /**
   * `'all'` (default) lists every transition; `'current'` only those leaving the current state
   * (or a state around it) and the one just taken, the events accepted in any state on one
   * line, and a count of the others (for short terminals).
   */
  readonly edges?: 'all' | 'current';
  /** Visible columns available: boxes wrap to fit and longer lines are cut with `…`. */
  readonly width?: number;
}

/**
 * A state's name in the edge list: its key when no other state has the same key (`open`), else
 * its path from the root (`red.walk`); the machine id for the root.
 */
export function stateName(graph: StateGraph, stateId: string): string {
  const state = graph.states.get(stateId);
  if (!state || state.path.length === 0) return state?.key ?? stateId;
  const namesakes = [...graph.states.values()].filter((other) => other.key === state.key);
  return namesakes.length === 1 ? state.key : state.path.join('.');
}

/**
 * Finds a state by id (`circuitBreaker.automatic.open`), by path from the root
 * (`automatic.open`), or by key when no other state has it (`open`).
 */
export function resolveState(graph: StateGraph, ref: string): GraphState | undefined {
  const byId = graph.states.get(ref);
  if (byId) return byId;
  const states = [...graph.states.values()].filter((state) => state.path.length > 0);
  const byPath = states.find((state) => state.path.join('.') === ref);
  if (byPath) return byPath;
  const byKey = states.filter((state) => state.key === ref);
  return byKey.length === 1 ? byKey[0] : undefined;
}

/** The paths of the innermost states a state value names: `{ a: { b: 'c' } }` gives `a.b.c`. */
function valuePaths(value: StateValue): string[] {
  if (typeof value === 'string') return [value];
  return Object.entries(value).flatMap(([key, child]) =>
    child === undefined ? [key] : valuePaths(child).map((path) => `${key}.${path}`),
  );
}

/**
 * The states `ref` names: one for a name (see {@link resolveState}); for a snapshot's value
 * (`{ automatic: 'open' }`), the innermost state of each region it is in.
 */
export function resolveStates(graph: StateGraph, ref: string | StateValue): GraphState[] {
  return (typeof ref === 'string' ? [ref] : valuePaths(ref)).flatMap(
    (one) => resolveState(graph, one) ?? [],
  );
}

/** `state` and the states around it, innermost first. */
function selfAndAncestors(graph: StateGraph, state: GraphState): GraphState[] {
  const chain: GraphState[] = [];
  for (let at: GraphState | undefined = state; at; ) {
    chain.push(at);
    at = at.parentId === undefined ? undefined : graph.states.get(at.parentId);
  }
  return chain;
}

/** Whether `state` is the state `ancestorId` or lies inside it. */
function isWithin(graph: StateGraph, state: GraphState, ancestorId: string): boolean {
  return selfAndAncestors(graph, state).some((around) => around.id === ancestorId);
}

/**
 * A test for {@link findTransition}: the transition runs the action `name`, with `params` that
 * contain the given fields. It tells apart edges with the same event between the same states.
 *
 * @example
 * ```ts
 * hasAction('changeState', { reason: 'failureRate' }); // closed ─ FAILURE [failureRateReached] → open
 * ```
 */
export function hasAction(
  name: string,
  params: Readonly<Record<string, string | number | boolean | null>> = {},
): (transition: GraphTransition) => boolean {
  // Indexing a string, number or array param by a field name gives undefined: no match.
  const given = (action: GraphAction) =>
    Object.entries(params).every(
      ([key, value]) =>
        (action.params as Readonly<Record<string, unknown>> | null)?.[key] === value,
    );
  return (transition) => transition.actions.some((action) => action.name === name && given(action));
}

/**
 * The transition the machine took from `from` to `to` (names or snapshot values) on the event
 * `eventType` (as XState names it at run time, e.g.
 * `xstate.after.resetTimeout.circuitBreaker.automatic.open`), declared on `from` or a state
 * around it, the root included; the first that `accepts` allows (all by default), or
 * `undefined` when the graph has none.
 *
 * @example
 * ```ts
 * findTransition(graph, 'closed', 'open', 'FAILURE', hasAction('changeState', { reason: 'failureRate' }));
 * ```
 */
export function findTransition(
  graph: StateGraph,
  from: string | StateValue,
  to: string | StateValue,
  eventType: string,
  accepts: (transition: GraphTransition) => boolean = () => true,
): GraphTransition | undefined {
  const targets = resolveStates(graph, to);
  const lands = (transition: GraphTransition) =>
    transition.targets.some((id) => targets.some((target) => isWithin(graph, target, id)));
  for (const source of resolveStates(graph, from)) {
    for (const state of selfAndAncestors(graph, source)) {
      const found = state.transitions.find(
        (t) => t.eventType === eventType && lands(t) && accepts(t),
      );
      if (found) return found;
    }
  }
  return undefined;
}

/** Text without ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_SEQUENCE, '');
}

/** Columns a line takes on screen (escape sequences take none). */
export function visibleWidth(text: string): number {
  return stripAnsi(text).length;
}

/** Cuts a line to `width` visible columns, ending with `…` and closing any open style. */
export function clipLine(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  let out = '';
  let shown = 0;
  let styled = false;
  for (let i = 0; i < line.length && shown < width - 1; ) {
    ANSI_SEQUENCE.lastIndex = i;
    const match = line[i] === ESC ? ANSI_SEQUENCE.exec(line) : null;
    if (match && match.index === i) {
      out += match[0];
      styled = match[0] !== SGR.reset;
      i += match[0].length;
    } else {
      out += line[i];
      shown += 1;
      i += 1;
    }
  }
  return `${out}…${styled ? SGR.reset : ''}`;
}

/* ---------------------------------------------------------------- the boxes */

/** A drawn rectangle: lines of the same visible width. */
interface Block {
  readonly lines: readonly string[];
  readonly width: number;
}

interface Look {
  readonly ansi: boolean;
  readonly accent: number;
  /** How a state is drawn: plain, as the current state, or as a frame around the current state. */
  readonly emphasisOf: (state: GraphState) => 'none' | 'current' | 'around';
}

const GAP = '  ';

function kindSuffix(state: GraphState): string {
  return state.kind === 'atomic' || state.kind === 'compound' ? '' : ` (${state.kind})`;
}

/** `text` in the accent colour (`SGR.frame`, or inverse with `SGR.label`), when ANSI is on. */
function tint(text: string, look: Look, on: boolean, style = SGR.frame): string {
  return on && look.ansi ? `${style(look.accent)}${text}${SGR.reset}` : text;
}

/**
 * A state as a box, double-bordered when current: an atomic one is its name in a box of three
 * lines; one with children is a frame with its name in the top border, its children inside.
 */
function blockOf(state: GraphState, look: Look, width: number): Block {
  const emphasis = look.emphasisOf(state);
  const current = emphasis === 'current';
  const lit = emphasis !== 'none';
  const [h = '', v = '', tl, tr, bl, br] = current ? '═║╔╗╚╝' : '─│╭╮╰╯';
  const name = ` ${state.key}${kindSuffix(state)} `;
  const side = tint(v, look, lit);
  if (state.children.length === 0) {
    const bar = h.repeat(name.length);
    return {
      lines: [
        tint(`${tl}${bar}${tr}`, look, lit),
        `${side}${tint(name, look, current, SGR.label)}${side}`,
        tint(`${bl}${bar}${br}`, look, lit),
      ],
      width: name.length + 2,
    };
  }
  const content = layout(state.children, look, width - 4);
  const inner = Math.max(content.width, name.length + 1);
  const rest = `${h.repeat(inner + 1 - name.length)}${tr}`;
  const pad = ' '.repeat(inner - content.width);
  return {
    lines: [
      current
        ? `${tint(`${tl}${h}`, look, true)}${tint(name, look, true, SGR.label)}${tint(rest, look, true)}`
        : tint(`${tl}${h}${name}${rest}`, look, lit),
      ...content.lines.map((line) => `${side} ${line}${pad} ${side}`),
      tint(`${bl}${h.repeat(inner + 2)}${br}`, look, lit),
    ],
    width: inner + 4,
  };
}

/** Blocks side by side, two spaces apart, the shorter ones centred on the tallest. */
function besides(blocks: readonly Block[]): Block {
  const height = Math.max(...blocks.map((block) => block.lines.length));
  const width =
    blocks.reduce((sum, block) => sum + block.width, 0) + GAP.length * (blocks.length - 1);
  const lines = Array.from({ length: height }, (_, row) =>
    blocks
      .map((block) => {
        const line = block.lines[row - Math.floor((height - block.lines.length) / 2)];
        return line ?? ' '.repeat(block.width);
      })
      .join(GAP),
  );
  return { lines, width };
}

/** States in document order, in rows that wrap to fit `width`, the rows stacked. */
function layout(states: readonly GraphState[], look: Look, width: number): Block {
  const rows: Block[][] = [];
  for (const block of states.map((state) => blockOf(state, look, width))) {
    const row = rows.at(-1);
    if (row && besides([...row, block]).width <= width) row.push(block);
    else rows.push([block]);
  }
  const drawn = rows.map(besides);
  const total = Math.max(0, ...drawn.map((row) => row.width));
  return {
    lines: drawn.flatMap((row) => row.lines.map((line) => line + ' '.repeat(total - row.width))),
    width: total,
  };
}

/* ---------------------------------------------------------------- the edges */

interface Edge {
  readonly source: string;
  readonly label: string;
  readonly targets: string;
  readonly transition: GraphTransition | undefined;
}

/**
 * Initial pseudo-transitions (`[*] ─ initial → closed`), every transition with a target declared
 * on a state, then those of the machine itself, from {@link ANY_STATE}.
 */
function edgesOf(graph: StateGraph): Edge[] {
  const edges: Edge[] = [];
  for (const state of graph.states.values()) {
    if (state.initial === undefined) continue;
    const source = state.path.length === 0 ? '[*]' : `${stateName(graph, state.id)}.[*]`;
    edges.push({
      source,
      label: 'initial',
      targets: stateName(graph, state.initial),
      transition: undefined,
    });
  }
  const declared = (state: GraphState) =>
    state.transitions.filter(hasTarget).map((transition) => ({
      source: state === graph.root ? ANY_STATE : stateName(graph, transition.source),
      label: transitionLabel(transition),
      targets: transition.targets.map((id) => stateName(graph, id)).join(', '),
      transition,
    }));
  for (const state of graph.states.values())
    if (state !== graph.root) edges.push(...declared(state));
  edges.push(...declared(graph.root));
  return edges;
}

const hasTarget = (transition: GraphTransition) => transition.targets.length > 0;

function sameTransition(a: GraphTransition, b: GraphTransition): boolean {
  if (a === b) return true;
  return (
    a.source === b.source &&
    a.eventType === b.eventType &&
    a.targets.join('\n') === b.targets.join('\n') &&
    transitionLabel(a) === transitionLabel(b)
  );
}

/** What fires a transition, without its guard: the events accepted in any state. */
function triggerOf(transition: GraphTransition): string {
  return transition.trigger.kind === 'event'
    ? transition.trigger.event
    : transitionLabel(transition);
}

/**
 * Draws `graph` with `currentState` highlighted (a name such as `open` or `automatic.open`, an
 * id, or a snapshot's value such as `{ automatic: 'open' }`) and `lastTransition` marked with
 * {@link TAKEN_MARKER}. With `ansi` (default) the current box is drawn bold in the accent colour
 * with its name inverse, the frames around it and the taken edge bold in the accent colour;
 * without, the current box has double borders and nothing else changes, so the plain drawing is
 * the ANSI one with its escape codes removed.
 *
 * @example
 * ```ts
 * const taken = findTransition(graph, 'halfOpen', 'closed', 'SUCCESS');
 * process.stdout.write(`${renderStateDiagram(graph, 'closed', taken).join('\n')}\n`);
 * ```
 */
export function renderStateDiagram(
  graph: StateGraph,
  currentState: string | StateValue,
  lastTransition?: GraphTransition,
  options: TerminalDiagramOptions = {},
): string[] {
  const width = options.width ?? Number.POSITIVE_INFINITY;
  const current = resolveStates(graph, currentState);
  const around = new Set(current.flatMap((state) => selfAndAncestors(graph, state).slice(1)));
  const look: Look = {
    ansi: options.ansi ?? true,
    accent: options.accent ?? DEFAULT_ACCENT,
    emphasisOf: (state) =>
      current.includes(state) ? 'current' : around.has(state) ? 'around' : 'none',
  };
  const edges = edgesOf(graph);
  const transitionCount = edges.filter((edge) => edge.transition).length;
  const isTaken = (edge: Edge) =>
    lastTransition !== undefined &&
    edge.transition !== undefined &&
    sameTransition(edge.transition, lastTransition);
  // Only listed (or summed up) as the machine's own: initial and any-state edges.
  const fromRoot = (edge: Edge) => !edge.transition || edge.transition.source === graph.root.id;
  const leavesCurrent = ({ transition }: Edge) =>
    transition !== undefined &&
    transition.source !== graph.root.id &&
    current.some((state) => isWithin(graph, state, transition.source));

  const onlyCurrent = options.edges === 'current';
  const shown = onlyCurrent ? edges.filter((edge) => isTaken(edge) || leavesCurrent(edge)) : edges;
  const anywhere = [...new Set(graph.root.transitions.filter(hasTarget).map(triggerOf))];
  const anywhereLine = onlyCurrent && anywhere.length > 0;
  const sourceWidth = Math.max(
    0,
    ...shown.map((edge) => edge.source.length),
    anywhereLine ? ANY_STATE.length : 0,
  );

  const lines = [
    `${graph.id}: ${graph.states.size - 1} states, ${transitionCount} transitions` +
      `   (╔═╗ current, ${TAKEN_MARKER} last transition)`,
    ...layout(graph.root.children, look, width - 2).lines.map((line) => `  ${line}`.trimEnd()),
  ];
  for (const edge of shown) {
    const taken = isTaken(edge);
    const text = `${taken ? TAKEN_MARKER : ' '} ${edge.source.padEnd(sourceWidth)} ─ ${edge.label} → ${edge.targets}`;
    lines.push(tint(text, look, taken));
  }
  if (anywhereLine) lines.push(`  ${ANY_STATE.padEnd(sourceWidth)} ─ ${anywhere.join(', ')}`);
  const hidden = edges.filter((edge) => !shown.includes(edge) && !fromRoot(edge)).length;
  if (hidden > 0) lines.push(`  … ${hidden} more transitions from other states`);
  return Number.isFinite(width) ? lines.map((line) => clipLine(line, width)) : lines;
}
