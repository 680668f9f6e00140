/**
 * Everything `new CircuitBreaker(options)` validates, in one place: the machine's options
 * (merged with a snapshot's saved ones), the per-call policies, and where time, logs and
 * inspection go. Bad input throws a TypeError or RangeError naming the option and the value.
 */
import {
  type CircuitBreakerConfig,
  type CircuitBreakerInput,
  describeValue,
  resolveBreakerConfig,
} from '../machine/options.js';
import type { ResetTimeoutFunction } from './backoff.js';
import { type BreakerClock, checkClock, systemClock } from './clock.js';
import type { GuardedCallPolicy } from './guarded-call.js';
import { type BreakerLogger, checkLogger } from './logger.js';
import {
  type CircuitBreakerOptions,
  checkFunction,
  resolvePolicy,
  resolveStoreSetup,
  SERVICE_OPTION_KEYS,
  type StoreSetup,
} from './options.js';
import { withSavedOptions } from './snapshot.js';

/** The validated options of one breaker. */
export interface ServiceSetup {
  config: CircuitBreakerConfig;
  /** The per-call policies, or null when none is configured (the plain, fastest path). */
  policy: GuardedCallPolicy | null;
  retryAfter: ((error: unknown) => number | undefined) | undefined;
  clock: BreakerClock;
  logger: BreakerLogger | undefined;
  /** `resetTimeout` given as a function (a backoff); the config then holds the default. */
  backoff: ResetTimeoutFunction | undefined;
  inspect: CircuitBreakerOptions['inspect'];
  errorStacks: boolean;
  /** The shared store and its options, or null without one. */
  store: StoreSetup | null;
}

export function resolveServiceSetup(options: CircuitBreakerOptions): ServiceSetup {
  const { resetTimeout } = options ?? {};
  const backoff = typeof resetTimeout === 'function' ? resetTimeout : undefined;
  if (resetTimeout !== undefined && backoff === undefined && typeof resetTimeout !== 'number') {
    throw new TypeError(
      `resetTimeout must be a number or a function, got ${describeValue(resetTimeout)}`,
    );
  }
  const machineOptions = withSavedOptions(
    options?.snapshot,
    backoff ? { ...options, resetTimeout: undefined } : options,
  );
  if (backoff) machineOptions.resetTimeout = undefined;
  const config = resolveBreakerConfig(machineOptions as CircuitBreakerInput, SERVICE_OPTION_KEYS);
  const { inspect, errorStacks = false } = options;
  if (
    inspect !== undefined &&
    typeof inspect !== 'function' &&
    (typeof inspect !== 'object' || inspect === null || typeof inspect.next !== 'function')
  ) {
    throw new TypeError(
      `inspect must be a function or an observer with next(), got ${describeValue(inspect)}`,
    );
  }
  if (typeof errorStacks !== 'boolean') {
    throw new TypeError(`errorStacks must be a boolean, got ${describeValue(errorStacks)}`);
  }
  return {
    config,
    policy: resolvePolicy(options, config),
    retryAfter: checkFunction('retryAfter', options.retryAfter),
    clock: options.clock === undefined ? systemClock : checkClock(options.clock),
    logger: options.logger === undefined ? undefined : checkLogger(options.logger),
    backoff,
    inspect,
    errorStacks,
    store: resolveStoreSetup(options),
  };
}

/** A frozen copy of the resolved options, for `breaker.config`. */
export function freezeConfig(config: CircuitBreakerConfig): Readonly<CircuitBreakerConfig> {
  const window = config.slidingWindow;
  return Object.freeze({
    ...config,
    slidingWindow: window === null ? null : Object.freeze({ ...window }),
  });
}
