/**
 * `npx tsx examples/inspect-node.ts`: watch a breaker live in the Stately inspector, from Node.
 *
 * A breaker guards a flaky fake service for a few seconds. Every call (success, failure,
 * rejection, probe), every transition and every snapshot goes to the inspector:
 *
 *   breaker --inspect--> createWebSocketInspector --ws--> createInspectorServer --ws--> browser tab
 *                        (@statelyai/inspect)             (@statelyai/inspect/server)  (stately.ai/inspect
 *                                                                                      in an iframe)
 *
 * Options: `--seconds 20` (how long to drive the breaker, default 10), `--port 9000` (default
 * 8080, or a free port when 8080 is taken; 0 picks a free one), `--no-open` (print the address
 * instead of opening a browser). Ctrl-C stops early. The inspector UI itself loads from
 * https://stately.ai/inspect, so the browser needs the internet; the server keeps the last 200
 * messages and replays them to a tab that connects late. Offline, `npm run dashboard`
 * (examples/dashboard.ts) shows breakers and any actor with no internet.
 *
 * The process ends by itself once the breaker is disposed. Three things would otherwise keep it
 * alive; `shutDown` deals with each, using the helpers below (also used by test/inspect.test.ts):
 * - queued inspection events: the inspector converts and sends each one on its own 0 ms timer,
 *   so the final `stopped` snapshot is sent after `dispose()` returns;
 * - the inspector's websocket and, in @statelyai/inspect 0.7.2, its reconnect loop: `stop()`
 *   closes the socket, but a socket that errors (one closed while still connecting included)
 *   schedules a new connection 5 s later, and `stop()` cancels neither;
 * - the server's connections: its `stop()` stops listening but leaves connected clients (an open
 *   inspector tab) connected.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { CircuitBreaker, CircuitOpenError } from '../src/index.js';

/** What `createWebSocketInspector` returns. */
export type WebSocketInspector = ReturnType<typeof createWebSocketInspector>;

/**
 * A port the inspector server can listen on: `preferred` if it is free, else any free one.
 * `createInspectorServer` puts no error handler on its HTTP server, so a port in use would crash
 * the process with EADDRINUSE; probing first, the way it listens (every interface, no host),
 * avoids that.
 */
