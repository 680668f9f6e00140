import { createMachine } from 'xstate';

export const machine = createMachine({
  id: 'circuitBreaker',
  type: 'parallel',
  states: {
    circuit: {
      initial: 'automatic',
      on: {
        SUCCESS: { actions: 'countLateSuccess' },
        FAILURE: { actions: 'countLateFailure' },
        IGNORE: { actions: 'countIgnored' },
        REQUEST: { actions: 'countRejection' },
        TALLY: { actions: 'applyTally' },
        RECORD_COST: { actions: 'recordCost' },
        FORCE_OPEN: [
          {
            target: '.automatic.open',
            guard: 'forOpenPeriod',
            actions: [
              'openForRequestedPeriod',
              { type: 'changeState', params: { to: 'open', reason: 'forced' } },
            ],
          },
          {
            target: '.forcedOpen',
            actions: { type: 'changeState', params: { to: 'forcedOpen', reason: 'forced' } },
          },
        ],
        FORCE_CLOSE: {
          target: '.automatic',
          actions: { type: 'changeState', params: { to: 'closed', reason: 'forceClose' } },
        },
        RESET: {
          target: '.automatic',
          actions: { type: 'changeState', params: { to: 'closed', reason: 'reset' } },
        },
        DISABLE: {
          target: '.disabled',
          actions: { type: 'changeState', params: { to: 'disabled', reason: 'disabled' } },
        },
        REMOTE: [
          {
            target: '.automatic.open',
            guard: 'remoteOpened',
            actions: [
              'openForRemotePeriod',
              { type: 'changeState', params: { to: 'open', reason: 'remote' } },
            ],
          },
          {
            target: '.automatic.halfOpen',
            guard: 'remoteHalfOpened',
            actions: { type: 'changeState', params: { to: 'halfOpen', reason: 'remote' } },
          },
          {
            target: '.automatic',
            guard: 'remoteClosed',
            actions: { type: 'changeState', params: { to: 'closed', reason: 'remote' } },
          },
          {
            target: '.forcedOpen',
            guard: 'remoteForcedOpen',
            actions: { type: 'changeState', params: { to: 'forcedOpen', reason: 'remote' } },
          },
          {
            target: '.disabled',
            guard: 'remoteDisabled',
            actions: { type: 'changeState', params: { to: 'disabled', reason: 'remote' } },
          },
        ],
        STORE_STATUS: [
          {
            target: '.forcedOpen',
            guard: 'storeLostOpens',
            actions: {
              type: 'changeState',
              params: { to: 'forcedOpen', reason: 'storeUnavailable' },
            },
          },
          {
            target: '.disabled',
            guard: 'storeLostCloses',
            actions: {
              type: 'changeState',
              params: { to: 'disabled', reason: 'storeUnavailable' },
            },
          },
        ],
      },
      states: {
        automatic: {
          initial: 'closed',
          states: {
            closed: {
              on: {
                FAILURE: [
                  {
                    target: 'open',
                    guard: 'retryAfterGiven',
                    actions: [
                      'countFailure',
                      'recordInWindow',
                      'openForRequestedPeriod',
                      { type: 'changeState', params: { to: 'open', reason: 'retryAfter' } },
                    ],
                  },
                  {
                    target: 'open',
                    guard: 'consecutiveFailuresReached',
                    actions: [
                      'countFailure',
                      'recordInWindow',
                      {
                        type: 'changeState',
                        params: { to: 'open', reason: 'consecutiveFailures' },
                      },
                      'planRetry',
                    ],
                  },
                  {
                    target: 'open',
                    guard: 'failureRateReached',
                    actions: [
                      'countFailure',
                      'recordInWindow',
                      { type: 'changeState', params: { to: 'open', reason: 'failureRate' } },
                      'planRetry',
                    ],
                  },
                  {
                    target: 'open',
                    guard: 'slowCallRateReached',
                    actions: [
                      'countFailure',
                      'recordInWindow',
                      { type: 'changeState', params: { to: 'open', reason: 'slowCallRate' } },
                      'planRetry',
                    ],
                  },
                  { guard: 'isCurrent', actions: ['countFailure', 'recordInWindow'] },
                ],
                SUCCESS: [
                  {
                    target: 'open',
                    guard: 'slowCallRateReached',
                    actions: [
                      'countSuccess',
                      'recordInWindow',
                      { type: 'changeState', params: { to: 'open', reason: 'slowCallRate' } },
                      'planRetry',
                    ],
                  },
                  { guard: 'isCurrent', actions: ['countSuccess', 'recordInWindow'] },
                ],
                REQUEST: {},
              },
            },
            open: {
              on: {
                REQUEST: {
                  target: 'halfOpen',
                  guard: 'resetTimeoutElapsed',
                  actions: [
                    { type: 'changeState', params: { to: 'halfOpen', reason: 'resetTimeout' } },
                    'admitProbe',
                  ],
                },
                WAKE: {
                  target: 'halfOpen',
                  guard: 'resetTimeoutElapsed',
                  actions: {
                    type: 'changeState',
                    params: { to: 'halfOpen', reason: 'resetTimeout' },
                  },
                },
              },
              after: {
                resetTimeout: {
                  target: 'halfOpen',
                  actions: {
                    type: 'changeState',
                    params: { to: 'halfOpen', reason: 'resetTimeout' },
                  },
                },
              },
            },
            halfOpen: {
              on: {
                REQUEST: { guard: 'probeSlotFree', actions: 'admitProbe' },
                CANCEL: { guard: 'holdsProbe', actions: 'releaseProbe' },
                IGNORE: { guard: 'holdsProbe', actions: ['releaseProbe', 'countIgnored'] },
                SUCCESS: [
                  {
                    target: 'open',
                    guard: 'slowProbe',
                    actions: [
                      'countSuccess',
                      { type: 'changeState', params: { to: 'open', reason: 'slowProbe' } },
                      'planRetry',
                    ],
                  },
                  {
                    target: 'closed',
                    guard: 'probesSucceeded',
                    actions: [
                      'countSuccess',
                      { type: 'changeState', params: { to: 'closed', reason: 'probesSucceeded' } },
                    ],
                  },
                  { guard: 'holdsProbe', actions: ['countSuccess', 'countProbeSuccess'] },
                ],
                FAILURE: [
                  {
                    target: 'open',
                    guard: 'retryAfterGiven',
                    actions: [
                      'countFailure',
                      'openForRequestedPeriod',
                      { type: 'changeState', params: { to: 'open', reason: 'retryAfter' } },
                    ],
                  },
                  {
                    target: 'open',
                    guard: 'probeFailed',
                    actions: [
                      'countFailure',
                      { type: 'changeState', params: { to: 'open', reason: 'probeFailure' } },
                      'planRetry',
                    ],
                  },
                ],
              },
              after: {
                halfOpenMaxWait: {
                  target: 'open',
                  guard: 'hasHalfOpenMaxWait',
                  actions: [
                    { type: 'changeState', params: { to: 'open', reason: 'halfOpenMaxWait' } },
                    'planRetry',
                  ],
                },
              },
            },
          },
        },
        forcedOpen: {},
        disabled: {
          on: {
            SUCCESS: { guard: 'isCurrent', actions: ['countSuccess', 'recordInWindow'] },
            FAILURE: { guard: 'isCurrent', actions: ['countFailure', 'recordInWindow'] },
            REQUEST: {},
          },
        },
      },
    },
    store: {
      initial: 'standalone',
      states: {
        standalone: {
          on: { STORE_STATUS: [{ target: 'degraded', guard: 'storeDegraded' }, 'connected'] },
        },
        connected: {
          on: {
            STORE_STATUS: {
              target: 'degraded',
              guard: 'storeDegraded',
              actions: 'announceStoreStatus',
            },
          },
        },
        degraded: {
          on: {
            STORE_STATUS: {
              target: 'connected',
              guard: 'storeConnected',
              actions: 'announceStoreStatus',
            },
          },
        },
      },
    },
  },
});
