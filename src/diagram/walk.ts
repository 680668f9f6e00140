import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { foldTree } from './fold';
import type {
  GraphAction,
  GraphGuard,
  GraphInvoke,
  GraphState,
  GraphTransition,
  GraphTrigger,
  JsonValue,
  StateGraph,
  StateKind,
} from './model';

/** Label used for implementations passed inline as functions or actor logic. */
const INLINE = 'inline';

const BUILTIN_ACTION_PREFIX = 'xstate.';

const isObjectLike = (value: unknown): value is object =>
  (typeof value === 'object' && value !== null) || typeof value === 'function';

/** Reads a property of an object or function whose shape XState does not type. */
const prop = (value: unknown, key: string): unknown =>
  isObjectLike(value) ? Reflect.get(value, key) : undefined;

const toArray = (value: unknown): readonly unknown[] => {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
};

/**
 * Returns `value` if it is plain data (strings, finite numbers, booleans, null,
 * arrays and plain objects of those), otherwise `undefined`.
 */
function toJsonValue(value: unknown): JsonValue | undefined {
  return foldTree<unknown, JsonValue | undefined>(
    value,
    jsonParts,
    (node, parts) => {
      if (node === null || typeof node === 'string' || typeof node === 'boolean') return node;
      if (typeof node === 'number') return Number.isFinite(node) ? node : undefined;
      if (!isPlainData(node) || parts.some((part) => part === undefined)) return undefined;
      if (Array.isArray(node)) return parts as JsonValue[];
      const keys = Object.keys(node);
      return Object.fromEntries(keys.map((key, i) => [key, parts[i] as JsonValue]));
    },
    () => undefined, // a cycle is not plain data
  );
}

/** Arrays and plain objects: the only containers plain data has. */
const isPlainData = (value: unknown): value is object =>
  Array.isArray(value) ||
  (typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype);

const jsonParts = (value: unknown): readonly unknown[] =>
  isPlainData(value) ? Object.values(value) : [];

/** `{ params }` when an action or guard object has plain-data params, else `{}`. */
const paramsOf = (reference: unknown): { params?: JsonValue } => {
  const params = toJsonValue(prop(reference, 'params'));
  return params === undefined ? {} : { params };
};

/**
 * Describes an action as written in a machine config: `'name'`,
 * `{ type: 'name', params }`, a built-in action creator such as `assign(...)`
 * (named `assign`), or an inline function (named `'inline'`).
 */
function toGraphAction(action: unknown): GraphAction {
  if (typeof action === 'string') return { name: action };
  const type = prop(action, 'type');
  if (typeof type !== 'string') return { name: INLINE };
  if (typeof action === 'function') {
    return {
      name: type.startsWith(BUILTIN_ACTION_PREFIX)
        ? type.slice(BUILTIN_ACTION_PREFIX.length)
        : type,
    };
  }
  return { name: type, ...paramsOf(action) };
}

const stateValueLabel = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value ?? null);

/**
 * Turns an XState guard reference into a {@link GraphGuard}: string and
 * `{ type }` guards keep their name, `not` / `and` / `or` / `stateIn` keep
 * their structure, anything else is `'inline'`.
 */
function toGraphGuard(guard: unknown): GraphGuard {
  return foldTree(guard, innerGuards, toGraphGuardOf);
}

/** Higher-order guards (not/and/or) are functions carrying the guards they combine. */
const innerGuards = (guard: unknown): readonly unknown[] => {
  const inner = typeof guard === 'function' ? prop(guard, 'guards') : undefined;
  return Array.isArray(inner) ? inner : [];
};

/** One guard, given the {@link GraphGuard}s of the guards it combines. */
function toGraphGuardOf(guard: unknown, guards: GraphGuard[]): GraphGuard {
  if (typeof guard === 'string') return { kind: 'named', name: guard };
  if (typeof guard !== 'function') {
    const type = prop(guard, 'type');
    return typeof type === 'string'
      ? { kind: 'named', name: type, ...paramsOf(guard) }
      : { kind: INLINE };
  }
  if (Array.isArray(prop(guard, 'guards'))) {
    const [first] = guards;
    // `not(...)` combines exactly one guard; `first` is checked for the compiler.
    if (guard.name === 'not' && first !== undefined) {
      return { kind: 'not', guard: first };
    }
    return { kind: guard.name === 'or' ? 'or' : 'and', guards };
  }
  if ('stateValue' in guard) {
    return { kind: 'stateIn', state: stateValueLabel(prop(guard, 'stateValue')) };
  }
  return { kind: INLINE };
}

/** Reads a raw config property of a state node. */
const configOf = (node: AnyStateNode, key: string): unknown => prop(node.config, key);

const descriptionOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** Resolves a history state's default `target` (relative to its parent, or `#id`). */
function historyTargets(machine: AnyStateMachine, node: AnyStateNode): string[] {
  return toArray(configOf(node, 'target')).flatMap((target): string[] => {
    if (typeof target !== 'string') return [];
    if (target.startsWith('#')) return [machine.getStateNodeById(target).id];
    // A relative target starts at the parent; a node without one resolves nothing.
    let current: AnyStateNode | undefined = node.parent;
    for (const key of target.split('.')) {
      current = current?.states[key];
    }
    return current ? [current.id] : [];
  });
}

function invokesOf(node: AnyStateNode): GraphInvoke[] {
  const configs = toArray(configOf(node, 'invoke'));
  return node.invoke.map((definition, index): GraphInvoke => {
    const src = prop(configs[index], 'src');
    return {
      id: definition.id,
      src: typeof src === 'string' ? src : INLINE,
      explicitId: typeof prop(configs[index], 'id') === 'string',
    };
  });
}

