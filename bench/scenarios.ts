/**
 * What the bench measures: the rows (scenarios) with their targets, the columns (libraries) and
 * the reference costs. The cases that time them are in the `cases-*.ts` files.
 */

/** A scenario is one row of the table; its id is what `--only` takes. */
export type ScenarioId =
  | 'success'
  | 'failure'
  | 'rejectCall'
  | 'rejectCanExecute'
  | 'protocol'
  | 'observed'
  | 'successListener'
  | 'windowSuccess'
  | 'windowMixed'
  | 'timeWindowMixed'
  | 'timeoutCall'
  | 'timeoutExecute'
  | 'executeSignal'
  | 'lifecycle'
  | 'idleBytes'
  | 'wrap'
  | 'execute'
  | 'exported';

/** A library is one column of the table. `floor` is the hand-written reference breaker. */
export type LibraryId =
  | 'bare'
  | 'ours'
  | 'floor'
  | 'opossum'
  | 'opossumTimeout'
  | 'cockatiel'
  | 'xstateSend';

/** The bare loops a row's ratios are taken against (no breaker at all). */
export type BareId = 'bareSuccess' | 'bareFailure' | 'bareMixed' | 'bareSignal';

/** Reference costs measured alongside, to show what a breaker cannot go below. */
export type FloorId =
  | 'floorThen'
  | 'floorClock'
  | 'floorError'
  | 'floorOpenError'
  | 'floorReject'
  | 'floorAbortListener';

/**
 * A goal of a row: ours divided by `against` (a column of this row, or of `row`; `reference`
 * is the row's reference) must be at most `max`, or below it when `strict`. `maxNs` is an
 * absolute bound on ours instead.
 */
export interface TargetSpec {
  text: string;
  against?: LibraryId | 'reference';
  row?: ScenarioId;
  max?: number;
  strict?: boolean;
  maxNs?: number;
}

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** What the ratios of this row are taken against: a bare loop, or the row's `floor` cell. */
  reference: BareId | 'floor';
  /** `bytes` for the memory row (child processes), `ns` per operation otherwise. */
  unit?: 'ns' | 'bytes';
  target?: TargetSpec;
  /** Libraries without an equivalent, and why. */
  notApplicable?: Partial<Record<LibraryId, string>>;
  /** What the peers run in this row when it is not literally the same operation. */
  note?: string;
}

