/** The figures of `npm run bench:redis` and how they are written (console, `redis.md`). */

/** Calls per command name since the server started, from `INFO commandstats`. */
export type CommandStats = ReadonlyMap<string, number>;

/** Parses `INFO commandstats` (`cmdstat_evalsha:calls=12,usec=...`). */
export function parseCommandStats(info: string): CommandStats {
  const stats = new Map<string, number>();
  for (const line of info.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match?.[1] !== undefined) stats.set(match[1], Number(match[2]));
  }
  return stats;
}

/**
 * Commands a client sends itself (one round trip each). Everything else in `commandstats`
 * here ran inside the store's Lua scripts, which Redis counts too.
 */
const SENT_BY_CLIENTS =
  /^(evalsha|eval|script\|.*|subscribe|unsubscribe|ping|hello|client\|.*|select)$/;

export interface CommandRates {
  /** Calls per second each replica ran while this was measured. */
  callsPerSecondPerReplica: number;
  /** Script calls (`EVALSHA`, plus `EVAL` after a `NOSCRIPT`) per replica per second. */
  scriptCallsPerReplicaPerSecond: number;
  /** Every command clients sent (the round trips), per replica per second. */
  sentPerReplicaPerSecond: number;
  /** Every command Redis counted, those run inside the scripts included. */
  allPerReplicaPerSecond: number;
  /** Per command, per replica per second (the parent's own `INFO` left out). */
  byCommand: Record<string, number>;
}

/** Per-replica, per-second command rates between two readings. */
export function commandRates(
  before: CommandStats,
  after: CommandStats,
  replicas: number,
  ms: number,
  callsPerSecondPerReplica: number,
): CommandRates {
  const per = (n: number) => round2(n / replicas / (ms / 1000));
  const byCommand: Record<string, number> = {};
  let all = 0;
  let sent = 0;
  let scripts = 0;
  for (const [name, calls] of after) {
    if (name === 'info') continue;
    const delta = calls - (before.get(name) ?? 0);
    if (delta <= 0) continue;
    byCommand[name] = per(delta);
    all += delta;
    if (SENT_BY_CLIENTS.test(name)) sent += delta;
    if (name === 'evalsha' || name === 'eval') scripts += delta;
  }
  return {
    callsPerSecondPerReplica: Math.round(callsPerSecondPerReplica),
    scriptCallsPerReplicaPerSecond: per(scripts),
    sentPerReplicaPerSecond: per(sent),
    allPerReplicaPerSecond: per(all),
    byCommand,
  };
}

/** The nearest-rank percentile (p99 of 100 samples is the 99th smallest). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export interface RedisBenchResults {
  meta: {
    date: string;
    node: string;
    cpu: string;
    redis: string;
    client: string;
    replicas: number;
    flushInterval: number;
    quick: boolean;
    build: string;
  };
  cost: {
    bareNs: number;
    localNs: number;
    storeNs: number;
    storeRoundSpreadNs: [number, number];
    ratio: number;
    target: number;
    met: boolean;
  };
  propagation: {
    rounds: number;
    missed: number;
    /** Per round: from the trip in one replica until the last of the others rejected. */
    everyReplicaMs: { p50: number; p99: number; max: number };
    /** Per replica and round: from the trip until that replica rejected. */
    eachOtherReplicaMs: { p50: number; p99: number };
    /** The reason each other replica's breaker opened with (`remote` through the store). */
    otherReplicaReasons: Record<string, number>;
    targetP99Ms: number;
    met: boolean;
  };
  commands: { idle: CommandRates; load: CommandRates };
}

const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'missed');
const ns = (n: number) => `${Math.round(n)} ns`;

/** The results as Markdown, as `bench/results/redis.md` holds them. */
export function toMarkdown(r: RedisBenchResults): string {
  const m = r.meta;
  const commandsRow = (label: string, c: CommandRates) =>
    `| ${label} | ${c.callsPerSecondPerReplica} | ${c.scriptCallsPerReplicaPerSecond} | ${c.sentPerReplicaPerSecond} | ${c.allPerReplicaPerSecond} |`;
  const top = Object.entries(r.commands.load.byCommand)
    .sort(([, a], [, b]) => b - a)
    .map(([name, rate]) => `${name} ${rate}`)
    .join(', ');
  return `# Redis store benchmark

${m.date} · Node ${m.node} · ${m.cpu} · redis-server ${m.redis} on 127.0.0.1 · ${m.client} · ${m.replicas} replica processes · flushInterval ${m.flushInterval} ms${m.quick ? ' · quick run' : ''}

Every replica is \`new CircuitBreaker({ name, store })\` in its own process.

| measure | result | target | met |
| --- | --- | --- | --- |
| closed success, breaker with a store vs local | ${ns(r.cost.storeNs)} vs ${ns(r.cost.localNs)} (${r.cost.ratio.toFixed(2)}x; bare await ${ns(r.cost.bareNs)}) | <= ${r.cost.target}x | ${r.cost.met ? 'met' : 'NOT met'} |
| trip in one replica until all ${m.replicas} reject, p50 / p99 (max) | ${ms(r.propagation.everyReplicaMs.p50)} / ${ms(r.propagation.everyReplicaMs.p99)} (${ms(r.propagation.everyReplicaMs.max)}), ${r.propagation.rounds} rounds, ${r.propagation.missed} missed | p99 <= ${r.propagation.targetP99Ms} ms | ${r.propagation.met ? 'met' : 'NOT met'} |
| Redis commands per replica per second at ${r.commands.load.callsPerSecondPerReplica} calls/s | ${r.commands.load.sentPerReplicaPerSecond} sent (${r.commands.load.scriptCallsPerReplicaPerSecond} script calls) | | |

Each other replica, trip to rejecting: p50 ${ms(r.propagation.eachOtherReplicaMs.p50)}, p99 ${ms(r.propagation.eachOtherReplicaMs.p99)}; the reasons they opened with: ${Object.entries(
    r.propagation.otherReplicaReasons,
  )
    .map(([reason, count]) => `${reason} ${count}`)
    .join(
      ', ',
    )}. The trip is timed from the moment the tripping replica's own breaker opened to the moment each other replica's breaker turned a call away (\`canExecute()\` false), on one machine's clock.

Commands per replica per second (\`INFO commandstats\` deltas over all ${m.replicas} replicas, divided by ${m.replicas}):

| phase | calls/s per replica | script calls | commands sent | all commands, inside the scripts included |
| --- | ---: | ---: | ---: | ---: |
${commandsRow('idle', r.commands.idle)}
${commandsRow('load', r.commands.load)}

By command under load: ${top}.
`;
}
