/**
 * Diagram exporters for XState v5 machines: Mermaid, Graphviz DOT, W3C SCXML
 * and Stately Studio code, all rendered from one neutral graph model.
 *
 * @example
 * ```ts
 * import { toDot, toMermaid, toScxml, toStatelyCode } from 'xstate-circuit-breaker/diagram';
 *
 * console.log(toMermaid(machine));
 * ```
 *
 * @module
 */
export { toDot } from './dot';
export { type DiagramOptions, guardLabel, transitionLabel } from './labels';
export { toMermaid } from './mermaid';
export type {
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
export { toScxml } from './scxml';
export { toStatelyCode } from './stately';
export { toStateGraph } from './walk';
