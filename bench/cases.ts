/**
 * The timed cases: one per (scenario, library). Each case builds its breaker once and returns a
 * batch function that runs `n` operations back to back; the harness times whole batches.
 *
 * Every batch loop is written out as its own function literal on purpose: V8 keeps type
 * feedback per function literal, so a shared `makeLoop(fn)` factory would make every library's
 * loop polymorphic and slow them all down alike (and unlike real code).
 */
import {
  type CircuitBreakerPolicy,
  CircuitState as CockatielState,
  ConsecutiveBreaker,
  CountBreaker,
  circuitBreaker,
  handleAll,
} from 'cockatiel';
import OpossumBreaker from 'opossum';
import { Registry } from 'prom-client';
import { createActor } from 'xstate';
import type { CircuitBreaker, CircuitBreakerStats } from '../src/index.js';
// From the source even when the bench measures the bundle: the exporter runs when it is attached
// and when it is scraped, never during a call, so which build it is cannot show in the timings.
import { registerPrometheusMetrics } from '../src/metrics/prometheus.js';
import type { Lib } from './library.js';

/** The library under test (the bundle, see `library.ts`), set by `buildCases`. */
let lib: Lib;

/** A scenario is one row of the table. */
export type ScenarioId =
  | 'success'
  | 'failure'
  | 'rejectCall'
  | 'rejectCanExecute'
  | 'protocol'
  | 'observed'
  | 'windowSuccess'
  | 'windowMixed'
  | 'wrap'
  | 'execute'
  | 'exported';

/** A library is one column of the table. */
export type LibraryId =
  | 'bare'
  | 'ours'
  | 'opossum'
  | 'opossumTimeout'
  | 'cockatiel'
  | 'xstateSend'
  | 'floor';

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** Which bare case a row's ratio is taken against. */
  reference: 'bareSuccess' | 'bareFailure' | 'bareMixed';
  /** Libraries without an equivalent, and why. */
  notApplicable?: Partial<Record<LibraryId, string>>;
  /** What the peers run in this row when it is not literally the same operation. */
  note?: string;
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'success', title: 'success in closed', reference: 'bareSuccess' },
  {
    id: 'failure',
    title: 'failure in closed, below threshold',
    reference: 'bareFailure',
    note: "opossum's failure path recomputes its rolling stats (concatenating and sorting every latency of the last 10 s) on each failure, so its cost grows with the call rate; at bench rates that is tens to hundreds of microseconds",
  },
  {
    id: 'rejectCall',
    title: 'rejection while open, via call (rejects)',
    reference: 'bareFailure',
  },
  {
    id: 'rejectCanExecute',
    title: 'rejection while open, via canExecute()',
    reference: 'bareSuccess',
    notApplicable: {
      opossum: 'no admission query that counts a rejection (only the `opened` getter)',
      opossumTimeout: 'as opossum',
      cockatiel: 'no admission query that counts a rejection (only the `state` getter)',
    },
  },
  {
    id: 'protocol',
    title: 'canExecute() + await + recordSuccess()',
    reference: 'bareSuccess',
    note: 'peers have no manual protocol: their column is a plain successful execute/fire',
  },
  {
    id: 'observed',
    title: 'success, every call observed',
    reference: 'bareSuccess',
    note: "ours: `inspect` observer (each outcome an XState event); opossum: a 'success' listener; cockatiel: onSuccess listener",
  },
  {
    id: 'windowSuccess',
    title: 'count-window rate policy: success',
    reference: 'bareSuccess',
    note: 'ours: slidingWindow count 100, failureRateThreshold 0.5; cockatiel: CountBreaker (size 100, threshold 0.5); opossum: its default rolling window (50 % errors over 10 s) is already a rate policy',
  },
  {
    id: 'windowMixed',
    title: 'count-window rate policy: 3 successes + 1 failure',
    reference: 'bareMixed',
    note: 'the same breakers; the time is per call, averaged over the four. With a window kept, every failure of ours is an XState event (the window lives in the machine)',
  },
  { id: 'wrap', title: 'success in closed, via wrap()', reference: 'bareSuccess' },
  { id: 'execute', title: 'success in closed, via execute()', reference: 'bareSuccess' },
  {
    id: 'exported',
    title: 'success, Prometheus exporter attached',
    reference: 'bareSuccess',
    notApplicable: {
      opossum: 'its exporter is a separate package (opossum-prometheus), not measured here',
      opossumTimeout: 'as opossum',
      cockatiel: 'no metrics exporter',
      xstateSend: 'no metrics exporter',
    },
    note: "ours with registerPrometheusMetrics({ breakers: [b], register }) attached and never scraped: the metrics are read at scrape time, so this row should match 'success in closed'",
  },
];

