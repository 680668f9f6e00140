import { describe, expect, it } from 'vitest';
import { outcomeCode } from '../src/machine/guards.js';
import { OUTCOME_FAILURE, OUTCOME_SLOW } from '../src/machine/rules.js';

describe('outcomeCode', () => {
  it('codes failures and slowness of SUCCESS/FAILURE events, and nothing for any other event', () => {
    expect(outcomeCode({ type: 'SUCCESS', at: 1, generation: 0 })).toBe(0);
    expect(outcomeCode({ type: 'SUCCESS', at: 1, generation: 0, slow: true })).toBe(OUTCOME_SLOW);
    expect(outcomeCode({ type: 'FAILURE', at: 1, generation: 0 })).toBe(OUTCOME_FAILURE);
    expect(outcomeCode({ type: 'FAILURE', at: 1, generation: 0, slow: true })).toBe(
      OUTCOME_FAILURE | OUTCOME_SLOW,
    );
    // The machine only asks about results; any other event carries no outcome.
    expect(outcomeCode({ type: 'REQUEST', at: 1 })).toBe(0);
  });
});
