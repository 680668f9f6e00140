/**
 * Corners of the service's small units: the listener registry's per-call count, `has`, holding
 * and delivery; the `retryAfter` answer check; the transition log's figures and its stop.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from 'xstate';
import type { circuitBreakerMachine } from '../src/machine/machine.js';
import type { CircuitBreakerEmitted, TripFigures } from '../src/machine/types.js';
import { BreakerListeners } from '../src/service/listeners.js';
import type { BreakerLogger } from '../src/service/logger.js';
import { retryAfterAnswer } from '../src/service/retry-after.js';
import { logTransitions } from '../src/service/transition-log.js';

function recordingLogger() {
  const lines: string[] = [];
  const logger: BreakerLogger = {
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
  };
  return { lines, logger };
}

const success: CircuitBreakerEmitted = { type: 'success', at: 1, late: false };

describe('BreakerListeners', () => {
  it('counts the listeners of success, failure and reject only, and uncounts them on removal', () => {
    const listeners = new BreakerListeners('users', undefined);
    const removers = (['stateChange', 'open', 'halfOpen', 'close', 'storeStatus'] as const).map(
      (type) => listeners.add(type, () => undefined),
    );
    expect(listeners.perCall).toBe(0);
    const removeSuccess = listeners.add('success', () => undefined);
    expect(listeners.perCall).toBe(1);
    const removeFailure = listeners.add('failure', () => undefined);
    expect(listeners.perCall).toBe(2);
    const removeReject = listeners.add('reject', () => undefined);
    expect(listeners.perCall).toBe(3);
    for (const remove of removers) remove();
    expect(listeners.perCall).toBe(3);
    removeFailure();
    expect(listeners.perCall).toBe(2);
    removeFailure(); // a second call removes nothing
    expect(listeners.perCall).toBe(2);
    removeReject();
    removeSuccess();
    expect(listeners.perCall).toBe(0);
  });

  it('tells whether anyone listens to a type, before and after the first listener', () => {
    const listeners = new BreakerListeners('users', undefined);
    expect(listeners.has('open')).toBe(false);
    const remove = listeners.add('open', () => undefined);
    expect(listeners.has('open')).toBe(true);
    expect(listeners.has('close')).toBe(false);
    remove();
    expect(listeners.has('open')).toBe(false);
  });

  it('holds nothing until an event is held, and nothing once it is delivered', () => {
    const listeners = new BreakerListeners('users', undefined);
    const seen: string[] = [];
    listeners.add('success', (event: CircuitBreakerEmitted) => seen.push(event.type));
    expect(listeners.holding).toBe(false);
    listeners.deliver(); // nothing held yet: a no-op
    expect(seen).toEqual([]);
    listeners.hold(success);
    expect(listeners.holding).toBe(true);
    expect(seen).toEqual([]);
    listeners.deliver();
    expect(seen).toEqual(['success']);
    expect(listeners.holding).toBe(false);
  });

  it('holds a per-call event while the machine is busy, and emits it at once when it is not', () => {
    const listeners = new BreakerListeners('users', undefined);
    const seen: boolean[] = [];
    listeners.add('success', (event: CircuitBreakerEmitted) =>
      seen.push(event.type === 'success' && event.late),
    );
    listeners.announce({ type: 'success', at: 1, late: true }, true);
    expect(seen).toEqual([]);
    expect(listeners.holding).toBe(true);
    listeners.announce({ type: 'success', at: 2, late: false }, false);
    expect(seen).toEqual([false]);
    listeners.deliver();
    expect(seen).toEqual([false, true]);
  });
});

describe('retryAfterAnswer', () => {
  it('reports a throwing classifier through the logger and counts the failure without a period', () => {
    const { lines, logger } = recordingLogger();
    const answer = retryAfterAnswer(
      () => {
        throw new Error('no header');
      },
      new Error('503'),
      'users',
      logger,
    );
    expect(answer).toBeUndefined();
    expect(lines).toEqual([
      'warn circuit_breaker_bad_retry_after name=users retryAfter threw Error: no header',
    ]);
  });

  it('survives a throwing or bad classifier without a logger', () => {
    const throwing = () => {
      throw new Error('no header');
    };
    expect(retryAfterAnswer(throwing, new Error('503'), 'users', undefined)).toBeUndefined();
    expect(retryAfterAnswer(() => -1, new Error('503'), 'users', undefined)).toBeUndefined();
  });

  it('takes no answer as no period, without a warning', () => {
    const { lines, logger } = recordingLogger();
    expect(retryAfterAnswer(() => undefined, new Error('503'), 'users', logger)).toBeUndefined();
    expect(lines).toEqual([]);
    expect(retryAfterAnswer(() => 250, new Error('503'), 'users', logger)).toBe(250);
    expect(lines).toEqual([]);
  });
});

type Handler = (event: never) => void;

/** Just the `on` of an actor, so the test emits exactly the events it wants logged. */
function fakeActor() {
  const handlers = new Map<string, Set<Handler>>();
  const actor = {
    on(type: string, handler: Handler) {
      let set = handlers.get(type);
      if (set === undefined) {
        set = new Set();
        handlers.set(type, set);
      }
      set.add(handler);
      return { unsubscribe: () => set.delete(handler) };
    },
  };
  const emit = (event: CircuitBreakerEmitted) => {
    for (const handler of handlers.get(event.type) ?? []) (handler as (e: unknown) => void)(event);
  };
  return { actor: actor as unknown as Actor<typeof circuitBreakerMachine>, emit };
}

