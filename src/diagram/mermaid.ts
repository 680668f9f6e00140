import type { AnyStateMachine } from 'xstate';
import { IdAllocator } from './ids';
import { type DiagramOptions, entryExitLabels, transitionLabel } from './labels';
import type { GraphState, StateGraph } from './model';
import { just, runSteps, type Step } from './steps';
import { drawsRoot, isContainer } from './structure';
import { toStateGraph } from './walk';

const INDENT = '  ';

/** Lexer keywords of `stateDiagram-v2` that cannot be used as a bare state id. */
const RESERVED = new Set(['state', 'note', 'class', 'classdef', 'scale', 'direction', 'end', 'as']);

/**
 * A Mermaid state id: letters, digits and `_` only (dots, dashes and spaces
 * become `_`), and never a word the Mermaid lexer treats as a keyword
 * (`default…` is matched as a prefix, so it gets an `s_` prefix too).
 */
function mermaidId(raw: string): string {
  const base = raw.replace(/[^A-Za-z0-9_]/g, '_') || '_';
  return RESERVED.has(base.toLowerCase()) || /^(default|statediagram)/i.test(base)
    ? `s_${base}`
    : base;
}

/**
 * Escapes text for a Mermaid label or state description. Characters the
 * `stateDiagram-v2` grammar gives a meaning to (`:` `;` `#` `%` quotes, braces,
 * angle brackets, `&`) become Mermaid entity codes (`#58;`), which Mermaid
 * turns back into the character when it draws the diagram.
 */
function escapeMermaid(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[#:;%"{}<>&]/g, (ch) => `#${ch.charCodeAt(0)};`)
    .replace(/(directio)n(\s+(?:TB|BT|RL|LR))/gi, '$1#110;$2');
}

class MermaidWriter {
  readonly lines: string[] = ['stateDiagram-v2'];
  readonly #ids = new IdAllocator(mermaidId);
  readonly #graph: StateGraph;
  readonly #options: DiagramOptions;
  readonly #wrapRoot: boolean;

  constructor(graph: StateGraph, options: DiagramOptions) {
    this.#graph = graph;
    this.#options = options;
    this.#wrapRoot = drawsRoot(graph);
    this.#allocate();
  }

  /** Ids in document order (the graph lists its states that way), so clashes resolve stably. */
  #allocate(): void {
    for (const state of this.#graph.states.values()) {
      this.#ids.get(state.id, state.path.length === 0 ? state.key : state.path.join('_'));
    }
  }

  #id(stateId: string): string {
    return this.#ids.get(stateId);
  }

  #line(depth: number, text: string): void {
    this.lines.push(INDENT.repeat(depth) + text);
  }

  #label(state: GraphState): string {
    if (state.kind === 'history') return state.history === 'deep' ? 'H*' : 'H';
    return state.key;
  }

  /**
   * Declares a state: `state "label" as id` when the label differs from the id
   * or when descriptions follow (Mermaid would otherwise show the first
   * description instead of the state's name).
   */
  #declare(state: GraphState, depth: number, hasDescriptions = false): string {
    const id = this.#id(state.id);
    const label = this.#label(state);
    const plain = label === id && !hasDescriptions;
    this.#line(depth, plain ? id : `state "${escapeMermaid(label)}" as ${id}`);
    return id;
  }

  render(): string {
    const { root } = this.#graph;
    if (this.#wrapRoot) {
      this.#line(1, `[*] --> ${this.#id(root.id)}`);
      runSteps([() => this.#state(root, 1)]);
    } else {
      runSteps([() => this.#contents(root, 1)]);
    }
    this.#transitions();
    return `${this.lines.join('\n')}\n`;
  }

  /**
   * Children of a compound/parallel state (or of the unwrapped root). Returns the children as
   * steps (see `runSteps`), so nesting never deepens the call stack.
   */
  #contents(state: GraphState, depth: number): readonly Step[] {
    if (state.initial !== undefined) this.#line(depth, `[*] --> ${this.#id(state.initial)}`);
    const steps = state.children.flatMap((child, index): Step[] => [
      just(() => {
        if (state.kind === 'parallel' && index > 0) this.#line(depth, '--');
      }),
      () => this.#state(child, depth),
    ]);
    steps.push(
      just(() => {
        for (const child of state.children) {
          if (child.kind === 'final') this.#line(depth, `${this.#id(child.id)} --> [*]`);
        }
      }),
    );
    return steps;
  }

  #state(state: GraphState, depth: number): readonly Step[] | undefined {
    if (isContainer(state)) {
      const id = this.#declare(state, depth);
      this.#line(depth, `state ${id} {`);
      return [() => this.#contents(state, depth + 1), just(() => this.#line(depth, '}'))];
    }
    // UML-style internal transitions and entry/exit actions inside the box.
    const descriptions = [
      ...entryExitLabels(state, this.#options),
      ...state.transitions
        .filter((t) => t.targets.length === 0)
        .map((t) => transitionLabel(t, this.#options)),
    ];
    const id = this.#declare(state, depth, descriptions.length > 0);
    for (const text of descriptions) this.#line(depth, `${id} : ${escapeMermaid(text)}`);
    return undefined;
  }

  #transitions(): void {
    const edges: string[] = [];
    for (const state of this.#graph.states.values()) {
      const from = this.#id(state.id);
      for (const target of state.historyTargets) edges.push(`${from} --> ${this.#id(target)}`);
      for (const transition of state.transitions) {
        const label = escapeMermaid(transitionLabel(transition, this.#options));
        for (const target of transition.targets) {
          edges.push(`${from} --> ${this.#id(target)} : ${label}`);
        }
      }
    }
    if (edges.length === 0) return;
    this.lines.push('');
    for (const edge of edges) this.#line(1, edge);
  }
}

/**
 * Renders an XState v5 machine as a Mermaid `stateDiagram-v2`.
 *
 * - Compound states become `state x { ... }` blocks with `[*] --> initial`;
 *   parallel regions are separated by `--`; final states get `x --> [*]`.
 * - Transitions are listed after the states, one line per target, labelled
 *   `EVENT [guard]`, `after(delay)`, `after(1000ms)` or `always [guard]`.
 * - Targetless transitions of atomic states are written inside the state box
 *   (`closed : FAILURE`); those of compound states are left out.
 * - Ids are the state path joined with `_`; the state key is the label.
 *
 * @param machine Any XState v5 machine (`createMachine` or `setup().createMachine`).
 * @param options `{ actions: true }` adds `/ action` to labels and entry/exit lines.
 * @returns The diagram source, ending with a newline.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { toMermaid } from 'xstate-circuit-breaker/diagram';
 *
 * const light = createMachine({
 *   id: 'light',
 *   initial: 'green',
 *   states: { green: { after: { 1000: 'red' } }, red: { on: { NEXT: 'green' } } },
 * });
 * console.log(toMermaid(light));
 * // stateDiagram-v2
 * //   [*] --> green
 * //   green
 * //   red
 * //
 * //   green --> red : after(1000ms)
 * //   red --> green : NEXT
 * ```
 */
export function toMermaid(machine: AnyStateMachine, options: DiagramOptions = {}): string {
  return new MermaidWriter(toStateGraph(machine), options).render();
}
