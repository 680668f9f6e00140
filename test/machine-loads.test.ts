/**
 * The machine definition is valid: its module loads and XState builds the statechart from it.
 * The import happens inside the test on purpose. A definition XState rejects (a missing state,
 * an initial state that does not exist) then fails this test, where an import at the top would
 * only fail to load the file, which a mutation run cannot tell from a file with no tests.
 */
import { describe, expect, it } from 'vitest';

describe('the machine module', () => {
  it('loads, and XState builds its statechart with both regions', async () => {
    const { circuitBreakerMachine } = await import('../src/machine/index.js');
    const root = circuitBreakerMachine.root;
    expect(root.type).toBe('parallel');
    expect(Object.keys(root.states)).toEqual(['circuit', 'store']);
    expect(root.states.circuit?.initial.target.map((node) => node.id)).toEqual([
      'circuitBreaker.circuit.automatic',
    ]);
    expect(root.states.store?.initial.target.map((node) => node.id)).toEqual([
      'circuitBreaker.store.standalone',
    ]);
  });
});
