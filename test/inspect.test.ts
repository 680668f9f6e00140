/**
 * Live inspection, Node path, for real: the Stately inspector server on a free loopback port, a
 * websocket receiver in place of the browser tab, and a breaker whose `inspect` is a websocket
 * inspector. Plus the shutdown helpers of examples/inspect-node.ts, that example as a process,
 * and the browser example: served, and its bundle run on a stub DOM (no browser here).
 */
import { spawn } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { createWebSocketInspector } from '@statelyai/inspect';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { bundlePage, listen, pageServer } from '../examples/inspect-browser/serve.js';
import {
  startInspectorServer,
  stopWebSocketInspector,
  type WebSocketInspector,
} from '../examples/inspect-node.js';
import { CircuitBreaker, CircuitOpenError, circuitStateOf } from '../src/index.js';

/** The part of a `ws` client used here (`ws` ships no types; @statelyai/inspect depends on it). */
interface WsClient {
  on(event: 'open', listener: () => void): void;
  on(event: 'message', listener: (data: { toString(): string }) => void): void;
  on(event: 'close', listener: (code: number) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  terminate(): void;
}
const { WebSocket } = createRequire(import.meta.url)('ws') as {
  WebSocket: new (url: string) => WsClient;
};

const root = fileURLToPath(new URL('..', import.meta.url));
const WAIT_MS = 5_000;

/** A message the inspector server relays: a converted XState inspection event. */
interface Relayed {
  type: string;
  sessionId: string;
  name?: string;
  definition?: string;
  event?: { type: string } & Record<string, unknown>;
  snapshot?: { value?: unknown; status?: string; context?: Record<string, unknown> };
}

/** Rejects with a message naming `what` unless `promise` settles within `ms`. */
async function within<T>(
  promise: Promise<T>,
  what: string | (() => string),
  ms = WAIT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const text = typeof what === 'string' ? what : what();
      reject(new Error(`timed out after ${ms} ms: ${text}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A free port on 127.0.0.1, found by letting the system pick one. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Runs once, after each test, in reverse order of registration. */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  vi.useRealTimers();
  const errors: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await within(Promise.resolve(cleanup()), 'cleanup');
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
});

/** A websocket client of the inspector server, standing in for the browser tab. */
class Receiver {
  readonly messages: Relayed[] = [];
  readonly #socket: WsClient;
  readonly #closed: Promise<number>;
  #onMessage = () => {};

  private constructor(socket: WsClient) {
    this.#socket = socket;
    this.#closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as Relayed);
      this.#onMessage();
    });
  }

  static async connect(port: number): Promise<Receiver> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    const receiver = new Receiver(socket);
    cleanups.push(() => receiver.close());
    await within(
      new Promise<void>((resolve, reject) => {
        socket.on('open', resolve);
        socket.on('error', reject);
      }),
      `the receiver connecting to port ${port}`,
    );
    return receiver;
  }

  /** Resolves once some message satisfies `done`. */
  waitFor(done: (message: Relayed) => boolean, what: string): Promise<void> {
    return within(
      new Promise<void>((resolve) => {
        const check = () => {
          if (this.messages.some(done)) resolve();
        };
        this.#onMessage = check;
        check();
      }),
      () => `the receiver to see ${what}; saw ${JSON.stringify(summarize(this.messages))}`,
    );
  }

  /** Resolves with the close code once the server side has closed the connection. */
  closedByPeer(): Promise<number> {
    return within(this.#closed, 'the server to close the receiver');
  }

  async close(): Promise<void> {
    this.#socket.terminate();
    await this.#closed;
  }
}

/** One line per message, for failure messages: `event SUCCESS`, `snapshot open`, ... */
function summarize(messages: readonly Relayed[]): string[] {
  return messages.map((m) => {
    if (m.type === '@xstate.actor') return `actor ${m.name}`;
    if (m.type === '@xstate.event') return `event ${m.event?.type}`;
    if (m.type === '@xstate.snapshot') {
      const { value, status } = m.snapshot ?? {};
      const state = value === undefined ? 'undefined' : circuitStateOf(value as string);
      return `snapshot ${state}${status === 'active' ? '' : ` (${status})`} after ${m.event?.type}`;
    }
    return m.type;
  });
}

/** The Stately inspector server on a free loopback port, closed after the test. */
async function inspectorServer(): Promise<number> {
  const port = await freeLoopbackPort();
  const server = startInspectorServer(port, false);
  cleanups.push(() => server.close());
  return port;
}

function websocketInspector(port: number): WebSocketInspector {
  const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
  cleanups.push(() => stopWebSocketInspector(inspector));
  return inspector;
}

describe('a breaker inspected through the Stately inspector server', () => {
  test('the receiver sees the actor, then every event and every snapshot, in order', async () => {
    const port = await inspectorServer();
    const receiver = await Receiver.connect(port);
    const inspector = websocketInspector(port);
    const clock = new SimulatedClock();
    clock.set(1000);
    const breaker = new CircuitBreaker({
      name: 'inspected',
      clock,
      failureThreshold: 2,
      resetTimeout: 5000,
      inspect: inspector.inspect,
    });
    cleanups.push(() => breaker.dispose());
    const ok = () => Promise.resolve('ok');
    const boom = () => Promise.reject(new Error('boom'));

    await breaker.call(ok); // closed: a success
    clock.increment(10);
    await expect(breaker.call(boom)).rejects.toThrow('boom');
    await expect(breaker.call(boom)).rejects.toThrow('boom'); // the threshold: open
    expect(breaker.state).toBe('open');
    clock.increment(10);
    await expect(breaker.call(ok)).rejects.toBeInstanceOf(CircuitOpenError); // turned away
    clock.increment(5000); // the reset timeout passes: halfOpen
    expect(breaker.state).toBe('halfOpen');
    await breaker.call(ok); // the probe succeeds: closed
    expect(breaker.state).toBe('closed');
    breaker.dispose();

    await receiver.waitFor(
      (m) => m.type === '@xstate.snapshot' && m.snapshot?.status === 'stopped',
      'the stopped snapshot',
    );
    const { messages } = receiver;
    expect(summarize(messages)).toEqual([
      'actor inspected',
      'event xstate.init',
      'snapshot closed after xstate.init',
      'event SUCCESS',
      'snapshot closed after SUCCESS',
      'event FAILURE',
      'snapshot closed after FAILURE',
      'event FAILURE',
      'snapshot open after FAILURE',
      'event REQUEST',
      'snapshot open after REQUEST',
      'event xstate.after.resetTimeout.circuitBreaker.circuit.automatic.open',
      'snapshot halfOpen after xstate.after.resetTimeout.circuitBreaker.circuit.automatic.open',
      'event REQUEST',
      'snapshot halfOpen after REQUEST',
      'event SUCCESS',
      'snapshot closed after SUCCESS',
      'snapshot closed (stopped) after xstate.stop',
    ]);

    // All about one actor, registered with the machine's definition.
    const [actor] = messages;
    expect(new Set(messages.map((m) => m.sessionId))).toEqual(new Set([actor?.sessionId]));
    const definition = JSON.parse(actor?.definition ?? '{}') as { states?: object };
    expect(Object.keys(definition.states ?? {}).sort()).toEqual(['circuit', 'store']);

    // The events carry their payload, with the simulated clock's times.
    const events = messages.filter((m) => m.type === '@xstate.event').map((m) => m.event);
    expect(events.map((e) => e?.at)).toEqual([
      undefined, // xstate.init
      1000,
      1010,
      1010,
      1020,
      undefined, // the reset timer
      6020,
      6020,
    ]);
    expect(events[1]).toMatchObject({ type: 'SUCCESS', generation: expect.any(Number) });

    // Each snapshot carries the counters as they were at that point.
    const snapshots = messages.filter((m) => m.type === '@xstate.snapshot');
    const stats = snapshots.map((m) => m.snapshot?.context?.stats as Record<string, number>);
    expect(stats.map((s) => [s.totalSuccesses, s.totalFailures, s.totalRejections])).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [1, 1, 0],
      [1, 2, 0],
      [1, 2, 1],
      [1, 2, 1],
      [1, 2, 1],
      [2, 2, 1],
      [2, 2, 1],
    ]);
  });

  test('a receiver that connects late is replayed what it missed, in order', async () => {
    const port = await inspectorServer();
    const first = await Receiver.connect(port);
    const inspector = websocketInspector(port);
    const clock = new SimulatedClock();
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, inspect: inspector.inspect });
    cleanups.push(() => breaker.dispose());
    await expect(breaker.call(() => Promise.reject(new Error('boom')))).rejects.toThrow();
    await first.waitFor(
      (m) => circuitStateOf((m.snapshot?.value ?? '') as string) === 'open',
      'the open snapshot',
    );

    const late = await Receiver.connect(port);
    await late.waitFor(
      (m) => circuitStateOf((m.snapshot?.value ?? '') as string) === 'open',
      'the open snapshot',
    );
    expect(summarize(late.messages)).toEqual(summarize(first.messages));
  });
});

describe('shutting the Node path down (examples/inspect-node.ts)', () => {
  /** Counts the client sockets this process opens from now on. */
  function countClientSockets(): { readonly count: number } {
    const counter = { count: 0 };
    const onSocket = () => {
      counter.count += 1;
    };
    diagnosticsChannel.subscribe('net.client.socket', onSocket);
    cleanups.push(() => diagnosticsChannel.unsubscribe('net.client.socket', onSocket));
    return counter;
  }

  /** Lets `n` rounds of real I/O, ticks and microtasks happen while setTimeout is faked. */
  async function turns(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Lets real I/O happen, while setTimeout is faked, until `done()`. */
  async function ioUntil(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  test('stopWebSocketInspector closes an open connection, and nothing reconnects', async () => {
    const port = await inspectorServer();
    const receiver = await Receiver.connect(port);
    const inspector = websocketInspector(port);
    inspector.actor('probe');
    await receiver.waitFor((m) => m.type === '@xstate.actor', 'the inspector connected');

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sockets = countClientSockets();
    await stopWebSocketInspector(inspector);
    vi.advanceTimersByTime(60_000);
    await turns(10);
    expect(vi.getTimerCount()).toBe(0);
    expect(sockets.count).toBe(0);
  });

  test('stopWebSocketInspector while still connecting: no reconnect 5 s later', async () => {
    const port = await inspectorServer();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sockets = countClientSockets();
    const inspector = websocketInspector(port); // connecting
    expect(sockets.count).toBe(1);
    await stopWebSocketInspector(inspector); // plain stop() would schedule a reconnect here
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    await turns(10);
    expect(sockets.count).toBe(1);
  });

  test('stopWebSocketInspector after a failed connection: the scheduled reconnect is its last', async () => {
    const port = await freeLoopbackPort(); // nothing listens there
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sockets = countClientSockets();
    const inspector = websocketInspector(port);
    await ioUntil(() => vi.getTimerCount() === 1, 'the refused connection to schedule a reconnect');

    await stopWebSocketInspector(inspector);
    vi.advanceTimersByTime(5_000); // that reconnect cannot be cancelled: it runs, and is closed
    await ioUntil(() => sockets.count === 2, 'the scheduled reconnect');
    await turns(10); // its socket is closed (a microtask) and reports so (next tick)
    expect(vi.getTimerCount()).toBe(0); // without a further reconnect scheduled
    vi.advanceTimersByTime(60_000);
    await turns(10);
    expect(sockets.count).toBe(2);
  });

  test('closing the server disconnects its clients, such as an open inspector tab', async () => {
    const port = await freeLoopbackPort();
    const server = startInspectorServer(port, false);
    cleanups.push(() => server.close());
    const tab = await Receiver.connect(port);
    const closed = tab.closedByPeer();
    server.close();
    expect(await closed).toBe(1006); // dropped, not a close handshake: the server has no API for it
    await expect(Receiver.connect(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('examples/inspect-node.ts as a process', () => {
  /** Starts the example; `exited` settles with its exit code, bounded by `ms` once awaited. */
  function runExample(...args: string[]) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'examples/inspect-node.ts', '--no-open', '--port', '0', ...args],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    });
    return {
      child,
      output: () => output,
      exited: (ms: number) => within(exit, () => `the example to exit by itself:\n${output}`, ms),
    };
  }

  async function inspectorPort(output: () => string): Promise<number> {
    const found = () => /Stately inspector: http:\/\/localhost:(\d+)/.exec(output());
    const deadline = Date.now() + 15_000;
    while (!found()) {
      if (Date.now() > deadline) throw new Error(`no inspector address in: ${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return Number(found()?.[1]);
  }

  test('exits by itself when the breaker is disposed, even with an inspector tab open', async () => {
    const { output, exited } = runExample('--seconds', '1.5');
    const tab = await Receiver.connect(await inspectorPort(output));
    expect(await tab.closedByPeer()).toBe(1006); // the server side went away
    expect(await exited(15_000)).toBe(0);
    expect(output()).toContain('breaker disposed, inspector stopped, server closed');
    const seen = summarize(tab.messages);
    expect(seen[0]).toBe('actor flaky-service');
    expect(seen.at(-1)).toMatch(/\(stopped\) after xstate\.stop$/);
    expect(seen.filter((line) => line.startsWith('event ')).length).toBeGreaterThan(5);
  }, 30_000);

  test('Ctrl-C stops it early, and it still exits by itself', async () => {
    const { child, output, exited } = runExample('--seconds', '60');
    const tab = await Receiver.connect(await inspectorPort(output));
    await tab.waitFor((m) => m.type === '@xstate.event', 'a first event');
    child.kill('SIGINT');
    expect(await exited(10_000)).toBe(0);
    expect(summarize(tab.messages).at(-1)).toMatch(/\(stopped\) after xstate\.stop$/);
  }, 30_000);
});

describe('examples/inspect-browser', () => {
  test('serve.ts serves the page and its bundle on 127.0.0.1', async () => {
    const server = pageServer();
    cleanups.push(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    const port = await listen(server, 0);
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port });
    const page = await within(fetch(`http://127.0.0.1:${port}/`), 'the page');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<script type="module" src="./main.js">');
    const script = await within(fetch(`http://127.0.0.1:${port}/main.js`), 'the bundle', 15_000);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await within(fetch(`http://127.0.0.1:${port}/nope`), 'a 404')).status).toBe(404);
  }, 30_000);

