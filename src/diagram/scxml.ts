import type { AnyStateMachine } from 'xstate';
import { IdAllocator } from './ids';
import { guardLabel } from './labels';
import type { GraphAction, GraphState, GraphTransition, StateGraph } from './model';
import { just, runSteps, type Step } from './steps';
import { isWithin } from './structure';
import { toStateGraph } from './walk';

const INDENT = '  ';
const SCXML_NS = 'http://www.w3.org/2005/07/scxml';
/** Namespace of the `<xstate:action name="..."/>` elements that stand for named actions. */
const XSTATE_SCXML_NS = 'urn:xstate-circuit-breaker:scxml';

/** Escapes text for an XML attribute value or element content. */
function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#9;');
}

/**
 * An SCXML state id must be an XML ID (an NCName): XState ids are kept as they
 * are when valid (`breaker.open`), otherwise other characters become `_`.
 */
function scxmlId(raw: string): string {
  const body = raw.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^[A-Za-z_]/.test(body) ? body : `_${body}`;
}

/** Comment text: no `--` inside, and no `-` right before the closing `-->`. */
const commentText = (text: string): string =>
  text
    .replace(/\r?\n/g, ' ')
    .replace(/-(?=-)/g, '- ')
    .replace(/-$/, '- ');

/** SCXML event descriptors are whitespace-separated lists, so a name has no spaces. */
const scxmlEvent = (event: string): string => event.replace(/\s+/g, '_');

type Attrs = ReadonlyArray<readonly [string, string | undefined]>;

const attrs = (list: Attrs): string =>
  list
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeXml(value)}"`)
    .join('');

class ScxmlWriter {
  readonly #lines: string[] = [];
  readonly #ids = new IdAllocator(scxmlId);
  readonly #graph: StateGraph;

  constructor(graph: StateGraph) {
    this.#graph = graph;
    for (const id of graph.states.keys()) this.#ids.get(id);
  }

