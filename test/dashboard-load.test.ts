import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/chromium.js';
import { startDashboard } from '../src/dashboard/index.js';
import { BreakerRegistry } from '../src/index.js';
import { is, openEvents } from './dashboard-helpers.js';
import { failTimes } from './helpers.js';

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
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
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
      const page = await browser.newPage();
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
      await browser.close();
      await dashboard.close();
      registry.dispose();
    }
  });
});
