import type { RedisConnection } from './client.js';
import { checkInteger, describeValue, type ResolvedCircuitOptions } from './options.js';
import { type Batch, checkCount, type ScriptReply, toSharedState } from './reply.js';
import type { RedisScriptName } from './scripts.js';
import type {
  OutcomeBatch,
  ProbeDecision,
  ProbeLease,
  SharedCircuit,
  SharedState,
  StoreCommandKind,
  StoreCommandOptions,
  StoreStatus,
} from './store.js';

/** What one Redis store hands each of its circuits. */
export interface SharedCircuitDeps {
  connection: RedisConnection;
  name: string;
  prefix: string;
  replicaId: string;
  flushInterval: number;
  keyTtl: number;
  options: ResolvedCircuitOptions;
  warn: (message: string) => void;
  onClose: () => void;
}

const COMMANDS: readonly StoreCommandKind[] = ['forceOpen', 'forceClose', 'reset', 'disable'];
const TRIP_REASONS = ['consecutiveFailures', 'failureRate', 'slowCallRate'] as const;

/**
 * One breaker's shared circuit on Redis. Outcomes are counted locally and flushed every
 * `flushInterval` ms (a flush with nothing to report is a poll); every reply and every pub/sub
 * message newer than what we hold becomes {@link RedisSharedCircuit.state}.
 *
 * @example
 * ```ts
 * declare const store: CircuitStore;
 * const circuit = store.circuit('payments');
 * circuit.report({ successes: 10, failures: 0 });
 * ```
 */
export class RedisSharedCircuit implements SharedCircuit {
  readonly name: string;
  private readonly deps: SharedCircuitDeps;
  private readonly keys: readonly string[];
  private readonly channel: string;
  private readonly common: readonly string[];
  private current: SharedState | null = null;
  private currentStatus: StoreStatus = 'connected';
  private pending: Batch | null = null;
  private inFlight: Batch | null = null;
  private seq = 0;
  private probeSeq = 0;
  private flushing: Promise<SharedState | null> | null = null;
  private queued: Promise<SharedState | null> | null = null;
  private subscribed = false;
  private subscribing: Promise<void> | null = null;
  private closed = false;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly stopResync: () => void;
  private readonly stopLost: () => void;
  private readonly stateListeners = new Set<(state: SharedState) => void>();
  private readonly statusListeners = new Set<(status: StoreStatus) => void>();
  private readonly flushListeners = new Set<() => void>();
  /** True while the flush listeners run: a trip they report joins the flush under way. */
  private collecting = false;

  constructor(deps: SharedCircuitDeps) {
    this.deps = deps;
    this.name = deps.name;
    const base = `${deps.prefix}:{${deps.name}}:`;
    this.keys = [`${base}s`, `${base}p`, `${base}q`, `${base}r`];
    this.channel = `${base}events`;
    const o = deps.options;
    this.common = [
      deps.replicaId,
      String(deps.keyTtl),
      this.channel,
      String(o.resetTimeout),
      String(o.backoffMultiplier),
      String(o.maxResetTimeout),
      String(o.windowMs),
      String(o.bucketMs),
    ];
    this.subscribe();
    this.stopResync = deps.connection.onSubscriberReady(() => void this.flushNow());
    // Redis went away (a restart, a cut connection): degraded now, even if no command failed
    // (the restart can fall between two polls); the next command that succeeds says connected.
    this.stopLost = deps.connection.onSubscriberLost(() => this.setStatus('degraded'));
    this.timer = setInterval(() => {
      if (this.flushing === null) void this.flushNow();
    }, deps.flushInterval);
    this.timer.unref();
    void this.flushNow();
  }

  get state(): SharedState | null {
    return this.current;
  }

  get status(): StoreStatus {
    return this.currentStatus;
  }

