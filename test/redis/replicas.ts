import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SharedCircuitOptions } from '../../src/redis/index.js';
import type { ClientKind } from './clients.js';

/** What the parent asks a replica process (test/redis/replica-process.mjs). */
type Request =
  | { op: 'report'; failures: number; tripped?: 'consecutiveFailures' }
  | { op: 'acquire'; count: number }
  | { op: 'forceOpen'; for: number }
  | { op: 'reset' };

/** What a replica process sends back. */
type ReplicaEvent =
  | { event: 'ready' }
  | { event: 'state'; state: string; generation: number; source: string; at: number }
  | { event: 'reply'; id: number; result: unknown };

/** A replica process as the parent test sees it. */
export interface Replica {
  readonly pid: number;
  readonly states: Array<Extract<ReplicaEvent, { event: 'state' }>>;
  request<T>(request: Request): Promise<T>;
  kill(): Promise<void>;
}

const script = fileURLToPath(new URL('./replica-process.mjs', import.meta.url));

/** Starts a replica process holding circuit `name`; resolves once it read the shared state. */
export async function startReplica(
  url: string,
  kind: ClientKind,
  name: string,
  options: SharedCircuitOptions,
  flushInterval: number,
): Promise<Replica> {
  const child: ChildProcess = fork(
    script,
    [url, kind, name, JSON.stringify(options), String(flushInterval)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const states: Replica['states'] = [];
  const waiting = new Map<number, (result: unknown) => void>();
  let nextId = 0;
  let ready: () => void = () => undefined;
  const readyOnce = new Promise<void>((resolve) => {
    ready = resolve;
  });
  child.on('message', (message: ReplicaEvent) => {
    if (message.event === 'ready') ready();
    else if (message.event === 'state') states.push(message);
    else waiting.get(message.id)?.(message.result);
  });
  const exited = once(child, 'exit').then(() => {
    throw new Error(`replica ${child.pid} exited`);
  });
  exited.catch(() => undefined);
  await Promise.race([readyOnce, exited]);
  return {
    pid: child.pid ?? 0,
    states,
    request<T>(request: Request): Promise<T> {
      const id = ++nextId;
      const reply = new Promise<T>((resolve) => waiting.set(id, (result) => resolve(result as T)));
      child.send({ ...request, id });
      return Promise.race([reply, exited]);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGKILL');
      await gone;
    },
  };
}
