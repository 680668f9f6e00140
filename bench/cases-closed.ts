/** Rows of calls in a closed circuit: success, failure, the protocol, listeners and observers. */
import OpossumBreaker from 'opossum';
import { createActor } from 'xstate';
import {
  cockatiel,
  counted,
  fail,
  HUGE,
  lib,
  ok,
  opossum,
  ours,
  reference,
  referenceCounted,
  sink,
} from './fixtures.js';
import type { AddCase, ScenarioId } from './scenarios.js';

export function addClosedCases(add: AddCase, wanted: (id: ScenarioId) => boolean): void {
  if (wanted('success')) addSuccess(add);
  if (wanted('failure')) addFailure(add);
  if (wanted('protocol')) addProtocol(add);
  if (wanted('successListener')) addSuccessListener(add);
  if (wanted('observed')) addObserved(add);
  if (wanted('wrap') || wanted('execute')) addEntryPoints(add, wanted);
}

function addSuccess(add: AddCase): void {
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
      verify: counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses'),
    });
  }
  {
    const r = reference();
    add({
      scenario: 'success',
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
    const actor = createActor(lib().circuitBreakerMachine, { input: {} }).start();
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
}

function addFailure(add: AddCase): void {
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
    const r = reference({ failureThreshold: HUGE });
    add({
      scenario: 'failure',
      library: 'floor',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await r.call(fail);
          } catch {
            sink.value++;
          }
        }
      },
      verify: referenceCounted(r, 'closed', 'totalFailures'),
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
}

function addProtocol(add: AddCase): void {
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
}

function addSuccessListener(add: AddCase): void {
  {
    let seen = 0;
    const b = ours();
    b.on('success', () => {
      seen++;
    });
    add({
      scenario: 'successListener',
      library: 'ours',
      batch: 128,
      run: async (n) => {
        for (let i = 0; i < n; i++) await b.call(ok);
        sink.value += seen;
      },
      dispose: () => b.dispose(),
      verify: (ops) => {
        counted(b, 'closed', { totalFailures: 0 }, 'totalSuccesses')(ops);
        if (seen !== ops) throw new Error(`bench verify: success listener saw ${seen} of ${ops}`);
      },
    });
  }
  {
    let seen = 0;
    const r = reference();
    r.onSuccess(() => {
      seen++;
    });
    add({
      scenario: 'successListener',
      library: 'floor',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await r.call(ok);
        sink.value += seen;
      },
      verify: referenceCounted(r, 'closed', 'totalSuccesses'),
    });
  }
  {
    let seen = 0;
    const p = cockatiel(5);
    p.onSuccess(() => {
      seen++;
    });
    add({
      scenario: 'successListener',
      library: 'cockatiel',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await p.execute(ok);
        sink.value += seen;
      },
    });
  }
  {
    let seen = 0;
    const o = opossum(ok);
    o.on('success', () => {
      seen++;
    });
    add({
      scenario: 'successListener',
      library: 'opossum',
      batch: 256,
      run: async (n) => {
        for (let i = 0; i < n; i++) await o.fire();
        sink.value += seen;
      },
      dispose: () => o.shutdown(),
    });
  }
}

function addObserved(add: AddCase): void {
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
}

function addEntryPoints(add: AddCase, wanted: (id: ScenarioId) => boolean): void {
  if (wanted('wrap')) {
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
  if (wanted('execute')) {
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
}