  report(outcomes: OutcomeBatch): void {
    if (typeof outcomes !== 'object' || outcomes === null) {
      throw new TypeError(`outcomes must be an object, got ${describeValue(outcomes)}`);
    }
    const successes = checkCount('outcomes.successes', outcomes.successes);
    const failures = checkCount('outcomes.failures', outcomes.failures);
    const slow = checkCount('outcomes.slow', outcomes.slow ?? 0);
    const trailing = checkCount(
      'outcomes.trailingFailures',
      outcomes.trailingFailures ?? (successes > 0 ? 0 : failures),
    );
    if (trailing > failures) {
      throw new RangeError(`outcomes.trailingFailures must be <= failures, got ${trailing}`);
    }
    const tripped = outcomes.tripped;
    if (tripped !== undefined && !TRIP_REASONS.includes(tripped)) {
      throw new TypeError(
        `outcomes.tripped must be one of ${TRIP_REASONS.join(', ')}, got ${describeValue(tripped)}`,
      );
    }
    if (this.closed) return;
    const batch = this.pendingBatch();
    batch.calls += successes + failures;
    batch.failures += failures;
    batch.slow += slow;
    if (successes > 0) {
      batch.hadSuccess = true;
      batch.trailing = trailing;
    } else {
      batch.trailing += failures;
    }
    if (tripped !== undefined) {
      batch.vote = tripped;
      if (!this.collecting) void this.flushNow();
    }
  }

  flushNow(): Promise<SharedState | null> {
    if (this.flushing === null) return this.startFlush();
    this.queued ??= this.flushing.then(() => {
      this.queued = null;
      return this.startFlush();
    });
    return this.queued;
  }

  async acquireProbe(): Promise<ProbeDecision> {
    const o = this.deps.options;
    const id = `${this.deps.replicaId}:${++this.probeSeq}`;
    const reply = await this.run('acquireProbe', [
      id,
      String(o.probeLease),
      String(o.halfOpenMaxCalls),
    ]);
    const state = toSharedState(reply, 'reply');
    if (reply.granted !== 1) return { granted: false, state };
    const lease: ProbeLease = {
      id,
      generation: reply.generation,
      epoch: reply.epoch,
      expiresAt: reply.expiresAt ?? 0,
    };
    return { granted: true, lease, state };
  }

  async settleProbe(lease: ProbeLease, ok: boolean): Promise<SharedState> {
    if (typeof lease !== 'object' || lease === null || typeof lease.id !== 'string') {
      throw new TypeError(`lease must come from acquireProbe(), got ${describeValue(lease)}`);
    }
    if (typeof ok !== 'boolean')
      throw new TypeError(`ok must be a boolean, got ${describeValue(ok)}`);
    const reply = await this.run('settleProbe', [
      lease.id,
      ok ? '1' : '0',
      lease.epoch,
      String(lease.generation),
      String(this.deps.options.halfOpenSuccessThreshold),
    ]);
    return toSharedState(reply, 'reply');
  }

  async releaseProbe(lease: ProbeLease): Promise<SharedState> {
    if (typeof lease !== 'object' || lease === null || typeof lease.id !== 'string') {
      throw new TypeError(`lease must come from acquireProbe(), got ${describeValue(lease)}`);
    }
    return toSharedState(await this.run('releaseProbe', [lease.id]), 'reply');
  }

  async command(kind: StoreCommandKind, options: StoreCommandOptions = {}): Promise<SharedState> {
    if (!COMMANDS.includes(kind)) {
      throw new TypeError(
        `command must be one of ${COMMANDS.join(', ')}, got ${describeValue(kind)}`,
      );
    }
    const reason = options.reason ?? '';
    if (typeof reason !== 'string') {
      throw new TypeError(`reason must be a string, got ${describeValue(reason)}`);
    }
    if (options.for !== undefined && kind !== 'forceOpen') {
      throw new TypeError(`for is only accepted by forceOpen, got it with ${kind}`);
    }
    const forMs = options.for === undefined ? 0 : checkInteger('for', options.for, 1);
    const reply = await this.run('command', [kind, reason, String(forMs)]);
    return toSharedState(reply, 'reply');
  }

  async refresh(): Promise<SharedState> {
    return toSharedState(await this.run('read', []), 'reply');
  }

