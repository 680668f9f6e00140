import {
  type CircuitBreakerConfig,
  type CircuitBreakerInput,
  DEFAULT_BREAKER_CONFIG,
  resolveBreakerConfig,
} from '../machine/options.js';
import { circuitStateOf, emptyWindow } from '../machine/rules.js';
import {
  CIRCUIT_STATES,
  type CircuitBreakerContext,
  type CircuitBreakerStats,
  type CircuitState,
  type StateTransition,
  type StoreRegionState,
  TRANSITION_REASONS,
} from '../machine/types.js';
import { describeValue, MAX_TIMEOUT_MS } from '../validate.js';
import { brand, CircuitBreakerError } from './errors.js';

/** Marks a value as a breaker snapshot, so JSON of something else is never taken for one. */
export const SNAPSHOT_FORMAT = 'xstate-circuit-breaker';
/**
 * Bumped whenever the shape of the persisted state changes. Version 3 makes the root parallel
 * (`{ circuit: { automatic: 'open' }, store: 'standalone' }`); version 2 nested the automatic
 * states (`{ automatic: 'open' }`) and added the transition record and the new counters;
 * versions 1 and 2 are still read. The `store` region is never restored: whether a store
 * answers is known again only once it does (a restored breaker starts `standalone`).
 */
export const SNAPSHOT_VERSION = 3;
const READABLE_VERSIONS: ReadonlySet<unknown> = new Set([1, 2, 3]);

/**
 * XState's persisted snapshot of the breaker actor (`actor.getPersistedSnapshot()`): the state
 * value and the plain context, plus XState's own bookkeeping fields.
 *
 * @example
 * ```ts
 * const { value, context } = breaker.toJSON().snapshot;
 * ```
 */
export interface PersistedBreakerState {
  status: string;
  value: {
    circuit: 'forcedOpen' | 'disabled' | { automatic: 'closed' | 'open' | 'halfOpen' };
    store: StoreRegionState;
  };
  context: CircuitBreakerContext;
  [xstateField: string]: unknown;
}

/**
 * What `breaker.toJSON()` returns and the `snapshot` option accepts (as an object or JSON text).
 *
 * @example
 * ```ts
 * await redis.set('breaker:users', JSON.stringify(breaker));
 * const restored = new CircuitBreaker({ name: 'users', snapshot: await redis.get('breaker:users') });
 * ```
 */
export interface CircuitBreakerSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  snapshot: PersistedBreakerState;
  /**
   * The machine options the breaker was built with, as given (plain data; functions such as a
   * backoff, `isFailure` or `fallback` are not saved). A restore keeps each one unless given
   * again. Snapshots written before it existed fall back to `snapshot.context.config`.
   */
  options?: CircuitBreakerInput;
}

/**
 * Thrown by `new CircuitBreaker({ snapshot })` when the snapshot cannot be restored: not JSON,
 * not a breaker snapshot, another format version, corrupted, or another breaker's.
 *
 * @example
 * ```ts
 * let breaker: CircuitBreaker;
 * try { breaker = new CircuitBreaker({ name: 'users', snapshot: saved }); }
 * catch (error) {
 *   if (!(error instanceof CircuitBreakerSnapshotError)) throw error;
 *   breaker = new CircuitBreaker({ name: 'users' }); // start closed
 * }
 * ```
 */
export class CircuitBreakerSnapshotError extends CircuitBreakerError {
  static override readonly kind: string = 'CircuitBreakerSnapshotError';
  static {
    brand(CircuitBreakerSnapshotError);
  }
}

const STATES: ReadonlySet<string> = new Set(CIRCUIT_STATES);
const REASONS: ReadonlySet<string> = new Set(TRANSITION_REASONS);
/** Counters a version 1 snapshot did not have: they start at 0. */
const NEWER_COUNTERS = ['totalIgnored', 'totalTimeouts', 'totalFallbacks'] as const;
const COUNTERS = [
  'totalSuccesses',
  'totalFailures',
  'totalRejections',
  'timesOpened',
  'timesHalfOpened',
  'timesClosed',
  'consecutiveFailures',
  'totalInputTokens',
  'totalOutputTokens',
] as const;

