/**
 * A statechart drawn for the terminal, from the graph `toStateGraph` derives from a machine:
 * one box per state (the current one highlighted) and the list of labelled transitions (the one
 * just taken marked). Pure: the same graph, state and options always give the same lines.
 *
 * @example
 * ```ts
 * import { toStateGraph } from '../src/diagram/index.js';
 * import { circuitBreakerMachine } from '../src/index.js';
 * import { renderStateDiagram } from './terminal-diagram.js';
 *
 * const graph = toStateGraph(circuitBreakerMachine);
 * console.log(renderStateDiagram(graph, 'open', undefined, { ansi: false }).join('\n'));
 * ```
 */
import {
  type GraphState,
  type GraphTransition,
  type StateGraph,
  transitionLabel,
} from '../src/diagram/index.js';

const ESC = String.fromCharCode(27);

/** The escape codes used for highlights, exported so tests can look for them precisely. */
export const SGR = {
  reset: `${ESC}[0m`,
  /** Borders of the current state's box and the line of the transition just taken. */
  frame: (accent: number): string => `${ESC}[1;${accent}m`,
  /** The current state's name: bold, inverse, in the accent colour. */
  label: (accent: number): string => `${ESC}[1;7;${accent}m`,
} as const;

/** Cyan: the highlight colour unless `accent` says otherwise. */
export const DEFAULT_ACCENT = 36;

const ANSI_SEQUENCE = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g');

/** Marks the transition just taken in the edge list (blank on the other lines). */
export const TAKEN_MARKER = '▶';

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
   * plus the one just taken, and a count of the others (for short terminals).
   */
  readonly edges?: 'all' | 'current';
  /** Visible columns available: boxes wrap to fit and longer lines are cut with `…`. */
  readonly width?: number;
}

/** A state's name in the drawing: its path from the root (`red.walk`), or the machine id for the root. */
export function stateName(graph: StateGraph, stateId: string): string {
  const state = graph.states.get(stateId);
  if (!state || state.path.length === 0) return state?.key ?? stateId;
  return state.path.join('.');
}

/** Finds a state by id (`circuitBreaker.open`) or by path from the root (`open`, `red.walk`). */
export function resolveState(graph: StateGraph, ref: string): GraphState | undefined {
  const byId = graph.states.get(ref);
  if (byId) return byId;
  for (const state of graph.states.values()) {
    if (state.path.length > 0 && state.path.join('.') === ref) return state;
  }
  return undefined;
}

/** Whether `stateId` is `ancestorId` or lies inside it. */
function isWithin(graph: StateGraph, stateId: string, ancestorId: string): boolean {
  for (let id: string | undefined = stateId; id !== undefined; ) {
    if (id === ancestorId) return true;
    id = graph.states.get(id)?.parentId;
  }
  return false;
}

/**
 * The transition the machine took from `from` to `to` on the event `eventType` (as XState names
 * it at run time, e.g. `xstate.after.resetTimeout.circuitBreaker.open`), declared on `from` or an
 * ancestor; `undefined` when the graph has none.
 *
 * @example
 * ```ts
 * findTransition(graph, 'closed', 'open', 'FAILURE'); // closed ─ FAILURE [or(...)] → open
 * ```
 */
