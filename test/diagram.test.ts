import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instance } from '@viz-js/viz';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as xstate from 'xstate';
import { type AnyStateMachine, createMachine } from 'xstate';
import {
  type GraphState,
  toDot,
  toMermaid,
  toScxml,
  toStateGraph,
  toStatelyCode,
} from '../src/diagram/index.js';
import {
  checkoutMachine,
  editorMachine,
  fixtureMachines,
  oddNamesMachine,
  trafficLightMachine,
} from './fixtures/machines.js';

const fixtures: Array<[string, AnyStateMachine]> = Object.entries(fixtureMachines);

/** Output lines without indentation. */
const lines = (text: string): string[] => text.split('\n').map((line) => line.trim());

/** The lines between `state <id> {` and its closing brace. */
function mermaidBlock(text: string, id: string): string[] {
  const all = text.split('\n');
  const start = all.findIndex((line) => line.trim() === `state ${id} {`);
  expect(start, `block state ${id} {`).toBeGreaterThan(-1);
  const indent = all[start]?.indexOf('state') ?? 0;
  const end = all.findIndex((line, i) => i > start && line === `${' '.repeat(indent)}}`);
  expect(end).toBeGreaterThan(start);
  return all.slice(start + 1, end).map((line) => line.trim());
}

describe('toStateGraph', () => {
  it('lists states in document order with their kinds and initial children', () => {
    const graph = toStateGraph(trafficLightMachine);
    expect([...graph.states.keys()]).toEqual([
      'light',
      'light.green',
      'light.yellow',
      'light.red',
      'light.red.walk',
      'light.red.wait',
      'light.red.stop',
      'light.broken',
      'light.retired',
    ]);
    expect(graph.root.initial).toBe('light.green');
    expect(graph.states.get('light.red')).toMatchObject({
      kind: 'compound',
      initial: 'light.red.walk',
      parentId: 'light',
      path: ['red'],
    });
    expect(graph.states.get('light.retired')?.kind).toBe('final');
  });

  it('classifies triggers: events, named and numeric delays, always, onDone and invoke', () => {
    const light = toStateGraph(trafficLightMachine);
    const green = light.states.get('light.green');
    expect(green?.transitions.map((t) => t.trigger)).toEqual([
      { kind: 'event', event: 'TIMER' },
      { kind: 'after', delay: 'greenTime' },
    ]);
    expect(green?.transitions[1]?.eventType).toBe('xstate.after.greenTime.light.green');
    // The timers XState adds to entry/exit for `after` are not user actions.
    expect(green?.entry).toEqual([]);
    expect(green?.exit).toEqual([]);
    expect(light.states.get('light.yellow')?.transitions[0]).toMatchObject({
      trigger: { kind: 'after', delay: 1000 },
      actions: [{ name: 'countCycle' }],
    });
    expect(light.states.get('light.red')?.transitions.at(-1)).toMatchObject({
      trigger: { kind: 'always' },
      eventType: undefined,
      guard: { kind: 'named', name: 'maxCyclesReached' },
      targets: ['light.retired'],
    });
    expect(light.states.get('light.red.stop')?.transitions[0]).toMatchObject({
      targets: ['light.red.stop'],
      reenter: true,
    });

    const checkout = toStateGraph(checkoutMachine);
    expect(checkout.states.get('pay-step')?.transitions).toMatchObject([
      { trigger: { kind: 'done' }, targets: ['checkout.complete'] },
    ]);
    expect(checkout.states.get('checkout.payment.authorising')).toMatchObject({
      invoke: [{ id: 'authorise', src: 'authorisePayment', explicitId: true }],
      transitions: [
        { trigger: { kind: 'invoke', outcome: 'done', invokeId: 'authorise' } },
        { trigger: { kind: 'invoke', outcome: 'error', src: 'authorisePayment' } },
      ],
    });
  });

  it('names guards structurally and inline implementations as "inline"', () => {
    const editor = toStateGraph(editorMachine);
    expect(editor.states.get('editor.bold.off')?.transitions[0]?.guard).toEqual({
      kind: 'and',
      guards: [
        { kind: 'named', name: 'canBold' },
        { kind: 'not', guard: { kind: 'named', name: 'isReadOnly' } },
      ],
    });
    expect(editor.states.get('editor.italic.off')?.transitions[0]?.guard).toEqual({
      kind: 'stateIn',
      state: '#editor.bold.on',
    });
    const cart = toStateGraph(checkoutMachine).states.get('checkout.cart');
    expect(cart?.entry).toEqual([{ name: 'loadCart' }]);
    expect(cart?.exit).toEqual([{ name: 'inline' }]);
    expect(cart?.transitions[0]).toMatchObject({
      targets: [],
      actions: [{ name: 'addItem' }, { name: 'inline' }],
    });
    expect(cart?.transitions[1]?.guard).toEqual({ kind: 'inline' });
    const complete = toStateGraph(checkoutMachine).states.get('checkout.complete');
    expect(complete?.invoke).toEqual([
      { id: '0.checkout.complete', src: 'inline', explicitId: false },
    ]);
  });

  it('keeps plain-data params and drops dynamic ones', () => {
    const machine = createMachine({
      id: 'p',
      initial: 'a',
      states: {
        a: {
          entry: [
            { type: 'track', params: { tags: ['x', 1, true, null] } },
            { type: 'dynamic', params: () => ({ at: Date.now() }) },
          ],
          on: { GO: { target: 'b', guard: { type: 'above', params: { min: 3 } } } },
        },
        b: {},
      },
    });
    const a = toStateGraph(machine).states.get('p.a');
    expect(a?.entry).toEqual([
      { name: 'track', params: { tags: ['x', 1, true, null] } },
      { name: 'dynamic' },
    ]);
    expect(a?.transitions[0]?.guard).toEqual({ kind: 'named', name: 'above', params: { min: 3 } });
  });

  it('reads history states and their default targets', () => {
    const hist = toStateGraph(checkoutMachine).states.get('checkout.payment.hist');
    expect(hist).toMatchObject({
      kind: 'history',
      history: 'deep',
      historyTargets: ['checkout.payment.card'],
    });
  });
});

