/**
 * xstate-circuit-breaker: a circuit breaker whose engine is an XState v5 statechart.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from 'xstate-circuit-breaker';
 * const breaker = new CircuitBreaker({ name: 'users' });
 * const user = await breaker.call(fetchUser, 42);
 * ```
 * @packageDocumentation
 */
export * from './machine/index.js';
export * from './registry/breaker-registry.js';
export * from './service/index.js';