  test('the bundled page, on a stub DOM: Start opens the inspector and every call reaches it', async () => {
    const code = await within(bundlePage(), 'esbuild', 15_000);
    // Just enough of a browser for main.ts and createBrowserInspector().
    const elements = new Map<string, Record<string, unknown>>();
    const element = (id: string) => {
      let found = elements.get(id);
      if (!found) {
        found = {
          textContent: '',
          hidden: false,
          disabled: false,
          dataset: {},
          addEventListener(type: string, listener: () => void) {
            this[`on${type}`] = listener;
          },
          querySelector: () => ({ value: 'healthy' }),
        };
        elements.set(id, found);
      }
      return found;
    };
    const click = (id: string) => (element(id).onclick as () => void)();
    const posted: Relayed[] = [];
    const opened: string[] = [];
    const messageListeners: Array<(event: { data: unknown }) => void> = [];
    const page: Record<string, unknown> = {
      console,
      setTimeout,
      clearTimeout,
      performance,
      EventTarget,
      Event,
      URL,
      requestIdleCallback: (callback: () => void) => setTimeout(callback, 0),
      document: { getElementById: element },
      open(url: string) {
        opened.push(url);
        return { postMessage: (message: Relayed) => posted.push(message) };
      },
      addEventListener(type: string, listener: (event: { data: unknown }) => void) {
        if (type === 'message') messageListeners.push(listener);
      },
    };
    page.window = page;
    page.self = page;
    vm.runInNewContext(code, page);

    click('start');
    expect(opened).toEqual(['https://stately.ai/inspect']);
    for (const listener of messageListeners) listener({ data: { type: '@statelyai.connected' } });
    const seen = () => summarize(posted);
    await within(
      (async () => {
        while (seen().filter((line) => line === 'event SUCCESS').length < 2) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      'two calls to reach the inspector window',
    );
    expect(element('state').textContent).toBe('closed');
    click('stop');
    await within(
      (async () => {
        while (posted.at(-1)?.type !== '@statelyai.disconnected') {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      'the inspector to be told the session ended',
    );
    expect(seen().slice(0, 5)).toEqual([
      'actor flaky-service',
      'event xstate.init',
      'snapshot closed after xstate.init',
      'event SUCCESS',
      'snapshot closed after SUCCESS',
    ]);
    expect(seen().slice(-2)).toEqual([
      'snapshot closed (stopped) after xstate.stop',
      '@statelyai.disconnected',
    ]);
  }, 30_000);
});
