import { expect } from 'vitest';
import type {
  CircuitBreakerOptions,
  CircuitStore,
  OutcomeBatch,
  ProbeDecision,
  ProbeLease,
  SharedCircuit,
  SharedCircuitOptions,
  SharedState,
  StoreCommandKind,
  StoreCommandOptions,
  StoreStatus,
} from '../src/index.js';
import { deferred, failTimes, simulated } from './helpers.js';

/**
 * A shared circuit as plain data, for tests of the breaker's store link: it records what the
 * breaker reports and asks, and the test plays the store's side (a newer state, a status
 * change, a flush, the answer to an acquire) by hand. No timer, no Redis.
 */
export interface FakeCircuit extends SharedCircuit {
  options: SharedCircuitOptions | undefined;
  reports: OutcomeBatch[];
  commands: Array<{ kind: StoreCommandKind; options: StoreCommandOptions | undefined }>;
  settles: Array<{ lease: ProbeLease; ok: boolean }>;
  releases: ProbeLease[];
  /** Acquires waiting for the test's answer, oldest first. */
  acquires: Array<{ grant(): void; deny(state?: Partial<SharedState>): void; fail(): void }>;
  closed: boolean;
  /** The store heard of a newer shared state. */
  push(state: Partial<SharedState>): void;
  setStatus(status: StoreStatus): void;
  /** The store's flush timer fired. */
  flush(): void;
  listenerCount(): number;
}

let generation = 0;

export function sharedState(state: Partial<SharedState> = {}): SharedState {
  generation += 1;
  return {
    state: 'closed',
    generation,
    epoch: 'e1',
    openUntil: null,
    retryIn: null,
    now: 0,
    since: 0,
    attempt: 0,
    reason: 'created',
    detail: '',
    consecutiveFailures: 0,
    probesInFlight: 0,
    window: { calls: 0, failures: 0, slow: 0 },
    source: 'message',
    ...state,
  };
}

export function fakeStore(): { store: CircuitStore; circuit: () => FakeCircuit } {
  let made: FakeCircuit | undefined;
  const store: CircuitStore = {
    circuit(name, options) {
      if (made !== undefined) throw new Error(`fake store: circuit ${name} exists`);
      made = fakeCircuit(name, options);
      return made;
    },
    close: async () => undefined,
  };
  return {
    store,
    circuit: () => {
      if (made === undefined) throw new Error('fake store: no circuit yet');
      return made;
    },
  };
}

function fakeCircuit(name: string, options: SharedCircuitOptions | undefined): FakeCircuit {
  const stateListeners = new Set<(state: SharedState) => void>();
  const statusListeners = new Set<(status: StoreStatus) => void>();
  const flushListeners = new Set<() => void>();
  let leases = 0;
  const circuit: FakeCircuit = {
    name,
    options,
    state: null,
    status: 'connected',
    reports: [],
    commands: [],
    settles: [],
    releases: [],
    acquires: [],
    closed: false,
    report(outcomes) {
      circuit.reports.push(outcomes);
    },
    flushNow: async () => circuit.state,
    acquireProbe() {
      const answer = deferred<ProbeDecision>();
      circuit.acquires.push({
        grant: () => {
          const state = sharedState({ state: 'halfOpen', source: 'reply' });
          const lease = {
            id: `l${++leases}`,
            generation: state.generation,
            epoch: 'e1',
            expiresAt: 0,
          };
          answer.resolve({ granted: true, lease, state });
        },
        deny: (state) =>
          answer.resolve({ granted: false, state: sharedState({ state: 'halfOpen', ...state }) }),
        fail: () => answer.reject(new Error('store unreachable')),
      });
      return answer.promise;
    },
    async settleProbe(lease, ok) {
      circuit.settles.push({ lease, ok });
      return sharedState();
    },
    async releaseProbe(lease) {
      circuit.releases.push(lease);
      return sharedState();
    },
    async command(kind, commandOptions) {
      circuit.commands.push({ kind, options: commandOptions });
      return sharedState();
    },
    refresh: async () => sharedState(),
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    onFlush(listener) {
      flushListeners.add(listener);
      return () => flushListeners.delete(listener);
    },
    async close() {
      circuit.closed = true;
    },
    push(state) {
      const next = sharedState(state);
      (circuit as { state: SharedState | null }).state = next;
      for (const listener of stateListeners) listener(next);
    },
    setStatus(status) {
      (circuit as { status: StoreStatus }).status = status;
      for (const listener of statusListeners) listener(status);
    },
    flush() {
      for (const listener of flushListeners) listener();
    },
    listenerCount: () => stateListeners.size + statusListeners.size + flushListeners.size,
  };
  return circuit;
}

/** A fake store whose circuit `prepare` adjusts before the breaker links to it. */
export function fakeStoreWith(prepare: (circuit: FakeCircuit) => void): {
  store: CircuitStore;
  circuit: () => FakeCircuit;
} {
  const fake = fakeStore();
  const store: CircuitStore = {
    circuit(name, options) {
      fake.store.circuit(name, options);
      const made = fake.circuit();
      prepare(made);
      return made;
    },
    close: () => fake.store.close(),
  };
  return { store, circuit: fake.circuit };
}

/**
 * A breaker named `payments` on a simulated clock, sharing its circuit through `fake` (a fresh
 * fake store by default), tripped by five failures and moved on to half-open.
 */
export async function sharedHalfOpen(
  options: CircuitBreakerOptions = {},
  fake: { store: CircuitStore; circuit: () => FakeCircuit } = fakeStore(),
) {
  const { clock, breaker } = simulated({
    name: 'payments',
    store: fake.store,
    resetTimeout: 1000,
    ...options,
  });
  await failTimes(breaker, 5);
  clock.increment(1000);
  expect(breaker.state).toBe('halfOpen');
  return { clock, breaker, circuit: fake.circuit() };
}
