/** Rows of an open circuit: rejections through `call` and through `canExecute()`. */
import { CircuitState as CockatielState } from 'cockatiel';
import OpossumBreaker from 'opossum';
import {
  cockatiel,
  counted,
  fail,
  LONG,
  noop,
  ok,
  opossum,
  oursOpen,
  referenceCounted,
  referenceOpen,
  sink,
} from './fixtures.js';
import type { AddCase, ScenarioId } from './scenarios.js';

export async function addOpenCases(
  add: AddCase,
  wanted: (id: ScenarioId) => boolean,
): Promise<void> {
  if (wanted('rejectCall')) await addRejectCall(add);
  if (wanted('rejectCanExecute')) await addRejectCanExecute(add);
}

async function addRejectCall(add: AddCase): Promise<void> {
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
    const r = await referenceOpen();
    add({
      scenario: 'rejectCall',
      library: 'floor',
      batch: 128,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          try {
            await r.call(ok);
          } catch {
            sink.value++;
          }
        }
      },
      dispose: () => r.dispose(),
      verify: referenceCounted(r, 'open', 'totalRejections'),
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
}

async function addRejectCanExecute(add: AddCase): Promise<void> {
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
  {
    const r = await referenceOpen();
    add({
      scenario: 'rejectCanExecute',
      library: 'floor',
      batch: 4096,
      sync: true,
      run: (n) => {
        let admitted = 0;
        for (let i = 0; i < n; i++) if (r.canExecute()) admitted++;
        sink.value += admitted;
      },
      dispose: () => r.dispose(),
      verify: referenceCounted(r, 'open', 'totalRejections'),
    });
  }
}