  onState(listener: (state: SharedState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onStatus(listener: (status: StoreStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onFlush(listener: () => void): () => void {
    this.flushListeners.add(listener);
    return () => this.flushListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    this.stopResync();
    this.stopLost();
    if (this.pending !== null || this.inFlight !== null) await this.flushNow();
    this.closed = true;
    this.deps.onClose();
    await this.deps.connection.unsubscribe(this.channel).catch(() => undefined);
  }

  /** Applies a pub/sub message: only a newer generation of the same epoch may move us. */
  private readonly onMessage = (message: string): void => {
    let reply: ScriptReply;
    try {
      reply = JSON.parse(message) as ScriptReply;
    } catch {
      return;
    }
    const held = this.current;
    if (held === null || (reply.epoch === held.epoch && reply.generation > held.generation)) {
      this.accept(toSharedState(reply, 'message'));
    }
  };

  private pendingBatch(): Batch {
    if (this.pending === null) {
      this.pending = {
        seq: 0,
        epoch: this.current?.epoch ?? '',
        generation: this.current?.generation ?? -1,
        calls: 0,
        failures: 0,
        slow: 0,
        trailing: 0,
        hadSuccess: false,
        vote: '',
      };
    }
    return this.pending;
  }

  private startFlush(): Promise<SharedState | null> {
    const flushing = this.flush().finally(() => {
      this.flushing = null;
    });
    this.flushing = flushing;
    return flushing;
  }

  /** Sends the unacknowledged batch (the same sequence number until Redis answers), or polls. */
  private async flush(): Promise<SharedState | null> {
    if (this.closed) return this.current;
    this.collect();
    if (this.inFlight === null && this.pending !== null) {
      this.inFlight = { ...this.pending, seq: ++this.seq };
      this.pending = null;
    }
    const batch = this.inFlight;
    const o = this.deps.options;
    try {
      const reply = await this.run('flush', [
        batch?.epoch ?? '',
        String(batch?.generation ?? -1),
        String(batch?.seq ?? 0),
        String(batch?.calls ?? 0),
        String(batch?.failures ?? 0),
        String(batch?.slow ?? 0),
        String(batch?.trailing ?? 0),
        batch?.hadSuccess ? '1' : '0',
        batch?.vote ?? '',
        String(o.failureThreshold ?? 0),
        String(o.failureRateThreshold ?? 0),
        String(o.slowCallRateThreshold ?? 0),
        String(o.minimumThroughput),
        String(o.quorum),
      ]);
      if (this.inFlight === batch) this.inFlight = null;
      return toSharedState(reply, 'reply');
    } catch {
      return null;
    }
  }

  /** Runs a script; its reply is the newest shared state unless a message overtook it. */
  private async run(name: RedisScriptName, args: readonly string[]): Promise<ScriptReply> {
    // Subscribed before the read, so a trip cannot fall between the reply and the subscription.
    if (this.subscribing !== null) await this.subscribing;
    let raw: string;
    try {
      raw = await this.deps.connection.runScript(name, this.keys, [...this.common, ...args]);
    } catch (error) {
      this.setStatus('degraded');
      throw error;
    }
    const reply = JSON.parse(raw) as ScriptReply;
    this.setStatus('connected');
    const held = this.current;
    if (
      held === null ||
      reply.epoch !== held.epoch ||
      reply.generation > held.generation ||
      (reply.generation === held.generation && reply.now >= held.now)
    ) {
      this.accept(toSharedState(reply, 'reply'));
    }
    if (!this.subscribed) this.subscribe();
    return reply;
  }

  /** Lets the flush listeners report what they counted (into `pending`, under `current`). */
  private collect(): void {
    this.collecting = true;
    try {
      for (const listener of this.flushListeners) this.notify(listener, undefined);
    } finally {
      this.collecting = false;
    }
  }

  private accept(next: SharedState): void {
    const held = this.current;
    const moved = held === null || held.epoch !== next.epoch || held.generation !== next.generation;
    // What was counted so far was seen under the held version: tagged with it before it goes.
    if (moved && held !== null) this.collect();
    this.current = next;
    if (!moved) return;
    // Outcomes seen under an older generation of this key belong to a past period.
    if (
      this.pending !== null &&
      this.pending.epoch === next.epoch &&
      this.pending.generation < next.generation
    ) {
      this.pending = null;
    }
    for (const listener of this.stateListeners) this.notify(listener, next);
  }

  private setStatus(status: StoreStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    for (const listener of this.statusListeners) this.notify(listener, status);
  }

  private notify<T>(listener: (value: T) => void, value: T): void {
    try {
      listener(value);
    } catch (error) {
      this.deps.warn(
        `redisStore: a listener of circuit ${this.name} threw: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Subscribes (again after a failure); a flush waits for it, so no trip falls in between. */
  private subscribe(): void {
    if (this.subscribing !== null || this.closed) return;
    this.subscribing = this.deps.connection.subscribe(this.channel, this.onMessage).then(
      () => {
        this.subscribing = null;
        this.subscribed = true;
      },
      () => {
        this.subscribing = null;
      },
    );
  }
}