describe('toMermaid', () => {
  it('draws nested states, initial and final pseudo-states', () => {
    const text = toMermaid(trafficLightMachine);
    expect(text.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    const all = lines(text);
    expect(all).toContain('[*] --> green');
    expect(all).toContain('retired --> [*]');
    expect(mermaidBlock(text, 'red')).toEqual([
      '[*] --> red_walk',
      'state "walk" as red_walk',
      'state "wait" as red_wait',
      'state "stop" as red_stop',
    ]);
  });

  it('labels guarded, delayed, eventless and self transitions', () => {
    const all = lines(toMermaid(trafficLightMachine));
    for (const edge of [
      'green --> yellow : TIMER [isNightMode]',
      'green --> yellow : after(greenTime)',
      'yellow --> red : after(1000ms)',
      'red --> green : TIMER',
      'red --> broken : POWER_OUT',
      'red --> retired : always [maxCyclesReached]',
      'red_walk --> red_wait : TIMER',
      'red_stop --> red_stop : TIMER',
      'red_stop --> red : RESTART',
      'broken --> green : FIX',
    ]) {
      expect(all).toContain(edge);
    }
    expect(all.filter((line) => line.includes('-->') && !line.includes('[*]'))).toHaveLength(11);
  });

  it('adds actions to labels only when asked', () => {
    expect(lines(toMermaid(trafficLightMachine))).not.toContain(
      'yellow --> red : after(1000ms) / countCycle',
    );
    const all = lines(toMermaid(trafficLightMachine, { actions: true }));
    expect(all).toContain('yellow --> red : after(1000ms) / countCycle');
    expect(all).toContain('red_stop --> red_stop : TIMER / logTick');
  });

  it('separates parallel regions with -- and boxes a root that has transitions', () => {
    const text = toMermaid(editorMachine);
    const all = lines(text);
    expect(all).toContain('[*] --> editor');
    const editor = mermaidBlock(text, 'editor');
    expect(editor.filter((line) => line === '--')).toHaveLength(2);
    expect(editor.indexOf('state bold {')).toBeLessThan(editor.indexOf('state italic {'));
    expect(mermaidBlock(text, 'saving')).toContain('saving_saved --> [*]');
    expect(all).toContain('editor --> bold_off : RESET');
    expect(all).toContain('bold_off --> bold_on : TOGGLE_BOLD [and(canBold, not(isReadOnly))]');
    expect(all).toContain('saving_idle --> saving_saved : SAVE [or(isDirty, not(isReadOnly))]');
    expect(all).toContain('italic_off --> italic_on : TOGGLE_ITALIC [stateIn(#35;editor.bold.on)]');
  });

  it('shows targetless transitions inside the state, history and invoke outcomes', () => {
    const text = toMermaid(checkoutMachine);
    const all = lines(text);
    expect(all).toContain('state "cart" as cart');
    expect(all).toContain('cart : ADD ITEM');
    expect(all).toContain('cart --> payment : CHECKOUT [inline]');
    expect(all).toContain('payment --> complete : onDone');
    expect(all).toContain('payment_authorising --> payment_approved : onDone(authorisePayment)');
    expect(all).toContain('payment_authorising --> payment_card : onError(authorisePayment)');
    expect(mermaidBlock(text, 'payment')).toContain('state "H*" as payment_hist');
    expect(all).toContain('payment_hist --> payment_card');
    const withActions = lines(toMermaid(checkoutMachine, { actions: true }));
    expect(withActions).toContain('cart : entry / loadCart');
    expect(withActions).toContain('cart : exit / inline');
    expect(withActions).toContain('cart : ADD ITEM / addItem, inline');
  });

  it('makes ids safe and escapes labels with Mermaid entity codes', () => {
    const all = lines(toMermaid(oddNamesMachine));
    expect(all).toContain('[*] --> s_state');
    expect(all).toContain('state "state" as s_state');
    expect(all).toContain('state "default" as s_default');
    expect(all).toContain('state "half-open" as half_open');
    expect(all).toContain('state "two words" as two_words');
    expect(all).toContain(
      's_state --> s_default : go#58; now#59; #35;1 #34;quoted#34; #123;x#125; #37;#37; #60;b#62;',
    );
    expect(all).toContain('s_state --> half_open : directio#110; LR');
    expect(all).toContain('s_end --> two_words : #60;#38;#62;');
    expect(all).toContain('half_open --> s_state : back\\slash');
  });

  it.each(fixtures)('writes only lines of the stateDiagram-v2 grammar (%s)', (_name, machine) => {
    const id = String.raw`(?!(?:state|note|class|classdef|scale|direction|end|as)\b)(?!default)[A-Za-z0-9_]+`;
    const label = '(?:[^:;#%"{}<>&\\n]|#\\d+;)+';
    const grammar = [
      /^stateDiagram-v2$/,
      /^$/,
      /^--$/,
      /^\}$/,
      new RegExp(`^\\[\\*\\] --> ${id}$`),
      new RegExp(`^${id} --> \\[\\*\\]$`),
      new RegExp(`^${id}$`),
      new RegExp(`^state "[^"]*" as ${id}$`),
      new RegExp(`^state ${id} \\{$`),
      new RegExp(`^${id} : ${label}$`),
      new RegExp(`^${id} --> ${id}( : ${label})?$`),
    ];
    for (const options of [{}, { actions: true }]) {
      const text = toMermaid(machine, options);
      for (const line of lines(text)) {
        expect(
          grammar.some((rule) => rule.test(line)),
          `unexpected line: ${line}`,
        ).toBe(true);
      }
      const opened = lines(text).filter((line) => line.endsWith('{')).length;
      expect(lines(text).filter((line) => line === '}')).toHaveLength(opened);
      // Every id used in an edge is declared as a state.
      const declared = new Set(
        lines(text).flatMap((line) => {
          const match = /^(?:state "[^"]*" as |state )?([A-Za-z0-9_]+)(?: \{)?$/.exec(line);
          return match?.[1] ? [match[1]] : [];
        }),
      );
      for (const line of lines(text)) {
        const edge = /^(\S+) --> (\S+)/.exec(line);
        for (const end of edge ? [edge[1], edge[2]] : []) {
          if (end !== '[*]') expect(declared, `${end} in ${line}`).toContain(end);
        }
      }
    }
  });
});

