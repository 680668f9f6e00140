import { foldTree } from './fold';
import type { GraphAction, GraphGuard, GraphTransition, GraphTrigger } from './model';

/**
 * Options shared by the picture exporters (`toMermaid`, `toDot`).
 *
 * @example
 * ```ts
 * toMermaid(machine, { actions: true }); // FAILURE [tripped] / openCircuit
 * ```
 */
export interface DiagramOptions {
  /**
   * Append action names to transition labels (`EVENT [guard] / a, b`) and list
   * entry/exit actions on states. Off by default to keep diagrams compact.
   */
  readonly actions?: boolean;
}

/**
 * Formats a guard the way it is written with XState's helpers:
 * `name`, `not(name)`, `and(a, b)`, `or(a, b)`, `stateIn(#id)`, `inline`.
 *
 * @example
 * ```ts
 * guardLabel({ kind: 'not', guard: { kind: 'named', name: 'isLate' } }); // 'not(isLate)'
 * ```
 */
export function guardLabel(guard: GraphGuard): string {
  return foldTree(guard, guardParts, (node, parts: string[]) => {
    switch (node.kind) {
      case 'named':
        return node.name;
      case 'not': // one part, so the same form as and/or
      case 'and':
      case 'or':
        return `${node.kind}(${parts.join(', ')})`;
      case 'stateIn':
        return `stateIn(${node.state})`;
      case 'inline':
        return 'inline';
    }
  });
}

/** The guards directly inside `guard` (of `not`, `and`, `or`). */
export function guardParts(guard: GraphGuard): readonly GraphGuard[] {
  if (guard.kind === 'not') return [guard.guard];
  if (guard.kind === 'and' || guard.kind === 'or') return guard.guards;
  return [];
}

/**
 * Formats a delay: names stay as they are, numbers get a `ms` suffix.
 *
 * @example
 * ```ts
 * delayLabel(1000); // '1000ms'
 * delayLabel('resetTimeout'); // 'resetTimeout'
 * ```
 */
export function delayLabel(delay: string | number): string {
  return typeof delay === 'number' ? `${delay}ms` : delay;
}

/**
 * Formats what fires a transition: `EVENT`, `after(resetTimeout)`,
 * `after(1000ms)`, `always`, `onDone`, `onDone(actor)`, `onError(actor)`,
 * `onSnapshot(actor)`.
 *
 * @example
 * ```ts
 * triggerLabel({ kind: 'after', delay: 'resetTimeout' }); // 'after(resetTimeout)'
 * ```
 */
export function triggerLabel(trigger: GraphTrigger): string {
  switch (trigger.kind) {
    case 'event':
      return trigger.event;
    case 'after':
      return `after(${delayLabel(trigger.delay)})`;
    case 'always':
      return 'always';
    case 'done':
      return 'onDone';
    case 'invoke': {
      const outcome = trigger.outcome.charAt(0).toUpperCase() + trigger.outcome.slice(1);
      return `on${outcome}(${trigger.src})`;
    }
  }
}

/**
 * The full label of a transition: `TRIGGER [guard]`, optionally followed by
 * ` / action, action`.
 *
 * @example
 * ```ts
 * transitionLabel(transition); // 'FAILURE [failureThresholdReached]'
 * transitionLabel(transition, { actions: true }); // 'FAILURE [failureThresholdReached] / changeState'
 * ```
 */
export function transitionLabel(transition: GraphTransition, options: DiagramOptions = {}): string {
  let label = triggerLabel(transition.trigger);
  if (transition.guard) label += ` [${guardLabel(transition.guard)}]`;
  if (options.actions && transition.actions.length > 0) {
    label += ` / ${actionsLabel(transition.actions)}`;
  }
  return label;
}

/**
 * Action names, comma-separated (params are left out of pictures).
 *
 * @example
 * ```ts
 * actionsLabel([{ name: 'countFailure', params: { late: false } }, { name: 'inline' }]); // 'countFailure, inline'
 * ```
 */
export function actionsLabel(actions: readonly GraphAction[]): string {
  return actions.map((action) => action.name).join(', ');
}

/**
 * `entry / a, b` and `exit / c` lines for a state, when actions are shown.
 *
 * @example
 * ```ts
 * entryExitLabels({ entry: [{ name: 'load' }], exit: [] }, { actions: true }); // ['entry / load']
 * ```
 */
export function entryExitLabels(
  state: { readonly entry: readonly GraphAction[]; readonly exit: readonly GraphAction[] },
  options: DiagramOptions,
): string[] {
  if (!options.actions) return [];
  const lines: string[] = [];
  if (state.entry.length > 0) lines.push(`entry / ${actionsLabel(state.entry)}`);
  if (state.exit.length > 0) lines.push(`exit / ${actionsLabel(state.exit)}`);
  return lines;
}
