import type { AnyStateMachine } from 'xstate';
import { foldTree } from './fold';
import { guardParts } from './labels';
import type {
  GraphAction,
  GraphGuard,
  GraphState,
  GraphTransition,
  JsonValue,
  StateGraph,
} from './model';
import { isWithin } from './structure';
import { toStateGraph } from './walk';

const INDENT = '  ';
/** Biome's line width: anything that fits on one line is written on one line. */
const LINE_WIDTH = 100;

/** A tiny syntax tree for the object literal passed to `createMachine`. */
type Code =
  | { readonly kind: 'raw'; readonly code: string }
  | {
      readonly kind: 'object';
      readonly entries: ReadonlyArray<readonly [string | number, Code]>;
      /** Always one entry per line (used for `states` and the machine config). */
      readonly expand: boolean;
    }
  | { readonly kind: 'array'; readonly items: readonly Code[] };

/**
 * Quotes a string as a JavaScript string literal, the way Biome does: single
 * quotes unless the text has more single than double quotes.
 */
function quoteJs(text: string): string {
  const singles = text.split("'").length - 1;
  const doubles = text.split('"').length - 1;
  const quote = singles > doubles ? '"' : "'";
  const escaped = text.replace(/[\\'"\n\r\t\u2028\u2029]/g, (ch) => {
    switch (ch) {
      case '\\':
        return '\\\\';
      case "'":
      case '"':
        return ch === quote ? `\\${ch}` : ch;
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default: // U+2028 and U+2029, four hex digits already
        return `\\u${ch.charCodeAt(0).toString(16)}`;
    }
  });
  return `${quote}${escaped}${quote}`;
}

const raw = (code: string): Code => ({ kind: 'raw', code });
const str = (text: string): Code => raw(quoteJs(text));
const obj = (
  entries: ReadonlyArray<readonly [string | number, Code | undefined]>,
  expand = false,
): Code => ({
  kind: 'object',
  entries: entries.filter((entry): entry is readonly [string | number, Code] => !!entry[1]),
  expand,
});
const arr = (items: readonly Code[]): Code => ({ kind: 'array', items });
/** One item as itself, several as an array, none as nothing. */
const oneOrMany = (items: readonly Code[]): Code | undefined =>
  items.length === 0 ? undefined : items.length === 1 ? items[0] : arr(items);

/** Plain data as a JavaScript literal. */
function jsonCode(value: JsonValue): Code {
  return foldTree<JsonValue, Code>(value, jsonItems, (node, items) => {
    if (typeof node === 'string') return str(node);
    if (typeof node === 'number' || typeof node === 'boolean' || node === null) {
      return raw(String(node));
    }
    if (isJsonArray(node)) return arr(items);
    return obj(Object.keys(node).map((key, i) => [key, items[i]] as const));
  });
}

const jsonItems = (value: JsonValue): readonly JsonValue[] =>
  typeof value === 'object' && value !== null ? Object.values(value) : [];

const isJsonArray = (value: JsonValue): value is readonly JsonValue[] => Array.isArray(value);

const propertyKey = (key: string | number): string =>
  typeof key === 'number' || /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? String(key) : quoteJs(key);

/** The codes directly inside `code`. */
function partsOf(code: Code): readonly Code[] {
  if (code.kind === 'array') return code.items;
  if (code.kind === 'object') return code.entries.map(([, value]) => value);
  return [];
}

/** Every node of the tree under `code`, each after all of its parts (children first). */
function partsFirst(code: Code): Code[] {
  const order: Code[] = [];
  const stack = [code];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    order.push(next);
    stack.push(...partsOf(next));
  }
  return order.reverse();
}

/**
 * The code of every node under `code` on a single line, or `undefined` for those that have to
 * be expanded. Worked out once per node, children first, without recursion: a machine nested
 * thousands of levels deep must not overflow the stack.
 */
function flatTexts(code: Code): Map<Code, string | undefined> {
  const texts = new Map<Code, string | undefined>();
  for (const node of partsFirst(code)) texts.set(node, flatText(node, texts));
  return texts;
}