/** The decoded contents of every `<text>` element of an SVG. */
function svgTexts(svg: string): string[] {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, text = '']) =>
    text.replace(/&(#\d+|\w+);/g, (entity, code: string) =>
      code.startsWith('#') ? String.fromCharCode(Number(code.slice(1))) : (named[code] ?? entity),
    ),
  );
}

describe('toDot', () => {
  it('draws clusters, initial dots, final double circles and labelled edges', () => {
    const dot = toDot(trafficLightMachine);
    const all = lines(dot);
    expect(all[0]).toBe('digraph "light" {');
    expect(all).toContain('"__start__" -> "light.green";');
    expect(all).toContain('subgraph "cluster_light.red" {');
    expect(all).toContain('"light.red" -> "light.red.walk";');
    expect(all).toContain('"light.retired" [label="retired", shape=doublecircle];');
    expect(all).toContain('"light.green" -> "light.yellow" [label="TIMER [isNightMode]"];');
    expect(all).toContain('"light.green" -> "light.yellow" [label="after(greenTime)"];');
    expect(all).toContain(
      '"light.yellow" -> "light.red" [label="after(1000ms)", lhead="cluster_light.red"];',
    );
    expect(all).toContain(
      '"light.red" -> "light.retired" [label="always [maxCyclesReached]", style=dashed, ltail="cluster_light.red"];',
    );
    expect(all).toContain('"light.red.stop" -> "light.red.stop" [label="TIMER"];');
    // The cluster contains the tail, so the edge is not clipped at its border.
    expect(all).toContain('"light.red.stop" -> "light.red" [label="RESTART"];');
  });

  it('does not clip an edge at a cluster that contains its other end', () => {
    const all = lines(toDot(editorMachine));
    expect(all).toContain('subgraph "cluster_editor" {');
    expect(all).toContain('"editor" -> "editor.bold.off" [label="RESET"];');
    expect(all).toContain(
      '"editor.bold.off" -> "editor.bold.on" [label="TOGGLE_BOLD [and(canBold, not(isReadOnly))]"];',
    );
  });

  it('lists targetless transitions in the state box and draws history states', () => {
    const all = lines(toDot(checkoutMachine));
    const cart = all.find((line) => line.startsWith('"checkout.cart" ['));
    expect(cart).toContain('<b>cart</b>');
    expect(cart).toContain('<font point-size="10">ADD ITEM</font>');
    expect(all).toContain('"checkout.payment.hist" [label="H*", shape=circle];');
    expect(all).toContain('"checkout.payment.hist" -> "checkout.payment.card" [style=dashed];');
    expect(all).toContain('tooltip="Collects <card> & \\"billing\\" details";');
  });

  it('quotes ids and labels', () => {
    const all = lines(toDot(oddNamesMachine));
    expect(all[0]).toBe('digraph "odd machine" {');
    expect(all).toContain('"odd machine.two words" [label="two words", shape=doublecircle];');
    expect(all).toContain(
      '"odd machine.state" -> "odd machine.default" [label="go: now; #1 \\"quoted\\" {x} %% <b>"];',
    );
    expect(all).toContain(
      '"odd machine.half-open" -> "odd machine.state" [label="back\\\\slash"];',
    );
  });

  it.each(fixtures)(
    'renders to SVG with Graphviz, naming every state (%s)',
    async (_n, machine) => {
      const viz = await instance();
      for (const options of [{}, { actions: true }]) {
        const result = viz.render(toDot(machine, options), { format: 'svg' });
        expect(result.errors).toEqual([]);
        expect(result.status).toBe('success');
        const svg = result.output ?? '';
        expect(svg).toContain('<svg');
        const texts = svgTexts(svg);
        const graph = toStateGraph(machine);
        for (const state of graph.states.values()) {
          if (state === graph.root && graph.root.kind !== 'parallel') continue;
          const text =
            state.kind === 'history' ? (state.history === 'deep' ? 'H*' : 'H') : state.key;
          expect(texts, `${state.id} is drawn`).toContain(text);
        }
      }
    },
  );
});

