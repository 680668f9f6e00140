/**
 * `tsx bench/profile.ts [case] [calls]`: runs one hot loop under `node --cpu-prof` against the
 * built bundle and prints where the time goes (self time per function), then the share spent
 * in XState's own code. Cases: `success` (call in closed), `failure` (call failing below the
 * threshold), `rejectCall` (call while open), `rejectCanExecute` (canExecute() while open),
 * `observed` (success with `inspect`), `successListener` (success with an on('success')
 * listener), `windowMixed` / `timeWindowMixed` (3 successes + 1 failure with a count window of
 * 100 or a 60 s time window in 6 buckets, failure rate 50 %). An outcome folded without an
 * XState event leaves XState's share near zero.
 *
 * This is how the floors in the report were found: on the closed path the time sits in V8's
 * promise machinery `(program)`, not in the breaker; on `rejectCall` it sits in the Error
 * constructor (stack capture); on `rejectCanExecute` it is the clock read.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildLibrary, loadLibrary } from './library.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const root = fileURLToPath(new URL('..', import.meta.url));
const [kind = 'success', callsArg] = process.argv.slice(2);

async function loop(): Promise<void> {
  const { CircuitBreaker } = await loadLibrary();
  const defaults: Record<string, number> = { rejectCall: 300_000, rejectCanExecute: 30_000_000 };
  const calls = Number(callsArg ?? defaults[kind] ?? 3_000_000);
  const value = { ok: true };
  const error = new Error('boom');
  const ok = async () => value;
  const fail = async () => {
    throw error;
  };
  const open = kind.startsWith('reject');
  const mixed = kind === 'windowMixed' || kind === 'timeWindowMixed';
  const breaker = new CircuitBreaker({
    failureThreshold: open ? 1 : Number.MAX_SAFE_INTEGER,
    resetTimeout: 2 ** 31 - 1,
    ...(kind === 'observed' ? { inspect: () => {} } : {}),
    ...(kind === 'windowMixed'
      ? { slidingWindow: { type: 'count', size: 100 }, failureRateThreshold: 0.5 }
      : {}),
    ...(kind === 'timeWindowMixed'
      ? { slidingWindow: { type: 'time', duration: 60_000, buckets: 6 }, failureRateThreshold: 0.5 }
      : {}),
  });
  if (kind === 'successListener') breaker.on('success', () => {});
  if (open) await breaker.call(fail).catch(() => undefined);
  const started = performance.now();
  let admitted = 0;
  for (let i = 0; i < calls; i++) {
    if (kind === 'rejectCanExecute') {
      if (breaker.canExecute()) admitted++;
    } else {
      try {
        await breaker.call(kind === 'failure' || (mixed && i % 4 === 3) ? fail : ok);
      } catch {
        admitted--;
      }
    }
  }
  const ns = ((performance.now() - started) * 1e6) / calls;
  console.log(`${kind}: ${calls} calls, ${ns.toFixed(0)} ns each (${admitted})`);
}

function summarize(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  let inXState = 0;
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id)?.callFrame;
    // Module loading (tsx's hooks, Node's loader) and idle time are not the loop.
    if (
      frame?.functionName === '(idle)' ||
      /node:internal\/modules|\/tsx\//.test(frame?.url ?? '')
    ) {
      return;
    }
    const where = frame?.url ? frame.url.split('/').pop() : '';
    const name = `${frame?.functionName || '(anonymous)'}${where ? ` ${where}:${frame?.lineNumber}` : ''}`;
    const dt = profile.timeDeltas[index] ?? 0;
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
    if (/\/node_modules\/xstate\//.test(frame?.url ?? '')) inXState += dt;
  });
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, 12);
  for (const [name, us] of rows)
    console.log(`${((100 * us) / total).toFixed(1).padStart(6)}%  ${name}`);
  console.log(
    `${((100 * inXState) / total).toFixed(1).padStart(6)}%  in XState's code (self time)`,
  );
}

if (process.env.BENCH_PROFILE_CHILD === '1') {
  await loop();
} else {
  buildLibrary();
  const dir = mkdtempSync(`${tmpdir()}/breaker-profile-`);
  execFileSync(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--import',
      'tsx',
      `${root}bench/profile.ts`,
      kind,
      ...(callsArg ? [callsArg] : []),
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, BENCH_PROFILE_CHILD: '1' } },
  );
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (file !== undefined) summarize(`${dir}/${file}`);
  rmSync(dir, { recursive: true, force: true });
}
