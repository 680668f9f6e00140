import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KINDS, type ClientKind, waitFor } from './clients.js';
import { type Replica, startReplica } from './replicas.js';
import { type RedisServer, startRedis } from './server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

describe.each(CLIENT_KINDS)(
  'three replica processes sharing one circuit (%s)',
  (kind: ClientKind) => {
    let replicas: Replica[] = [];
    const name = `procs-${kind}-${Date.now()}`;

    beforeAll(async () => {
      // Polls every 10 s: within a test, only pub/sub can carry a trip to the other processes.
      const options = { failureThreshold: 5, halfOpenMaxCalls: 3, probeLease: 300 };
      replicas = await Promise.all(
        [0, 1, 2].map(() => startReplica(redis.url, kind, name, options, 10_000)),
      );
    }, 15_000);
    afterAll(async () => {
      await Promise.all(replicas.map((replica) => replica.kill()));
    });

    it('a trip in one process reaches the others through pub/sub', async () => {
      const [a, b, c] = replicas;
      if (!a || !b || !c) throw new Error('three replicas');
      const delays: number[] = [];
      for (let round = 0; round < 15; round++) {
        const trip = await a.request<{ state: string; generation: number; startedAt: number }>({
          op: 'report',
          failures: 5,
          tripped: 'consecutiveFailures',
        });
        expect(trip.state).toBe('open');
        const heardBy = (replica: Replica) =>
          replica.states.find((s) => s.generation === trip.generation && s.state === 'open');
        await waitFor(() => heardBy(b) !== undefined && heardBy(c) !== undefined, 2000, 'the trip');
        for (const replica of [b, c]) {
          const heard = heardBy(replica);
          expect(heard?.source).toBe('message');
          delays.push((heard?.at ?? Number.NaN) - trip.startedAt);
        }
        const closedAt = await a.request<number>({ op: 'reset' });
        await waitFor(
          () => [b, c].every((r) => r.states.some((s) => s.generation === closedAt)),
          2000,
          'the reset',
        );
      }
      const p50 = percentile(delays, 50);
      const p99 = percentile(delays, 99);
      console.info(
        `${kind}: trip to other processes p50 ${p50} ms, p99 ${p99} ms (n=${delays.length})`,
      );
      expect(p99).toBeLessThan(500);
    });

    it('admits exactly halfOpenMaxCalls probes cluster-wide under 50 concurrent callers each', async () => {
      const opened = await replicas[0]?.request<number>({ op: 'forceOpen', for: 20 });
      await new Promise((resolve) => setTimeout(resolve, 40));
      const results = await Promise.all(
        replicas.map((replica) =>
          replica.request<{ granted: number; generations: number[] }>({ op: 'acquire', count: 50 }),
        ),
      );
      expect(results.reduce((sum, result) => sum + result.granted, 0)).toBe(3);
      // Exactly one acquirer moved the circuit to halfOpen; every other one saw that generation.
      for (const result of results) expect(result.generations).toEqual([(opened ?? 0) + 1]);
    });

    it('the leases of a prober that was killed expire, then others may probe', async () => {
      const [a, b] = replicas;
      if (!a || !b) throw new Error('two replicas');
      await a.request({ op: 'forceOpen', for: 10 });
      await new Promise((resolve) => setTimeout(resolve, 25));
      const taken = await a.request<{ granted: number }>({ op: 'acquire', count: 3 });
      const takenAt = Date.now();
      expect(taken.granted).toBe(3);
      await a.kill();
      expect((await b.request<{ granted: number }>({ op: 'acquire', count: 1 })).granted).toBe(0);
      let granted = 0;
      while (granted === 0 && Date.now() - takenAt < 3000) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        granted = (await b.request<{ granted: number }>({ op: 'acquire', count: 3 })).granted;
      }
      const waited = Date.now() - takenAt;
      expect(granted).toBe(3);
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(1500);
    });
  },
);
