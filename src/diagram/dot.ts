import type { AnyStateMachine } from 'xstate';
import { type DiagramOptions, entryExitLabels, transitionLabel } from './labels';
import type { GraphState, GraphTransition, StateGraph } from './model';
import { just, runSteps, type Step } from './steps';
import { drawsRoot, isContainer, isWithin } from './structure';
import { toStateGraph } from './walk';

const INDENT = '  ';
// One of the fonts Graphviz has built-in metrics for, so text is sized the same everywhere.
const FONT = 'Helvetica';

/**
 * Quotes a string as a DOT ID: wrapped in double quotes, with `"` and `\`
 * escaped and line breaks turned into `\n` (a centred line break in labels).
 */
function quoteDot(text: string): string {
  return `"${text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r\n?|\n/g, '\\n')}"`;
}

/** Escapes text for a Graphviz HTML-like label. */
const escapeHtml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r?\n/g, ' ');

/**
 * A state's label: just the quoted name, or, when there is more to list
 * (internal transitions, entry/exit actions), a UML-style box with the name in
 * bold above a rule and one smaller line per item.
 */
function stateLabel(name: string, details: readonly string[]): string {
  if (details.length === 0) return quoteDot(name);
  const rows = details.map(
    (line) => `<tr><td align="left"><font point-size="10">${escapeHtml(line)}</font></td></tr>`,
  );
  return `<<table border="0" cellborder="0" cellspacing="0" cellpadding="2"><tr><td><b>${escapeHtml(name)}</b></td></tr><hr/>${rows.join('')}</table>>`;
}

type Attributes = ReadonlyArray<readonly [string, string]>;

const attributeList = (attributes: Attributes): string =>
  attributes.length === 0 ? '' : ` [${attributes.map(([k, v]) => `${k}=${v}`).join(', ')}]`;

class DotWriter {
  readonly #lines: string[] = [];
  readonly #graph: StateGraph;
  readonly #options: DiagramOptions;
  readonly #start: string;

  constructor(graph: StateGraph, options: DiagramOptions) {
    this.#graph = graph;
    this.#options = options;
    let start = '__start__';
    while (graph.states.has(start)) start = `_${start}`;
    this.#start = start;
  }