function fail(reason: string): never {
  throw new CircuitBreakerSnapshotError(`cannot restore circuit breaker snapshot: ${reason}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(where: Record<string, unknown>, key: string, path: string): number {
  const value = where[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`${path}.${key} must be a non-negative integer, got ${describeValue(value)}`);
  }
  return value;
}

function time(where: Record<string, unknown>, key: string, path: string): number | null {
  const value = where[key];
  if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
    fail(`${path}.${key} must be a finite number or null, got ${describeValue(value)}`);
  }
  return value;
}

function readStats(stats: unknown): CircuitBreakerStats {
  if (!isRecord(stats)) fail(`context.stats must be an object, got ${describeValue(stats)}`);
  const read: Record<string, number | null> = {};
  for (const key of COUNTERS) read[key] = count(stats, key, 'context.stats');
  const cost = stats.totalEstimatedCost;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) {
    fail(
      `context.stats.totalEstimatedCost must be a finite number >= 0, got ${describeValue(cost)}`,
    );
  }
  read.totalEstimatedCost = cost;
  read.lastFailureAt = time(stats, 'lastFailureAt', 'context.stats');
  read.lastStateChangeAt = time(stats, 'lastStateChangeAt', 'context.stats');
  for (const key of NEWER_COUNTERS) {
    read[key] = stats[key] === undefined ? 0 : count(stats, key, 'context.stats');
  }
  return {
    ...(read as unknown as Omit<CircuitBreakerStats, 'lastTransition'>),
    lastTransition: readTransition(stats.lastTransition),
  };
}

function readTransition(value: unknown): StateTransition | null {
  if (value === undefined || value === null) return null;
  const path = 'context.stats.lastTransition';
  if (!isRecord(value)) fail(`${path} must be an object or null, got ${describeValue(value)}`);
  const { from, to, reason } = value;
  if (typeof from !== 'string' || !STATES.has(from) || typeof to !== 'string' || !STATES.has(to)) {
    fail(`${path} must go between states, got ${describeValue(value)}`);
  }
  if (typeof reason !== 'string' || !REASONS.has(reason)) {
    fail(`${path}.reason is not one of ${[...REASONS].join(', ')}, got ${describeValue(reason)}`);
  }
  const at = time(value, 'at', path);
  if (at === null) fail(`${path}.at must be a finite number, got null`);
  return {
    from: from as CircuitState,
    to: to as CircuitState,
    at,
    reason: reason as StateTransition['reason'],
  };
}

/** The machine's state value for a flat state (a restored breaker starts `standalone`). */
function machineValue(state: CircuitState): PersistedBreakerState['value'] {
  return {
    circuit: state === 'forcedOpen' || state === 'disabled' ? state : { automatic: state },
    store: 'standalone',
  };
}

/** The `circuit` part of a saved value of any version (v3 `{ circuit }`, v2 nested, v1 flat). */
function savedCircuit(saved: unknown): unknown {
  return isRecord(saved) && 'circuit' in saved ? saved.circuit : saved;
}

/**
 * The envelope `breaker.toJSON()` returns: a deep copy, so editing it (or the JSON made from it)
 * never reaches the running breaker. `options` are the machine options in force, derived from
 * the resolved config when saving (a breaker keeps no copy of what it was given).
 */
export function toBreakerSnapshot(
  persisted: unknown,
  config: CircuitBreakerConfig,
): CircuitBreakerSnapshot {
  return structuredClone({
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    snapshot: persisted as PersistedBreakerState,
    options: minimalOptions(config),
  });
}

/**
 * The fewest options that resolve to `config` again: each option whose absence changes nothing
 * (a default, or a value the resolver derives by itself) is left out, so a snapshot reads like
 * what was given and a later default still applies where nothing was chosen.
 */
function minimalOptions(config: CircuitBreakerConfig): CircuitBreakerInput {
  const options = optionsFromConfig(config) ?? {};
  const target = JSON.stringify(config);
  for (const key of Object.keys(options)) {
    if (key === 'name') continue;
    const without = { ...options };
    delete without[key];
    if (resolvesTo(without, target)) delete options[key];
  }
  return options as CircuitBreakerInput;
}

/** True when `options` resolve to the config whose JSON is `target` (false when invalid). */
function resolvesTo(options: Record<string, unknown>, target: string): boolean {
  try {
    return JSON.stringify(resolveBreakerConfig(options as CircuitBreakerInput)) === target;
  } catch {
    return false; // an option others need (a threshold under a window) stays
  }
}

/** The saved value as an object: JSON text parsed, anything else as it is. */
function parseSaved(saved: unknown): unknown {
  if (typeof saved !== 'string') return saved;
  try {
    return JSON.parse(saved);
  } catch (error) {
    fail(`not valid JSON (${(error as Error).message})`);
  }
}

/**
 * The options to restore a breaker with: the saved ones, each replaced by a value the caller
 * gives now (`undefined` is not a value). Returns `given` itself when nothing is saved (`null`
 * or `undefined`, what a store answers on first boot). The saved options are validated, so a
 * corrupted value is a {@link CircuitBreakerSnapshotError}, never the caller's mistake.
 */
export function withSavedOptions<T extends object>(saved: unknown, given: T): T {
  if (saved === null || saved === undefined) return given;
  const envelope = parseSaved(saved);
  if (!isRecord(envelope) || envelope.format !== SNAPSHOT_FORMAT) return given; // fails later
  const savedOptions = isRecord(envelope.options)
    ? envelope.options
    : optionsFromConfig(
        isRecord(envelope.snapshot) && isRecord(envelope.snapshot.context)
          ? envelope.snapshot.context.config
          : undefined,
      );
  if (savedOptions === undefined) return given; // the snapshot check names the problem
  try {
    resolveBreakerConfig(savedOptions as CircuitBreakerInput);
  } catch (error) {
    fail(`its saved options are invalid (${(error as Error).message})`);
  }
  const merged: Record<string, unknown> = { ...savedOptions };
  // A key given as `undefined` keeps the saved value, if any; kept as given otherwise, so the
  // option check still sees it (a misspelt key is rejected with a snapshot as without one).
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined || !Object.hasOwn(merged, key)) merged[key] = value;
  }
  return merged as T;
}

/**
 * Options that resolve to `config` again, for snapshots that carry no `options`: the resolved
 * values, minus those the resolver derives by itself (an explicit value would pin them).
 */
function optionsFromConfig(config: unknown): Record<string, unknown> | undefined {
  if (!isRecord(config)) return undefined;
  const options: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_BREAKER_CONFIG)) {
    if (config[key] !== null && config[key] !== undefined) options[key] = config[key];
  }
  const ratePolicy =
    options.failureRateThreshold !== undefined || options.slowCallRateThreshold !== undefined;
  if (!ratePolicy) delete options.minimumThroughput;
  if (options.halfOpenSuccessThreshold === options.halfOpenMaxCalls) {
    delete options.halfOpenSuccessThreshold;
  }
  return options;
}

/**
 * Validates a saved snapshot and turns it into a state and context that are consistent under
 * `config` (the options given now win over the saved ones). A half-open breaker comes back open
 * with its timeout already elapsed, so its first use probes again; an open one keeps the moment
 * it opened, so it half-opens on time.
 */
export function readBreakerSnapshot(
  saved: unknown,
  config: CircuitBreakerConfig,
  now: number,
  keepSavedTimeout: boolean,
): { value: PersistedBreakerState['value']; context: CircuitBreakerContext } {
  const envelope = parseSaved(saved);
  if (!isRecord(envelope) || envelope.format !== SNAPSHOT_FORMAT) {
    fail(
      `not a ${SNAPSHOT_FORMAT} snapshot (format is ${describeValue(isRecord(envelope) ? envelope.format : envelope)})`,
    );
  }
  if (!READABLE_VERSIONS.has(envelope.version)) {
    fail(
      `version ${describeValue(envelope.version)} is not supported (expected ${SNAPSHOT_VERSION})`,
    );
  }
  const persisted = envelope.snapshot;
  if (!isRecord(persisted) || persisted.status !== 'active') {
    fail('the saved actor was not running (status is not "active")');
  }
  const { context } = persisted;
  const savedValue = persisted.value;
  const circuit = savedCircuit(savedValue);
  const value =
    typeof circuit === 'string' || (isRecord(circuit) && typeof circuit.automatic === 'string')
      ? circuitStateOf(circuit as string)
      : undefined;
  if (value === undefined || !STATES.has(value)) {
    fail(`state ${describeValue(savedValue)} is not one of ${[...STATES].join(', ')}`);
  }
  if (!isRecord(context) || !isRecord(context.config)) fail('context or context.config is missing');
  if (context.config.name !== config.name) {
    fail(
      `it belongs to breaker ${describeValue(context.config.name)}, not ${describeValue(config.name)}`,
    );
  }
  const savedTimeout = count(context, 'openTimeout', 'context');
  const restored: CircuitBreakerContext = {
    config,
    generation: count(context, 'generation', 'context'),
    openedAt: time(context, 'openedAt', 'context'),
    // A fixed resetTimeout given now wins; otherwise the saved period of this opening is kept.
    openTimeout: keepSavedTimeout ? Math.min(savedTimeout, MAX_TIMEOUT_MS) : config.resetTimeout,
    openAttempts: count(context, 'openAttempts', 'context'),
    // The window is not restored: its buckets may be stale and its shape may have changed.
    window: emptyWindow(config),
    halfOpenInFlight: 0,
    halfOpenSuccesses: 0,
    notPermittedCalls: 0,
    stats: readStats(context.stats),
  };
  const { stats } = restored;
  // The last transition tells the machine which state it is leaving next: a version 1
  // snapshot had none, so one is recorded for the state as saved.
  if (stats.lastTransition === null && value !== 'closed') {
    stats.lastTransition = {
      from: value,
      to: value,
      at: stats.lastStateChangeAt ?? now,
      reason: 'restored',
    };
  }
  if (value === 'closed' || value === 'disabled') {
    return { value: machineValue(value), context: { ...restored, openedAt: null } };
  }
  if (value === 'halfOpen') {
    // Probes in flight died with the old process: open again, due now, so the next use probes.
    restored.generation += 1;
    restored.openedAt = now - restored.openTimeout;
    stats.lastTransition = { from: 'halfOpen', to: 'open', at: now, reason: 'restored' };
    return { value: machineValue('open'), context: restored };
  }
  if (restored.openedAt === null) fail(`context.openedAt is null in state ${value}`);
  // A clock that went backwards must not push the retry beyond one full timeout.
  restored.openedAt = Math.min(restored.openedAt, now);
  return { value: machineValue(value), context: restored };
}
