import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/chromium.js';
import { type Dashboard, startDashboard } from '../src/dashboard/index.js';
import { BreakerRegistry } from '../src/index.js';
import { is, openEvents } from './dashboard-helpers.js';
import { fakeStoreStatus } from './fake-breaker-source.js';
import { failTimes } from './helpers.js';

const TOKEN = 'browser-test-token';

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A page on `dashboard`, recording every request it makes and every script error. */
async function open(dashboard: Dashboard): Promise<{ page: Page; requests: string[] }> {
  const context = await browser.newContext({ acceptDownloads: true });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => errors.push(String(error)));
  cleanups.push(() => expect(errors).toEqual([]));
  await page.goto(dashboard.url);
  return { page, requests };
}

async function live(token?: string) {
  const registry = new BreakerRegistry({ defaults: { failureThreshold: 3, resetTimeout: 60_000 } });
  const dashboard = await startDashboard(token === undefined ? { registry } : { registry, token });
  cleanups.push(
    () => registry.dispose(),
    () => dashboard.close(),
  );
  return { registry, dashboard };
}

describe('the dashboard in a real browser', () => {
  it('shows a breaker opening within a second, with every request on its own origin', async () => {
    const { registry, dashboard } = await live();
    const users = registry.get('users');
    registry.get('orders');
    const { page, requests } = await open(dashboard);
    const card = page.locator('[data-breaker="users"]');
    await card.locator('svg [data-state-node="closed"][data-active="true"]').waitFor();
    await expect(card.getAttribute('data-state')).resolves.toBe('closed');

    await failTimes(users, 3);
    const started = Date.now();
    await page
      .locator(
        '[data-breaker="users"][data-state="open"] svg [data-state-node="open"][data-active="true"]',
      )
      .waitFor({ timeout: 1_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(
      card.locator('svg [data-state-node="closed"]').getAttribute('data-active'),
    ).resolves.toBe('false');
    // Of the edges from closed to open, the one of this reason is lit.
    const lit = await card.locator('svg [data-last-edge="true"] text').allTextContents();
    expect(lit).toEqual([expect.stringContaining('consecutiveFailures')]);
    const entry = card.locator('[data-transition]').first();
    await expect(entry.textContent()).resolves.toMatch(/closed → open/);
    await expect(entry.textContent()).resolves.toContain('(consecutiveFailures)');
    await expect(entry.getAttribute('data-reason')).resolves.toBe('consecutiveFailures');
    await expect(card.locator('.counters').textContent()).resolves.toContain(
      'tripped at3 / 3 failures in a row',
    );
    await expect(card.locator('.counters').textContent()).resolves.toMatch(
      /half-open in\s*(59|60)\./,
    );
    await expect(page.locator('[data-breaker="orders"]').getAttribute('data-state')).resolves.toBe(
      'closed',
    );

    // The filter box hides cards whose name does not match.
    await page.fill('#filter', 'ord');
    await expect(card.isHidden()).resolves.toBe(true);
    await expect(page.locator('[data-breaker="orders"]').isVisible()).resolves.toBe(true);

    const origin = new URL(dashboard.url).origin;
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const url of requests) expect(new URL(url).origin).toBe(origin);
  });

  it('badges a breaker with a store as connected or degraded, and no other breaker', async () => {
    const registry = new BreakerRegistry({ defaults: { failureThreshold: 3 } });
    const store = fakeStoreStatus(registry.get('payments'), 'connected');
    registry.get('users');
    const dashboard = await startDashboard({ registry });
    cleanups.push(
      () => registry.dispose(),
      () => dashboard.close(),
    );
    const { page } = await open(dashboard);
    const payments = page.locator('[data-breaker="payments"]');
    await page.locator('[data-breaker="payments"][data-store="connected"]').waitFor();
    const badge = payments.locator('[data-store-status]');
    await expect(badge.textContent()).resolves.toBe('store connected');
    await expect(badge.isVisible()).resolves.toBe(true);
    const users = page.locator('[data-breaker="users"]');
    await users.waitFor();
    await expect(users.getAttribute('data-store')).resolves.toBeNull();
    await expect(users.locator('[data-store-status]').isHidden()).resolves.toBe(true);
    // The chart's store region lights the breaker's store state: standalone without a store.
    await users.locator('svg [data-state-node="standalone"][data-active="true"]').waitFor();
    await payments.locator('svg [data-state-node="connected"][data-active="true"]').waitFor();
    await expect(
      payments.locator('svg [data-state-node="standalone"]').getAttribute('data-active'),
    ).resolves.toBe('false');

    store.set('degraded');
    const started = Date.now();
    await page
      .locator('[data-breaker="payments"][data-store="degraded"]')
      .waitFor({ timeout: 1_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(badge.textContent()).resolves.toBe('store degraded');
    await expect(badge.getAttribute('title')).resolves.toContain('onStoreUnavailable');
    await payments.locator('svg [data-state-node="degraded"][data-active="true"]').waitFor();
    // A degraded store is a badge, not a state: the circuit is still the breaker's own.
    await expect(payments.getAttribute('data-state')).resolves.toBe('closed');
    store.set('connected');
    await page.locator('[data-breaker="payments"][data-store="connected"]').waitFor();
  });

  it('admin buttons need the token typed into the token field', async () => {
    const { registry, dashboard } = await live(TOKEN);
    const users = registry.get('users');
    const { page } = await open(dashboard);
    const card = page.locator('[data-breaker="users"]');
    const result = card.locator('.admin-result');
    await card.locator('[data-action="forceOpen"]').click();
    await page.locator('[data-breaker="users"] .admin-result[data-result="401"]').waitFor();
    expect(users.state).toBe('closed');

    await page.fill('#token', 'not-the-token');
    await card.locator('[data-action="forceOpen"]').click();
    await page.locator('[data-breaker="users"] .admin-result[data-result="401"]').waitFor();
    await page.fill('#token', TOKEN);
    await card.locator('[data-action="forceOpen"]').click();
    await page.locator('[data-breaker="users"][data-state="forcedOpen"]').waitFor();
    await expect(result.getAttribute('data-result')).resolves.toBe('204');
    expect(users.state).toBe('forcedOpen');
    // FORCE_OPEN is drawn once, from the compound state around closed: that edge lights up.
    await card.locator('svg [data-last-edge="true"][data-edge-to="forcedOpen"]').first().waitFor();
    await card.locator('[data-action="forceClose"]').click();
    await page.locator('[data-breaker="users"][data-state="closed"]').waitFor();
    await failTimes(users, 3);
    await page.locator('[data-breaker="users"][data-state="open"]').waitFor();
    await card.locator('[data-action="reset"]').click();
    await page.locator('[data-breaker="users"][data-state="closed"]').waitFor();
    expect(users.state).toBe('closed');
  });

  it('a dashboard without a token is read-only: 403', async () => {
    const { registry, dashboard } = await live();
    const users = registry.get('users');
    const { page } = await open(dashboard);
    await page.fill('#token', TOKEN);
    await page.locator('[data-breaker="users"] [data-action="forceOpen"]').click();
    await page.locator('[data-breaker="users"] .admin-result[data-result="403"]').waitFor();
    expect(users.state).toBe('closed');
  });

  it('shows an inspected foreign machine with its chart, state, context and events', async () => {
    const { dashboard } = await live();
    const { page } = await open(dashboard);
    const light = createMachine({
      id: 'light',
      initial: 'green',
      context: { cycles: 0 },
      states: {
        green: { on: { NEXT: 'yellow' } },
        yellow: { on: { NEXT: 'red' } },
        red: { on: { NEXT: { target: 'green', actions: () => undefined } } },
      },
    });
    const actor = createActor(light, { id: 'traffic', inspect: dashboard.inspect });
    cleanups.push(() => actor.stop());
    actor.start();
    const card = page.locator('[data-actor="traffic"]');
    await card.locator('svg [data-state-node="green"][data-active="true"]').waitFor();
    actor.send({ type: 'NEXT' });
    await card.locator('svg [data-state-node="yellow"][data-active="true"]').waitFor();
    await expect(card.getAttribute('data-state')).resolves.toBe('yellow');
    await expect(card.locator('.context').textContent()).resolves.toContain('"cycles": 0');
    await expect(card.locator('[data-event]').allTextContents()).resolves.toEqual([
      expect.stringContaining('NEXT'),
      expect.stringContaining('xstate.init'),
    ]);
  });

  it('downloads the session as a trace that replays, from a file or startDashboard({ trace })', async () => {
    const { registry, dashboard } = await live();
    const users = registry.get('users');
    const { page } = await open(dashboard);
    await page.locator('[data-breaker="users"][data-state="closed"]').waitFor();
    await failTimes(users, 3);
    await page.locator('[data-breaker="users"][data-state="open"]').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const path = join(mkdtempSync(join(tmpdir(), 'dashboard-replay-')), 'trace.jsonl');
    await download.saveAs(path);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ type: 'trace', version: 1 });
    expect(lines.some((line) => JSON.parse(line).type === 'transition')).toBe(true);

    const replay = await startDashboard({ trace: path });
    cleanups.push(() => replay.close());
    const { page: replayPage, requests } = await open(replay);
    await replayPage.locator('body[data-mode="replay"]').waitFor();
    const card = replayPage.locator('[data-breaker="users"]');
    await replayPage.locator('[data-breaker="users"][data-state="open"]').waitFor();
    await replayPage.locator('#replay-position').fill('2');
    await replayPage.locator('[data-breaker="users"][data-state="closed"]').waitFor();
    await expect(
      card.locator('svg [data-state-node="closed"]').getAttribute('data-active'),
    ).resolves.toBe('true');
    await expect(card.locator('[data-action="reset"]').isDisabled()).resolves.toBe(true);
    const last = String(lines.length - 2);
    await replayPage.locator('#replay-position').fill(last);
    await replayPage.locator('[data-breaker="users"][data-state="open"]').waitFor();
    for (const url of requests) expect(new URL(url).origin).toBe(new URL(replay.url).origin);

    // The live page loads the same file through its file field.
    await page.setInputFiles('#trace-file', path);
    await page.locator('body[data-mode="replay"]').waitFor();
    await page.locator('#replay-position').fill('2');
    await page.locator('[data-breaker="users"][data-state="closed"]').waitFor();
  });
});

const BREAKERS = 200;
const CALLS_PER_SECOND = 1_000;

describe('200 breakers at 1,000 calls/s', () => {
  it('sends at most one update per breaker per poll, and the page keeps up', async () => {
    const registry = new BreakerRegistry({
      defaults: { failureThreshold: 3, resetTimeout: 60_000 },
    });
    const names = Array.from({ length: BREAKERS }, (_, i) => `service-${i}`);
    const breakers = names.map((name) => registry.get(name));
    const dashboard = await startDashboard({ registry });
    const events = await openEvents(dashboard.url);
    let calls = 0;
    const load = setInterval(() => {
      for (let i = 0; i < CALLS_PER_SECOND / 100; i++) {
        const breaker = breakers[calls % BREAKERS];
        calls += 1;
        breaker?.call(() => 'ok').catch(() => undefined); // the tripped one turns calls away
      }
    }, 10);
    try {
      const context = await browser.newContext();
      cleanups.push(() => context.close());
      const page = await context.newPage();
      await page.goto(dashboard.url);
      await page
        .locator('[data-breaker]')
        .nth(BREAKERS - 1)
        .waitFor({ timeout: 10_000 });
      expect(await page.locator('[data-breaker] svg').count()).toBe(BREAKERS);

      const before = events.received.length;
      const started = Date.now();
      await failTimes(registry.get('service-123'), 3);
      await page
        .locator(
          '[data-breaker="service-123"][data-state="open"] [data-state-node="open"][data-active="true"]',
        )
        .waitFor({ timeout: 1_000 });
      expect(Date.now() - started).toBeLessThan(1_000);

      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const window = (Date.now() - started) / 1_000;
      const updates = events.received.slice(before).filter(is('breaker')).length;
      // Polled every 250 ms: at most one message per breaker per poll, whatever the call rate.
      expect(updates).toBeLessThanOrEqual(BREAKERS * Math.ceil(window * 4 + 2));
      expect(updates).toBeGreaterThan(BREAKERS); // the counters did move
      expect(calls).toBeGreaterThan(CALLS_PER_SECOND);
    } finally {
      clearInterval(load);
      await events.close();
      await dashboard.close();
      registry.dispose();
    }
  });
});
