/**
 * `npm run bench:redis`: what sharing a breaker through Redis costs, on the built package and a
 * real `redis-server` this script starts on a free 127.0.0.1 port (and stops):
 *
 * 1. closed-success cost of a breaker with a store against a local breaker, in one process
 *    (interleaved rounds, the harness of `npm run bench`); target within 1.2x;
 * 2. trip propagation: 4 replica processes share one breaker; one trips, and the time until
 *    every one of the 4 turns calls away is taken, p50/p99 over the rounds; target 50 ms p99;
 * 3. Redis commands per replica per second, idle and at 10,000 calls/s in every replica, from
 *    `INFO commandstats` deltas.
 *
 * Options (after `npm run bench:redis --`): `--quick` (short rounds, for a look while working),
 * `--save` (write bench/results/redis.{json,md}; a full run only), `--out DIR`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createClient } from 'redis';
import type * as Core from '../src/index.js';
import type * as RedisEntry from '../src/redis/index.js';
import { startRedis } from '../test/redis/server.js';
import { timeCases } from './harness.js';
import { buildRedisLibrary, REDIS_BUILD_DIR } from './library.js';
import { resultsDirectory } from './output.js';
import type { ReplicaMessage, ReplicaRequest } from './redis-replica.js';
import {
  type CommandStats,
  commandRates,
  parseCommandStats,
  percentile,
  type RedisBenchResults,
  toMarkdown,
} from './redis-report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
if (quick && args.includes('--save')) {
  throw new RangeError('--save writes the published results: run without --quick');
}
const outDir =
  resultsDirectory(args, root) ?? `${root}node_modules/.cache/xstate-circuit-breaker-bench-results`;

const REPLICAS = 4;
const CALLS_PER_SECOND = 10_000;
const FLUSH_INTERVAL = 100;
const plan = quick
  ? { rounds: 3, sliceMs: 15, warmupMs: 30, tripRounds: 20, idleMs: 1_000, loadMs: 2_000 }
  : { rounds: 16, sliceMs: 40, warmupMs: 150, tripRounds: 100, idleMs: 5_000, loadMs: 10_000 };

interface Replica {
  readonly pid: number;
  readonly rejecting: Array<Extract<ReplicaMessage, { event: 'rejecting' }>>;
  request<T>(request: ReplicaRequest): Promise<T>;
  stop(): Promise<void>;
}

async function startReplica(url: string, name: string): Promise<Replica> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./redis-replica.ts', import.meta.url)),
    [url, name, String(FLUSH_INTERVAL)],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const rejecting: Replica['rejecting'] = [];
  const waiting = new Map<number, (result: unknown) => void>();
  let nextId = 0;
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`replica ${child.pid} exited (${String(code)})`);
  });
  exited.catch(() => undefined);
  const ready = new Promise<Extract<ReplicaMessage, { event: 'ready' }>>((resolve) => {
    child.on('message', (message: ReplicaMessage) => {
      if (message.event === 'ready') resolve(message);
      else if (message.event === 'rejecting') rejecting.push(message);
      else waiting.get(message.id)?.(message.result);
    });
  });
  await Promise.race([ready, exited]);
  return {
    pid: child.pid ?? 0,
    rejecting,
    request<T>(request: ReplicaRequest): Promise<T> {
      const id = ++nextId;
      const reply = new Promise<T>((resolve) => waiting.set(id, (r) => resolve(r as T)));
      child.send({ ...request, id });
      return Promise.race([reply, exited]);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return true;
}

/** Part 1: one call's cost with and without a store, interleaved in one process. */
async function measureCost(core: typeof Core, redisEntry: typeof RedisEntry, url: string) {
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', () => undefined);
  await client.connect();
  const store = redisEntry.redisStore({ client, logger: { warn: () => undefined } });
  const ok = async () => true;
  const local = new core.CircuitBreaker({ name: 'cost-local' });
  const shared = new core.CircuitBreaker({ name: 'cost-shared', store });
  const cases = [
    {
      batch: 256,
      run: async (n: number) => {
        for (let i = 0; i < n; i++) await ok();
      },
    },
    {
      batch: 256,
      run: async (n: number) => {
        for (let i = 0; i < n; i++) await local.call(ok);
      },
    },
    {
      batch: 256,
      run: async (n: number) => {
        for (let i = 0; i < n; i++) await shared.call(ok);
      },
    },
  ];
  const [bare, localTiming, sharedTiming] = await timeCases(
    cases,
    { rounds: plan.rounds, sliceMs: plan.sliceMs, warmupMs: plan.warmupMs, seed: 42 },
    (round) => process.stdout.write(`  cost round ${round + 1}/${plan.rounds}\r`),
  );
  process.stdout.write('\n');
  // What was timed was a breaker on a live store, every call a success.
  const stats = shared.getStats();
  if (shared.storeStatus !== 'connected' || shared.state !== 'closed' || stats.totalFailures > 0) {
    throw new Error(
      `the shared breaker ended ${shared.state} with its store ${shared.storeStatus}, ${stats.totalFailures} failures`,
    );
  }
  local.dispose();
  shared.dispose();
  await store.close();
  client.destroy();
  if (!bare || !localTiming || !sharedTiming) throw new Error('three cases');
  const ratio = sharedTiming.medianNs / localTiming.medianNs;
  return {
    bareNs: bare.medianNs,
    localNs: localTiming.medianNs,
    storeNs: sharedTiming.medianNs,
    storeRoundSpreadNs: [sharedTiming.roundMinNs, sharedTiming.roundMaxNs] as [number, number],
    ratio,
    target: 1.2,
    met: ratio <= 1.2,
  };
}