/** An element as fast-xml-parser returns it with `preserveOrder: true`. */
interface OrderedElement {
  readonly tag: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly OrderedElement[];
}

/** Parses XML into elements in document order (text nodes are dropped). */
function parseOrdered(xml: string): OrderedElement[] {
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
  });
  const convert = (nodes: unknown): OrderedElement[] =>
    (Array.isArray(nodes) ? nodes : []).flatMap((node: Record<string, unknown>) => {
      const tag = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
      if (tag === undefined || tag.startsWith('?')) return [];
      const attributes = (node[':@'] ?? {}) as Record<string, string>;
      return [{ tag, attributes, children: convert(node[tag]) }];
    });
  return convert(parser.parse(xml));
}

const STATE_TAGS = new Set(['state', 'parallel', 'final', 'history']);

/** Every state-like element and every transition, in document order. */
function collectScxml(elements: readonly OrderedElement[]) {
  const states: OrderedElement[] = [];
  const transitions: OrderedElement[] = [];
  const visit = (element: OrderedElement): void => {
    if (STATE_TAGS.has(element.tag)) states.push(element);
    if (element.tag === 'transition') transitions.push(element);
    for (const child of element.children) visit(child);
  };
  for (const element of elements) visit(element);
  return { states, transitions };
}

describe('toScxml', () => {
  it.each(fixtures)('is well-formed XML (%s)', (_name, machine) => {
    expect(XMLValidator.validate(toScxml(machine))).toBe(true);
  });

  it.each(fixtures.filter(([name]) => name !== 'oddNames'))(
    'contains every state id, transition event and target (%s)',
    (_name, machine) => {
      const [scxml, ...rest] = parseOrdered(toScxml(machine));
      expect(rest).toEqual([]);
      expect(scxml?.tag).toBe('scxml');
      expect(scxml?.attributes.xmlns).toBe('http://www.w3.org/2005/07/scxml');
      expect(scxml?.attributes.version).toBe('1.0');
      const { states, transitions } = collectScxml(scxml ? [scxml] : []);
      const graph = toStateGraph(machine);
      expect(states.map((s) => s.attributes.id)).toEqual([...graph.states.keys()]);
      expect(states.map((s) => s.tag)).toEqual(
        [...graph.states.values()].map((s) =>
          s.kind === 'atomic' || s.kind === 'compound' ? 'state' : s.kind,
        ),
      );
      const expected = [...graph.states.values()].flatMap((state: GraphState) => [
        ...(state.historyTargets.length > 0
          ? [{ event: undefined, target: state.historyTargets.join(' ') }]
          : []),
        ...state.transitions.map((t) => ({
          event: t.eventType?.replace(/\s+/g, '_'),
          target: t.targets.length > 0 ? t.targets.join(' ') : undefined,
        })),
      ]);
      const actual = transitions.map((t) => ({
        event: t.attributes.event,
        target: t.attributes.target,
      }));
      expect(actual).toEqual(expected);
    },
  );

  it('maps kinds to elements and after/always/guards to SCXML', () => {
    const xml = toScxml(trafficLightMachine);
    const all = lines(xml);
    expect(all[0]).toBe('<?xml version="1.0" encoding="UTF-8"?>');
    expect(all).toContain('<state id="light" initial="light.green">');
    expect(all).toContain('<state id="light.red" initial="light.red.walk">');
    expect(all).toContain('<final id="light.retired"/>');
    expect(all).toContain(
      '<send id="xstate.after.greenTime.light.green" event="xstate.after.greenTime.light.green" delayexpr="greenTime"/>',
    );
    expect(all).toContain('<cancel sendid="xstate.after.greenTime.light.green"/>');
    expect(all).toContain(
      '<send id="xstate.after.1000.light.yellow" event="xstate.after.1000.light.yellow" delay="1000ms"/>',
    );
    expect(all).toContain('<transition cond="maxCyclesReached" target="light.retired"/>');
    expect(all).toContain('<transition event="TIMER" cond="isNightMode" target="light.yellow"/>');
    expect(all).toContain('<xstate:action name="countCycle"/>');
    expect(all).toContain('<transition event="TIMER" target="light.red.stop">');

    const editor = lines(toScxml(editorMachine));
    expect(editor).toContain('<parallel id="editor">');
    expect(editor).toContain(
      '<transition event="RESET" target="editor.bold.off" type="internal"/>',
    );
    expect(editor).toContain(
      '<transition event="TOGGLE_BOLD" cond="and(canBold, not(isReadOnly))" target="editor.bold.on"/>',
    );

    const checkout = lines(toScxml(checkoutMachine));
    expect(checkout).toContain('<history id="checkout.payment.hist" type="deep">');
    expect(checkout).toContain('<invoke id="authorise" src="authorisePayment"/>');
    expect(checkout).toContain(
      '<transition event="xstate.done.state.pay-step" target="checkout.complete"/>',
    );
    expect(checkout).toContain('<final id="checkout.complete"/>');
  });

  it('escapes XML and makes ids and event names valid', () => {
    const xml = toScxml(oddNamesMachine);
    const all = lines(xml);
    expect(all).toContain('<final id="odd_machine.two_words"/>');
    expect(all).toContain(
      '<transition event="go:_now;_#1_&quot;quoted&quot;_{x}_%%_&lt;b&gt;" target="odd_machine.default"/>',
    );
    const { states, transitions } = collectScxml(parseOrdered(xml));
    expect(states).toHaveLength(7);
    for (const state of states) expect(state.attributes.id).toMatch(/^[A-Za-z_][\w.-]*$/);
    expect(all).toContain('<transition event="&lt;&amp;&gt;" target="odd_machine.two_words"/>');
    // The parser decodes the entities back to the original event name.
    expect(transitions.map((t) => t.attributes.event)).toContain('<&>');
    expect(transitions.map((t) => t.attributes.event)).toContain("it's");
  });

  it('writes plain-data params as JSON', () => {
    const machine = createMachine({
      id: 'p',
      initial: 'a',
      states: { a: { entry: { type: 'track', params: { to: 'b' } } } },
    });
    expect(lines(toScxml(machine))).toContain(
      '<xstate:action name="track" params="{&quot;to&quot;:&quot;b&quot;}"/>',
    );
  });
});

