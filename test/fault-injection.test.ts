/**
 * Fault injection against a real dependency: a local HTTP server on 127.0.0.1 that the test
 * switches between answering, failing (503) and hanging, called through global `fetch` wrapped
 * by the breaker, in bursts of hundreds of concurrent callers. The breaker runs on real time with
 * a short resetTimeout; hanging requests are bounded by `AbortSignal.timeout`. Waits are for
 * events (the breaker's `halfOpen`, the server's requests), never fixed sleeps.
 *
 * Checked: no unhandled rejection; every call is counted exactly once (successes + failures +
 * rejections == calls, and equal to what the callers saw); `fn` runs only for admitted calls, and
 * (until requests start timing out) each admitted call reaches the server once; the circuit opens on exactly the threshold-th
 * failure, once per burst however many late failures follow; slow calls from before the outage
 * that fail while half-open cannot reopen it; half-open lets exactly halfOpenMaxCalls probes
 * through; the circuit closes again after recovery.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitOpenError } from '../src/index.js';

type Mode = 'ok' | 'fail' | 'hang';

const FAILURE_THRESHOLD = 5;
const HALF_OPEN_MAX_CALLS = 3;
const RESET_TIMEOUT = 100;
/**
 * How long a caller waits before aborting its request: generous while the server answers (300
 * concurrent fetches take most of a second on a loaded CI machine), short while it hangs, so that
 * the test is bounded by these timeouts and not by the hang.
 */
const REQUEST_TIMEOUT = 3_000;
const HANG_TIMEOUT = 300;
/**
 * The hanging probes of step 5 must reach the server before they time out (the test waits for
 * them there): long enough for a loaded machine to send three requests.
 */
const PROBE_HANG_TIMEOUT = 1_500;
const BURST = 300;
/** Slow calls started in closed and answered much later, while half-open. */
const HELD = 4;

/**
 * A dependency whose behaviour the test sets: `mode` for every request, except that requests to
 * `/held` wait until the test releases them, whatever the mode.
 */
