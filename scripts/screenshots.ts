/**
 * `npm run screenshots`: writes docs/dashboard.png, the dashboard as it really renders, with the
 * fleet of `npm run dashboard` running for a few seconds so breakers are in different states.
 * Uses Debian's chromium through playwright-core (see scripts/chromium.ts).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startFleet } from '../examples/dashboard-fleet.js';
import { startDashboard } from '../src/dashboard/index.js';
import { BreakerRegistry } from '../src/index.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';

const output = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
mkdirSync(fileURLToPath(new URL('../docs/', import.meta.url)), { recursive: true });

const registry = new BreakerRegistry();
const dashboard = await startDashboard({ registry, token: 'screenshot-token' });
const stopFleet = startFleet(registry, dashboard.inspect);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(dashboard.url);
  // Let traffic trip some breakers: `users` and `recommendations` fail from the start.
  await page.locator('[data-breaker="users"][data-state="open"]').waitFor({ timeout: 15_000 });
  await page.locator('[data-breaker="recommendations"][data-state="open"]').waitFor();
  await page.locator('[data-actor="order-workflow"] svg').waitFor();
  await page.waitForTimeout(2_500);
  await page.screenshot({ path: output, fullPage: true });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  stopFleet();
  await dashboard.close();
  registry.dispose();
}