/** One node on a single line, from its parts' lines in `texts`. */
function flatText(code: Code, texts: ReadonlyMap<Code, string | undefined>): string | undefined {
  switch (code.kind) {
    case 'raw':
      return code.code.includes('\n') ? undefined : code.code;
    case 'array': {
      const items = code.items.map((item) => texts.get(item));
      return items.every((item) => item !== undefined) ? `[${items.join(', ')}]` : undefined;
    }
    case 'object': {
      if (code.entries.length === 0) return '{}';
      if (code.expand) return undefined;
      const entries = code.entries.map(([key, value]) => {
        const text = texts.get(value);
        return text === undefined ? undefined : `${propertyKey(key)}: ${text}`;
      });
      return entries.every((entry) => entry !== undefined)
        ? `{ ${entries.join(', ')} }`
        : undefined;
    }
  }
}

/** What `print` still has to write: text as it is, or code to lay out. */
type Piece = string | { readonly code: Code; readonly depth: number; readonly column: number };

/**
 * Prints code that starts `column` characters into a line at nesting `depth`:
 * on one line when it fits (with the trailing comma) in {@link LINE_WIDTH},
 * otherwise one item per line with trailing commas, like Biome. An explicit stack of
 * pending pieces instead of recursion, so any depth prints.
 */
function print(code: Code, depth: number, column: number): string {
  const texts = flatTexts(code);
  const out: string[] = [];
  const stack: Piece[] = [{ code, depth, column }];
  const later = (pieces: readonly Piece[]) => {
    for (let i = pieces.length - 1; i >= 0; i--) stack.push(pieces[i] as Piece);
  };
  for (let piece = stack.pop(); piece !== undefined; piece = stack.pop()) {
    if (typeof piece === 'string') {
      out.push(piece);
      continue;
    }
    const single = texts.get(piece.code);
    if (single !== undefined && piece.column + single.length + 1 <= LINE_WIDTH) {
      out.push(single);
      continue;
    }
    later(expanded(piece.code, piece.depth));
  }
  return out.join('');
}

/** `code` laid out one item per line at nesting `depth`, its items still to print. */
function expanded(code: Code, depth: number): readonly Piece[] {
  const pad = INDENT.repeat(depth + 1);
  const close = INDENT.repeat(depth);
  switch (code.kind) {
    case 'raw':
      return [code.code];
    case 'array':
      return [
        '[\n',
        ...code.items.flatMap((item): Piece[] => [
          pad,
          { code: item, depth: depth + 1, column: pad.length },
          ',\n',
        ]),
        `${close}]`,
      ];
    case 'object':
      return [
        '{\n',
        ...code.entries.flatMap(([key, value]): Piece[] => {
          const prefix = `${pad}${propertyKey(key)}: `;
          return [prefix, { code: value, depth: depth + 1, column: prefix.length }, ',\n'];
        }),
        `${close}}`,
      ];
  }
}

/** Groups items by a key, keeping the order in which each key first appears. */
function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

class StatelyWriter {
  readonly #graph: StateGraph;
  readonly #helpers = new Set<string>(['createMachine']);

  constructor(graph: StateGraph) {
    this.#graph = graph;
  }

