/**
 * The page of examples/inspect-browser (bundled by serve.ts): a breaker guards a flaky fake
 * service, and `createBrowserInspector()` shows it in the Stately inspector.
 *
 * The inspector opens in a new window, so it is created in the click handler of Start: browsers
 * allow `window.open` from a click and block it otherwise. Because the breaker has an `inspect`
 * observer, every call is its own XState event (SUCCESS, FAILURE, REQUEST), so the inspector's
 * sequence view shows each call, not only the transitions.
 */
import { createBrowserInspector } from '@statelyai/inspect';
import { CircuitBreaker, CircuitOpenError } from '../../src/index.js';

type Mode = 'cycle' | 'healthy' | 'flaky' | 'down';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
}

const ui = {
  start: element<HTMLButtonElement>('start'),
  forceOpen: element<HTMLButtonElement>('force-open'),
  reset: element<HTMLButtonElement>('reset'),
  stop: element<HTMLButtonElement>('stop'),
  notice: element<HTMLParagraphElement>('notice'),
  service: element<HTMLFieldSetElement>('service'),
  state: element<HTMLSpanElement>('state'),
  summary: element<HTMLElement>('summary'),
  stats: element<HTMLElement>('stats'),
  log: element<HTMLPreElement>('log'),
};

/**
 * How long the inspector window has to say it is connected before the page says plainly that it
 * did not load (`?inspectorWait=ms` to change it). Offline, the window stays blank forever.
 */
const search = globalThis.location?.search;
const INSPECTOR_WAIT_MS =
  (search && Number(new URLSearchParams(search).get('inspectorWait'))) || 8000;

const OFFLINE_NOTICE =
  'The Stately inspector did not answer: https://stately.ai cannot be reached from this browser ' +
  '(offline?), or its window was closed. The breaker still runs here: its state, counters and log ' +
  'are below. A built-in offline dashboard is coming: npm run dashboard (issue "See every breaker").';

/** Resolves true once the inspector window posts `@statelyai.connected`, false after `ms`. */
function inspectorConnects(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    window.addEventListener('message', (event: MessageEvent) => {
      if ((event.data as { type?: unknown } | null)?.type !== '@statelyai.connected') return;
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const loaded = performance.now();
const elapsed = () => `${((performance.now() - loaded) / 1000).toFixed(1).padStart(5)}s`;

function log(line: string): void {
  const lines = `${ui.log.textContent ?? ''}${elapsed()}  ${line}\n`.split('\n').slice(-200);
  ui.log.textContent = lines.join('\n');
  ui.log.scrollTop = ui.log.scrollHeight;
}

function mode(): Mode {
  const checked = ui.service.querySelector<HTMLInputElement>('input[name="mode"]:checked');
  return (checked?.value ?? 'cycle') as Mode;
}

/** Whether the fake service fails this call. `cycle`: 3 s healthy, 2 s down, 1 s flaky. */
function serviceFails(): boolean {
  switch (mode()) {
    case 'healthy':
      return false;
    case 'down':
      return true;
    case 'flaky':
      return Math.random() < 0.5;
    case 'cycle': {
      const t = (performance.now() - loaded) % 6000;
      if (t < 3000) return false;
      if (t < 5000) return true;
      return Math.random() < 0.5;
    }
  }
}

async function flakyService(request: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 40));
  if (serviceFails()) throw new Error(`request ${request}: 503 Service Unavailable`);
  return `request ${request}: 200 OK`;
}

function start(): void {
  ui.start.disabled = true;
  // Opens https://stately.ai/inspect in a new window and sends it every inspection event.
  const inspector = createBrowserInspector();
  if (inspector.adapter.targetWindow === null) {
    ui.notice.textContent =
      'The inspector window was blocked: allow pop-ups for this page and press Start again.';
    ui.notice.hidden = false;
    ui.start.disabled = false;
    return;
  }
  ui.notice.hidden = true;
  void inspectorConnects(INSPECTOR_WAIT_MS).then((connected) => {
    if (connected) {
      log('the inspector window is connected: it shows the breaker as it runs');
      return;
    }
    ui.notice.textContent = OFFLINE_NOTICE;
    ui.notice.hidden = false;
    log('the inspector window did not load (stately.ai unreachable?): see the notice above');
  });

  const breaker = new CircuitBreaker({
    name: 'flaky-service',
    failureThreshold: 3,
    resetTimeout: 1500,
    inspect: inspector.inspect,
  });
  breaker.on('stateChange', ({ from, to }) => log(`${from} -> ${to}`));

  const render = () => {
    ui.state.textContent = breaker.state;
    ui.state.dataset.state = breaker.state;
    ui.summary.textContent = String(breaker);
    const s = breaker.getStats();
    ui.stats.textContent = `successes=${s.totalSuccesses} failures=${s.totalFailures} rejections=${s.totalRejections} opened=${s.timesOpened} halfOpened=${s.timesHalfOpened} closed=${s.timesClosed}`;
  };

  let running = true;
  const loop = async () => {
    for (let request = 1; running; request++) {
      try {
        log(await breaker.call(flakyService, request));
      } catch (error) {
        if (!running) break;
        log(
          error instanceof CircuitOpenError
            ? `request ${request}: rejected, circuit ${error.state}`
            : String(error),
        );
      }
      render();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  ui.forceOpen.onclick = () => {
    breaker.forceOpen();
    render();
  };
  ui.reset.onclick = () => {
    breaker.reset();
    render();
  };
  ui.stop.onclick = () => {
    running = false;
    for (const button of [ui.forceOpen, ui.reset, ui.stop]) button.disabled = true;
    breaker.dispose();
    render();
    // The inspector sends each event when the browser is idle; give the final `stopped`
    // snapshot time to go out before telling the inspector window the session ended.
    setTimeout(() => {
      inspector.stop();
      log('stopped: breaker disposed, inspector stopped (reload the page to start again)');
    }, 500);
  };
  for (const button of [ui.forceOpen, ui.reset, ui.stop]) button.disabled = false;

  render();
  log('started: waiting for the inspector window, which loads from https://stately.ai/inspect');
  void loop();
}

ui.start.addEventListener('click', start);
