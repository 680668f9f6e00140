export { circuitBreakerMachine } from './machine.js';
export {
  type CircuitBreakerConfig,
  type CircuitBreakerInput,
  DEFAULT_BREAKER_CONFIG,
  MAX_TIMEOUT_MS,
  resolveBreakerConfig,
  type SlidingWindow,
} from './options.js';
export { circuitStateOf, type WindowBucket, type WindowCounts, type WindowState } from './rules.js';
export {
  type BreakerMetrics,
  CIRCUIT_STATES,
  type CircuitBreakerContext,
  type CircuitBreakerEmitted,
  type CircuitBreakerEvent,
  type CircuitBreakerStats,
  type CircuitState,
  type StateTransition,
  TRANSITION_REASONS,
  type TransitionReason,
  type TripFigures,
} from './types.js';
