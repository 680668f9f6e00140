import { and, createMachine, not, or } from 'xstate';

export const machine = createMachine({
  id: 'circuitBreaker',
  initial: 'closed',
  on: { TALLY: { actions: 'applyTally' }, RECORD_COST: { actions: 'recordCost' } },
  states: {
    closed: {
      on: {
        SUCCESS: [
          { guard: 'isLate', actions: { type: 'countSuccess', params: { late: true } } },
          {
            target: 'open',
            guard: and(['isSlow', 'rateThresholdReached']),
            actions: [
              { type: 'countSuccess', params: { late: false } },
              { type: 'changeState', params: { from: 'closed', to: 'open' } },
              'planRetry',
            ],
          },
          { actions: [{ type: 'countSuccess', params: { late: false } }, 'recordInWindow'] },
        ],
        FAILURE: [
          { guard: 'isLate', actions: { type: 'countFailure', params: { late: true } } },
          {
            target: 'open',
            guard: or(['failureThresholdReached', 'rateThresholdReached']),
            actions: [
              { type: 'countFailure', params: { late: false } },
              { type: 'changeState', params: { from: 'closed', to: 'open' } },
              'planRetry',
            ],
          },
          { actions: [{ type: 'countFailure', params: { late: false } }, 'recordInWindow'] },
        ],
        FORCE_OPEN: {
          target: 'forcedOpen',
          actions: { type: 'changeState', params: { from: 'closed', to: 'forcedOpen' } },
        },
        FORCE_CLOSE: { actions: 'restartClosed' },
        RESET: { actions: 'restartClosed' },
      },
    },
    open: {
      on: {
        REQUEST: [
          {
            target: 'halfOpen',
            guard: 'resetTimeoutElapsed',
            actions: [
              { type: 'changeState', params: { from: 'open', to: 'halfOpen' } },
              'admitProbe',
            ],
          },
          { actions: { type: 'countRejection', params: { state: 'open' } } },
        ],
        WAKE: {
          target: 'halfOpen',
          guard: 'resetTimeoutElapsed',
          actions: { type: 'changeState', params: { from: 'open', to: 'halfOpen' } },
        },
        SUCCESS: { actions: { type: 'countSuccess', params: { late: true } } },
        FAILURE: { actions: { type: 'countFailure', params: { late: true } } },
        FORCE_OPEN: {
          target: 'forcedOpen',
          actions: { type: 'changeState', params: { from: 'open', to: 'forcedOpen' } },
        },
        FORCE_CLOSE: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'open', to: 'closed' } },
        },
        RESET: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'open', to: 'closed' } },
        },
      },
      after: {
        resetTimeout: {
          target: 'halfOpen',
          actions: { type: 'changeState', params: { from: 'open', to: 'halfOpen' } },
        },
      },
    },
    halfOpen: {
      on: {
        REQUEST: [
          { guard: 'probeSlotFree', actions: 'admitProbe' },
          { actions: { type: 'countRejection', params: { state: 'halfOpen' } } },
        ],
        CANCEL: { guard: 'holdsProbe', actions: 'releaseProbe' },
        SUCCESS: [
          { guard: not('holdsProbe'), actions: { type: 'countSuccess', params: { late: true } } },
          {
            target: 'closed',
            guard: 'probesSucceeded',
            actions: [
              { type: 'countSuccess', params: { late: false } },
              { type: 'changeState', params: { from: 'halfOpen', to: 'closed' } },
            ],
          },
          { actions: [{ type: 'countSuccess', params: { late: false } }, 'countProbeSuccess'] },
        ],
        FAILURE: [
          { guard: not('holdsProbe'), actions: { type: 'countFailure', params: { late: true } } },
          {
            target: 'open',
            actions: [
              { type: 'countFailure', params: { late: false } },
              { type: 'changeState', params: { from: 'halfOpen', to: 'open' } },
              'planRetry',
            ],
          },
        ],
        FORCE_OPEN: {
          target: 'forcedOpen',
          actions: { type: 'changeState', params: { from: 'halfOpen', to: 'forcedOpen' } },
        },
        FORCE_CLOSE: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'halfOpen', to: 'closed' } },
        },
        RESET: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'halfOpen', to: 'closed' } },
        },
      },
      after: {
        halfOpenMaxWait: {
          target: 'open',
          guard: 'hasHalfOpenMaxWait',
          actions: [{ type: 'changeState', params: { from: 'halfOpen', to: 'open' } }, 'planRetry'],
        },
      },
    },
    forcedOpen: {
      on: {
        REQUEST: { actions: { type: 'countRejection', params: { state: 'forcedOpen' } } },
        SUCCESS: { actions: { type: 'countSuccess', params: { late: true } } },
        FAILURE: { actions: { type: 'countFailure', params: { late: true } } },
        FORCE_CLOSE: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'forcedOpen', to: 'closed' } },
        },
        RESET: {
          target: 'closed',
          actions: { type: 'changeState', params: { from: 'forcedOpen', to: 'closed' } },
        },
      },
    },
  },
});
