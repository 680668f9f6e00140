import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';
import { toDot } from '../diagram/dot.js';

/** What `@viz-js/viz` offers that the dashboard uses. */
export interface SvgRenderer {
  renderString(dot: string, options: { format: 'svg' }): string;
}

/** A drawn statechart: its key (a hash of its DOT source) and the post-processed SVG. */
export interface Chart {
  key: string;
  svg: string;
  /** `data-state-node` name of each state by its path (`automatic.open`). */
  names: ReadonlyMap<string, string>;
}

/** A state as the SVG is marked up with it. */
export interface MarkedState {
  /** The `data-state-node` name. */
  name: string;
  compound: boolean;
  /** Its name and the names of every state inside it. */
  within: string[];
  /** The machine's root node, not a state of it. */
  root: boolean;
}

interface StateNodeLike {
  id: string;
  key: string;
  path: readonly string[];
  states: Record<string, StateNodeLike>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code =
        entity[1] === 'x' || entity[1] === 'X'
          ? Number.parseInt(entity.slice(2), 16)
          : Number(entity.slice(1));
      return String.fromCodePoint(code);
    }
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

const escapeAttribute = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Every state node of `machine` with the name the page knows it by: its key when no other state
 * has that key (so a flat `breaker.state` such as `open` finds `automatic.open`), else its path.
 */
function stateNames(machine: AnyStateMachine): {
  byId: Map<string, MarkedState>;
  byPath: Map<string, string>;
} {
  const nodes: StateNodeLike[] = [];
  const visit = (node: StateNodeLike): void => {
    for (const child of Object.values(node.states)) {
      nodes.push(child);
      visit(child);
    }
  };
  visit(machine.root as unknown as StateNodeLike);
  const keyCount = new Map<string, number>();
  for (const node of nodes) keyCount.set(node.key, (keyCount.get(node.key) ?? 0) + 1);
  const byPath = new Map<string, string>();
  for (const node of nodes) {
    const path = node.path.join('.');
    byPath.set(path, keyCount.get(node.key) === 1 ? node.key : path);
  }
  const byId = new Map<string, MarkedState>();
  // The machine itself, drawn as a cluster when it has transitions of its own (such as the
  // breaker's manual controls): its edges stand for every state.
  const root = machine.root as unknown as StateNodeLike;
  byId.set(root.id, { name: root.key, compound: true, within: [...byPath.values()], root: true });
  for (const node of nodes) {
    const path = node.path.join('.');
    const within = [...byPath]
      .filter(([other]) => other === path || other.startsWith(`${path}.`))
      .map(([, name]) => name);
    byId.set(node.id, {
      name: byPath.get(path) ?? path,
      compound: Object.keys(node.states).length > 0,
      within,
      root: false,
    });
  }
  return { byId, byPath };
}

/**
 * Marks up Graphviz's SVG for the page: each state's group (`g.node`, or `g.cluster` for a
 * compound state) gets `data-state-node`, each edge `data-edge-from`/`data-edge-to`. Graphviz
 * names a group by the DOT node id in its `<title>`, which `toDot` makes the XState state id.
 * The prolog, fixed size and Graphviz's own element ids (which repeat across charts) are dropped.
 */
export function annotateSvg(svg: string, byId: ReadonlyMap<string, MarkedState>): string {
  const start = svg.indexOf('<svg');
  const body = (start < 0 ? svg : svg.slice(start))
    .replace(/<!--[\s\S]*?-->\n?/g, '')
    .replace(/<svg width="[^"]*" height="[^"]*"/, '<svg class="statechart"');
  const annotated = body.replace(
    /<g id="[^"]*" class="(node|cluster|edge)">\n?<title>([^<]*)<\/title>/g,
    (_whole, kind: string, rawTitle: string) => {
      const title = decodeXml(rawTitle);
      const open = `<g class="${kind}"`;
      const titled = (attributes: string) => `${open}${attributes}>\n<title>${rawTitle}</title>`;
      if (kind === 'cluster') {
        const state = byId.get(title.replace(/^cluster_/, ''));
        if (state === undefined) return titled('');
        const attribute = state.root ? 'data-machine' : 'data-state-node';
        return titled(` ${attribute}="${escapeAttribute(state.name)}"`);
      }
      if (kind === 'node') {
        const state = byId.get(title);
        if (state === undefined) return titled('');
        // A compound state's own node is the dot of its initial pseudo-state.
        const attribute = state.compound ? 'data-initial-of' : 'data-state-node';
        return titled(` ${attribute}="${escapeAttribute(state.name)}"`);
      }
      for (let at = title.indexOf('->'); at >= 0; at = title.indexOf('->', at + 1)) {
        const from = byId.get(title.slice(0, at));
        const to = byId.get(title.slice(at + 2));
        if (from && to) {
          // An edge drawn once from (or to) a compound state stands for each state inside it.
          const ends =
            ` data-edge-from="${escapeAttribute(from.name)}" data-edge-to="${escapeAttribute(to.name)}"` +
            ` data-edge-from-any="${escapeAttribute(from.within.join(' '))}"` +
            ` data-edge-to-any="${escapeAttribute(to.within.join(' '))}"`;
          return titled(ends);
        }
      }
      return titled('');
    },
  );
  return annotated.replace(/ id="(?:a_)?(?:graph|node|clust|edge)\d+(?:_[a-z]+)?"/g, '');
}

/**
 * Draws machines once per definition: charts are cached by their DOT source, so a breaker
 * machine with different `provide()`d implementations still shares one SVG.
 */
export class ChartCache {
  readonly #renderer: SvgRenderer;
  readonly #byDot = new Map<string, Chart>();
  readonly #byMachine = new WeakMap<AnyStateMachine, Chart | null>();

  constructor(renderer: SvgRenderer) {
    this.#renderer = renderer;
  }

  /** The chart of `machine`, or null when it cannot be drawn (the error is not the page's). */
  chartOf(machine: AnyStateMachine): Chart | null {
    const cached = this.#byMachine.get(machine);
    if (cached !== undefined) return cached;
    let chart: Chart | null = null;
    try {
      const dot = toDot(machine);
      chart = this.#byDot.get(dot) ?? null;
      if (chart === null) {
        const { byId, byPath } = stateNames(machine);
        const svg = annotateSvg(this.#renderer.renderString(dot, { format: 'svg' }), byId);
        const key = createHash('sha256').update(dot).digest('hex').slice(0, 16);
        chart = { key, svg, names: byPath };
        this.#byDot.set(dot, chart);
      }
    } catch {
      chart = null;
    }
    this.#byMachine.set(machine, chart);
    return chart;
  }

  /** Every chart drawn so far. */
  all(): IterableIterator<Chart> {
    return this.#byDot.values();
  }
}

/**
 * The names of the active atomic states of a machine snapshot's `value`, as `data-state-node`
 * carries them (`'green'`, `{ walk: 'slow' }` → the name of `walk.slow`).
 */
export function activeStateNames(value: unknown, names: ReadonlyMap<string, string>): string[] {
  const active: string[] = [];
  const visit = (node: unknown, prefix: string): void => {
    if (typeof node === 'string') {
      const path = prefix + node;
      active.push(names.get(path) ?? path);
    } else if (typeof node === 'object' && node !== null) {
      const entries = Object.entries(node);
      if (entries.length === 0 && prefix !== '') {
        const path = prefix.slice(0, -1);
        active.push(names.get(path) ?? path);
      }
      for (const [key, child] of entries) visit(child, `${prefix}${key}.`);
    }
  };
  visit(value, '');
  return active;
}