const noFigures: TripFigures = {
  consecutiveFailures: 1,
  failureRate: null,
  slowCallRate: null,
  calls: 0,
  failureThreshold: null,
  failureRateThreshold: null,
  slowCallRateThreshold: null,
  minimumThroughput: 0,
  retryAfter: null,
};

function openEvent(trip: Partial<TripFigures>): CircuitBreakerEmitted {
  return {
    type: 'open',
    at: 1,
    reason: 'slowCallRate',
    forced: false,
    trip: { ...noFigures, ...trip },
  } as CircuitBreakerEmitted;
}

describe('logTransitions', () => {
  it('logs the slow-call figures only when both the rate and its threshold are set', () => {
    const { lines, logger } = recordingLogger();
    const { actor, emit } = fakeActor();
    logTransitions(actor, 'users', logger);
    emit(openEvent({ slowCallRate: 2 / 3, slowCallRateThreshold: 0.5 }));
    emit(openEvent({ slowCallRate: 0.5, slowCallRateThreshold: null }));
    emit(openEvent({ slowCallRate: null, slowCallRateThreshold: 0.5 }));
    expect(lines).toEqual([
      'warn circuit_breaker_open name=users reason=slowCallRate failures=1 slowCallRate=0.667 slowCallRateThreshold=0.5',
      'warn circuit_breaker_open name=users reason=slowCallRate failures=1',
      'warn circuit_breaker_open name=users reason=slowCallRate failures=1',
    ]);
  });

  it('logs the period a retryAfter failure asked for', () => {
    const { lines, logger } = recordingLogger();
    const { actor, emit } = fakeActor();
    logTransitions(actor, 'users', logger);
    emit({ ...openEvent({ retryAfter: 30_000 }), reason: 'retryAfter' } as CircuitBreakerEmitted);
    expect(lines).toEqual([
      'warn circuit_breaker_open name=users reason=retryAfter failures=1 retryAfter=30000',
    ]);
  });

  it('warns when the breaker is disabled, not on other state changes, and stops when asked', () => {
    const { lines, logger } = recordingLogger();
    const { actor, emit } = fakeActor();
    const stop = logTransitions(actor, 'users', logger);
    const change = (to: string) =>
      ({ type: 'stateChange', at: 1, from: 'closed', to, reason: 'operator' }) as never;
    emit(change('open'));
    emit(change('disabled'));
    expect(lines).toEqual(['warn circuit_breaker_disabled name=users reason=operator']);
    stop();
    emit(change('disabled'));
    emit(openEvent({}));
    expect(lines).toHaveLength(1);
  });
});
