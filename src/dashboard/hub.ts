import type { ServerResponse } from 'node:http';
import type { BreakerRegistry } from '../registry/breaker-registry.js';
import type { CircuitBreaker } from '../service/circuit-breaker.js';
import { BreakerWatch } from './breaker-watch.js';
import type { Chart } from './charts.js';
import { ACTOR_LOG_LENGTH } from './inspector.js';
import type { ActorView, BreakerView, DashboardMessage } from './protocol.js';

/** How often breakers' counters are read and, where they changed, pushed (ms). */
export const POLL_INTERVAL_MS = 250;
/** A comment line this often keeps proxies from closing an idle stream (ms). */
const HEARTBEAT_MS = 15_000;

/**
 * The live session: the breakers of a registry, the inspected actors, and the Server-Sent
 * Events streams of the pages watching them. Counters are polled (no per-call events); state
 * changes are pushed as they happen.
 */
export class DashboardHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #watches = new Map<string, BreakerWatch>();
  readonly #charts = new Map<string, Chart>();
  /** Each inspected actor as a page connecting now needs it: its whole log so far. */
  readonly #actors = new Map<string, ActorView>();
  readonly #session: DashboardMessage;
  readonly #breakerChart: Chart | null;
  readonly #timers: Array<ReturnType<typeof setInterval>> = [];
  readonly #unsubscribes: Array<() => void> = [];
  #pendingRefresh = false;
  #closed = false;

  constructor(options: {
    registry: BreakerRegistry | null;
    breakerChart: Chart | null;
    mode: 'live' | 'replay';
    admin: boolean;
  }) {
    this.#session = { type: 'session', mode: options.mode, admin: options.admin };
    this.#breakerChart = options.breakerChart;
    if (options.breakerChart) this.#charts.set(options.breakerChart.key, options.breakerChart);
    const { registry } = options;
    if (registry === null) return;
    for (const breaker of registry) this.#watch(breaker);
    this.#unsubscribes.push(
      registry.on('add', (breaker) => {
        this.#watch(breaker);
        this.#refreshSoon();
      }),
      registry.on('remove', (breaker) => this.#unwatch(breaker.name)),
    );
    this.#every(POLL_INTERVAL_MS, () => this.#poll());
    this.#every(HEARTBEAT_MS, () => {
      for (const client of this.#clients) client.write(': keep-alive\n\n');
    });
  }

  /** The current view of every breaker, for `GET /api/breakers`. */
  views(): BreakerView[] {
    return [...this.#watches.values()].map((watch) => watch.view());
  }

  /** The breaker named `name`, if the dashboard shows it. */
  find(name: string): CircuitBreaker | undefined {
    return this.#watches.get(name)?.breaker;
  }

  /** Turns `response` into an event stream: the session so far, then every change. */
  connect(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    response.write('retry: 1000\n\n');
    const history: DashboardMessage[] = [this.#session];
    for (const { key, svg } of this.#charts.values()) history.push({ type: 'chart', key, svg });
    for (const view of this.views()) history.push({ type: 'breaker', ...view });
    for (const view of this.#actors.values()) history.push({ type: 'actor', ...view });
    for (const message of history) response.write(frame(message));
    this.#clients.add(response);
    response.on('close', () => this.#clients.delete(response));
  }

  /** Sends `actor`'s new state, with its chart first if no page has seen that chart yet. */
  publishActor(view: ActorView, chart: Chart | null): void {
    if (chart !== null && !this.#charts.has(chart.key)) {
      this.#charts.set(chart.key, chart);
      this.#publish({ type: 'chart', key: chart.key, svg: chart.svg });
    }
    const log = [...(this.#actors.get(view.id)?.events ?? []), ...view.events];
    this.#actors.set(view.id, { ...view, events: log.slice(-ACTOR_LOG_LENGTH) });
    this.#publish({ type: 'actor', ...view });
  }

  /** Pushes the breaker's view now (after an admin action, say) if it changed. */
  refresh(name: string): void {
    const view = this.#watches.get(name)?.changedView();
    if (view) this.#publish({ type: 'breaker', ...view });
  }

  /** Ends every stream and timer, and stops listening to breakers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const unsubscribe of this.#unsubscribes) unsubscribe();
    for (const name of [...this.#watches.keys()]) this.#unwatch(name, false);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #every(ms: number, task: () => void): void {
    const timer = setInterval(task, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  #watch(breaker: CircuitBreaker): void {
    if (this.#watches.has(breaker.name)) return;
    try {
      const watch = new BreakerWatch(
        breaker,
        this.#breakerChart?.key ?? null,
        (_, transition) => {
          this.#publish({ type: 'transition', name: breaker.name, ...transition });
          // Read the stats after the machine has finished this step, not from inside it.
          this.#refreshSoon();
        },
        () => this.#refreshSoon(),
      );
      this.#watches.set(breaker.name, watch);
    } catch {
      // A breaker disposed behind the registry's back cannot be watched; it is skipped.
    }
  }

  #unwatch(name: string, announce = true): void {
    const watch = this.#watches.get(name);
    if (watch === undefined) return;
    watch.stop();
    this.#watches.delete(name);
    if (announce) this.#publish({ type: 'removed', name });
  }

  #refreshSoon(): void {
    if (this.#pendingRefresh) return;
    this.#pendingRefresh = true;
    setImmediate(() => {
      this.#pendingRefresh = false;
      if (!this.#closed) this.#poll();
    }).unref();
  }

  #poll(): void {
    for (const watch of this.#watches.values()) {
      const view = watch.changedView();
      if (view) this.#publish({ type: 'breaker', ...view });
    }
  }

  #publish(message: DashboardMessage): void {
    if (this.#closed) return;
    const text = frame(message);
    for (const client of this.#clients) client.write(text);
  }
}

function frame(message: DashboardMessage): string {
  return `data: ${JSON.stringify(message)}\n\n`;
}
