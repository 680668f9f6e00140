export { circuitBreakerMachine } from './machine.js';
export {
  type CircuitBreakerConfig,
  type CircuitBreakerInput,
  DEFAULT_BREAKER_CONFIG,
  MAX_TIMEOUT_MS,
  resolveBreakerConfig,
  type SlidingWindow,
} from './options.js';
export type { WindowBucket, WindowCounts, WindowState } from './rules.js';
export type {
  CircuitBreakerContext,
  CircuitBreakerEmitted,
  CircuitBreakerEvent,
  CircuitBreakerStats,
  CircuitState,
} from './types.js';
