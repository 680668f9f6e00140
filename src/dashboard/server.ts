import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DASHBOARD_HTML, DASHBOARD_SCRIPT } from './client/page.js';
import type { DashboardHub } from './hub.js';
import { isLoopbackHost } from './options.js';

/** The admin actions of `POST /api/breakers/:name/:action`. */
const ACTIONS = {
  forceOpen: (breaker: { forceOpen(): void }) => breaker.forceOpen(),
  forceClose: (breaker: { forceClose(): void }) => breaker.forceClose(),
  reset: (breaker: { reset(): void }) => breaker.reset(),
} as const;

/**
 * Everything the page loads comes from here, and the browser is told so: scripts, styles and
 * connections from this origin only.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
    "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface RouteContext {
  hub: DashboardHub;
  token: string | null;
  /** The trace being replayed (JSON Lines), or null for a live session. */
  trace: string | null;
  /**
   * Bound to a loopback address: then only requests naming a loopback host are answered, so a
   * web page whose domain was rebound to 127.0.0.1 cannot read the breakers.
   */
  loopbackOnly: boolean;
}

function hostIsLoopback(header: string | undefined): boolean {
  try {
    return header !== undefined && isLoopbackHost(new URL(`http://${header}`).hostname);
  } catch {
    return false;
  }
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
  });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function sendStatus(response: ServerResponse, status: number, error?: string): void {
  if (error === undefined) {
    response.writeHead(status, SECURITY_HEADERS);
    response.end();
  } else {
    sendJson(response, status, { error });
  }
}

/** Compares in constant time, so the token cannot be guessed a character at a time. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function admin(
  request: IncomingMessage,
  response: ServerResponse,
  context: RouteContext,
  name: string,
  action: string,
) {
  if (request.method !== 'POST') return sendStatus(response, 405, 'use POST');
  if (context.token === null) {
    return sendStatus(response, 403, 'this dashboard is read-only: it was started without a token');
  }
  if (!tokenMatches(request.headers.authorization, context.token)) {
    return sendStatus(response, 401, 'missing or wrong Authorization: Bearer token');
  }
  const breaker = context.hub.find(name);
  const run = Object.hasOwn(ACTIONS, action) ? ACTIONS[action as keyof typeof ACTIONS] : undefined;
  if (breaker === undefined || run === undefined) {
    return sendStatus(response, 404, `no breaker ${JSON.stringify(name)} or action ${action}`);
  }
  try {
    run(breaker);
  } catch (error) {
    return sendStatus(response, 409, String(error));
  }
  context.hub.refresh(name);
  sendStatus(response, 204);
}

/** Answers one request of the dashboard's HTTP contract. */
export function route(request: IncomingMessage, response: ServerResponse, context: RouteContext) {
  if (context.loopbackOnly && !hostIsLoopback(request.headers.host)) {
    return sendStatus(response, 403, 'this dashboard answers to localhost addresses only');
  }
  const path = new URL(request.url ?? '/', 'http://dashboard').pathname;
  const adminMatch = /^\/api\/breakers\/([^/]+)\/([^/]+)$/.exec(path);
  if (adminMatch) {
    let name: string;
    try {
      name = decodeURIComponent(adminMatch[1] ?? '');
    } catch {
      return sendStatus(response, 400, 'bad breaker name encoding');
    }
    return admin(request, response, context, name, adminMatch[2] ?? '');
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return sendStatus(response, 405, 'use GET');
  }
  switch (path) {
    case '/':
    case '/index.html':
      return send(response, 200, 'text/html; charset=utf-8', DASHBOARD_HTML);
    case '/dashboard.js':
      return send(response, 200, 'text/javascript; charset=utf-8', DASHBOARD_SCRIPT);
    case '/favicon.ico':
      return sendStatus(response, 204);
    case '/api/breakers':
      return sendJson(
        response,
        200,
        context.hub.views().map(({ name, state, stats, metrics, lastTransition, storeStatus }) => ({
          name,
          state,
          stats,
          metrics,
          lastTransition,
          storeStatus,
        })),
      );
    case '/api/events':
      return context.hub.connect(response);
    case '/api/trace':
      if (context.trace === null) return sendStatus(response, 404, 'no trace: this is live');
      return send(response, 200, 'application/x-ndjson; charset=utf-8', context.trace);
    default:
      return sendStatus(response, 404, 'not found');
  }
}
