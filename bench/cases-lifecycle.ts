/** Rows of a call timeout, a caller's signal, and a breaker's own construction and disposal. */
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import OpossumBreaker from 'opossum';
import {
  counted,
  LONG,
  lib,
  ok,
  ours,
  reference,
  referenceCounted,
  referenceLib,
  sink,
} from './fixtures.js';
import type { AddCase, ScenarioId } from './scenarios.js';

const CALL_TIMEOUT = 1000;

/**
 * Each construction loop stores its breaker here: one that never escapes the loop would let V8
 * remove the allocation altogether (escape analysis), and the row would time nothing.
 */
const kept: unknown[] = new Array(64).fill(null);

export function addLifecycleCases(add: AddCase, wanted: (id: ScenarioId) => boolean): void {
  if (wanted('timeoutCall')) addTimeoutCall(add);
  if (wanted('timeoutExecute')) addTimeoutExecute(add);
  if (wanted('executeSignal')) addExecuteSignal(add);
  if (wanted('lifecycle')) addConstructDispose(add);
}

function addTimeoutCall(add: AddCase): void {
  {
    const b = ours({ callTimeout: CALL_TIMEOUT });
    add({
      scenario: 'timeoutCall',
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
    const r = reference({ callTimeout: CALL_TIMEOUT });
    add({
      scenario: 'timeoutCall',
      library: 'floor',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await r.call(ok);
      },
      verify: referenceCounted(r, 'closed', 'totalSuccesses'),
    });
  }
  {
    // opossum's default: a 10 s timeout, one timer per fire.
    const o = new OpossumBreaker(ok);
    add({
      scenario: 'timeoutCall',
      library: 'opossumTimeout',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await o.fire();
      },
      dispose: () => o.shutdown(),
    });
  }
}

function addTimeoutExecute(add: AddCase): void {
  const b = ours({ callTimeout: CALL_TIMEOUT });
  add({
    scenario: 'timeoutExecute',
    library: 'ours',
    batch: 256,
    run: async (n) => {
      // `ok` takes no parameter: it never reads the signal execute offers.
      for (let i = 0; i < n; i++) await b.execute(ok);
    },
    dispose: () => b.dispose(),
    verify: counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses'),
  });
}

function addExecuteSignal(add: AddCase): void {
  const b = ours();
  const signal = new AbortController().signal;
  add({
    scenario: 'executeSignal',
    library: 'ours',
    batch: 256,
    run: async (n) => {
      for (let i = 0; i < n; i++) await b.execute(ok, { signal });
    },
    dispose: () => b.dispose(),
    verify: counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses'),
  });
  const r = reference();
  add({
    scenario: 'executeSignal',
    library: 'floor',
    batch: 256,
    run: async (n) => {
      for (let i = 0; i < n; i++) await r.execute(ok, signal);
    },
    verify: referenceCounted(r, 'closed', 'totalSuccesses'),
  });
}

function addConstructDispose(add: AddCase): void {
  const { CircuitBreaker } = lib();
  const { ReferenceBreaker } = referenceLib();
  add({
    scenario: 'lifecycle',
    library: 'ours',
    batch: 64,
    sync: true,
    run: (n) => {
      let made = 0;
      for (let i = 0; i < n; i++) {
        const b = new CircuitBreaker({ name: 'bench' });
        b.dispose();
        kept[i & 63] = b;
        made++;
      }
      sink.value += made;
    },
  });
  add({
    scenario: 'lifecycle',
    library: 'floor',
    batch: 1024,
    sync: true,
    run: (n) => {
      let made = 0;
      for (let i = 0; i < n; i++) {
        const r = new ReferenceBreaker({ name: 'bench' });
        r.dispose();
        kept[i & 63] = r;
        if (r.disposed) made++;
      }
      sink.value += made;
    },
  });
  add({
    scenario: 'lifecycle',
    library: 'cockatiel',
    batch: 256,
    sync: true,
    run: (n) => {
      let made = 0;
      for (let i = 0; i < n; i++) {
        // A cockatiel policy holds no timer or subscription until it opens: nothing to dispose.
        const p = circuitBreaker(handleAll, {
          halfOpenAfter: LONG,
          breaker: new ConsecutiveBreaker(5),
        });
        kept[i & 63] = p;
        made++;
      }
      sink.value += made;
    },
  });
  add({
    scenario: 'lifecycle',
    library: 'opossumTimeout',
    batch: 64,
    sync: true,
    run: (n) => {
      let made = 0;
      for (let i = 0; i < n; i++) {
        const o = new OpossumBreaker(ok);
        o.shutdown();
        kept[i & 63] = o;
        made++;
      }
      sink.value += made;
    },
  });
}
