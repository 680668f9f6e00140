/**
 * `npm run dashboard`: five breakers in front of flaky fake services, and an inspected order
 * workflow, on the offline dashboard. The page comes from this process only; no internet needed.
 *
 * Options: `--port 9100` (default: a free port), `--token <token>` (enables the admin buttons;
 * type the same token into the page), `--no-open` (print the address without opening a
 * browser). Ctrl-C stops the traffic, closes the dashboard and exits.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startDashboard } from '../src/dashboard/index.js';
import { BreakerRegistry } from '../src/index.js';
import { startFleet } from './dashboard-fleet.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    token: { type: 'string' },
    'no-open': { type: 'boolean', default: false },
  },
});

/** Opens `url` in the desktop's browser where there is an opener; otherwise says so. */
function openBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => console.log(`(no ${command} here: open ${url} yourself)`));
  child.unref();
}

const registry = new BreakerRegistry();
const dashboard = await startDashboard({
  registry,
  port: Number(values.port),
  ...(values.token === undefined ? {} : { token: values.token }),
});
const stopFleet = startFleet(registry, dashboard.inspect);
console.log(`Dashboard: ${dashboard.url}`);
console.log(
  values.token
    ? 'Admin buttons enabled with your token.'
    : 'Read-only (pass --token to enable the admin buttons).',
);
console.log('Ctrl-C to stop.');
if (!values['no-open']) openBrowser(dashboard.url);

process.once('SIGINT', () => {
  stopFleet();
  void dashboard.close().then(() => {
    registry.dispose();
    console.log('\nstopped');
  });
});