/** Part 2: a trip in one replica until every replica turns calls away. */
async function measurePropagation(replicas: readonly Replica[]) {
  const everyone: number[] = [];
  const others: number[] = [];
  const reasons: Record<string, number> = {};
  let missed = 0;
  for (let round = 0; round < plan.tripRounds; round++) {
    const origin = replicas[round % replicas.length] as Replica;
    await Promise.all(replicas.map((r) => r.request({ op: 'arm', round })));
    await origin.request({ op: 'trip' });
    const heard = (r: Replica) => r.rejecting.find((m) => m.round === round);
    const all = await waitUntil(() => replicas.every((r) => heard(r) !== undefined), 2_000);
    const trippedAt = heard(origin)?.at;
    if (!all || trippedAt === undefined) {
      missed += 1;
    } else {
      let worst = 0;
      for (const r of replicas) {
        if (r === origin) continue;
        const delay = (heard(r)?.at ?? Number.NaN) - trippedAt;
        const reason = heard(r)?.reason ?? 'none';
        reasons[reason] = (reasons[reason] ?? 0) + 1;
        others.push(delay);
        worst = Math.max(worst, delay);
      }
      everyone.push(worst);
    }
    await origin.request({ op: 'reset' });
    await Promise.all(replicas.map((r) => r.request({ op: 'waitClosed', timeoutMs: 2_000 })));
    process.stdout.write(`  trip round ${round + 1}/${plan.tripRounds}\r`);
  }
  process.stdout.write('\n');
  const p99 = missed > 0 ? Number.POSITIVE_INFINITY : percentile(everyone, 99);
  return {
    rounds: plan.tripRounds,
    missed,
    everyReplicaMs: {
      p50: percentile(everyone, 50),
      p99,
      max: Math.max(...everyone),
    },
    eachOtherReplicaMs: { p50: percentile(others, 50), p99: percentile(others, 99) },
    otherReplicaReasons: reasons,
    targetP99Ms: 50,
    met: p99 <= 50,
  };
}

/** Part 3: commands Redis ran, per replica per second, idle and under load. */
async function measureCommands(replicas: readonly Replica[], stats: () => Promise<CommandStats>) {
  const idleBefore = await stats();
  await new Promise((resolve) => setTimeout(resolve, plan.idleMs));
  const idle = commandRates(idleBefore, await stats(), replicas.length, plan.idleMs, 0);

  const loadBefore = await stats();
  const started = performance.now();
  const done = await Promise.all(
    replicas.map((r) =>
      r.request<{ calls: number; ms: number }>({
        op: 'load',
        rate: CALLS_PER_SECOND,
        ms: plan.loadMs,
      }),
    ),
  );
  const elapsed = performance.now() - started;
  const calls = done.reduce((sum, d) => sum + d.calls, 0);
  const callsPerSecond = calls / replicas.length / (elapsed / 1000);
  const load = commandRates(loadBefore, await stats(), replicas.length, elapsed, callsPerSecond);
  return { idle, load };
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log('building the core and the /redis entry (tsup, esm, node20)');
  buildRedisLibrary();
  const core = (await import(pathToFileURL(`${REDIS_BUILD_DIR}/index.js`).href)) as typeof Core;
  const redisEntry = (await import(
    pathToFileURL(`${REDIS_BUILD_DIR}/redis.js`).href
  )) as typeof RedisEntry;
  const redis = await startRedis();
  const replicas: Replica[] = [];
  const statsClient = createClient({ url: redis.url });
  statsClient.on('error', () => undefined);
  try {
    await statsClient.connect();
    const version = String(await statsClient.sendCommand(['INFO', 'server'])).match(
      /redis_version:(\S+)/,
    )?.[1];
    console.log(`redis-server ${version ?? '?'} on ${redis.url}`);
    const stats = async () =>
      parseCommandStats(String(await statsClient.sendCommand(['INFO', 'commandstats'])));

    console.log('1. closed-success cost, one process');
    const cost = await measureCost(core, redisEntry, redis.url);

    const name = `bench-${Date.now()}`;
    console.log(`starting ${REPLICAS} replica processes sharing breaker ${name}`);
    for (let i = 0; i < REPLICAS; i++) replicas.push(await startReplica(redis.url, name));

    console.log(`2. Redis commands: idle ${plan.idleMs} ms, then ${CALLS_PER_SECOND} calls/s each`);
    const commands = await measureCommands(replicas, stats);
    console.log(`3. trip propagation, ${plan.tripRounds} rounds`);
    const propagation = await measurePropagation(replicas);

    const results: RedisBenchResults = {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        cpu: `${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} threads)`,
        redis: version ?? 'unknown',
        client: 'node-redis 6',
        replicas: REPLICAS,
        flushInterval: FLUSH_INTERVAL,
        quick,
        build: 'tsup bundle (esm, node20)',
      },
      cost,
      propagation,
      commands,
    };
    const markdown = toMarkdown(results);
    console.log(`\n${markdown}`);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(`${outDir}/redis.json`, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(`${outDir}/redis.md`, markdown);
    const took = ((performance.now() - started) / 1000).toFixed(0);
    console.log(`wrote ${outDir}/redis.json and redis.md in ${took} s`);
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    statsClient.destroy();
    await redis.stop();
  }
}

await main();
process.exit(0);
