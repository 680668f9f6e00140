import { isIP } from 'node:net';
import type { BreakerRegistry } from '../registry/breaker-registry.js';
import { describeValue } from '../validate.js';

/**
 * Options of `startDashboard(options)`. Give a `registry` to watch live breakers, or a `trace`
 * to replay a recorded session with no live breakers. `undefined` means "not given".
 *
 * @example
 * ```ts
 * const options: DashboardOptions = { registry, port: 9100, token: process.env.DASHBOARD_TOKEN };
 * ```
 */
export interface DashboardOptions {
  /** The breakers to show. Breakers added to it later appear as they are created. */
  registry?: BreakerRegistry | undefined;
  /** TCP port; `0` (the default) picks a free one, see `url`. */
  port?: number | undefined;
  /**
   * Interface to bind (default `127.0.0.1`). A non-loopback host needs a `token`: the page shows
   * every breaker's configuration and traffic.
   */
  host?: string | undefined;
  /**
   * Enables force open / force close / reset, for requests with `Authorization: Bearer <token>`.
   * Without it the dashboard is read-only.
   */
  token?: string | undefined;
  /** Path of a trace (JSON Lines, as the page downloads it) to replay instead of live breakers. */
  trace?: string | undefined;
}

/** The options after validation. */
export interface ResolvedDashboardOptions {
  registry: BreakerRegistry | null;
  port: number;
  host: string;
  token: string | null;
  trace: string | null;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['registry', 'port', 'host', 'token', 'trace']);
const REGISTRY_METHODS = ['get', 'has', 'on'] as const;

/** Whether `host` names this machine only: `localhost`, `127.0.0.0/8` or `::1`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}

/**
 * Validates `startDashboard`'s options; throws a TypeError or RangeError naming the option.
 *
 * @example
 * ```ts
 * resolveDashboardOptions({ registry, host: '0.0.0.0' }); // RangeError: needs a token
 * ```
 */
export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`unknown option ${JSON.stringify(key)}`);
  }
  const { registry, port = 0, host = '127.0.0.1', token, trace } = options;
  if (registry !== undefined) {
    const candidate = registry as unknown as Record<string, unknown> | null;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate[Symbol.iterator as unknown as string] !== 'function' ||
      REGISTRY_METHODS.some((method) => typeof candidate[method] !== 'function')
    ) {
      throw new TypeError(`registry must be a BreakerRegistry, got ${describeValue(registry)}`);
    }
  }
  if (trace !== undefined && (typeof trace !== 'string' || trace.length === 0)) {
    throw new TypeError(`trace must be a non-empty file path, got ${describeValue(trace)}`);
  }
  if ((registry === undefined) === (trace === undefined)) {
    throw new TypeError('give either a registry (live breakers) or a trace (a recorded session)');
  }
  if (typeof port !== 'number') {
    throw new TypeError(`port must be a number, got ${describeValue(port)}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be an integer between 0 and 65535, got ${describeValue(port)}`);
  }
  if (typeof host !== 'string' || host.trim() === '') {
    throw new TypeError(`host must be a non-empty string, got ${describeValue(host)}`);
  }
  if (token !== undefined) {
    if (typeof token !== 'string') {
      throw new TypeError(`token must be a string, got ${describeValue(token)}`);
    }
    // It travels in an HTTP header: printable ASCII without spaces.
    if (token.length < 8 || !/^[\x21-\x7e]+$/.test(token)) {
      throw new RangeError(
        'token must be at least 8 printable ASCII characters without spaces, got ' +
          `${token.length} characters`,
      );
    }
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new RangeError(
      `host ${describeValue(host)} is not a loopback address: anyone who can reach it would ` +
        'see every breaker; pass a token, or bind 127.0.0.1',
    );
  }
  return {
    registry: registry ?? null,
    port,
    host,
    token: token ?? null,
    trace: trace ?? null,
  };
}
