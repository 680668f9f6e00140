import type { CircuitBreakerConfig } from '../machine/options.js';
import type {
  BreakerMetrics,
  CircuitBreakerStats,
  StateTransition,
  TripFigures,
} from '../machine/types.js';

/**
 * The messages the dashboard server pushes over Server-Sent Events. A recorded trace is the same
 * messages, one JSON object per line, each stamped with `t` (the page's clock when it got it),
 * after a {@link TraceHeader} line. Types only: the page's script imports nothing at run time.
 */

/**
 * One state change, as the timeline shows it: a breaker's `StateTransition` (the names are
 * strings here, since a trace may come from another version).
 *
 * @example
 * ```ts
 * const entry: TransitionView = { from: 'closed', to: 'open', at: 0, reason: 'failureRate' };
 * ```
 */
export interface TransitionView {
  from: string;
  to: string;
  /** The breaker clock's time of the change. */
  at: number;
  /** Why it changed (`consecutiveFailures`, `forced`, …). */
  reason: string;
}

/**
 * Everything a breaker card shows; `name`, `state`, `stats`, `metrics`, `lastTransition` and
 * `storeStatus` are also one element of `GET /api/breakers`.
 *
 * @example
 * ```ts
 * const views = (await (await fetch(`${dashboard.url}api/breakers`)).json()) as BreakerView[];
 * ```
 */
export interface BreakerView {
  name: string;
  state: string;
  stats: CircuitBreakerStats;
  /** `breaker.getMetrics()`. */
  metrics: BreakerMetrics;
  lastTransition: StateTransition | TransitionView | null;
  /** `breaker.config`: the thresholds the counters are compared with. */
  config: Readonly<CircuitBreakerConfig>;
  /**
   * What was measured when the circuit last opened by itself, and why; null when it never did or
   * was last opened by hand.
   */
  trip: (TripFigures & { reason: string }) | null;
  /** Wall-clock time (ms since the epoch) probes are let through, or null when not waiting. */
  retryAt: number | null;
  /** Key of the chart message holding this breaker's statechart, or null when none is drawn. */
  chart: string | null;
  /** The last transitions, oldest first. */
  transitions: TransitionView[];
  /**
   * The link to the shared-state store of a breaker with a `store`: `connected` or `degraded`;
   * null for a breaker without one (and in traces recorded before stores existed).
   */
  storeStatus: 'connected' | 'degraded' | null;
}

/**
 * An entry of an inspected actor's event log.
 *
 * @example
 * ```ts
 * const entry: ActorEventView = { type: 'NEXT', at: Date.now() };
 * ```
 */
export interface ActorEventView {
  type: string;
  /** Wall-clock time the dashboard saw it. */
  at: number;
}

/**
 * An actor created with `inspect: dashboard.inspect`, as its card shows it.
 *
 * @example
 * ```ts
 * const onActor = (view: ActorView) => console.log(view.id, view.value, view.active);
 * ```
 */
export interface ActorView {
  id: string;
  chart: string | null;
  /** The snapshot's state value (machines) or null. */
  value: unknown;
  /** Names (as in `data-state-node`) of the active atomic states. */
  active: string[];
  context: unknown;
  status: string;
  /** Log entries since the previous message about this actor. */
  events: ActorEventView[];
}

/**
 * Messages of `GET /api/events` (and lines of a trace), discriminated by `type`.
 *
 * @example
 * ```ts
 * const onMessage = (m: DashboardMessage) => { if (m.type === 'transition') console.log(m.name, m.to); };
 * ```
 */
export type DashboardMessage =
  | { type: 'session'; mode: 'live' | 'replay'; admin: boolean }
  | { type: 'chart'; key: string; svg: string }
  | ({ type: 'breaker' } & BreakerView)
  | ({ type: 'transition'; name: string } & TransitionView)
  | { type: 'removed'; name: string }
  | ({ type: 'actor' } & ActorView);

/**
 * The first line of a trace file.
 *
 * @example
 * ```ts
 * const header: TraceHeader = { type: 'trace', format: TRACE_FORMAT, version: 1, recordedAt: Date.now() };
 * ```
 */
export interface TraceHeader {
  type: 'trace';
  format: typeof TRACE_FORMAT;
  version: 1;
  recordedAt: number;
}

/**
 * The `format` of a trace's header line.
 *
 * @example
 * ```ts
 * if (JSON.parse(firstLine).format !== TRACE_FORMAT) throw new Error('not a dashboard trace');
 * ```
 */
export const TRACE_FORMAT = 'xstate-circuit-breaker/dashboard-trace';