  #line(depth: number, text: string): void {
    this.#lines.push(INDENT.repeat(depth) + text);
  }

  /** The state's label: its key, then internal transitions and entry/exit actions. */
  #label(state: GraphState): string {
    return stateLabel(state.key, [
      ...entryExitLabels(state, this.#options),
      ...state.transitions
        .filter((t) => t.targets.length === 0)
        .map((t) => transitionLabel(t, this.#options)),
    ]);
  }

  render(): string {
    const { root, id } = this.#graph;
    this.#line(0, `digraph ${quoteDot(id)} {`);
    this.#line(1, `graph [rankdir=LR, compound=true, fontname="${FONT}", fontsize=12];`);
    this.#line(
      1,
      `node [shape=box, style=rounded, margin="0.16,0.06", fontname="${FONT}", fontsize=12];`,
    );
    this.#line(1, `edge [fontname="${FONT}", fontsize=10];`);
    this.#line(0, '');
    this.#line(1, `${quoteDot(this.#start)} [shape=point, width=0.15, label=""];`);
    if (drawsRoot(this.#graph)) {
      runSteps([() => this.#state(root, 1)]);
      this.#edge(this.#start, root.id, [], 1);
    } else {
      runSteps([() => this.#contents(root, 1)]);
      if (root.initial !== undefined) this.#edge(this.#start, root.initial, [], 1);
    }
    this.#line(0, '');
    for (const state of this.#graph.states.values()) {
      for (const target of state.historyTargets) {
        this.#edge(state.id, target, [['style', 'dashed']], 1);
      }
      for (const transition of state.transitions) this.#transition(transition);
    }
    this.#line(0, '}');
    return `${this.#lines.join('\n')}\n`;
  }

  /** The children as steps (see `runSteps`), so nesting never deepens the call stack. */
  #contents(state: GraphState, depth: number): readonly Step[] {
    return state.children.map((child) => () => this.#state(child, depth));
  }

  #state(state: GraphState, depth: number): readonly Step[] | undefined {
    const tooltip: Attributes = state.description ? [['tooltip', quoteDot(state.description)]] : [];
    if (!isContainer(state)) {
      const attributes: Array<readonly [string, string]> = [['label', this.#label(state)]];
      if (state.kind === 'final') attributes.push(['shape', 'doublecircle']);
      if (state.kind === 'history') {
        attributes[0] = ['label', quoteDot(state.history === 'deep' ? 'H*' : 'H')];
        attributes.push(['shape', 'circle']);
      }
      this.#line(depth, `${quoteDot(state.id)}${attributeList([...attributes, ...tooltip])};`);
      return undefined;
    }
    this.#line(depth, `subgraph ${quoteDot(`cluster_${state.id}`)} {`);
    this.#line(depth + 1, `label=${this.#label(state)};`);
    this.#line(depth + 1, `style=${state.kind === 'parallel' ? '"rounded,dashed"' : 'rounded'};`);
    for (const [key, value] of tooltip) this.#line(depth + 1, `${key}=${value};`);
    // The container's own node: its initial pseudo-state (a dot) for compound
    // states, an invisible point for parallel ones. Edges to and from the
    // container attach here and are clipped at the cluster border.
    const anchor: Attributes =
      state.kind === 'parallel'
        ? [
            ['shape', 'point'],
            ['style', 'invis'],
            ['width', '0'],
            ['label', '""'],
          ]
        : [
            ['shape', 'point'],
            ['width', '0.15'],
            ['label', '""'],
          ];
    this.#line(depth + 1, `${quoteDot(state.id)}${attributeList(anchor)};`);
    if (state.initial !== undefined) this.#edge(state.id, state.initial, [], depth + 1);
    return [...this.#contents(state, depth + 1), just(() => this.#line(depth, '}'))];
  }

  #edge(from: string, to: string, extra: Attributes, depth: number): void {
    const attributes: Array<readonly [string, string]> = [...extra];
    const source = this.#graph.states.get(from);
    const target = this.#graph.states.get(to);
    // Clip at the cluster border unless the other end is inside that cluster
    // (Graphviz ignores, and warns about, such lhead/ltail).
    if (target && isContainer(target) && !isWithin(this.#graph, from, to)) {
      attributes.push(['lhead', quoteDot(`cluster_${to}`)]);
    }
    if (source && isContainer(source) && !isWithin(this.#graph, to, from)) {
      attributes.push(['ltail', quoteDot(`cluster_${from}`)]);
    }
    this.#line(depth, `${quoteDot(from)} -> ${quoteDot(to)}${attributeList(attributes)};`);
  }

  #transition(transition: GraphTransition): void {
    const attributes: Array<readonly [string, string]> = [
      ['label', quoteDot(transitionLabel(transition, this.#options))],
    ];
    if (transition.trigger.kind === 'always') attributes.push(['style', 'dashed']);
    for (const target of transition.targets) {
      this.#edge(transition.source, target, attributes, 1);
    }
  }
}

/**
 * Renders an XState v5 machine as a Graphviz DOT `digraph` (left to right).
 *
 * - Compound and parallel states become `cluster_<id>` subgraphs; a compound
 *   cluster holds a dot for its initial pseudo-state, and edges to or from a
 *   cluster are clipped at its border (`compound=true`, `lhead` / `ltail`).
 * - Final states are `doublecircle`s, history states `H` / `H*` circles.
 * - Edges are labelled `EVENT [guard]`, `after(delay)`, `after(1000ms)`;
 *   eventless (`always`) edges are dashed.
 * - Targetless transitions are listed under the state's name.
 * - Node ids are the quoted XState state ids.
 *
 * @param machine Any XState v5 machine.
 * @param options `{ actions: true }` adds `/ action` to labels and entry/exit lines.
 * @returns DOT source, ending with a newline; render it with Graphviz or `@viz-js/viz`.
 *
 * @example
 * ```ts
 * import { instance } from '@viz-js/viz';
 * import { toDot } from 'xstate-circuit-breaker/diagram';
 *
 * const svg = (await instance()).renderString(toDot(machine), { format: 'svg' });
 * ```
 */
export function toDot(machine: AnyStateMachine, options: DiagramOptions = {}): string {
  return new DotWriter(toStateGraph(machine), options).render();
}
