/**
 * `npm run demo`: a breaker guards a flaky fake service that fails in bursts. Watch it trip,
 * probe and recover. Runs for about five seconds on real time.
 *
 * On a terminal it draws the breaker's statechart, derived from the machine by `toStateGraph`
 * (`closed`, `open` and `halfOpen` inside the compound state `automatic`, the manual controls
 * listed once, from any state), with the current state and the transition just taken
 * highlighted, the counters of `getStats()`, the last state change and its reason, and the last
 * few events, redrawn in place. When stdout is not a TTY (CI, a pipe) it prints the diagram once
 * and then a plain line-by-line log, without escape codes.
 *
 * The view is fed by the breaker's `inspect` option: every call is an XState event, so each
 * snapshot tells which event moved the machine, and the reason it records
 * (`stats.lastTransition.reason`) tells which of the guarded edges for that event it took.
 */
import type { InspectionEvent } from 'xstate';
import { type GraphTransition, toStateGraph } from '../src/diagram/index.js';
import {
  CircuitBreaker,
  type CircuitBreakerActor,
  type CircuitState,
  circuitBreakerMachine,
  circuitStateOf,
  type StateTransition,
} from '../src/index.js';
import {
  clipLine,
  findTransition,
  hasAction,
  renderStateDiagram,
  type TerminalDiagramOptions,
} from './terminal-diagram.js';

const DURATION_MS = 5000;
const FAILURE_THRESHOLD = 3;
const LOG_SIZE = 8;
const REDRAW_MS = 50;
const ESC = String.fromCharCode(27);
const HIDE_CURSOR = `${ESC}[?25l`;
const SHOW_CURSOR = `${ESC}[?25h`;

const tty = process.stdout.isTTY === true;
const started = Date.now();
const seconds = (at: number) => `${((at - started) / 1000).toFixed(2).padStart(5)}s`;

/** Healthy, then down for 1.5 s, then flapping briefly, then healthy again. */
function serviceIsDown(): boolean {
  const t = Date.now() - started;
  if (t > 1000 && t < 2500) return true;
  if (t >= 2500 && t < 3000) return Math.random() < 0.5;
  return false;
}

async function flakyService(request: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  if (serviceIsDown()) throw new Error(`request ${request}: 503 Service Unavailable`);
  return `request ${request}: 200 OK`;
}

/* ---------------------------------------------------------------- the rolling event log */

interface LogEntry {
  /** Entries with the same key in a row merge into one (runs of rejections, of failures). */
  readonly key: string | undefined;
  readonly first: number;
  last: number;
  count: number;
  text: (entry: LogEntry) => string;
  /** Already printed by the plain log (so it takes no more merges). */
  printed: boolean;
}

const log: LogEntry[] = [];

const entryLine = (entry: LogEntry) => `${seconds(entry.first)}  ${entry.text(entry)}`;

/** The plain log starts printing once its header (the diagram) is out. */
let plainLogStarted = false;

function printEntry(entry: LogEntry): void {
  if (tty || !plainLogStarted || entry.printed) return;
  entry.printed = true;
  console.log(entryLine(entry));
}

/**
 * Adds an event to the log. A `key` makes it mergeable: the plain log prints such a run when it
 * ends, everything else at once.
 */