const NO_ADMISSION_QUERY = {
  opossum: 'no admission query that counts a rejection (only the `opened` getter)',
  opossumTimeout: 'as opossum',
  cockatiel: 'no admission query that counts a rejection (only the `state` getter)',
} as const;

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'success',
    title: 'success in closed',
    reference: 'bareSuccess',
    target: { text: '<= 1.7x bare await', against: 'reference', max: 1.7 },
  },
  {
    id: 'failure',
    title: 'failure in closed, below threshold',
    reference: 'bareFailure',
    note: "opossum's failure path recomputes its rolling stats (concatenating and sorting every latency of the last 10 s) on each failure, so its cost grows with the call rate; at bench rates that is tens to hundreds of microseconds",
  },
  {
    id: 'windowSuccess',
    title: 'count window (100, 50%): success',
    reference: 'bareSuccess',
    note: 'ours: slidingWindow count 100, failureRateThreshold 0.5; hand-written: a ring of 100 outcomes; cockatiel: CountBreaker (size 100, threshold 0.5); opossum: its default rolling window (50 % errors over 10 s) is already a rate policy',
  },
  {
    id: 'windowMixed',
    title: 'count window (100, 50%): 3 ok + 1 failure',
    reference: 'bareMixed',
    target: { text: '<= 0.6x cockatiel', against: 'cockatiel', max: 0.6 },
    note: 'the same breakers as the success row, failureThreshold out of the way; the time is per call, averaged over the four',
  },
  {
    id: 'timeWindowMixed',
    title: 'time window (60 s, 6 buckets): 3 ok + 1 fail',
    reference: 'bareMixed',
    target: { text: '<= 0.6x cockatiel', against: 'cockatiel', max: 0.6 },
    note: 'ours: slidingWindow time 60 s in 6 buckets, failureRateThreshold 0.5; hand-written: 6 buckets rotated by Date.now(); cockatiel: SamplingBreaker (threshold 0.5, duration 60 s); opossum: rollingCountTimeout 60 s in 6 buckets with rollingPercentilesEnabled false (with percentiles on, each failure sorts a minute of latencies)',
  },
  {
    id: 'timeoutCall',
    title: 'success with callTimeout 1000, via call',
    reference: 'bareSuccess',
    target: { text: '<= 0.6x opossum (10 s timeout)', against: 'opossumTimeout', max: 0.6 },
    notApplicable: {
      cockatiel: 'the timeout is a separate policy (`timeout()` wrapped around the breaker)',
    },
    note: 'hand-written: one setTimeout/clearTimeout per call; opossum: its default 10 s timeout',
  },
  {
    id: 'timeoutExecute',
    title: 'callTimeout 1000, via execute (signal unread)',
    reference: 'bareSuccess',
    target: {
      text: '<= 0.6x opossum (10 s timeout)',
      against: 'opossumTimeout',
      row: 'timeoutCall',
      max: 0.6,
    },
    note: 'ours only: `execute(fn)` whose fn never reads `signal`, so it needs no AbortController; compared with the peers of the callTimeout row',
  },
  {
    id: 'rejectCall',
    title: 'rejection while open, via call (rejects)',
    reference: 'bareFailure',
    target: { text: '<= 0.3x opossum', against: 'opossum', max: 0.3 },
    note: 'hand-written: rejects with an error built with Error.stackTraceLimit = 0',
  },
  {
    id: 'rejectCanExecute',
    title: 'rejection while open, via canExecute()',
    reference: 'bareSuccess',
    target: { text: '<= 0.25x bare await', against: 'reference', max: 0.25 },
    notApplicable: NO_ADMISSION_QUERY,
  },
  {
    id: 'successListener',
    title: "success with an on('success') listener",
    reference: 'bareSuccess',
    target: { text: '<= 1x cockatiel onSuccess', against: 'cockatiel', max: 1 },
    note: "ours: on('success'); hand-written: an array of listeners called with { type, at, late }; cockatiel: onSuccess; opossum: a 'success' listener",
  },
  {
    id: 'observed',
    title: 'success, every call inspected',
    reference: 'bareSuccess',
    note: "ours only: an `inspect` observer (each outcome an XState event, by design); the peers' listeners are in the on('success') row",
  },
  {
    id: 'executeSignal',
    title: 'execute(fn, { signal }) in closed',
    reference: 'bareSignal',
    target: { text: '<= 1.2x await + one abort listener', against: 'reference', max: 1.2 },
    note: "the reference is a bare `await fn()` with one 'abort' listener added before and removed after it (what passing a caller's signal on costs at least); the sync add + remove alone is under reference costs; hand-written: its own promise rejected by a listener object, the least a breaker that rejects on abort must do",
  },
  {
    id: 'lifecycle',
    title: 'new CircuitBreaker() + dispose()',
    reference: 'floor',
    target: { text: 'pair < 1 us (construction under 1 us)', maxNs: 1000 },
    notApplicable: { bare: 'no bare equivalent: ratios are to the hand-written breaker' },
    note: 'ns per construct + dispose pair, ratios to the hand-written breaker; cockatiel: `circuitBreaker(handleAll, { breaker: new ConsecutiveBreaker(5) })`, which has nothing to dispose; opossum: `new CircuitBreaker(fn)` + `shutdown()`',
  },
  {
    id: 'idleBytes',
    title: 'idle breaker, heap bytes',
    reference: 'floor',
    unit: 'bytes',
    target: { text: 'fewer bytes than cockatiel', against: 'cockatiel', max: 1, strict: true },
    notApplicable: { bare: 'no bare equivalent: ratios are to the hand-written breaker' },
    note: 'heap per breaker over 10,000 idle breakers, each library in a child process of its own (--expose-gc); the XState actor alone is under memory',
  },
  {
    id: 'protocol',
    title: 'canExecute() + await + recordSuccess()',
    reference: 'bareSuccess',
    note: 'peers have no manual protocol: their column is a plain successful execute/fire',
  },
  { id: 'wrap', title: 'success in closed, via wrap()', reference: 'bareSuccess' },
  { id: 'execute', title: 'success in closed, via execute()', reference: 'bareSuccess' },
  {
    id: 'exported',
    title: 'success, Prometheus exporter attached',
    reference: 'bareSuccess',
    target: { text: "<= 1.1x ours' success in closed", against: 'ours', row: 'success', max: 1.1 },
    notApplicable: {
      opossum: 'its exporter is a separate package (opossum-prometheus), not measured here',
      opossumTimeout: 'as opossum',
      cockatiel: 'no metrics exporter',
      xstateSend: 'no metrics exporter',
      floor: 'no metrics exporter',
    },
    note: "ours with registerPrometheusMetrics({ breakers: [b], register }) attached and never scraped: the metrics are read at scrape time, so this row should match 'success in closed'",
  },
];

export const LIBRARIES: readonly { id: LibraryId; title: string }[] = [
  { id: 'bare', title: 'bare' },
  { id: 'ours', title: 'xstate-circuit-breaker' },
  { id: 'floor', title: 'hand-written' },
  { id: 'cockatiel', title: 'cockatiel 4' },
  { id: 'opossum', title: 'opossum 10 (timeout: false)' },
  { id: 'opossumTimeout', title: 'opossum 10 (default 10 s timeout)' },
  { id: 'xstateSend', title: 'naive XState: one send per call' },
];

export const FLOORS: readonly { id: FloorId; title: string }[] = [
  {
    id: 'floorThen',
    title:
      'bare call + one `.then(ok, err)` observer on its promise (any breaker that sees the outcome)',
  },
  { id: 'floorClock', title: '`Date.now()` (an open circuit must read the clock per rejection)' },
  { id: 'floorError', title: "`new Error('...')` (stack capture, 10 frames)" },
  { id: 'floorOpenError', title: '`new CircuitOpenError(...)` (ours, with its cross-build brand)' },
  {
    id: 'floorReject',
    title:
      '`await Promise.reject(e)` + catch, preallocated error (Node tracks it as maybe unhandled)',
  },
  {
    id: 'floorAbortListener',
    title: "`signal.addEventListener('abort', f)` + `removeEventListener` (sync, no call)",
  },
];

/** Runs `n` operations; resolves when the last one settled. */
export type Batch = (n: number) => Promise<void> | void;

export interface Case {
  scenario: ScenarioId | BareId | FloorId;
  library: LibraryId;
  /** Operations per timed batch: enough that one batch takes tens of microseconds. */
  batch: number;
  run: Batch;
  /** True when `run` is synchronous (no awaits to time). */
  sync?: boolean;
  /** Releases timers and actors after the run. */
  dispose?: () => void;
  /** After the run: throws unless the breaker counted exactly the `ops` operations it ran. */
  verify?: (ops: number) => void;
}

/** Adds one case to the run. */
export type AddCase = (c: Case) => void;