export function findPort(preferred: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' && preferred !== 0) resolve(findPort(0));
      else reject(error);
    });
    probe.listen(preferred, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `createInspectorServer` (listening at once) and remembers the connections it accepts,
 * so that `close()` also disconnects open inspector tabs and other clients. The server's own
 * `stop()` closes the listening socket but not connected websockets, and any of them keeps the
 * process alive. The server does not expose its sockets, so they are picked up from Node's
 * `net.server.socket` diagnostics channel, which reports every accepted connection.
 */
export function startInspectorServer(port: number, autoOpen: boolean): { close(): void } {
  const sockets = new Set<net.Socket>();
  const track = (message: unknown) => {
    const { socket } = message as { socket: net.Socket };
    if (socket.localPort !== port) return; // another server of this process
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  diagnosticsChannel.subscribe('net.server.socket', track);
  const server = createInspectorServer({ port, autoOpen });
  let closed = false;
  return {
    close() {
      if (closed) return;
      closed = true;
      server.stop();
      for (const socket of sockets) socket.destroy();
      diagnosticsChannel.unsubscribe('net.server.socket', track);
    },
  };
}

/** What is used here of the inspector's websocket (a `ws` WebSocket in Node). */
interface InspectorSocket {
  readyState: number;
  onerror: ((event: unknown) => void) | null;
  close(): void;
  addEventListener(type: 'close', listener: () => void): void;
}
const CLOSED = 3;

function asInspectorSocket(value: unknown): InspectorSocket | undefined {
  return typeof value === 'object' && value !== null && 'readyState' in value
    ? (value as InspectorSocket)
    : undefined;
}

/** Closes `socket` without the error handler that would reconnect. */
function closeQuietly(socket: InspectorSocket): void {
  socket.onerror = () => {};
  socket.close();
}

/**
 * Stops a websocket inspector for good and waits (at most `timeoutMs`) until its socket has
 * closed. In @statelyai/inspect 0.7.2, `inspector.stop()` closes the socket but keeps its error
 * handler, which reconnects 5 s later (closing a socket that is still connecting is an error),
 * and does not cancel a reconnect already scheduled. So the handler is silenced first, and a
 * socket that a scheduled reconnect still opens is closed at once, silently: the process then
 * exits at the latest when that last 5 s timer has run. The socket sits in the adapter's private
 * `ws` field; if a later version moves it, this is plain `stop()`.
 */
export async function stopWebSocketInspector(
  inspector: WebSocketInspector,
  timeoutMs = 2000,
): Promise<void> {
  const adapter = inspector.adapter as unknown as { ws?: unknown };
  let current = adapter.ws;
  const socket = asInspectorSocket(current);
  if (socket) {
    socket.onerror = () => {};
    Object.defineProperty(adapter, 'ws', {
      configurable: true,
      get: () => current,
      set(next: unknown) {
        current = next;
        const late = asInspectorSocket(next);
        // The reconnect sets its handlers right after this assignment; close after that.
        if (late) queueMicrotask(() => closeQuietly(late));
      },
    });
  }
  inspector.stop();
  if (!socket || socket.readyState === CLOSED) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    socket.addEventListener('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The demo: a breaker on a flaky fake service, inspected for `--seconds`. */
async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      port: { type: 'string', default: '8080' },
      'no-open': { type: 'boolean', default: false },
    },
  });
  const seconds = Number(args.seconds);
  const requestedPort = Number(args.port);
  if (!(seconds > 0) || !Number.isInteger(requestedPort) || requestedPort < 0) {
    console.error('usage: tsx examples/inspect-node.ts [--seconds N] [--port N] [--no-open]');
    process.exitCode = 2;
    return;
  }

  // The fake service: mostly healthy, then down, then flapping, then healthy, every 4 s.
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  const serviceIsDown = () => {
    const t = (Date.now() - started) % 4000;
    if (t < 1200) return Math.random() < 0.05;
    if (t < 2400) return true;
    if (t < 3000) return Math.random() < 0.5;
    return false;
  };
  const flakyService = async (request: number) => {
    await sleep(10 + Math.random() * 20);
    if (serviceIsDown()) throw new Error(`request ${request}: 503 Service Unavailable`);
    return `request ${request}: 200 OK`;
  };

  const port = await findPort(requestedPort);
  const server = startInspectorServer(port, !args['no-open']);
  const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
  const breaker = new CircuitBreaker({
    name: 'flaky-service',
    failureThreshold: 3,
    resetTimeout: 700,
    inspect: inspector.inspect,
  });
  breaker.on('stateChange', ({ from, to }) => {
    console.log(`${elapsed()}  ${from.padEnd(8)} -> ${to.padEnd(8)} ${breaker}`);
  });

  console.log(`Stately inspector: http://localhost:${port}`);
  console.log(
    args['no-open']
      ? '  open it in a browser (it loads https://stately.ai/inspect, so it needs the internet)'
      : '  opening it in your browser (it loads https://stately.ai/inspect from the internet)',
  );
  console.log(`Driving breaker '${breaker.name}' for ${seconds} s; Ctrl-C stops early.\n`);

  let stopping = false;
  const onSigint = () => {
    stopping = true;
  };
  process.once('SIGINT', onSigint);

  const tally = { ok: 0, failed: 0, rejected: 0 };
  for (let request = 1; !stopping && Date.now() - started < seconds * 1000; request++) {
    try {
      await breaker.call(flakyService, request);
      tally.ok += 1;
    } catch (error) {
      if (error instanceof CircuitOpenError) tally.rejected += 1;
      else tally.failed += 1;
    }
    await sleep(100);
  }

  // Shut down: the breaker, then what was attached to it for inspection.
  breaker.dispose();
  // Let the inspector send what is queued, up to the `stopped` snapshot: it converts each
  // inspection event on its own 0 ms timer, and timers of equal delay run in order.
  await sleep(0);
  await stopWebSocketInspector(inspector);
  server.close();
  process.off('SIGINT', onSigint);
  console.log(`\nok=${tally.ok} failed=${tally.failed} rejected=${tally.rejected}`);
  console.log('breaker disposed, inspector stopped, server closed: exiting');
}

// Run only as a script (`tsx examples/inspect-node.ts`), not when a test imports the helpers.
if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  await main();
}