export const LIBRARIES: readonly { id: LibraryId; title: string }[] = [
  { id: 'bare', title: 'bare' },
  { id: 'ours', title: 'xstate-circuit-breaker' },
  { id: 'opossum', title: 'opossum (timeout: false)' },
  { id: 'opossumTimeout', title: 'opossum (default 10 s timeout)' },
  { id: 'cockatiel', title: 'cockatiel ConsecutiveBreaker' },
  { id: 'xstateSend', title: 'naive XState: one send per call' },
];

/** Runs `n` operations; resolves when the last one settled. */
export type Batch = (n: number) => Promise<void> | void;

export interface Case {
  scenario: ScenarioId | 'bareSuccess' | 'bareFailure' | 'bareMixed' | FloorId;
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

/** Reference costs measured alongside, to show what a breaker cannot go below. */
export type FloorId = 'floorThen' | 'floorClock' | 'floorError' | 'floorOpenError' | 'floorReject';

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
];

const VALUE = { ok: true };
/** Preallocated, so no case pays for building an Error of its own function. */
const ERROR = new Error('boom');
const HUGE = Number.MAX_SAFE_INTEGER;
const LONG = 2 ** 31 - 1;

const ok = async () => VALUE;
const fail = async () => {
  throw ERROR;
};
const noop = () => {};

/** Anything a batch computes goes here, so no loop can be optimised away. */
export const sink = { value: 0 };

function ours(options: ConstructorParameters<Lib['CircuitBreaker']>[0] = {}): CircuitBreaker {
  return new lib.CircuitBreaker({ name: 'bench', ...options });
}

/** Ours, opened by one failure, with a reset timeout that will not pass during the run. */
async function oursOpen(): Promise<CircuitBreaker> {
  const breaker = ours({ failureThreshold: 1, resetTimeout: LONG });
  await breaker.call(fail).catch(noop);
  if (breaker.state !== 'open') throw new Error('bench setup: ours did not open');
  return breaker;
}

function opossum(
  action: (...args: never[]) => Promise<unknown>,
  options: OpossumBreaker.Options = {},
): OpossumBreaker {
  return new OpossumBreaker(action, { timeout: false, ...options });
}

function cockatiel(threshold: number): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, {
    halfOpenAfter: LONG,
    breaker: new ConsecutiveBreaker(threshold),
  });
}

const WINDOW = { slidingWindow: { type: 'count', size: 100 }, failureRateThreshold: 0.5 } as const;

function cockatielCount(): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, {
    halfOpenAfter: LONG,
    breaker: new CountBreaker({ threshold: 0.5, size: 100 }),
  });
}

/**
 * A `verify` for one of our breakers: after `ops` operations it must be in `state`, with
 * `counter` equal to `ops` and the other `fixed` counters as given.
 */
function counted(
  breaker: CircuitBreaker,
  state: CircuitBreaker['state'],
  fixed: Partial<CircuitBreakerStats>,
  counter: keyof CircuitBreakerStats,
): (ops: number) => void {
  return (ops) => {
    const stats = breaker.getStats();
    const expected = { ...fixed, [counter]: ops };
    for (const [key, value] of Object.entries(expected)) {
      const actual = stats[key as keyof CircuitBreakerStats];
      if (actual !== value) {
        throw new Error(`bench verify: ${String(breaker)} ${key}=${actual}, expected ${value}`);
      }
    }
    if (breaker.state !== state)
      throw new Error(`bench verify: ${String(breaker)}, expected ${state}`);
  };
}

