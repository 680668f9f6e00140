/** Rows of a rate policy over a sliding window: count (100 calls) and time (60 s in 6 buckets). */
import OpossumBreaker from 'opossum';
import {
  COUNT_WINDOW,
  cockatielCount,
  cockatielSampling,
  counted,
  countedMix,
  fail,
  HUGE,
  ok,
  opossum,
  ours,
  reference,
  referenceCounted,
  sink,
  TIME_WINDOW,
} from './fixtures.js';
import type { AddCase, ScenarioId } from './scenarios.js';

const failOrOk = (failIt: boolean) => (failIt ? fail() : ok());

export function addWindowCases(add: AddCase, wanted: (id: ScenarioId) => boolean): void {
  if (wanted('windowSuccess')) addCountSuccess(add);
  if (wanted('windowMixed')) addCountMixed(add);
  if (wanted('timeWindowMixed')) addTimeMixed(add);
}

function addCountSuccess(add: AddCase): void {
  {
    const b = ours(COUNT_WINDOW);
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
    const r = reference({ window: { type: 'count', size: 100 }, failureRateThreshold: 0.5 });
    add({
      scenario: 'windowSuccess',
      library: 'floor',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await r.call(ok);
      },
      verify: referenceCounted(r, 'closed', 'totalSuccesses'),
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
}

function addCountMixed(add: AddCase): void {
  {
    // failureThreshold out of the way: only the rate policy may trip (it must not: 25 % < 50 %).
    const b = ours({ ...COUNT_WINDOW, failureThreshold: HUGE });
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
      verify: countedMix(b),
    });
  }
  {
    const r = reference({
      window: { type: 'count', size: 100 },
      failureRateThreshold: 0.5,
      failureThreshold: HUGE,
    });
    add({
      scenario: 'windowMixed',
      library: 'floor',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await r.call(i % 4 === 3 ? fail : ok);
          } catch {
            sink.value++;
          }
        }
      },
      verify: referenceCounted(r, 'closed', 'calls'),
    });
  }
  {
    const o = opossum(failOrOk);
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
    const o = new OpossumBreaker(failOrOk);
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
}

function addTimeMixed(add: AddCase): void {
  {
    const b = ours({ ...TIME_WINDOW, failureThreshold: HUGE });
    add({
      scenario: 'timeWindowMixed',
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
      verify: countedMix(b),
    });
  }
  {
    const r = reference({
      window: { type: 'time', duration: 60_000, buckets: 6 },
      failureRateThreshold: 0.5,
      failureThreshold: HUGE,
    });
    add({
      scenario: 'timeWindowMixed',
      library: 'floor',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await r.call(i % 4 === 3 ? fail : ok);
          } catch {
            sink.value++;
          }
        }
      },
      verify: referenceCounted(r, 'closed', 'calls'),
    });
  }
  {
    const o = opossum(failOrOk, {
      rollingCountTimeout: 60_000,
      rollingCountBuckets: 6,
      rollingPercentilesEnabled: false,
    });
    add({
      scenario: 'timeWindowMixed',
      library: 'opossum',
      batch: 64,
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
    const p = cockatielSampling();
    add({
      scenario: 'timeWindowMixed',
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
}
