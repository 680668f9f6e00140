import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { type Dashboard, startDashboard, TRACE_FORMAT } from '../src/dashboard/index.js';
import { BreakerRegistry } from '../src/index.js';
import { is, openEvents } from './dashboard-helpers.js';
import { fakeStoreStatus } from './fake-breaker-source.js';
import { fakeStore } from './fake-store.js';
import { failTimes } from './helpers.js';

const TOKEN = 'correct-horse-battery';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function live(options: { token?: string } = {}) {
  const registry = new BreakerRegistry({ defaults: { failureThreshold: 2, resetTimeout: 60_000 } });
  const dashboard = await startDashboard({ registry, ...options });
  cleanups.push(
    () => registry.dispose(),
    () => dashboard.close(),
  );
  return { registry, dashboard };
}

const post = (dashboard: Dashboard, path: string, token?: string) =>
  fetch(new URL(path, dashboard.url), {
    method: 'POST',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });

describe('startDashboard options', () => {
  const registry = new BreakerRegistry();
  it.each([
    [null, TypeError, 'options must be an object, got null'],
    [{ registry, colour: 'red' }, TypeError, 'unknown option "colour"'],
    [{}, TypeError, 'give either a registry (live breakers) or a trace (a recorded session)'],
    [{ registry, trace: 'x.jsonl' }, TypeError, 'give either a registry'],
    [{ registry: {} }, TypeError, 'registry must be a BreakerRegistry, got {}'],
    [{ registry, port: '80' }, TypeError, 'port must be a number, got "80"'],
    [{ registry, port: 70_000 }, RangeError, 'port must be an integer between 0 and 65535'],
    [{ registry, port: 1.5 }, RangeError, 'got 1.5'],
    [{ registry, host: '' }, TypeError, 'host must be a non-empty string, got ""'],
    [{ registry, token: 42 }, TypeError, 'token must be a string, got 42'],
    [{ registry, token: 'short' }, RangeError, 'token must be at least 8 printable ASCII'],
    [{ registry, token: 'has a space' }, RangeError, 'without spaces'],
    [{ trace: '' }, TypeError, 'trace must be a non-empty file path, got ""'],
    [{ registry, host: '0.0.0.0' }, RangeError, 'host "0.0.0.0" is not a loopback address'],
    [{ registry, host: '192.168.1.20' }, RangeError, 'host "192.168.1.20"'],
    [{ registry, host: 'example.com' }, RangeError, 'host "example.com"'],
    [{ registry, host: '::' }, RangeError, 'host "::"'],
  ])('refuses %j', async (options, errorClass, message) => {
    const error = await startDashboard(options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    expect((error as Error).message).toContain(message);
  });

  it('binds loopback names without a token, a non-loopback host with one', async () => {
    for (const host of ['localhost', '127.0.0.1', '::1']) {
      const dashboard = await startDashboard({ registry, host });
      expect(dashboard.url).toMatch(/^http:\/\/(127\.0\.0\.1|\[::1\]):\d+\/$/);
      await dashboard.close();
    }
    const open = await startDashboard({ registry, host: '0.0.0.0', token: TOKEN });
    expect(open.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/$/);
    await open.close();
  });

  it('reports a port in use', async () => {
    const first = await startDashboard({ registry });
    const port = Number(new URL(first.url).port);
    await expect(startDashboard({ registry, port })).rejects.toThrow(/EADDRINUSE/);
    await first.close();
  });
});

describe('the HTTP contract', () => {
  it('reports each breaker store status, and pushes a change when the store reports it', async () => {
    const registry = new BreakerRegistry();
    const store = fakeStoreStatus(registry.get('shared'), 'connected');
    registry.get('local');
    const dashboard = await startDashboard({ registry });
    cleanups.push(
      () => registry.dispose(),
      () => dashboard.close(),
    );
    const list = (await (await fetch(new URL('/api/breakers', dashboard.url))).json()) as Array<{
      name: string;
      storeStatus: unknown;
    }>;
    expect(list.map((b) => [b.name, b.storeStatus])).toEqual([
      ['shared', 'connected'],
      ['local', null],
    ]);
    // The dashboard listens to the store's status (one listener), so a change needs no poll.
    expect(store.listenerCount).toBe(1);
    const events = await openEvents(dashboard.url);
    cleanups.push(() => events.close());
    await events.next(is('breaker', (m) => m.name === 'shared' && m.storeStatus === 'connected'));
    store.set('degraded');
    const pushed = await events.next(
      is('breaker', (m) => m.name === 'shared' && m.storeStatus === 'degraded'),
    );
    expect(pushed.state).toBe('closed');
    await dashboard.close();
    expect(store.listenerCount).toBe(0);
  });

  it('serves the page and its script from itself, with a same-origin policy', async () => {
    const { dashboard } = await live();
    const page = await fetch(dashboard.url);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="/dashboard.js" defer></script>');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await (await fetch(new URL('/dashboard.js', dashboard.url))).text();
    expect(script).toMatch(/new EventSource\(["']\/api\/events["']\)/);
    expect(script).toContain(TRACE_FORMAT);
    expect(script).not.toMatch(/https?:\/\//);
    expect((await fetch(new URL('/favicon.ico', dashboard.url))).status).toBe(204);
    expect((await fetch(new URL('/nope', dashboard.url))).status).toBe(404);
    expect((await fetch(new URL('/api/trace', dashboard.url))).status).toBe(404);
    expect((await fetch(dashboard.url, { method: 'DELETE' })).status).toBe(405);
  });

  it('pushes the store status of a breaker made with the store option', async () => {
    const { store, circuit } = fakeStore();
    const registry = new BreakerRegistry();
    registry.get('payments', { store });
    const dashboard = await startDashboard({ registry });
    cleanups.push(
      () => registry.dispose(),
      () => dashboard.close(),
    );
    const events = await openEvents(dashboard.url);
    cleanups.push(() => events.close());
    await events.next(is('breaker', (m) => m.name === 'payments' && m.storeStatus === 'connected'));
    circuit().setStatus('degraded');
    await events.next(is('breaker', (m) => m.name === 'payments' && m.storeStatus === 'degraded'));
  });

  it('GET /api/breakers lists name, state, stats, metrics, lastTransition and storeStatus', async () => {
    const { registry, dashboard } = await live();
    await failTimes(registry.get('users'), 2);
    registry.get('orders');
    const list = (await (await fetch(new URL('/api/breakers', dashboard.url))).json()) as Array<
      Record<string, unknown>
    >;
    expect(list.map((b) => [b.name, b.state])).toEqual([
      ['users', 'open'],
      ['orders', 'closed'],
    ]);
    expect(Object.keys(list[0] ?? {}).sort()).toEqual(
      ['lastTransition', 'metrics', 'name', 'state', 'stats', 'storeStatus'].sort(),
    );
    expect(list[0]?.stats).toMatchObject({ totalFailures: 2, timesOpened: 1 });
    expect(list[0]?.lastTransition).toMatchObject({
      from: 'closed',
      to: 'open',
      reason: 'consecutiveFailures',
    });
    expect(list[0]?.metrics).toMatchObject({ state: 'open', failureRate: null });
    expect(list[1]?.lastTransition).toBeNull();
  });

  it('admin actions answer 403 without a configured token', async () => {
    const { registry, dashboard } = await live();
    registry.get('users');
    const response = await post(dashboard, '/api/breakers/users/forceOpen', TOKEN);
    expect(response.status).toBe(403);
    expect(registry.get('users').state).toBe('closed');
  });

  it('admin actions need the right Bearer token: 401, 404, 204', async () => {
    const { registry, dashboard } = await live({ token: TOKEN });
    const users = registry.get('users');
    expect((await post(dashboard, '/api/breakers/users/forceOpen')).status).toBe(401);
    expect((await post(dashboard, '/api/breakers/users/forceOpen', 'wrong-token!')).status).toBe(
      401,
    );
    expect((await post(dashboard, '/api/breakers/users/forceOpen', `${TOKEN}x`)).status).toBe(401);
    expect(users.state).toBe('closed');
    expect((await post(dashboard, '/api/breakers/nobody/forceOpen', TOKEN)).status).toBe(404);
    expect((await post(dashboard, '/api/breakers/users/explode', TOKEN)).status).toBe(404);
    expect((await post(dashboard, '/api/breakers/users/toString', TOKEN)).status).toBe(404);
    expect((await post(dashboard, '/api/breakers/%E0%A4%A/reset', TOKEN)).status).toBe(400);
    expect((await fetch(new URL('/api/breakers/users/reset', dashboard.url))).status).toBe(405);

    expect((await post(dashboard, '/api/breakers/users/forceOpen', TOKEN)).status).toBe(204);
    expect(users.state).toBe('forcedOpen');
    expect((await post(dashboard, '/api/breakers/users/forceClose', TOKEN)).status).toBe(204);
    expect(users.state).toBe('closed');
    await failTimes(users, 2);
    expect((await post(dashboard, '/api/breakers/users/reset', TOKEN)).status).toBe(204);
    expect(users.state).toBe('closed');

    users.dispose(); // behind the registry's back: the action cannot run
    expect((await post(dashboard, '/api/breakers/users/reset', TOKEN)).status).toBe(409);
  });

  it('bound to loopback, it answers only requests naming a loopback host', async () => {
    const { dashboard } = await live();
    const { port } = new URL(dashboard.url);
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          { host: '127.0.0.1', port, path: '/api/breakers', headers: { host } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on('error', reject);
        request.end();
      });
    expect(await status('evil.example')).toBe(403);
    expect(await status('evil.example:80')).toBe(403);
    expect(await status('[bad')).toBe(403);
    expect(await status(`localhost:${port}`)).toBe(200);
    expect(await status(`127.0.0.1:${port}`)).toBe(200);
    expect(await status(`[::1]:${port}`)).toBe(200);
  });

  it('names with slashes and spaces work once encoded', async () => {
    const { registry, dashboard } = await live({ token: TOKEN });
    const odd = registry.get('pay/ments eu');
    const path = `/api/breakers/${encodeURIComponent('pay/ments eu')}/forceOpen`;
    expect((await post(dashboard, path, TOKEN)).status).toBe(204);
    expect(odd.state).toBe('forcedOpen');
  });
});

describe('the event stream', () => {
  it('starts with the session, the chart and every breaker, then pushes changes', async () => {
    const { registry, dashboard } = await live();
    const users = registry.get('users');
    const events = await openEvents(dashboard.url);
    cleanups.push(() => events.close());
    expect(events.response.headers.get('content-type')).toContain('text/event-stream');
    const session = await events.next(is('session'));
    expect(session).toMatchObject({ mode: 'live', admin: false });
    const chart = await events.next(is('chart'));
    expect(chart.svg).toContain('data-state-node="open"');
    const first = await events.next(is('breaker', (b) => b.name === 'users'));
    expect(first).toMatchObject({ state: 'closed', chart: chart.key, retryAt: null });
    expect(first.config).toMatchObject({ failureThreshold: 2 });

    await failTimes(users, 2);
    const transition = await events.next(is('transition'));
    expect(transition).toMatchObject({
      name: 'users',
      from: 'closed',
      to: 'open',
      reason: 'consecutiveFailures',
    });
    const opened = await events.next(is('breaker', (b) => b.state === 'open'));
    expect(opened.transitions).toHaveLength(1);
    expect(opened.retryAt).toBeGreaterThan(Date.now() + 50_000);
    expect(opened.stats).toMatchObject({ totalFailures: 2 });
    expect(opened.trip).toMatchObject({
      reason: 'consecutiveFailures',
      consecutiveFailures: 2,
      failureThreshold: 2,
    });
    users.forceOpen();
    await events.next(is('breaker', (b) => b.state === 'forcedOpen' && b.trip === null));

    registry.get('late');
    await events.next(is('breaker', (b) => b.name === 'late'));
    registry.remove('late');
    await events.next(is('removed', (m) => m.name === 'late'));
  });

  it('pushes counters only when they changed', async () => {
    const { registry, dashboard } = await live();
    const users = registry.get('users');
    const events = await openEvents(dashboard.url);
    cleanups.push(() => events.close());
    await events.next(is('breaker'));
    await users.call(() => 'ok');
    const counted = await events.next(
      is('breaker', (b) => (b.stats.totalSuccesses as number) === 1),
      2_000,
    );
    expect(counted.state).toBe('closed');
    await new Promise((resolve) => setTimeout(resolve, 700)); // a few polls with nothing new
    expect(events.received.filter(is('breaker'))).toHaveLength(2);
  });

  it('close() ends every stream', async () => {
    const { dashboard } = await live();
    const events = await openEvents(dashboard.url);
    await events.next(is('session'));
    await dashboard.close();
    await dashboard.close();
    await events.whenEnded();
    await events.close();
  });
});

describe('dashboard.inspect', () => {
  it('puts any actor on the stream with its chart, state, context and events', async () => {
    const { dashboard } = await live();
    const events = await openEvents(dashboard.url);
    cleanups.push(() => events.close());
    const machine = createMachine({
      id: 'door',
      initial: 'closed',
      context: { opens: 0, handle: () => 1 },
      states: {
        closed: { on: { OPEN: 'opened' } },
        opened: {
          initial: 'swinging',
          states: { swinging: { on: { STOP: 'still' } }, still: {} },
          on: { CLOSE: 'closed' },
        },
      },
    });
    const actor = createActor(machine, { id: 'front-door', inspect: dashboard.inspect });
    cleanups.push(() => actor.stop());
    actor.start();
    actor.send({ type: 'OPEN' });
    const chart = await events.next(is('chart', (c) => c.svg.includes('swinging')));
    expect(chart.svg).toContain('data-state-node="opened"');
    expect(chart.svg).toContain('data-initial-of="opened"');
    const view = await events.next(is('actor', (a) => a.id === 'front-door'));
    expect(view).toMatchObject({
      chart: chart.key,
      value: { opened: 'swinging' },
      active: ['swinging'],
      context: { opens: 0, handle: '[function handle]' },
      status: 'active',
    });
    expect(view.events.map((e) => e.type)).toEqual(['xstate.init', 'OPEN']);
  });

  it('a page that connects later sees the actors inspected so far', async () => {
    const { dashboard } = await live();
    const counter = createActor(createMachine({ id: 'c', initial: 'idle', states: { idle: {} } }), {
      inspect: dashboard.inspect,
    });
    counter.start();
    cleanups.push(() => counter.stop());
    const early = await openEvents(dashboard.url);
    cleanups.push(() => early.close());
    await early.next(is('actor')); // sent to the pages connected then
    const events = await openEvents(dashboard.url);
    cleanups.push(() => events.close());
    const view = await events.next(is('actor'));
    expect(view).toMatchObject({ value: 'idle', active: ['idle'], chart: expect.any(String) });
    expect(view.events.map((e) => e.type)).toEqual(['xstate.init']);
    const chart = events.received.find(is('chart', (c) => c.key === view.chart));
    expect(chart?.svg).toContain('data-state-node="idle"');
    expect(events.received.indexOf(chart as never)).toBeLessThan(events.received.indexOf(view));
  });
});

describe('replaying a trace', () => {
  const directory = mkdtempSync(join(tmpdir(), 'dashboard-trace-'));
  const file = (name: string, text: string) => {
    const path = join(directory, name);
    writeFileSync(path, text);
    return path;
  };
  const header = JSON.stringify({ type: 'trace', format: TRACE_FORMAT, version: 1, recordedAt: 1 });

  it('serves the trace and says it is a replay, with no live breakers', async () => {
    const trace = file('ok.jsonl', `${header}\n\n{"type":"removed","name":"x","t":5}\n`);
    const dashboard = await startDashboard({ trace });
    cleanups.push(() => dashboard.close());
    const text = await (await fetch(new URL('/api/trace', dashboard.url))).text();
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).type),
    ).toEqual(['trace', 'removed']);
    expect(await (await fetch(new URL('/api/breakers', dashboard.url))).json()).toEqual([]);
    const events = await openEvents(dashboard.url);
    cleanups.push(() => events.close());
    expect(await events.next(is('session'))).toMatchObject({ mode: 'replay' });
  });

  it('refuses files that are not traces', async () => {
    await expect(startDashboard({ trace: join(directory, 'missing.jsonl') })).rejects.toThrow(
      /ENOENT/,
    );
    await expect(startDashboard({ trace: file('a.jsonl', '{"type":"x"}\n') })).rejects.toThrow(
      /the first line must be a header/,
    );
    await expect(startDashboard({ trace: file('b.jsonl', '') })).rejects.toThrow(
      /the first line must be a header/,
    );
    await expect(startDashboard({ trace: file('c.jsonl', `${header}\nnope\n`) })).rejects.toThrow(
      /line 2 is not JSON/,
    );
    await expect(startDashboard({ trace: file('d.jsonl', `${header}\n[1]\n`) })).rejects.toThrow(
      /line 2 is not a message with a type/,
    );
  });
});
