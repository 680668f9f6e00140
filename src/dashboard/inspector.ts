import type { AnyStateMachine, InspectionEvent } from 'xstate';
import { activeStateNames, type Chart, type ChartCache } from './charts.js';
import type { ActorEventView, ActorView } from './protocol.js';

/** How many events an actor's log keeps. */
export const ACTOR_LOG_LENGTH = 50;
/** Messages about one actor are sent at most this often (ms); its events are batched. */
const ACTOR_FLUSH_MS = 50;

/** What the dashboard reads of an inspected actor. */
interface InspectedRef {
  id: string;
  logic?: unknown;
}

interface TrackedActor {
  id: string;
  chart: Chart | null;
  value: unknown;
  context: unknown;
  status: string;
  unsent: ActorEventView[];
}

function isMachine(logic: unknown): logic is AnyStateMachine {
  const candidate = logic as { root?: unknown; transition?: unknown; config?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.root === 'object' &&
    typeof candidate.transition === 'function' &&
    typeof candidate.config === 'object'
  );
}

/**
 * Plain JSON for the page: functions, actor refs and cycles are named rather than followed, and
 * depth and length are bounded, so an odd context never breaks or floods the page.
 */
export function toPlain(value: unknown, depth = 0, seen = new Set<object>()): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') return value.length > 500 ? `${value.slice(0, 500)}…` : value;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (typeof value !== 'object') return String(value);
  if (seen.has(value)) return '[circular]';
  if (depth >= 5) return '[…]';
  const ref = value as { sessionId?: unknown; send?: unknown };
  if (typeof ref.send === 'function' && typeof ref.sessionId === 'string') {
    return `[actor ${ref.sessionId}]`;
  }
  if (value instanceof Error) return `[${value.name}: ${value.message}]`;
  seen.add(value);
  const plain = Array.isArray(value)
    ? value.slice(0, 100).map((item) => toPlain(item, depth + 1, seen))
    : Object.fromEntries(
        Object.entries(value)
          .slice(0, 100)
          .map(([key, item]) => [key, toPlain(item, depth + 1, seen)]),
      );
  seen.delete(value);
  return plain;
}

/**
 * The dashboard's XState inspection observer: actors created with it become `ActorView`s, each
 * drawn from its own logic when that is a machine.
 */
export class ActorInspector {
  readonly #charts: ChartCache;
  readonly #publish: (view: ActorView, chart: Chart | null) => void;
  readonly #byRef = new WeakMap<InspectedRef, TrackedActor>();
  readonly #byId = new Map<string, TrackedActor>();
  readonly #dirty = new Set<TrackedActor>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(charts: ChartCache, publish: (view: ActorView, chart: Chart | null) => void) {
    this.#charts = charts;
    this.#publish = publish;
  }

  /** For `createActor(machine, { inspect })`. */
  readonly inspect = (event: InspectionEvent): void => {
    if (this.#closed) return;
    try {
      if (event.type === '@xstate.actor') this.#track(event.actorRef as unknown as InspectedRef);
      else if (event.type === '@xstate.snapshot') this.#snapshot(event);
    } catch {
      // Inspection must never break the inspected actor.
    }
  };

  /** Stops sending; actors created with `inspect` keep running untouched. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #track(actorRef: InspectedRef): TrackedActor {
    const known = this.#byRef.get(actorRef);
    if (known) return known;
    let id = actorRef.id;
    for (let n = 2; this.#byId.has(id); n++) id = `${actorRef.id} (${n})`;
    const actor: TrackedActor = {
      id,
      chart: isMachine(actorRef.logic) ? this.#charts.chartOf(actorRef.logic) : null,
      value: null,
      context: null,
      status: 'active',
      unsent: [],
    };
    this.#byRef.set(actorRef, actor);
    this.#byId.set(id, actor);
    return actor;
  }

  #snapshot(event: Extract<InspectionEvent, { type: '@xstate.snapshot' }>): void {
    const actor = this.#track(event.actorRef as unknown as InspectedRef);
    const snapshot = event.snapshot as { value?: unknown; context?: unknown; status?: unknown };
    actor.value = toPlain(snapshot.value ?? null);
    actor.context = toPlain(snapshot.context ?? null);
    actor.status = typeof snapshot.status === 'string' ? snapshot.status : 'active';
    const entry = { type: String(event.event.type), at: Date.now() };
    actor.unsent.push(entry);
    if (actor.unsent.length > ACTOR_LOG_LENGTH) actor.unsent.shift();
    this.#dirty.add(actor);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#flush(), ACTOR_FLUSH_MS);
      this.#timer.unref?.();
    }
  }

  #flush(): void {
    this.#timer = undefined;
    for (const actor of this.#dirty) {
      this.#publish(this.#view(actor), actor.chart);
      actor.unsent = [];
    }
    this.#dirty.clear();
  }

  #view(actor: TrackedActor): ActorView {
    return {
      id: actor.id,
      chart: actor.chart?.key ?? null,
      value: actor.value,
      active: actor.chart ? activeStateNames(actor.value, actor.chart.names) : [],
      context: actor.context,
      status: actor.status,
      events: [...actor.unsent],
    };
  }
}
