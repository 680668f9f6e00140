/**
 * The runtime side of `prelude.d.ts`: the README test loads this (`node --import`) before each
 * runnable README block. Everything answers at once and offline; `fetch` too, so no snippet
 * reaches the network.
 */
import { createMachine } from 'xstate';

/** The built package, as a consumer installs it (imported by name, so it resolves there). */
const PACKAGE = 'xstate-circuit-breaker';
const { CircuitBreaker } = (await import(PACKAGE)) as typeof import('../../src/index.js');

class NotFoundError extends Error {}
class RateLimitedError extends Error {
  retryAfterMs = 1000;
}
const stored = new Map<string, string>();

Object.assign(globalThis, {
  fetchUser: async (id: number) => ({ id, name: `user ${id}` }),
  cachedUser: (id: number) => ({ id, name: `cached user ${id}` }),
  url: 'https://users.example/api',
  request: { signal: new AbortController().signal },
  prompt: 'Say hello',
  backend: {
    execute: async (text: string) => ({
      ok: true,
      inputTokens: text.length,
      outputTokens: 5,
      cost: 0.0001,
    }),
  },
  store: {
    get: async (key: string) => stored.get(key) ?? null,
    set: async (key: string, value: string) => {
      stored.set(key, value);
    },
  },
  breaker: new CircuitBreaker({ name: 'readme' }),
  paymentsBreaker: new CircuitBreaker({ name: 'payments' }),
  chargeCard: async (order: { amount: number }, signal: AbortSignal) => {
    signal.throwIfAborted();
    return { receipt: `charged ${order.amount}` };
  },
  NotFoundError,
  RateLimitedError,
  cachedValue: { cached: true },
  myMachine: createMachine({
    id: 'light',
    initial: 'green',
    states: { green: { on: { NEXT: 'red' } }, red: {} },
  }),
  fetch: async () => new Response('ok'),
});