/** Works out which kind of trigger produced an entry of `StateNode.transitions`. */
function triggerOf(
  node: AnyStateNode,
  descriptor: string,
  transition: AnyTransitionDefinition,
  delays: ReadonlyMap<AnyTransitionDefinition, string | number>,
  invokes: readonly GraphInvoke[],
): GraphTrigger {
  const delay = delays.get(transition);
  if (delay !== undefined) return { kind: 'after', delay };
  if (configOf(node, 'onDone') !== undefined && descriptor === `xstate.done.state.${node.id}`) {
    return { kind: 'done' };
  }
  const outcomes = [
    ['done', 'xstate.done.actor.'],
    ['error', 'xstate.error.actor.'],
    ['snapshot', 'xstate.snapshot.'],
  ] as const;
  for (const invoke of invokes) {
    for (const [outcome, prefix] of outcomes) {
      if (descriptor === `${prefix}${invoke.id}`) {
        return { kind: 'invoke', outcome, invokeId: invoke.id, src: invoke.src };
      }
    }
  }
  return { kind: 'event', event: descriptor };
}

function toGraphTransition(
  transition: AnyTransitionDefinition,
  trigger: GraphTrigger,
  eventType: string | undefined,
): GraphTransition {
  const description = descriptionOf(transition.description);
  return {
    source: transition.source.id,
    targets: (transition.target ?? []).map((target: AnyStateNode) => target.id),
    trigger,
    eventType,
    ...(transition.guard === undefined ? {} : { guard: toGraphGuard(transition.guard) }),
    actions: transition.actions.map(toGraphAction),
    reenter: transition.reenter,
    ...(description === undefined ? {} : { description }),
  };
}

function transitionsOf(node: AnyStateNode, invokes: readonly GraphInvoke[]): GraphTransition[] {
  const delays = new Map<AnyTransitionDefinition, string | number>();
  for (const delayed of node.after) {
    // Delays are written as object keys, so they are names or numbers, never functions.
    delays.set(delayed, delayed.delay as string | number);
  }
  const result: GraphTransition[] = [];
  for (const [descriptor, transitions] of node.transitions) {
    for (const transition of transitions) {
      const trigger = triggerOf(node, descriptor, transition, delays, invokes);
      result.push(toGraphTransition(transition, trigger, descriptor));
    }
  }
  for (const transition of node.always ?? []) {
    result.push(toGraphTransition(transition, { kind: 'always' }, undefined));
  }
  return result;
}

/** One state node as a {@link GraphState} without its children (the walk adds them). */
function toGraphState(machine: AnyStateMachine, node: AnyStateNode): GraphState {
  const kind: StateKind = node.type;
  const invoke = invokesOf(node);
  // Only a compound state has an initial target; XState gives every other kind none.
  const initialTarget: AnyStateNode | undefined = node.initial.target[0];
  return {
    id: node.id,
    key: node.key,
    path: [...node.path],
    parentId: node.parent?.id,
    kind,
    explicitId: typeof configOf(node, 'id') === 'string',
    initial: initialTarget?.id,
    history: kind === 'history' && node.history !== false ? node.history : undefined,
    historyTargets: kind === 'history' ? historyTargets(machine, node) : [],
    description: descriptionOf(node.description),
    tags: [...node.tags],
    entry: toArray(configOf(node, 'entry')).map(toGraphAction),
    exit: toArray(configOf(node, 'exit')).map(toGraphAction),
    invoke,
    transitions: transitionsOf(node, invoke),
    children: [],
  };
}

/**
 * Every state node under `root`, in document order (a state before its children), each
 * registered in `index` and added to its parent's children. An explicit stack instead of
 * recursion: XState builds machines nested thousands of levels deep, and so must this walk.
 */
function walkNodes(
  machine: AnyStateMachine,
  root: AnyStateNode,
  index: Map<string, GraphState>,
): GraphState {
  const stack: Array<{ node: AnyStateNode; siblings: GraphState[] | undefined }> = [
    { node: root, siblings: undefined },
  ];
  let top: GraphState | undefined;
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const state = toGraphState(machine, item.node);
    index.set(state.id, state);
    if (item.siblings) item.siblings.push(state);
    else top = state;
    const children = state.children as GraphState[];
    const nodes = Object.values(item.node.states) as AnyStateNode[];
    for (let i = nodes.length - 1; i >= 0; i--) {
      stack.push({ node: nodes[i] as AnyStateNode, siblings: children });
    }
  }
  return top as GraphState;
}

/**
 * Walks an XState v5 machine's `root` state node tree into a neutral
 * {@link StateGraph} (states, transitions, guards, delays and action names),
 * which the Mermaid, DOT, SCXML and Stately exporters render.
 *
 * Inline implementations (guard, action or actor functions) cannot be named, so
 * they appear as `'inline'`. Entry/exit actions are read from the config, so the
 * timers XState adds for `after` transitions do not show up as actions.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { toStateGraph } from 'xstate-circuit-breaker/diagram';
 *
 * const graph = toStateGraph(
 *   createMachine({ id: 'light', initial: 'green', states: { green: { on: { NEXT: 'red' } }, red: {} } }),
 * );
 * graph.root.children.map((s) => s.id); // ['light.green', 'light.red']
 * ```
 */
export function toStateGraph(machine: AnyStateMachine): StateGraph {
  const states = new Map<string, GraphState>();
  const root = walkNodes(machine, machine.root, states);
  return { id: machine.id, root, states };
}
