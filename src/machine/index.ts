export { circuitBreakerMachine } from './machine.js';
export {
  type CircuitBreakerConfig,
  type CircuitBreakerInput,
  DEFAULT_BREAKER_CONFIG,
  MAX_TIMEOUT_MS,
  resolveBreakerConfig,
  type SlidingWindow,
  STORE_UNAVAILABLE_POLICIES,
  type StoreUnavailablePolicy,
} from './options.js';
export {
  type BreakerStateValue,
  circuitStateOf,
  storeRegionOf,
  type WindowBucket,
  type WindowCounts,
  type WindowState,
} from './rules.js';
export {
  type BreakerMetrics,
  CIRCUIT_STATES,
  type CircuitBreakerContext,
  type CircuitBreakerEmitted,
  type CircuitBreakerEvent,
  type CircuitBreakerStats,
  type CircuitState,
  STORE_REGION_STATES,
  type StateTransition,
  type StoreLinkStatus,
  type StoreRegionState,
  TRANSITION_REASONS,
  type TransitionReason,
  type TripFigures,
} from './types.js';