  #line(depth: number, text: string): void {
    this.#lines.push(INDENT.repeat(depth) + text);
  }

  #id(stateId: string): string {
    return this.#ids.get(stateId);
  }

  /** `<send>` ids are XML IDs too, so they share the state ids' namespace. */
  #sendId(event: string): string {
    return this.#ids.get(`send:${event}`, event);
  }

  render(): string {
    const { root } = this.#graph;
    this.#line(0, '<?xml version="1.0" encoding="UTF-8"?>');
    this.#line(
      0,
      `<scxml${attrs([
        ['xmlns', SCXML_NS],
        ['xmlns:xstate', XSTATE_SCXML_NS],
        ['version', '1.0'],
        ['name', this.#graph.id],
        ['initial', this.#id(root.id)],
      ])}>`,
    );
    runSteps([() => this.#state(root, 1)]);
    this.#line(0, '</scxml>');
    return `${this.#lines.join('\n')}\n`;
  }

  /** Writes a state's element; its children and closing tag come back as steps (`runSteps`). */
  #state(state: GraphState, depth: number): readonly Step[] | undefined {
    const id = this.#id(state.id);
    if (state.kind === 'history') {
      this.#line(
        depth,
        `<history${attrs([
          ['id', id],
          ['type', state.history ?? 'shallow'],
        ])}>`,
      );
      if (state.historyTargets.length > 0) {
        const target = state.historyTargets.map((t) => this.#id(t)).join(' ');
        this.#line(depth + 1, `<transition${attrs([['target', target]])}/>`);
      }
      this.#line(depth, '</history>');
      return undefined;
    }
    const element =
      state.kind === 'parallel' ? 'parallel' : state.kind === 'final' ? 'final' : 'state';
    const initial = state.initial === undefined ? undefined : this.#id(state.initial);
    const head = `<${element}${attrs([
      ['id', id],
      ['initial', initial],
    ])}`;
    const body = this.#body(state, depth + 1);
    if (body.length === 0 && state.children.length === 0) {
      this.#line(depth, `${head}/>`);
      return undefined;
    }
    this.#line(depth, `${head}>`);
    this.#lines.push(...body);
    return [
      ...state.children.map((child) => () => this.#state(child, depth + 1)),
      just(() => this.#line(depth, `</${element}>`)),
    ];
  }

  /** Writes everything inside a state element but its children, then takes those lines back out. */
  #body(state: GraphState, depth: number): string[] {
    const start = this.#lines.length;
    if (state.description !== undefined)
      this.#line(depth, `<!-- ${commentText(state.description)} -->`);
    // XState starts a timer for each `after` delay on entry and cancels it on exit.
    const timers = state.transitions.flatMap((t) =>
      t.trigger.kind === 'after' && t.eventType !== undefined
        ? [{ event: t.eventType, delay: t.trigger.delay }]
        : [],
    );
    const uniqueTimers = [...new Map(timers.map((t) => [t.event, t])).values()];
    if (state.entry.length > 0 || uniqueTimers.length > 0) {
      this.#line(depth, '<onentry>');
      this.#actions(state.entry, depth + 1);
      for (const timer of uniqueTimers) {
        const delay: Attrs =
          typeof timer.delay === 'number'
            ? [['delay', `${timer.delay}ms`]]
            : [['delayexpr', timer.delay]];
        this.#line(
          depth + 1,
          `<send${attrs([['id', this.#sendId(timer.event)], ['event', scxmlEvent(timer.event)], ...delay])}/>`,
        );
      }
      this.#line(depth, '</onentry>');
    }
    if (state.exit.length > 0 || uniqueTimers.length > 0) {
      this.#line(depth, '<onexit>');
      this.#actions(state.exit, depth + 1);
      for (const timer of uniqueTimers) {
        this.#line(depth + 1, `<cancel${attrs([['sendid', this.#sendId(timer.event)]])}/>`);
      }
      this.#line(depth, '</onexit>');
    }
    // <final> cannot hold <invoke> in SCXML.
    for (const invoke of state.kind === 'final' ? [] : state.invoke) {
      const id = this.#ids.get(`invoke:${invoke.id}`, invoke.id);
      this.#line(
        depth,
        `<invoke${attrs([
          ['id', id],
          ['src', invoke.src],
        ])}/>`,
      );
    }
    for (const transition of state.transitions) this.#transition(transition, depth);
    return this.#lines.splice(start);
  }

  #actions(actions: readonly GraphAction[], depth: number): void {
    for (const action of actions) {
      const params = action.params === undefined ? undefined : JSON.stringify(action.params);
      this.#line(
        depth,
        `<xstate:action${attrs([
          ['name', action.name],
          ['params', params],
        ])}/>`,
      );
    }
  }

  #transition(transition: GraphTransition, depth: number): void {
    const targets = transition.targets;
    // XState v5 does not exit the source for a transition to itself or a
    // descendant unless `reenter: true`: that is SCXML's type="internal".
    const internal =
      targets.length > 0 &&
      !transition.reenter &&
      targets.every((t) => isWithin(this.#graph, t, transition.source));
    const head = `<transition${attrs([
      ['event', transition.eventType === undefined ? undefined : scxmlEvent(transition.eventType)],
      ['cond', transition.guard ? guardLabel(transition.guard) : undefined],
      ['target', targets.length > 0 ? targets.map((t) => this.#id(t)).join(' ') : undefined],
      ['type', internal ? 'internal' : undefined],
    ])}`;
    if (transition.actions.length === 0) {
      this.#line(depth, `${head}/>`);
      return;
    }
    this.#line(depth, `${head}>`);
    this.#actions(transition.actions, depth + 1);
    this.#line(depth, '</transition>');
  }
}

/**
 * Renders an XState v5 machine as a W3C SCXML document
 * (`xmlns="http://www.w3.org/2005/07/scxml"`, `version="1.0"`).
 *
 * - The machine's root state is the single top-level `<state>` / `<parallel>`
 *   (its id is the machine id); final states are `<final>`, history states
 *   `<history type="shallow|deep">`, compound states carry `initial`.
 * - State ids are the XState ids (`breaker.open`), made XML-safe if needed.
 * - Events keep XState's runtime names; an `after` transition listens for the
 *   `xstate.after.<delay>.<stateId>` event that an `<onentry><send delay…>`
 *   schedules (`delayexpr` for a named delay) and `<onexit><cancel>` cancels.
 * - `always` transitions have no `event`; guards become `cond` (`not(x)`,
 *   `and(a, b)`, ...); named actions become `<xstate:action name="..."/>`.
 *
 * @param machine Any XState v5 machine.
 * @returns An XML document, ending with a newline.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { toScxml } from 'xstate-circuit-breaker/diagram';
 *
 * writeFileSync('machine.scxml', toScxml(machine));
 * ```
 */
export function toScxml(machine: AnyStateMachine): string {
  return new ScxmlWriter(toStateGraph(machine)).render();
}