class FlakyServer {
  mode: Mode = 'ok';
  hits = 0;
  readonly #hanging = new Set<ServerResponse>();
  readonly #held: ServerResponse[] = [];
  readonly #waiters: Array<{ hits: number; resolve: () => void }> = [];
  readonly #server: Server = createServer((request, response) => {
    this.hits += 1;
    for (const waiter of this.#waiters.filter((w) => this.hits >= w.hits)) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    if (request.url === '/held') {
      this.#held.push(response);
    } else if (this.mode === 'ok') {
      response.end('ok');
    } else if (this.mode === 'fail') {
      response.statusCode = 503;
      response.end('down');
    } else {
      this.#hanging.add(response);
      response.on('close', () => this.#hanging.delete(response));
    }
  });
  url = '';

  /** Resolves once the server has received `hits` requests in all. */
  receivedAtLeast(hits: number): Promise<void> {
    if (this.hits >= hits) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ hits, resolve }));
  }

  /** Answers every held request with `status`. */
  release(status: number): void {
    for (const response of this.#held.splice(0)) {
      response.statusCode = status;
      response.end(status === 200 ? 'ok' : 'down');
    }
  }

  async start(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    for (const response of [...this.#hanging, ...this.#held]) response.destroy();
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}

class HttpError extends Error {}

describe('fault injection: a flaky HTTP dependency behind the breaker', () => {
  const server = new FlakyServer();
  const unhandled = vi.fn();

  beforeAll(async () => {
    process.on('unhandledRejection', unhandled);
    await server.start();
  });

  afterAll(async () => {
    process.off('unhandledRejection', unhandled);
    await server.stop();
  });

  it('trips, rejects, probes, recovers, and counts every call exactly once', async () => {
    const breaker = new CircuitBreaker({
      name: 'flaky-http',
      failureThreshold: FAILURE_THRESHOLD,
      resetTimeout: RESET_TIMEOUT,
      halfOpenMaxCalls: HALF_OPEN_MAX_CALLS,
    });
    const seen = { success: 0, failure: 0, rejected: 0 };
    let calls = 0;
    let fnRuns = 0;
    const opened: string[] = [];
    breaker.on('open', ({ reason, consecutiveFailures }) =>
      opened.push(`${reason} ${consecutiveFailures}`),
    );

    /** One caller: a fetch through the breaker, classified by what the caller got. */
    async function caller(
      timeout = REQUEST_TIMEOUT,
      path = '',
    ): Promise<'success' | 'failure' | 'rejected'> {
      calls += 1;
      try {
        await breaker.execute(async ({ signal }) => {
          fnRuns += 1;
          const response = await fetch(`${server.url}/${path}`, {
            signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)]),
          });
          const body = await response.text();
          if (!response.ok) throw new HttpError(`${response.status} ${body}`);
          return body;
        });
        seen.success += 1;
        return 'success';
      } catch (error) {
        if (error instanceof CircuitOpenError) {
          seen.rejected += 1;
          return 'rejected';
        }
        seen.failure += 1;
        return 'failure';
      }
    }

    async function burst(timeout = REQUEST_TIMEOUT) {
      const results = await Promise.all(Array.from({ length: BURST }, () => caller(timeout)));
      const count = (what: string) => results.filter((result) => result === what).length;
      return { success: count('success'), failure: count('failure'), rejected: count('rejected') };
    }

    const halfOpen = () =>
      new Promise<void>((resolve) => {
        const off = breaker.on('halfOpen', () => {
          off();
          resolve();
        });
      });

    // 1. Healthy: a burst all goes through.
    expect(await burst()).toEqual({ success: BURST, failure: 0, rejected: 0 });
    expect(server.hits).toBe(BURST);
    // A few slow calls start now, in closed, and are held by the server until step 5.
    const held = Array.from({ length: HELD }, () => caller(REQUEST_TIMEOUT, 'held'));
    await server.receivedAtLeast(BURST + HELD);

    // 2. The dependency fails: the circuit opens on exactly the threshold-th failure in a row.
    server.mode = 'fail';
    for (let i = 1; i < FAILURE_THRESHOLD; i++) {
      expect(await caller()).toBe('failure');
      expect(breaker.state).toBe('closed');
    }
    let probing = halfOpen();
    expect(await caller()).toBe('failure');
    expect(breaker.state).toBe('open');
    expect(opened).toEqual([`consecutiveFailures ${FAILURE_THRESHOLD}`]);

    // 3. Open: a burst is turned away without touching the server.
    let hits = server.hits;
    expect(await burst()).toEqual({ success: 0, failure: 0, rejected: BURST });
    expect(server.hits).toBe(hits);

    // 4. Half-open while still failing: exactly halfOpenMaxCalls probes reach it, and reopen.
    await probing;
    probing = halfOpen();
    hits = server.hits;
    expect(await burst()).toEqual({
      success: 0,
      failure: HALF_OPEN_MAX_CALLS,
      rejected: BURST - HALF_OPEN_MAX_CALLS,
    });
    expect(server.hits).toBe(hits + HALF_OPEN_MAX_CALLS);
    expect(breaker.state).toBe('open');

    // 5. Half-open while it hangs: the probes time out, fail, and reopen.
    await probing;
    probing = halfOpen();
    server.mode = 'hang';
    hits = server.hits;
    const hanging = burst(PROBE_HANG_TIMEOUT);
    await server.receivedAtLeast(hits + HALF_OPEN_MAX_CALLS);
    // While the probes hang, the slow calls of step 1 fail: late, they cannot reopen the circuit.
    server.release(503);
    expect(await Promise.all(held)).toEqual(Array(HELD).fill('failure'));
    expect(breaker.state).toBe('halfOpen');
    expect(await hanging).toEqual({
      success: 0,
      failure: HALF_OPEN_MAX_CALLS,
      rejected: BURST - HALF_OPEN_MAX_CALLS,
    });
    expect(breaker.state).toBe('open');

    // 6. Recovered: the probes succeed and close the circuit; the rest were turned away.
    await probing;
    server.mode = 'ok';
    expect(await burst()).toEqual({
      success: HALF_OPEN_MAX_CALLS,
      failure: 0,
      rejected: BURST - HALF_OPEN_MAX_CALLS,
    });
    expect(breaker.state).toBe('closed');
    expect(await burst()).toEqual({ success: BURST, failure: 0, rejected: 0 });
    expect(server.hits).toBe(fnRuns); // so far, every admitted call reached the server once

    // 7. It hangs under a full burst in closed: every call is let in and times out; the circuit
    //    opens once, on the threshold-th failure, and the late failures that follow cannot move it.
    server.mode = 'hang';
    probing = halfOpen();
    const openedBefore = breaker.getStats().timesOpened;
    expect(await burst(HANG_TIMEOUT)).toEqual({ success: 0, failure: BURST, rejected: 0 });
    expect(breaker.getStats().timesOpened).toBe(openedBefore + 1);
    expect(opened.at(-1)).toBe(`consecutiveFailures ${FAILURE_THRESHOLD}`);

    // 8. And recovers once more.
    server.mode = 'ok';
    await probing;
    expect((await burst()).success).toBe(HALF_OPEN_MAX_CALLS);
    expect(breaker.state).toBe('closed');

    // Every call counted exactly once, as its caller saw it; fn ran only for calls let in, and
    // each of those reached the server once.
    const stats = breaker.getStats();
    expect({
      successes: stats.totalSuccesses,
      failures: stats.totalFailures,
      rejections: stats.totalRejections,
    }).toEqual({ successes: seen.success, failures: seen.failure, rejections: seen.rejected });
    expect(stats.totalSuccesses + stats.totalFailures + stats.totalRejections).toBe(calls);
    expect(fnRuns).toBe(seen.success + seen.failure);
    // (A request that times out before it is even sent, possible in step 7, never arrives.)
    expect(server.hits).toBeLessThanOrEqual(fnRuns);
    expect(stats).toMatchObject({
      timesOpened: opened.length,
      timesClosed: 2,
      consecutiveFailures: 0,
    });
    // A failed probe reopens on its own: one failure of the half-open state.
    expect(opened).toEqual([
      `consecutiveFailures ${FAILURE_THRESHOLD}`,
      'probeFailure 1',
      'probeFailure 1',
      `consecutiveFailures ${FAILURE_THRESHOLD}`,
    ]);
    expect(unhandled).not.toHaveBeenCalled();
    breaker.dispose();
  }, 15_000); // real sockets: bounded, but the full suite runs browsers and Redis beside it
});
