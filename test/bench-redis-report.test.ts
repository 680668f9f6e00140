import { describe, expect, it } from 'vitest';
import { commandRates, parseCommandStats, percentile } from '../bench/redis-report.js';

describe('npm run bench:redis figures', () => {
  it('parses INFO commandstats and rates the deltas per replica per second', () => {
    const before = parseCommandStats(
      '# Commandstats\r\ncmdstat_evalsha:calls=10,usec=90,usec_per_call=9.00,rejected_calls=0,failed_calls=0\r\ncmdstat_info:calls=3,usec=1\r\ncmdstat_hmget:calls=100,usec=5\r\n',
    );
    expect([...before]).toEqual([
      ['evalsha', 10],
      ['info', 3],
      ['hmget', 100],
    ]);
    const after = parseCommandStats(
      'cmdstat_evalsha:calls=50,usec=1\ncmdstat_info:calls=9,usec=1\ncmdstat_hmget:calls=500,usec=1\ncmdstat_script|load:calls=4,usec=1\n',
    );
    // 4 replicas over 2 s: evalsha +40 -> 5/s each; the parent's own INFO is left out.
    expect(commandRates(before, after, 4, 2_000, 9_990.4)).toEqual({
      callsPerSecondPerReplica: 9_990,
      scriptCallsPerReplicaPerSecond: 5,
      sentPerReplicaPerSecond: 5.5,
      allPerReplicaPerSecond: 55.5,
      byCommand: { evalsha: 5, hmget: 50, 'script|load': 0.5 },
    });
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});
