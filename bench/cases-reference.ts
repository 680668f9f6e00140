/** The bare loops every row's ratios are taken against, and the reference costs. */
import { ERROR, fail, lib, ok, sink } from './fixtures.js';
import type { AddCase, BareId } from './scenarios.js';

/** The bare loops, each added only when `wanted` asks for it. */
export function addBareCases(add: AddCase, wanted: (id: BareId) => boolean): void {
  if (wanted('bareSuccess'))
    add({
      scenario: 'bareSuccess',
      library: 'bare',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await ok();
      },
    });
  if (wanted('bareFailure'))
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
  if (wanted('bareMixed'))
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
  if (wanted('bareSignal')) {
    // What passing a caller's signal on costs at least: one listener added and removed per call.
    const signal = new AbortController().signal;
    let aborted = 0;
    const onAbort = () => {
      aborted++;
    };
    add({
      scenario: 'bareSignal',
      library: 'bare',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          signal.addEventListener('abort', onAbort);
          await ok();
          signal.removeEventListener('abort', onAbort);
        }
        sink.value += aborted;
      },
    });
  }
}

/** Reference costs: what a breaker cannot go below. */
export function addFloorCases(add: AddCase): void {
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
  {
    const { CircuitOpenError } = lib();
    add({
      scenario: 'floorOpenError',
      library: 'floor',
      batch: 64,
      sync: true,
      run: (n) => {
        let t = 0;
        for (let i = 0; i < n; i++) t += new CircuitOpenError('bench', 'open', 1000).message.length;
        sink.value += t;
      },
    });
  }
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
  {
    const signal = new AbortController().signal;
    let aborted = 0;
    const onAbort = () => {
      aborted++;
    };
    add({
      scenario: 'floorAbortListener',
      library: 'floor',
      batch: 1024,
      sync: true,
      run: (n) => {
        for (let i = 0; i < n; i++) {
          signal.addEventListener('abort', onAbort);
          signal.removeEventListener('abort', onAbort);
        }
        sink.value += aborted;
      },
    });
  }
}
