/**
 * A fallback alone sends a call down the guarded path with every per-call policy off: no call
 * timeout, so `execute`'s `fn` gets the caller's own signal. And an `inspect` observer sees the
 * actor from the breaker's construction on, before any call.
 */
import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { simulated } from './helpers.js';

describe('a fallback with no per-call policy', () => {
  it("hands execute's fn the caller's signal itself", async () => {
    const { breaker } = simulated();
    const caller = new AbortController();
    const seen = await breaker.execute(({ signal }) => signal, {
      signal: caller.signal,
      fallback: () => undefined,
    });
    expect(seen).toBe(caller.signal);
  });
});

describe('an inspect observer', () => {
  it('sees the actor created and started at construction', () => {
    const events: InspectionEvent[] = [];
    simulated({ inspect: (event) => events.push(event) });
    expect(events.map((event) => event.type)).toContain('@xstate.actor');
  });
});
