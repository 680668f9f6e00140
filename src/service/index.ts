export {
  CircuitBreaker,
  type CircuitBreakerActor,
  type CircuitBreakerEventOf,
  type CircuitBreakerEventType,
  type CircuitBreakerOptions,
  type ExecuteContext,
  type ExecuteOptions,
} from './circuit-breaker.js';
export { type BreakerClock, systemClock } from './clock.js';
export { CircuitBreakerDisposedError, CircuitBreakerError, CircuitOpenError } from './errors.js';
export type { BreakerLogger } from './logger.js';
