export {
  type ExponentialBackoffOptions,
  exponentialBackoff,
  type ResetTimeoutFunction,
  type RetryContext,
} from './backoff.js';
export {
  CircuitBreaker,
  type CircuitBreakerActor,
  type CircuitBreakerEventOf,
  type CircuitBreakerEventType,
  type CircuitBreakerOptions,
  type ControlOptions,
  type ExecuteContext,
  type ExecuteOptions,
  type WrapOptions,
} from './circuit-breaker.js';
export { type BreakerClock, systemClock } from './clock.js';
export {
  CircuitBreakerDisposedError,
  CircuitBreakerError,
  CircuitOpenError,
  CircuitTimeoutError,
} from './errors.js';
export { fromBreaker } from './from-breaker.js';
export type { BreakerLogger } from './logger.js';
export {
  type CircuitBreakerSnapshot,
  CircuitBreakerSnapshotError,
  type PersistedBreakerState,
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
} from './snapshot.js';
export type {
  CircuitStore,
  OutcomeBatch,
  ProbeDecision,
  ProbeLease,
  SharedCircuit,
  SharedCircuitOptions,
  SharedCircuitState,
  SharedState,
  SharedTransitionReason,
  StoreCommandKind,
  StoreCommandOptions,
  StoreStatus,
} from './store-seam.js';
