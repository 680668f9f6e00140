import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { CircuitBreakerOptions } from '../../src/index.js';
import type { RedisStoreOptions } from '../../src/redis/index.js';
import type { ClientKind } from './clients.js';

/** What the parent asks a breaker process (test/redis/breaker-process.mjs). */
type Request =
  | { op: 'calls'; count: number; outcome: 'ok' | 'fail' | 'hang'; ms?: number }
  | { op: 'status' }
  | { op: 'flush' }
  | { op: 'forceOpen'; for?: number }
  | { op: 'reset'; reason?: string };

export interface CallsResult {
  ran: number;
  ok: number;
  failed: number;
  rejected: number;
}

export interface BreakerStatus {
  state: string;
  storeStatus: string | null;
  totalSuccesses: number;
  totalFailures: number;
  totalRejections: number;
  lastTransition: { from: string; to: string; reason: string } | null;
  unhandled: number;
}

export interface Transition {
  from: string;
  to: string;
  reason: string;
  wall: number;
}

type BreakerEvent =
  | { event: 'ready' }
  | ({ event: 'transition' } & Transition)
  | { event: 'storeStatus'; status: string; wall: number }
  | { event: 'unhandled'; error: string }
  | { event: 'reply'; id: number; result: unknown };

/** A breaker process as the parent test sees it. */
export interface BreakerReplica {
  readonly pid: number;
  readonly transitions: Transition[];
  readonly statuses: string[];
  readonly unhandled: string[];
  request<T>(request: Request): Promise<T>;
  calls(count: number, outcome: 'ok' | 'fail' | 'hang', ms?: number): Promise<CallsResult>;
  status(): Promise<BreakerStatus>;
  /** SIGSTOP / SIGCONT: a replica that stalls (a long GC pause, a frozen VM) and comes back. */
  pause(): void;
  resume(): void;
  kill(): Promise<void>;
}

const script = fileURLToPath(new URL('./breaker-process.mjs', import.meta.url));

/** Plain-data options only: they travel to the child as JSON. */
type Json<T> = { [K in keyof T]?: T[K] extends (...args: never[]) => unknown ? never : T[K] };

/** Starts a breaker process sharing circuit `name`; resolves once it read the shared state. */
export async function startBreaker(
  url: string,
  kind: ClientKind,
  name: string,
  options: Json<CircuitBreakerOptions>,
  storeOptions: Omit<Json<RedisStoreOptions>, 'client'> = {},
): Promise<BreakerReplica> {
  const child: ChildProcess = fork(
    script,
    [url, kind, name, JSON.stringify(options), JSON.stringify(storeOptions)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const transitions: Transition[] = [];
  const statuses: string[] = [];
  const unhandled: string[] = [];
  const waiting = new Map<number, (result: unknown) => void>();
  let nextId = 0;
  let ready: () => void = () => undefined;
  const readyOnce = new Promise<void>((resolve) => {
    ready = resolve;
  });
  child.on('message', (message: BreakerEvent) => {
    if (message.event === 'ready') ready();
    else if (message.event === 'transition') transitions.push(message);
    else if (message.event === 'storeStatus') statuses.push(message.status);
    else if (message.event === 'unhandled') unhandled.push(message.error);
    else waiting.get(message.id)?.(message.result);
  });
  const exited = once(child, 'exit').then(() => {
    throw new Error(`breaker process ${child.pid} exited`);
  });
  exited.catch(() => undefined);
  await Promise.race([readyOnce, exited]);
  const replica: BreakerReplica = {
    pid: child.pid ?? 0,
    transitions,
    statuses,
    unhandled,
    request<T>(request: Request): Promise<T> {
      const id = ++nextId;
      const reply = new Promise<T>((resolve) => waiting.set(id, (result) => resolve(result as T)));
      child.send({ ...request, id });
      return Promise.race([reply, exited]);
    },
    calls: (count, outcome, ms = 0) => replica.request({ op: 'calls', count, outcome, ms }),
    status: () => replica.request({ op: 'status' }),
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await gone;
    },
  };
  return replica;
}

/** The last transition a replica saw, or undefined. */
export function lastTransition(replica: BreakerReplica): Transition | undefined {
  return replica.transitions.at(-1);
}