/** Builds every case. Breakers are created here, outside any timing. */
export async function buildCases(library: Lib): Promise<Case[]> {
  lib = library;
  const cases: Case[] = [];
  const add = (c: Case) => cases.push(c);

  // --- bare references ---------------------------------------------------------------------
  add({
    scenario: 'bareSuccess',
    library: 'bare',
    batch: 256,
    run: async (n) => {
      for (let i = 0; i < n; i++) await ok();
    },
  });
  add({
    scenario: 'bareFailure',
    library: 'bare',
    batch: 256,
    run: async (n) => {
      for (let i = 0; i < n; i++) {
        try {
          await fail();
        } catch {
          sink.value++;
        }
      }
    },
  });

  add({
    scenario: 'bareMixed',
    library: 'bare',
    batch: 256,
    run: async (n) => {
      for (let i = 0; i < n; i++) {
        try {
          await (i % 4 === 3 ? fail() : ok());
        } catch {
          sink.value++;
        }
      }
    },
  });

  // --- reference costs ---------------------------------------------------------------------
  {
    let seen = 0;
    const onOk = () => {
      seen++;
    };
    const onErr = () => {
      seen--;
    };
    add({
      scenario: 'floorThen',
      library: 'floor',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          const promise = ok();
          promise.then(onOk, onErr);
          await promise;
        }
        sink.value += seen;
      },
    });
  }
  add({
    scenario: 'floorClock',
    library: 'floor',
    batch: 4096,
    sync: true,
    run: (n) => {
      let t = 0;
      for (let i = 0; i < n; i++) t += Date.now() & 1;
      sink.value += t;
    },
  });
  add({
    scenario: 'floorError',
    library: 'floor',
    batch: 64,
    sync: true,
    run: (n) => {
      let t = 0;
      for (let i = 0; i < n; i++) t += new Error('circuit breaker "bench" is open').message.length;
      sink.value += t;
    },
  });
  add({
    scenario: 'floorOpenError',
    library: 'floor',
    batch: 64,
    sync: true,
    run: (n) => {
      let t = 0;
      for (let i = 0; i < n; i++)
        t += new lib.CircuitOpenError('bench', 'open', 1000).message.length;
      sink.value += t;
    },
  });
  add({
    scenario: 'floorReject',
    library: 'floor',
    batch: 128,
    run: async (n) => {
      for (let i = 0; i < n; i++) {
        try {
          await Promise.reject(ERROR);
        } catch {
          sink.value++;
        }
      }
    },
  });

  // --- success in closed ---------------------------------------------------------------------
  {
    const b = ours();
    add({
      scenario: 'success',
      library: 'ours',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await b.call(ok);
      },
      dispose: () => b.dispose(),
      verify: counted(b, 'closed', { totalSuccesses: 0 }, 'totalSuccesses'),
    });
  }
  {
    const o = opossum(ok);
    add({
      scenario: 'success',
      library: 'opossum',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await o.fire();
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const o = new OpossumBreaker(ok);
    add({
      scenario: 'success',
      library: 'opossumTimeout',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await o.fire();
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const p = cockatiel(5);
    add({
      scenario: 'success',
      library: 'cockatiel',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await p.execute(ok);
      },
    });
  }
  {
    const actor = createActor(lib.circuitBreakerMachine, { input: {} }).start();
    add({
      scenario: 'success',
      library: 'xstateSend',
      batch: 64,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          await ok();
          actor.send({ type: 'SUCCESS', at: Date.now(), generation: 0 });
        }
      },
      dispose: () => actor.stop(),
    });
  }

  // --- failure in closed, below the threshold ------------------------------------------------
  {
    const b = ours({ failureThreshold: HUGE });
    add({
      scenario: 'failure',
      library: 'ours',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await b.call(fail);
          } catch {
            sink.value++;
          }
        }
      },
      dispose: () => b.dispose(),
      verify: counted(b, 'closed', { totalSuccesses: 0 }, 'totalFailures'),
    });
  }
  {
    const o = opossum(fail, { volumeThreshold: HUGE });
    add({
      scenario: 'failure',
      library: 'opossum',
      batch: 32,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await o.fire();
          } catch {
            sink.value++;
          }
        }
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const o = new OpossumBreaker(fail, { volumeThreshold: HUGE });
    add({
      scenario: 'failure',
      library: 'opossumTimeout',
      batch: 32,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await o.fire();
          } catch {
            sink.value++;
          }
        }
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const p = cockatiel(HUGE);
    add({
      scenario: 'failure',
      library: 'cockatiel',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await p.execute(fail);
          } catch {
            sink.value++;
          }
        }
      },
    });
  }

  // --- rejection while open, through call ----------------------------------------------------
  {
    const b = await oursOpen();
    add({
      scenario: 'rejectCall',
      library: 'ours',
      batch: 128,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await b.call(ok);
          } catch {
            sink.value++;
          }
        }
      },
      dispose: () => b.dispose(),
      verify: counted(b, 'open', { totalFailures: 1, timesOpened: 1 }, 'totalRejections'),
    });
  }
  {
    const o = opossum(ok, { resetTimeout: LONG });
    o.open();
    add({
      scenario: 'rejectCall',
      library: 'opossum',
      batch: 128,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await o.fire();
          } catch {
            sink.value++;
          }
        }
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const o = new OpossumBreaker(ok, { resetTimeout: LONG });
    o.open();
    add({
      scenario: 'rejectCall',
      library: 'opossumTimeout',
      batch: 128,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await o.fire();
          } catch {
            sink.value++;
          }
        }
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const p = cockatiel(1);
    await p.execute(fail).catch(noop);
    if (p.state !== CockatielState.Open) throw new Error('bench setup: cockatiel did not open');
    add({
      scenario: 'rejectCall',
      library: 'cockatiel',
      batch: 128,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await p.execute(ok);
          } catch {
            sink.value++;
          }
        }
      },
    });
  }

  // --- rejection while open, through canExecute() ---------------------------------------------
  {
    const b = await oursOpen();
    add({
      scenario: 'rejectCanExecute',
      library: 'ours',
      batch: 4096,
      sync: true,
      run: (n) => {
        let admitted = 0;
        for (let i = 0; i < n; i++) if (b.canExecute()) admitted++;
        sink.value += admitted;
      },
      dispose: () => b.dispose(),
      verify: counted(b, 'open', { totalFailures: 1, timesOpened: 1 }, 'totalRejections'),
    });
  }

  // --- the canExecute/recordSuccess protocol ---------------------------------------------------
  {
    const b = ours();
    add({
      scenario: 'protocol',
      library: 'ours',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          if (b.canExecute()) {
            await ok();
            b.recordSuccess();
          }
        }
      },
      dispose: () => b.dispose(),
      verify: counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses'),
    });
  }
  {
    const o = opossum(ok);
    add({
      scenario: 'protocol',
      library: 'opossum',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await o.fire();
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const o = new OpossumBreaker(ok);
    add({
      scenario: 'protocol',
      library: 'opossumTimeout',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await o.fire();
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const p = cockatiel(5);
    add({
      scenario: 'protocol',
      library: 'cockatiel',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await p.execute(ok);
      },
    });
  }

  // --- every call observed ---------------------------------------------------------------------
  {
    let seen = 0;
    const b = ours({
      inspect: () => {
        seen++;
      },
    });
    add({
      scenario: 'observed',
      library: 'ours',
      batch: 64,
      run: async (n) => {
        for (let i = 0; i < n; i++) await b.call(ok);
        sink.value += seen;
      },
      dispose: () => b.dispose(),
      verify: counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses'),
    });
  }
  {
    let seen = 0;
    const o = opossum(ok);
    o.on('success', () => {
      seen++;
    });
    add({
      scenario: 'observed',
      library: 'opossum',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await o.fire();
        sink.value += seen;
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    let seen = 0;
    const o = new OpossumBreaker(ok);
    o.on('success', () => {
      seen++;
    });
    add({
      scenario: 'observed',
      library: 'opossumTimeout',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await o.fire();
        sink.value += seen;
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    let seen = 0;
    const p = cockatiel(5);
    p.onSuccess(() => {
      seen++;
    });
    add({
      scenario: 'observed',
      library: 'cockatiel',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await p.execute(ok);
        sink.value += seen;
      },
    });
  }

  // --- count-window rate policy -----------------------------------------------------------------
  {
    const b = ours(WINDOW);
    add({
      scenario: 'windowSuccess',
      library: 'ours',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await b.call(ok);
      },
      dispose: () => b.dispose(),
      verify: counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses'),
    });
  }
  {
    const o = opossum(ok);
    add({
      scenario: 'windowSuccess',
      library: 'opossum',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await o.fire();
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const o = new OpossumBreaker(ok);
    add({
      scenario: 'windowSuccess',
      library: 'opossumTimeout',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await o.fire();
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const p = cockatielCount();
    add({
      scenario: 'windowSuccess',
      library: 'cockatiel',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await p.execute(ok);
      },
    });
  }
  {
    // failureThreshold out of the way: only the rate policy may trip (it must not: 25 % < 50 %).
    const b = ours({ ...WINDOW, failureThreshold: HUGE });
    add({
      scenario: 'windowMixed',
      library: 'ours',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await b.call(i % 4 === 3 ? fail : ok);
          } catch {
            sink.value++;
          }
        }
      },
      dispose: () => b.dispose(),
      verify: (ops) => {
        const stats = b.getStats();
        if (b.state !== 'closed' || stats.totalSuccesses + stats.totalFailures !== ops) {
          throw new Error(`bench verify: ${String(b)} ${JSON.stringify(stats)} after ${ops}`);
        }
      },
    });
  }
  {
    const o = opossum((failIt: boolean) => (failIt ? fail() : ok()));
    add({
      scenario: 'windowMixed',
      library: 'opossum',
      batch: 32,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await o.fire(i % 4 === 3);
          } catch {
            sink.value++;
          }
        }
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const o = new OpossumBreaker((failIt: boolean) => (failIt ? fail() : ok()));
    add({
      scenario: 'windowMixed',
      library: 'opossumTimeout',
      batch: 32,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await o.fire(i % 4 === 3);
          } catch {
            sink.value++;
          }
        }
      },
      dispose: () => o.shutdown(),
    });
  }
  {
    const p = cockatielCount();
    add({
      scenario: 'windowMixed',
      library: 'cockatiel',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await p.execute(i % 4 === 3 ? fail : ok);
          } catch {
            sink.value++;
          }
        }
      },
    });
  }

  // --- other entry points of ours ----------------------------------------------------------------
  {
    const b = ours();
    const wrapped = b.wrap(ok);
    add({
      scenario: 'wrap',
      library: 'ours',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await wrapped();
      },
      dispose: () => b.dispose(),
      verify: counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses'),
    });
  }
  {
    const b = ours();
    add({
      scenario: 'execute',
      library: 'ours',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await b.execute(ok);
      },
      dispose: () => b.dispose(),
      verify: counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses'),
    });
  }

  // --- metrics exporter attached -------------------------------------------------------------
  {
    const b = ours();
    const unregister = registerPrometheusMetrics({ breakers: [b], register: new Registry() });
    add({
      scenario: 'exported',
      library: 'ours',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await b.call(ok);
      },
      dispose: () => {
        unregister();
        b.dispose();
      },
      verify: counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses'),
    });
  }

  return cases;
}
