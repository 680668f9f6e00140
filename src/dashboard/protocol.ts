/**
 * The messages the dashboard server pushes over Server-Sent Events. A recorded trace is the same
 * messages, one JSON object per line, each stamped with `t` (the page's clock when it got it),
 * after a {@link TraceHeader} line. Types only: the page's script imports nothing at run time.
 */

/** One state change of a breaker, as the timeline shows it. */
export interface TransitionView {
  from: string;
  to: string;
  /** The breaker clock's time of the change. */
  at: number;
  /** Why it changed (`consecutiveFailures`, `forced`, …), or null when the breaker does not say. */
  reason: string | null;
}

/** Everything a breaker card shows. Also one element of `GET /api/breakers`. */
export interface BreakerView {
  name: string;
  state: string;
  stats: Record<string, unknown>;
  /** `breaker.getMetrics()` where the breaker has it, else null. */
  metrics: Record<string, unknown> | null;
  lastTransition: TransitionView | null;
  /** The resolved options the counters are compared with, where the breaker exposes them. */
  config: Record<string, unknown> | null;
  /** Wall-clock time (ms since the epoch) probes are let through, or null when not waiting. */
  retryAt: number | null;
  /** Key of the chart message holding this breaker's statechart, or null when none is drawn. */
  chart: string | null;
  /** The last transitions, oldest first. */
  transitions: TransitionView[];
}

/** An entry of an inspected actor's event log. */
export interface ActorEventView {
  type: string;
  /** Wall-clock time the dashboard saw it. */
  at: number;
}

/** An actor created with `inspect: dashboard.inspect`. */
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

/** Messages of `GET /api/events`, discriminated by `type`. */
export type DashboardMessage =
  | { type: 'session'; mode: 'live' | 'replay'; admin: boolean }
  | { type: 'chart'; key: string; svg: string }
  | ({ type: 'breaker' } & BreakerView)
  | ({ type: 'transition'; name: string } & TransitionView)
  | { type: 'removed'; name: string }
  | ({ type: 'actor' } & ActorView);

/** The first line of a trace file. */
export interface TraceHeader {
  type: 'trace';
  format: typeof TRACE_FORMAT;
  version: 1;
  recordedAt: number;
}

/** The `format` of a trace's header line. */
export const TRACE_FORMAT = 'xstate-circuit-breaker/dashboard-trace';