function record(key: string | undefined, text: (entry: LogEntry) => string): void {
  const at = Date.now();
  const previous = log.at(-1);
  if (key !== undefined && previous?.key === key && !previous.printed) {
    previous.count += 1;
    previous.last = at;
    previous.text = text;
    return;
  }
  if (previous) printEntry(previous);
  const entry: LogEntry = { key, first: at, last: at, count: 1, text, printed: false };
  log.push(entry);
  if (log.length > LOG_SIZE) log.shift();
  if (key === undefined) printEntry(entry);
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
const span = (entry: LogEntry) =>
  entry.count > 1 ? ` over ${((entry.last - entry.first) / 1000).toFixed(2)}s` : '';

/* ---------------------------------------------------------------- watching the machine */

const graph = toStateGraph(circuitBreakerMachine);
type BreakerSnapshot = ReturnType<CircuitBreakerActor['getSnapshot']>;
let previous: BreakerSnapshot | undefined;
let lastTransition: GraphTransition | undefined;

/** Reads each snapshot the actor reports, and the event that produced it, into the log. */
function watch(inspection: InspectionEvent): void {
  if (inspection.type !== '@xstate.snapshot') return;
  const next = inspection.snapshot as unknown as BreakerSnapshot;
  const before = previous;
  previous = next;
  if (before === undefined) {
    record(undefined, () => `● ${circuitStateOf(next.value)} (initial state)`);
    return;
  }
  const event = inspection.event;
  const from = circuitStateOf(before.value);
  const { stats } = next.context;
  const threshold = next.context.config.failureThreshold;
  const current = 'generation' in event && event.generation === before.context.generation;
  const outcome = event.type === 'SUCCESS' || event.type === 'FAILURE';

  if (from === 'halfOpen' && outcome && current && before.context.halfOpenInFlight > 0) {
    const needed = before.context.config.halfOpenSuccessThreshold;
    const done = before.context.halfOpenSuccesses + 1;
    const reason = event.error instanceof Error ? `: ${event.error.message}` : '';
    record(undefined, () =>
      event.type === 'SUCCESS'
        ? `✓ probe succeeded (${done}/${needed})`
        : `✗ probe failed${reason}`,
    );
  } else if (from === 'closed' && event.type === 'FAILURE' && current) {
    // Read before the event: a failure that trips the circuit starts `open` with a count of 0.
    const inARow = before.context.stats.consecutiveFailures + 1;
    record(
      'failure:closed',
      (entry) =>
        `✗ ${plural(entry.count, 'failure')} while closed${span(entry)} (${inARow}/${threshold} in a row)`,
    );
  }
  if (stats.totalRejections > before.context.stats.totalRejections) {
    record(
      `reject:${from}`,
      (entry) => `⊘ ${plural(entry.count, 'call')} rejected while ${from}${span(entry)}`,
    );
  }
  // Every state change records itself, with its reason, in the context: a new record is a move.
  const moved = stats.lastTransition;
  if (moved !== null && moved !== before.context.stats.lastTransition) {
    // The reason is the `changeState` action's parameter: it picks the edge among those with
    // the same event between the same states (closed → open on FAILURE has four).
    const taken = hasAction('changeState', { to: moved.to, reason: moved.reason });
    lastTransition = findTransition(graph, before.value, next.value, event.type, taken);
    // The guard is on the diagram (and close to the reason): the log names the trigger only.
    const trigger = lastTransition?.trigger;
    const on = trigger?.kind === 'after' ? `after(${trigger.delay})` : event.type;
    record(undefined, () => `◆ ${moved.from} → ${moved.to} on ${on}, reason ${moved.reason}`);
  }
}

const breaker = new CircuitBreaker({
  name: 'flaky-service',
  failureThreshold: FAILURE_THRESHOLD,
  resetTimeout: 600,
  halfOpenMaxCalls: 1,
  inspect: watch,
});

/* ---------------------------------------------------------------- drawing */

/** Highlight colour of the current state (SGR): green, red, yellow, magenta, blue. */
const ACCENT: Record<CircuitState, number> = {
  closed: 32,
  open: 31,
  halfOpen: 33,
  forcedOpen: 35,
  disabled: 34,
};

/** `closed → open, reason consecutiveFailures, at 1.23s`, or that nothing moved yet. */
const describeChange = (change: StateTransition | null) =>
  change === null
    ? 'no state change yet'
    : `${change.from} → ${change.to}, reason ${change.reason}, at ${seconds(change.at).trim()}`;

function countersLines(): string[] {
  const stats = breaker.getStats();
  const retryIn = breaker.timeUntilRetry();
  const retry = retryIn === null ? '' : ` (half-open in ${retryIn}ms)`;
  return [
    `  state ${breaker.state}${retry}   consecutive failures ${stats.consecutiveFailures} (opens at ${FAILURE_THRESHOLD})`,
    `  ✓ ${stats.totalSuccesses} ok   ✗ ${stats.totalFailures} failed   ⊘ ${stats.totalRejections} rejected` +
      `   opened ${stats.timesOpened}×  half-opened ${stats.timesHalfOpened}×  closed ${stats.timesClosed}×`,
    `  last change ${describeChange(stats.lastTransition)}`,
  ];
}

function frame(now: number): string[] {
  const columns = (process.stdout.columns || 80) - 1;
  const rows = (process.stdout.rows || 24) - 1;
  const done = Math.min(1, (now - started) / DURATION_MS);
  const bar = '█'.repeat(Math.round(done * 20)).padEnd(20, '░');
  const header = [
    `breaker "${breaker.name}" · ${seconds(now)} ${bar} ${(DURATION_MS / 1000).toFixed(2)}s · Ctrl-C stops`,
    '',
  ];
  const counters = ['', ...countersLines(), ''];
  const logTitle = `  last ${LOG_SIZE} events`;
  const options: TerminalDiagramOptions = { accent: ACCENT[breaker.state], width: columns };
  let diagram = renderStateDiagram(graph, breaker.state, lastTransition, options);
  const fixed = header.length + counters.length + 1;
  if (fixed + diagram.length + LOG_SIZE > rows) {
    diagram = renderStateDiagram(graph, breaker.state, lastTransition, {
      ...options,
      edges: 'current',
    });
  }
  const logRoom = Math.max(0, rows - fixed - diagram.length);
  const events = logRoom > 0 ? log.slice(-logRoom).map((entry) => `  ${entryLine(entry)}`) : [];
  const lines = [...header, ...diagram, ...counters, logTitle, ...events];
  return lines.slice(0, rows).map((line) => clipLine(line, columns));
}

let drawnLines = 0;

function draw(): void {
  const lines = frame(Date.now());
  let out = drawnLines > 0 ? `${ESC}[${drawnLines}A\r` : '';
  for (const line of lines) out += `${line}${ESC}[K\n`;
  process.stdout.write(`${out}${ESC}[J`);
  drawnLines = lines.length;
}

/** After a resize the old frame has rewrapped: start again on a clear screen. */
function onResize(): void {
  process.stdout.write(`${ESC}[2J${ESC}[H`);
  drawnLines = 0;
}

function printStats(): void {
  const stats = breaker.getStats();
  console.log(
    `${seconds(Date.now())}  · ${breaker.state}: ok=${stats.totalSuccesses} failed=${stats.totalFailures} rejected=${stats.totalRejections}` +
      ` · last change ${describeChange(stats.lastTransition)}`,
  );
}

/* ---------------------------------------------------------------- run */

let ticker: ReturnType<typeof setInterval>;
if (tty) {
  process.stdout.write(HIDE_CURSOR);
  process.on('exit', () => process.stdout.write(SHOW_CURSOR));
  process.stdout.on('resize', onResize);
  draw();
  ticker = setInterval(draw, REDRAW_MS);
} else {
  console.log(
    'xstate-circuit-breaker demo: a breaker guards a service that fails in bursts for 5 s (plain log: stdout is not a TTY)\n',
  );
  for (const line of renderStateDiagram(graph, breaker.state, undefined, { ansi: false })) {
    console.log(line);
  }
  console.log('');
  plainLogStarted = true;
  for (const entry of log) if (entry.key === undefined) printEntry(entry);
  ticker = setInterval(() => {
    const run = log.at(-1);
    if (run) printEntry(run); // end the current run, so lines stay in time order
    printStats();
  }, 1000);
}

process.once('SIGINT', () => {
  clearInterval(ticker);
  breaker.dispose();
  if (tty) process.stdout.write('\n');
  console.log('interrupted: breaker disposed');
  process.exit(130); // the exit handler shows the cursor again
});

for (let request = 1; Date.now() - started < DURATION_MS; request++) {
  try {
    await breaker.call(flakyService, request);
  } catch {
    // A 503 from the service or a CircuitOpenError: the view above is fed by the breaker itself.
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}

clearInterval(ticker);
breaker.dispose();
record(undefined, () => `■ done: breaker disposed`);
if (tty) {
  draw();
  process.stdout.off('resize', onResize);
} else {
  console.log('\nfinal stats:', breaker.getStats());
}