/** Transpiles generated Stately code and evaluates it with the real `xstate`. */
function evaluateStately(code: string): AnyStateMachine {
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const exports: { machine?: AnyStateMachine } = {};
  const require = (id: string): unknown => {
    if (id !== 'xstate') throw new Error(`unexpected import ${id}`);
    return xstate;
  };
  new Function('require', 'exports', js)(require, exports);
  if (!exports.machine) throw new Error('no machine exported');
  return exports.machine;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Type-checks in-memory files as if they were in test/ (so `xstate` resolves). */
function typecheck(files: Record<string, string>): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    types: [],
  };
  const virtual = new Map(Object.entries(files).map(([name, text]) => [join(here, name), text]));
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (name) => virtual.has(name) || fileExists.call(host, name);
  host.readFile = (name) => virtual.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, version, ...rest) => {
    const text = virtual.get(name);
    return text === undefined
      ? getSourceFile.call(host, name, version, ...rest)
      : ts.createSourceFile(name, text, version);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file
      ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('toStatelyCode', () => {
  it('writes a createMachine module with delays, guards, always and final states', () => {
    const code = toStatelyCode(trafficLightMachine);
    expect(code.startsWith("import { createMachine } from 'xstate';\n\n")).toBe(true);
    expect(code).toContain('export const machine = createMachine({\n');
    expect(code.endsWith('});\n')).toBe(true);
    const all = lines(code);
    expect(all).toContain("id: 'light',");
    expect(all).toContain("initial: 'green',");
    expect(all).toContain("on: { TIMER: { target: 'yellow', guard: 'isNightMode' } },");
    expect(all).toContain("after: { greenTime: 'yellow' },");
    expect(all).toContain("yellow: { after: { 1000: { target: 'red', actions: 'countCycle' } } },");
    expect(all).toContain("on: { TIMER: 'green', POWER_OUT: 'broken' },");
    expect(all).toContain("always: { target: 'retired', guard: 'maxCyclesReached' },");
    expect(all).toContain("TIMER: { target: 'stop', actions: 'logTick', reenter: true },");
    expect(all).toContain("RESTART: '#light.red',");
    expect(all).toContain("retired: { type: 'final' },");
  });

  it('imports the guard helpers it uses and keeps parallel states', () => {
    const code = toStatelyCode(editorMachine);
    expect(code.startsWith("import { and, createMachine, not, or, stateIn } from 'xstate';")).toBe(
      true,
    );
    const all = lines(code);
    expect(all).toContain("type: 'parallel',");
    expect(all).toContain("on: { RESET: '.bold.off' },");
    expect(all).toContain(
      "off: { on: { TOGGLE_BOLD: { target: 'on', guard: and(['canBold', not('isReadOnly')]) } } },",
    );
    expect(all).toContain(
      "off: { on: { TOGGLE_ITALIC: { target: 'on', guard: stateIn('#editor.bold.on') } } },",
    );
  });

  it('keeps ids, invokes, history, onDone, entry/exit and descriptions', () => {
    const all = lines(toStatelyCode(checkoutMachine));
    expect(all).toContain("id: 'pay-step',");
    expect(all).toContain('description: \'Collects <card> & "billing" details\',');
    expect(all).toContain("onDone: 'complete',");
    expect(all).toContain("CHECKOUT: { target: '#pay-step', guard: 'inline' },");
    expect(all).toContain(
      "card: { on: { 'payment.submit': 'authorising', BACK: '#checkout.cart' } },",
    );
    expect(all).toContain("complete: { type: 'final', invoke: { src: 'inline' } },");
    expect(all).toContain("hist: { type: 'history', history: 'deep', target: 'card' },");
    expect(all).toContain("id: 'authorise',");
    expect(all).toContain("src: 'authorisePayment',");
    expect(all).toContain("onError: { target: 'card', actions: 'showError' },");
    expect(all).toContain("entry: 'loadCart',");
    expect(all).toContain("'ADD ITEM': { actions: ['addItem', 'inline'] },");
  });

  it('quotes keys and strings that are not plain identifiers', () => {
    const all = lines(toStatelyCode(oddNamesMachine));
    expect(all).toContain("id: 'odd machine',");
    expect(all).toContain("'half-open': { on: { 'back\\\\slash': 'state' } },");
    expect(all).toContain(`note: { on: { NEXT: 'end', "it's": 'two words' } },`);
    expect(all).toContain("'two words': { type: 'final' },");
  });

  it.each(fixtures)('recreates the same statechart when evaluated (%s)', (_name, machine) => {
    const code = toStatelyCode(machine);
    const copy = evaluateStately(code);
    expect(toMermaid(copy, { actions: true })).toBe(toMermaid(machine, { actions: true }));
    expect(toDot(copy, { actions: true })).toBe(toDot(machine, { actions: true }));
    expect(toScxml(copy)).toBe(toScxml(machine));
    expect(toStatelyCode(copy)).toBe(code);
  });

  it('produces code that type-checks under strict TypeScript', () => {
    const files = Object.fromEntries(
      fixtures.map(([name, machine]) => [`__${name}.stately.ts`, toStatelyCode(machine)]),
    );
    expect(typecheck(files)).toEqual([]);
  });
});

describe('determinism', () => {
  it.each(fixtures)(
    'gives identical output for repeated calls and rebuilt machines (%s)',
    (_n, m) => {
      const rebuilt = createMachine(m.config);
      for (const render of [toMermaid, toDot, toScxml, toStatelyCode]) {
        const first = render(m);
        expect(render(m)).toBe(first);
        expect(render(rebuilt)).toBe(first);
      }
    },
  );
});