  /** A state of the graph: every id a transition or history state names is one of them. */
  #state(id: string): GraphState {
    return this.#graph.states.get(id) as GraphState;
  }

  /**
   * How `from` refers to `to` in a target: `.child.path` for its own
   * descendants, `sibling.path` for anything under its parent, `#id` otherwise
   * (and always for states that were given an explicit id).
   */
  #reference(fromId: string, toId: string): string {
    const from = this.#state(fromId);
    const to = this.#state(toId);
    if (to.explicitId) return `#${to.id}`;
    if (to.id !== from.id && isWithin(this.#graph, to.id, from.id)) {
      return `.${to.path.slice(from.path.length).join('.')}`;
    }
    if (from.parentId !== undefined && to.id !== from.parentId) {
      const parent = this.#state(from.parentId);
      if (isWithin(this.#graph, to.id, parent.id))
        return to.path.slice(parent.path.length).join('.');
    }
    return `#${to.id}`;
  }

  /** History targets are resolved from the history state's parent, without a leading dot. */
  #historyReference(parentId: string, toId: string): string {
    const parent = this.#state(parentId);
    const to = this.#state(toId);
    if (!to.explicitId && to.id !== parentId && isWithin(this.#graph, toId, parentId)) {
      return to.path.slice(parent.path.length).join('.');
    }
    return `#${to.id}`;
  }

  #guard(guard: GraphGuard): Code {
    return foldTree(guard, guardParts, (node, parts: Code[]) => {
      switch (node.kind) {
        case 'named':
          return node.params === undefined
            ? str(node.name)
            : obj([
                ['type', str(node.name)],
                ['params', jsonCode(node.params)],
              ]);
        case 'inline':
          return str('inline');
        case 'not':
          this.#helpers.add('not');
          return raw(`not(${print(parts[0] as Code, 0, 0)})`);
        case 'and':
        case 'or':
          this.#helpers.add(node.kind);
          return raw(`${node.kind}(${print(arr(parts), 0, 0)})`);
        case 'stateIn':
          this.#helpers.add('stateIn');
          return raw(`stateIn(${node.state.startsWith('{') ? node.state : quoteJs(node.state)})`);
      }
    });
  }

  #actions(actions: readonly GraphAction[]): Code | undefined {
    return oneOrMany(
      actions.map((action) =>
        action.params === undefined
          ? str(action.name)
          : obj([
              ['type', str(action.name)],
              ['params', jsonCode(action.params)],
            ]),
      ),
    );
  }

  /** `bare`: a transition with only a target may be written as its target string. */
  #transition(transition: GraphTransition, bare: boolean): Code {
    const targets = transition.targets.map((t) => str(this.#reference(transition.source, t)));
    const onlyTarget =
      bare &&
      targets.length === 1 &&
      !transition.guard &&
      transition.actions.length === 0 &&
      !transition.reenter &&
      transition.description === undefined;
    if (onlyTarget && targets[0]) return targets[0];
    return obj([
      ['target', oneOrMany(targets)],
      ['guard', transition.guard ? this.#guard(transition.guard) : undefined],
      ['actions', this.#actions(transition.actions)],
      ['reenter', transition.reenter ? raw('true') : undefined],
      [
        'description',
        transition.description === undefined ? undefined : str(transition.description),
      ],
    ]);
  }

  /**
   * XState reads a bare string inside an `after` list as a transition without a target (it
   * does not for `on`), so `delayed` lists write every transition as an object.
   */
  #transitions(transitions: readonly GraphTransition[], delayed = false): Code | undefined {
    const bare = !delayed || transitions.length === 1;
    return oneOrMany(transitions.map((t) => this.#transition(t, bare)));
  }

  /** `{ KEY: transition(s) }` for transitions grouped by `keyOf`. */
  #transitionMap(
    transitions: readonly GraphTransition[],
    keyOf: (t: GraphTransition) => string | number,
    delayed = false,
  ): Code | undefined {
    const groups = groupBy(transitions, keyOf);
    if (groups.size === 0) return undefined;
    return obj(
      [...groups].map(([key, group]) => [key, this.#transitions(group, delayed)] as const),
    );
  }

  #invoke(state: GraphState): Code | undefined {
    const invokes = state.invoke.map((invoke) => {
      const handlers = state.transitions.filter(
        (t) => t.trigger.kind === 'invoke' && t.trigger.invokeId === invoke.id,
      );
      const outcome = (name: 'done' | 'error' | 'snapshot') =>
        this.#transitions(
          handlers.filter((t) => t.trigger.kind === 'invoke' && t.trigger.outcome === name),
        );
      return obj([
        ['id', invoke.explicitId ? str(invoke.id) : undefined],
        ['src', str(invoke.src)],
        ['onDone', outcome('done')],
        ['onError', outcome('error')],
        ['onSnapshot', outcome('snapshot')],
      ]);
    });
    return oneOrMany(invokes);
  }

  /**
   * The config of the whole machine. Children are built before their parents, from the
   * graph's states in reverse document order, so nesting never recurses.
   */
  #config(): Code {
    const built = new Map<string, Code>();
    const states = [...this.#graph.states.values()];
    for (let i = states.length - 1; i >= 0; i--) {
      const each = states[i] as GraphState;
      built.set(each.id, this.#stateConfig(each, built));
    }
    return built.get(this.#graph.root.id) as Code;
  }

  #stateConfig(state: GraphState, built: ReadonlyMap<string, Code>): Code {
    const of = (kind: GraphTransition['trigger']['kind']) =>
      state.transitions.filter((t) => t.trigger.kind === kind);
    const isRoot = state.parentId === undefined;
    const initial = state.initial === undefined ? undefined : this.#state(state.initial);
    const type =
      state.kind === 'parallel' || state.kind === 'final' || state.kind === 'history'
        ? str(state.kind)
        : undefined;
    const parentId = state.parentId;
    return obj(
      [
        ['id', isRoot || state.explicitId ? str(state.id) : undefined],
        ['type', type],
        ['initial', initial ? str(initial.key) : undefined],
        ['history', state.history === 'deep' ? str('deep') : undefined],
        [
          'target',
          parentId === undefined
            ? undefined
            : oneOrMany(state.historyTargets.map((t) => str(this.#historyReference(parentId, t)))),
        ],
        ['description', state.description === undefined ? undefined : str(state.description)],
        ['tags', oneOrMany(state.tags.map(str))],
        ['entry', this.#actions(state.entry)],
        ['exit', this.#actions(state.exit)],
        ['invoke', this.#invoke(state)],
        [
          'on',
          this.#transitionMap(of('event'), (t) =>
            t.trigger.kind === 'event' ? t.trigger.event : '',
          ),
        ],
        [
          'after',
          this.#transitionMap(
            of('after'),
            (t) => (t.trigger.kind === 'after' ? t.trigger.delay : 0),
            true,
          ),
        ],
        ['always', this.#transitions(of('always'))],
        ['onDone', this.#transitions(of('done'))],
        [
          'states',
          state.children.length === 0
            ? undefined
            : obj(
                state.children.map((child) => [child.key, built.get(child.id) as Code] as const),
                true,
              ),
        ],
      ],
      isRoot,
    );
  }

  render(): string {
    const body = print(this.#config(), 0, 0);
    const helpers = [...this.#helpers].sort().join(', ');
    return `import { ${helpers} } from 'xstate';\n\nexport const machine = createMachine(${body});\n`;
  }
}

/**
 * Renders an XState v5 machine as TypeScript source that Stately Studio
 * (stately.ai) can import, and that recreates the same statechart:
 *
 * ```ts
 * import { createMachine } from 'xstate';
 *
 * export const machine = createMachine({ id: 'breaker', initial: 'closed', states: { ... } });
 * ```
 *
 * It keeps ids, `initial`, `type: 'parallel' | 'final' | 'history'`, `on`,
 * `after`, `always`, `onDone`, `invoke`, entry/exit actions, descriptions and
 * tags. Guards and actions are referenced by name (`not` / `and` / `or` /
 * `stateIn` are imported from `xstate` when used); inline functions become the
 * name `'inline'`, and context and implementations are left out. Targets are
 * written relative to the source (`'sibling'`, `'.child'`) or as `'#id'`.
 *
 * @param machine Any XState v5 machine.
 * @returns A TypeScript module exporting `machine`, ending with a newline.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { toStatelyCode } from 'xstate-circuit-breaker/diagram';
 *
 * // Paste or import the file in Stately Studio to edit the chart visually.
 * writeFileSync('machine.stately.ts', toStatelyCode(machine));
 * ```
 */
export function toStatelyCode(machine: AnyStateMachine): string {
  return new StatelyWriter(toStateGraph(machine)).render();
}