export function findTransition(
  graph: StateGraph,
  from: string,
  to: string,
  eventType: string,
): GraphTransition | undefined {
  const source = resolveState(graph, from);
  const target = resolveState(graph, to);
  if (!source || !target) return undefined;
  for (let state: GraphState | undefined = source; state; ) {
    const found = state.transitions.find(
      (t) => t.eventType === eventType && t.targets.some((id) => isWithin(graph, target.id, id)),
    );
    if (found) return found;
    state = state.parentId === undefined ? undefined : graph.states.get(state.parentId);
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

/** The states drawn as boxes: every state but the root, in document order. */
function drawnStates(graph: StateGraph): GraphState[] {
  return [...graph.states.values()].filter((state) => state.parentId !== undefined);
}

/** One box as its three lines (top, name, bottom), highlighted when it is the current state. */
function box(
  name: string,
  current: boolean,
  ansi: boolean,
  accent: number,
): [string, string, string] {
  const inner = ` ${name} `;
  const [h, v, tl, tr, bl, br] = current ? '═║╔╗╚╝' : '─│╭╮╰╯';
  const top = `${tl}${(h ?? '').repeat(inner.length)}${tr}`;
  const bottom = `${bl}${(h ?? '').repeat(inner.length)}${br}`;
  if (!current || !ansi) return [top, `${v}${inner}${v}`, bottom];
  const frame = SGR.frame(accent);
  return [
    `${frame}${top}${SGR.reset}`,
    `${frame}${v}${SGR.reset}${SGR.label(accent)}${inner}${SGR.reset}${frame}${v}${SGR.reset}`,
    `${frame}${bottom}${SGR.reset}`,
  ];
}

function kindSuffix(state: GraphState): string {
  return state.kind === 'atomic' || state.kind === 'compound' ? '' : ` (${state.kind})`;
}

/** The boxes, two spaces apart, wrapped into rows that fit `width`. */
function boxRows(
  graph: StateGraph,
  current: GraphState | undefined,
  ansi: boolean,
  accent: number,
  width: number,
): string[] {
  const indent = '  ';
  const lines: string[] = [];
  let row: Array<[string, string, string]> = [];
  let rowWidth = indent.length;
  const flush = () => {
    if (row.length === 0) return;
    for (const i of [0, 1, 2] as const) lines.push(indent + row.map((b) => b[i]).join('  '));
    row = [];
    rowWidth = indent.length;
  };
  for (const state of drawnStates(graph)) {
    const name = stateName(graph, state.id) + kindSuffix(state);
    const boxWidth = name.length + 4;
    if (row.length > 0 && rowWidth + 2 + boxWidth > width) flush();
    row.push(box(name, state === current, ansi, accent));
    rowWidth += (row.length > 1 ? 2 : 0) + boxWidth;
  }
  flush();
  return lines;
}

interface Edge {
  readonly source: string;
  readonly label: string;
  readonly targets: string;
  readonly transition: GraphTransition | undefined;
}

/** Initial pseudo-transitions (`[*] ─ initial → closed`), then every transition with a target. */
function edgesOf(graph: StateGraph): Edge[] {
  const edges: Edge[] = [];
  for (const state of graph.states.values()) {
    if (state.initial === undefined) continue;
    const source = state.path.length === 0 ? '[*]' : `${stateName(graph, state.id)}.[*]`;
    const targets = stateName(graph, state.initial);
    edges.push({ source, label: 'initial', targets, transition: undefined });
  }
  for (const state of graph.states.values()) {
    for (const transition of state.transitions) {
      if (transition.targets.length === 0) continue;
      edges.push({
        source: stateName(graph, transition.source),
        label: transitionLabel(transition),
        targets: transition.targets.map((id) => stateName(graph, id)).join(', '),
        transition,
      });
    }
  }
  return edges;
}

function sameTransition(a: GraphTransition, b: GraphTransition): boolean {
  if (a === b) return true;
  return (
    a.source === b.source &&
    a.eventType === b.eventType &&
    a.targets.join('\n') === b.targets.join('\n') &&
    transitionLabel(a) === transitionLabel(b)
  );
}

/**
 * Draws `graph` with `currentState` (an id or a path such as `open`) highlighted and
 * `lastTransition` marked with {@link TAKEN_MARKER}. With `ansi` (default) the current box is
 * drawn bold in the accent colour with its name inverse, and the taken edge bold in the accent
 * colour; without, the current box has double borders and nothing else changes, so the plain
 * drawing is the ANSI one with its escape codes removed.
 *
 * @example
 * ```ts
 * const lines = renderStateDiagram(graph, 'closed', findTransition(graph, 'halfOpen', 'closed', 'SUCCESS'));
 * process.stdout.write(`${lines.join('\n')}\n`);
 * ```
 */
export function renderStateDiagram(
  graph: StateGraph,
  currentState: string,
  lastTransition?: GraphTransition,
  options: TerminalDiagramOptions = {},
): string[] {
  const ansi = options.ansi ?? true;
  const accent = options.accent ?? DEFAULT_ACCENT;
  const width = options.width ?? Number.POSITIVE_INFINITY;
  const current = resolveState(graph, currentState);
  const edges = edgesOf(graph);
  const transitionCount = edges.filter((edge) => edge.transition).length;
  const isTaken = (edge: Edge) =>
    lastTransition !== undefined &&
    edge.transition !== undefined &&
    sameTransition(edge.transition, lastTransition);

  const shown =
    options.edges === 'current'
      ? edges.filter(
          (edge) =>
            isTaken(edge) || (current !== undefined && edge.transition?.source === current.id),
        )
      : edges;
  const sourceWidth = Math.max(0, ...shown.map((edge) => edge.source.length));

  const lines = [
    `${graph.id}: ${drawnStates(graph).length} states, ${transitionCount} transitions` +
      `   (╔═╗ current, ${TAKEN_MARKER} last transition)`,
    ...boxRows(graph, current, ansi, accent, width),
  ];
  for (const edge of shown) {
    const taken = isTaken(edge);
    const text = `${taken ? TAKEN_MARKER : ' '} ${edge.source.padEnd(sourceWidth)} ─ ${edge.label} → ${edge.targets}`;
    lines.push(taken && ansi ? `${SGR.frame(accent)}${text}${SGR.reset}` : text);
  }
  const hidden = transitionCount - shown.filter((edge) => edge.transition).length;
  if (hidden > 0) lines.push(`  … ${hidden} more transitions from other states`);
  return Number.isFinite(width) ? lines.map((line) => clipLine(line, width)) : lines;
}
