/**
 * The fakes README snippets lean on, as globals: the README test type-checks every ```ts block of
 * README.md against the built package with this file, and `prelude.ts` beside it gives them their
 * runtime values. Snippets stay self-contained and short; what they call lives here, not in the
 * README. (Left out of the repository's own type-check: it imports the built package.)
 */
import type { AnyStateMachine } from 'xstate';
import type { CircuitBreaker } from 'xstate-circuit-breaker';

declare global {
  interface User {
    id: number;
    name: string;
  }
  interface BackendResult {
    ok: boolean;
    error?: Error;
    inputTokens: number;
    outputTokens: number;
    cost: number;
  }
  function fetchUser(id: number): Promise<User>;
  function cachedUser(id: number): User;
  const url: string;
  const request: { signal: AbortSignal };
  const prompt: string;
  const backend: { execute(prompt: string): Promise<BackendResult> };
  /** A key-value store that answers `null` for a key never set (Redis `GET`, `localStorage`). */
  const store: {
    get(key: string): Promise<string | null>;
    set(key: string, value: string): Promise<void>;
  };
  const breaker: CircuitBreaker;
  const paymentsBreaker: CircuitBreaker;
  function chargeCard(order: { amount: number }, signal: AbortSignal): Promise<{ receipt: string }>;
  class NotFoundError extends Error {}
  /** A 429 answer, with the server's Retry-After in ms. */
  class RateLimitedError extends Error {
    retryAfterMs: number;
  }
  const cachedValue: unknown;
  const myMachine: AnyStateMachine;
}
