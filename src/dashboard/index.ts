/**
 * A self-hosted, offline dashboard: every breaker of a registry as its live statechart, any
 * XState v5 actor through `dashboard.inspect`, and replay of recorded sessions. Everything the
 * page needs comes from its own server; charts are drawn with `@viz-js/viz` (an optional peer
 * dependency of this entry).
 *
 * @example
 * ```ts
 * import { BreakerRegistry } from 'xstate-circuit-breaker';
 * import { startDashboard } from 'xstate-circuit-breaker/dashboard';
 *
 * const registry = new BreakerRegistry();
 * const dashboard = await startDashboard({ registry });
 * console.log(`breakers at ${dashboard.url}`);
 * ```
 *
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InspectionEvent } from 'xstate';
import { circuitBreakerMachine } from '../machine/machine.js';
import { ChartCache, type SvgRenderer } from './charts.js';
import { DashboardHub } from './hub.js';
import { ActorInspector } from './inspector.js';
import { type DashboardOptions, isLoopbackHost, resolveDashboardOptions } from './options.js';
import { route } from './server.js';
import { readTrace } from './trace.js';

export type { DashboardOptions } from './options.js';
export type {
  ActorEventView,
  ActorView,
  BreakerView,
  DashboardMessage,
  TraceHeader,
  TransitionView,
} from './protocol.js';
export { TRACE_FORMAT } from './protocol.js';

/**
 * A running dashboard.
 *
 * @example
 * ```ts
 * const dashboard: Dashboard = await startDashboard({ registry });
 * await dashboard.close();
 * ```
 */
export interface Dashboard {
  /** Where the page is, e.g. `http://127.0.0.1:39151/`. */
  readonly url: string;
  /**
   * An XState inspection observer: `createActor(machine, { inspect: dashboard.inspect })` puts
   * that actor (and the actors it spawns) on the page.
   */
  readonly inspect: (event: InspectionEvent) => void;
  /** Ends every page's stream and stops the server; the process can then exit. */
  close(): Promise<void>;
}

async function loadRenderer(): Promise<SvgRenderer> {
  let viz: { instance(): Promise<SvgRenderer> };
  try {
    viz = await import('@viz-js/viz');
  } catch (error) {
    throw new Error(
      'startDashboard draws statecharts with @viz-js/viz: install it (npm install @viz-js/viz)',
      { cause: error },
    );
  }
  return viz.instance();
}

/**
 * Starts the dashboard's HTTP server. `GET /` is the page; `GET /api/breakers` the breakers
 * as JSON; `GET /api/events` a Server-Sent Events stream; `POST /api/breakers/:name/forceOpen`
 * (or `forceClose`, `reset`) with `Authorization: Bearer <token>` acts on a breaker: 204, 401
 * for a missing or wrong token, 403 when started without a token, 404 for an unknown breaker.
 *
 * @param options - see {@link DashboardOptions}; `registry` or `trace` is required.
 * @throws TypeError or RangeError (synchronously rejected) naming a bad option, e.g. a
 *   non-loopback `host` without a `token`.
 * @example
 * ```ts
 * const dashboard = await startDashboard({ registry, port: 9100, token: 'change-me-please' });
 * process.on('SIGINT', () => void dashboard.close());
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const resolved = resolveDashboardOptions(options);
  const trace = resolved.trace === null ? null : await readTrace(resolved.trace);
  const charts = new ChartCache(await loadRenderer());
  const hub = new DashboardHub({
    registry: resolved.registry,
    breakerChart: trace === null ? charts.chartOf(circuitBreakerMachine) : null,
    mode: trace === null ? 'live' : 'replay',
    admin: resolved.token !== null,
  });
  const loopbackOnly = isLoopbackHost(resolved.host);
  const inspector = new ActorInspector(charts, (view, chart) => hub.publishActor(view, chart));
  const server = createServer((request, response) => {
    try {
      route(request, response, { hub, token: resolved.token, trace, loopbackOnly });
    } catch {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(resolved.port, resolved.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    hub.close();
    inspector.close();
    throw error;
  }
  const { address, port } = server.address() as AddressInfo;
  const urlHost = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/`,
    inspect: inspector.inspect,
    close() {
      closing ??= new Promise<void>((resolve) => {
        inspector.close();
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
