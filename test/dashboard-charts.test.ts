import { instance } from '@viz-js/viz';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { activeStateNames, annotateSvg, ChartCache } from '../src/dashboard/charts.js';
import { toPlain } from '../src/dashboard/inspector.js';
import { circuitBreakerMachine } from '../src/index.js';

const viz = await instance();

/** A machine shaped like the breaker with its automatic states grouped in a compound state. */
const grouped = createMachine({
  id: 'grouped',
  initial: 'automatic',
  states: {
    automatic: {
      initial: 'closed',
      states: {
        closed: { on: { TRIP: 'open' } },
        open: { on: { WAIT: 'halfOpen' } },
        halfOpen: { on: { PROBE: 'closed' } },
      },
      on: { FORCE_OPEN: 'forcedOpen' },
    },
    forcedOpen: { on: { FORCE_CLOSE: '#grouped.automatic.closed' } },
  },
});

describe('breaker and actor charts', () => {
  it('marks every state of the breaker machine by its flat name, and its edges', () => {
    const chart = new ChartCache(viz).chartOf(circuitBreakerMachine);
    expect(chart).not.toBeNull();
    const svg = chart?.svg ?? '';
    expect(svg.startsWith('<svg class="statechart"')).toBe(true);
    expect(svg).not.toContain('<?xml');
    expect(svg).not.toMatch(/<g id="/);
    const nodes = [...svg.matchAll(/data-state-node="([^"]+)"/g)].map((m) => m[1]);
    expect(nodes.sort()).toEqual([
      'automatic',
      'circuit',
      'closed',
      'connected',
      'degraded',
      'disabled',
      'forcedOpen',
      'halfOpen',
      'open',
      'standalone',
      'store',
    ]);
    // Every flat `breaker.state` finds its node.
    for (const state of ['closed', 'open', 'halfOpen', 'forcedOpen', 'disabled']) {
      expect(svg).toMatch(new RegExp(`<g class="node" data-state-node="${state}">`));
    }
    expect(svg).toContain('data-edge-from="closed" data-edge-to="open"');
    expect(svg).toContain('data-edge-from="halfOpen" data-edge-to="closed"');
    // The manual controls are the circuit region's own transitions, drawn once from its cluster.
    expect(svg).toContain('<g class="cluster" data-machine="circuitBreaker">');
    expect(svg).toContain('<g class="cluster" data-state-node="circuit">');
    expect(svg).toMatch(
      /data-edge-from="circuit" data-edge-to="forcedOpen" data-edge-from-any="circuit automatic closed open halfOpen forcedOpen disabled"/,
    );
    // The store region beside it, with its own edges.
    expect(svg).toContain('<g class="cluster" data-state-node="store">');
    expect(svg).toContain('data-edge-from="degraded" data-edge-to="connected"');
  });

  it('maps flat names into a compound state: clusters and nested nodes', () => {
    const chart = new ChartCache(viz).chartOf(grouped);
    const svg = chart?.svg ?? '';
    expect(svg).toMatch(/<g class="cluster" data-state-node="automatic">/);
    expect(svg).toMatch(/<g class="node" data-initial-of="automatic">/);
    for (const name of ['closed', 'open', 'halfOpen', 'forcedOpen']) {
      expect(svg).toMatch(new RegExp(`<g class="node" data-state-node="${name}">`));
    }
    expect(svg).toContain('data-edge-from="forcedOpen" data-edge-to="closed"');
    expect(svg).toContain(
      'data-edge-from="automatic" data-edge-to="forcedOpen" ' +
        'data-edge-from-any="automatic closed open halfOpen" data-edge-to-any="forcedOpen"',
    );
    expect(chart?.names.get('automatic.open')).toBe('open');
  });

  it('names states by path where keys repeat, and escapes names', () => {
    const machine = createMachine({
      id: 'm',
      initial: 'a',
      states: {
        a: { initial: 'idle', states: { idle: { on: { GO: '#m.b.idle' } } } },
        b: { initial: 'idle', states: { idle: {}, 'say "hi" & <go>': {} } },
      },
    });
    const chart = new ChartCache(viz).chartOf(machine);
    expect(chart?.svg).toContain('data-state-node="a.idle"');
    expect(chart?.svg).toContain('data-state-node="b.idle"');
    expect(chart?.svg).toContain('data-state-node="say &quot;hi&quot; &amp; &lt;go&gt;"');
    expect(chart?.svg).toContain('data-edge-from="a.idle" data-edge-to="b.idle"');
  });

  it('draws each definition once', () => {
    let renders = 0;
    const cache = new ChartCache({
      renderString: (dot, options) => {
        renders += 1;
        return viz.renderString(dot, options);
      },
    });
    const first = cache.chartOf(circuitBreakerMachine);
    expect(cache.chartOf(circuitBreakerMachine)).toBe(first);
    expect(cache.chartOf(circuitBreakerMachine.provide({}))).toBe(first);
    expect(renders).toBe(1);
    expect([...cache.all()]).toEqual([first]);
  });

  it('a machine that cannot be drawn has no chart, and does not throw', () => {
    const cache = new ChartCache({
      renderString: () => {
        throw new Error('no layout');
      },
    });
    expect(cache.chartOf(grouped)).toBeNull();
    expect(cache.chartOf(grouped)).toBeNull();
  });

  it('leaves groups it cannot map unmarked', () => {
    const svg = annotateSvg(
      '<svg width="1pt" height="1pt" viewBox="0 0 1 1">\n' +
        '<g id="node1" class="node">\n<title>stranger</title>\n</g>\n' +
        '<g id="clust1" class="cluster">\n<title>cluster_nobody</title>\n</g>\n' +
        '<g id="edge1" class="edge">\n<title>a&#45;&gt;b&#x41;&unknown;</title>\n</g>\n</svg>',
      new Map(),
    );
    expect(svg).toBe(
      '<svg class="statechart" viewBox="0 0 1 1">\n' +
        '<g class="node">\n<title>stranger</title>\n</g>\n' +
        '<g class="cluster">\n<title>cluster_nobody</title>\n</g>\n' +
        '<g class="edge">\n<title>a&#45;&gt;b&#x41;&unknown;</title>\n</g>\n</svg>',
    );
  });

  it('finds the active atomic states of a snapshot value', () => {
    const names = new Map([
      ['automatic', 'automatic'],
      ['automatic.open', 'open'],
    ]);
    expect(activeStateNames('automatic', names)).toEqual(['automatic']);
    expect(activeStateNames({ automatic: 'open' }, names)).toEqual(['open']);
    expect(activeStateNames({ walk: { slow: {} }, talk: 'loud' }, names)).toEqual([
      'walk.slow',
      'talk.loud',
    ]);
    expect(activeStateNames(null, names)).toEqual([]);
    expect(activeStateNames({}, names)).toEqual([]);
  });
});

describe('contexts on the page', () => {
  it('turns any context into bounded plain JSON', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const fakeRef = { sessionId: 'x:3', send: () => undefined };
    const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    expect(
      toPlain({
        cyclic,
        ref: fakeRef,
        error: new RangeError('bad'),
        big: 10n,
        fn: () => 1,
        named: function named() {},
        missing: undefined,
        symbol: Symbol('s'),
        long: 'x'.repeat(600),
        list: Array.from({ length: 150 }, (_, i) => i),
        deep,
        shared: [fakeRef, fakeRef],
      }),
    ).toEqual({
      cyclic: { name: 'loop', self: '[circular]' },
      ref: '[actor x:3]',
      error: '[RangeError: bad]',
      big: '10n',
      fn: '[function fn]',
      named: '[function named]',
      missing: 'undefined',
      symbol: 'Symbol(s)',
      long: `${'x'.repeat(500)}…`,
      list: Array.from({ length: 100 }, (_, i) => i),
      deep: { a: { b: { c: { d: '[…]' } } } },
      shared: ['[actor x:3]', '[actor x:3]'],
    });
    expect(toPlain(null)).toBeNull();
    expect(toPlain(true)).toBe(true);
  });
});
