/**
 * The inspection examples offline: the Stately inspector UI loads from https://stately.ai, and
 * when it cannot, both examples say so plainly (and point to the coming offline dashboard)
 * instead of showing a blank page. Nothing here reaches the internet: the Node example is
 * pointed at a closed loopback port, the browser page runs on a stub DOM whose inspector
 * window never answers.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { describe, expect, test } from 'vitest';
import { bundlePage } from '../examples/inspect-browser/serve.js';
import { canReach, offlineMessage } from '../examples/inspect-node.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** A loopback URL nothing listens on: connecting is refused at once. */
async function closedUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/inspect`;
}

describe('examples/inspect-node.ts offline', () => {
  test('canReach answers false for a URL that cannot be reached, true for one that answers', async () => {
    expect(await canReach(await closedUrl(), new AbortController().signal)).toBe(false);
    const server = net.createServer((socket) =>
      socket.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      expect(await canReach(`http://127.0.0.1:${port}/`, new AbortController().signal)).toBe(true);
    } finally {
      server.close();
    }
  });

  test('prints plainly that the inspector cannot be reached, and still runs and exits', async () => {
    const url = await closedUrl();
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'examples/inspect-node.ts',
        '--no-open',
        '--port',
        '0',
        '--seconds',
        '1',
        '--inspector-url',
        url,
      ],
      { cwd: root, timeout: 20_000 },
    );
    expect(stdout).toContain(offlineMessage(url));
    expect(offlineMessage(url)).toContain(`${url} cannot be reached`);
    expect(offlineMessage(url)).toContain('npm run dashboard');
    expect(stdout).toContain('breaker disposed, inspector stopped, server closed: exiting');
  }, 30_000);
});

/** Runs the bundled page on a stub DOM; `connect` makes the inspector window answer. */
async function runPage(connect: boolean) {
  const code = await bundlePage();
  const elements = new Map<string, Record<string, unknown>>();
  const element = (id: string) => {
    let found = elements.get(id);
    if (!found) {
      found = {
        textContent: '',
        hidden: true,
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
  const messageListeners: Array<(event: { data: unknown }) => void> = [];
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  const page: Record<string, unknown> = {
    console,
    setTimeout: (callback: () => void, ms: number) => {
      const timer = setTimeout(callback, ms);
      timers.push(timer);
      return timer;
    },
    clearTimeout,
    performance,
    EventTarget,
    Event,
    URL,
    URLSearchParams,
    location: { search: '?inspectorWait=50' },
    requestIdleCallback: (callback: () => void) => setTimeout(callback, 0),
    document: { getElementById: element },
    open: () => ({ postMessage: () => undefined }),
    addEventListener(type: string, listener: (event: { data: unknown }) => void) {
      if (type === 'message') messageListeners.push(listener);
    },
  };
  page.window = page;
  page.self = page;
  vm.runInNewContext(code, page);
  (element('start').onclick as () => void)();
  if (connect) {
    for (const listener of messageListeners) listener({ data: { type: '@statelyai.connected' } });
  }
  await new Promise((resolve) => setTimeout(resolve, 300)); // past the 50 ms wait
  const stop = () => {
    (element('stop').onclick as () => void)();
  };
  return { notice: element('notice'), log: element('log'), stop, timers };
}

describe('examples/inspect-browser offline', () => {
  test('the page says plainly that stately.ai cannot be reached when the inspector never answers', async () => {
    const { notice, log, stop } = await runPage(false);
    try {
      expect(notice.hidden).toBe(false);
      expect(notice.textContent).toMatch(/https:\/\/stately\.ai cannot be reached/);
      expect(notice.textContent).toContain('npm run dashboard');
      expect(log.textContent).toContain('the inspector window did not load');
      expect(log.textContent).not.toContain('the inspector window is connected');
    } finally {
      stop();
    }
  }, 30_000);

  test('no notice once the inspector window answers', async () => {
    const { notice, log, stop } = await runPage(true);
    try {
      expect(notice.hidden).toBe(true);
      expect(log.textContent).toContain('the inspector window is connected');
    } finally {
      stop();
    }
  }, 30_000);
});
