import type { GraphState, StateGraph } from './model';

/**
 * Whether a picture of the graph must draw the root as a box: only when
 * something attaches to the root itself (a transition with a target) or when it
 * is parallel (its regions need a box to be shown side by side).
 *
 * @example
 * ```ts
 * if (drawsRoot(graph)) console.log(`${graph.id} is drawn as a container`);
 * ```
 */
export function drawsRoot(graph: StateGraph): boolean {
  const { root } = graph;
  return root.kind === 'parallel' || root.transitions.some((t) => t.targets.length > 0);
}

/**
 * Whether `id` is `ancestorId` or lies somewhere inside it.
 *
 * @example
 * ```ts
 * isWithin(graph, 'light.red.walk', 'light.red'); // true
 * ```
 */
export function isWithin(graph: StateGraph, id: string, ancestorId: string): boolean {
  for (let current = graph.states.get(id); current; ) {
    if (current.id === ancestorId) return true;
    current = current.parentId === undefined ? undefined : graph.states.get(current.parentId);
  }
  return false;
}

/**
 * Whether a state is drawn as a container of other states: whether it has any (only compound
 * and parallel states do, and a parallel state without regions is drawn as a plain state).
 *
 * @example
 * ```ts
 * isContainer(graph.root); // true for any machine with states
 * ```
 */
export function isContainer(state: GraphState): boolean {
  return state.children.length > 0;
}
