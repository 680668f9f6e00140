/**
 * A small fleet of breakers in front of flaky fake services, and one inspected workflow actor,
 * for `npm run dashboard` and `npm run screenshots`. Each service fails its own way: in bursts,
 * at a steady rate, slowly, or not at all.
 */
import { type AnyActorRef, assign, createActor, type InspectionEvent, setup } from 'xstate';
import { type BreakerRegistry, CircuitOpenError } from '../src/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fake dependency: `fails(t)` says whether a call at time `t` (ms since start) fails. */
interface FakeService {
  name: string;
  latency: () => number;
  fails: (elapsed: number) => boolean;
}

const SERVICES: FakeService[] = [
  // Down for 4 s out of every 15 s: consecutive failures trip it, probes bring it back.
  { name: 'users', latency: () => 5 + Math.random() * 20, fails: (t) => t % 15_000 < 4_000 },
  // A steady 35% error rate that climbs to 80% now and then: the failure-rate policy decides.
  {
    name: 'payments',
    latency: () => 20 + Math.random() * 40,
    fails: (t) => Math.random() < (t % 20_000 > 14_000 ? 0.8 : 0.35),
  },
  // Never fails, but is often slow: the slow-call rate is what matters.
  { name: 'search', latency: () => (Math.random() < 0.4 ? 250 : 30), fails: () => false },
  // Healthy.
  { name: 'inventory', latency: () => 10 + Math.random() * 10, fails: () => Math.random() < 0.02 },
  // Gone for the first 30 s of every minute.
  { name: 'recommendations', latency: () => 15, fails: (t) => t % 60_000 < 30_000 },
];

/** Creates the fleet's breakers in `registry`, each configured for the way its service fails. */
function createBreakers(registry: BreakerRegistry): void {
  registry.get('users', { failureThreshold: 5, resetTimeout: 3_000 });
  registry.get('payments', {
    failureThreshold: 20,
    failureRateThreshold: 0.6,
    slidingWindow: { type: 'count', size: 30 },
    minimumThroughput: 15,
    resetTimeout: 5_000,
  });
  registry.get('search', {
    failureThreshold: 10,
    slowCallRateThreshold: 0.7,
    slowCallDuration: 200,
    slidingWindow: { type: 'time', duration: 5_000, buckets: 5 },
    minimumThroughput: 10,
    resetTimeout: 4_000,
  });
  registry.get('inventory');
  registry.get('recommendations', { failureThreshold: 3, resetTimeout: 8_000 });
}

/** An order workflow, to show the dashboard inspecting a machine that is not a breaker. */
const orderMachine = setup({
  types: { context: {} as { orders: number } },
}).createMachine({
  id: 'order',
  context: { orders: 0 },
  initial: 'cart',
  states: {
    cart: { on: { CHECKOUT: 'paying' } },
    paying: { on: { PAID: 'shipping', DECLINED: 'cart' } },
    shipping: {
      on: {
        DELIVERED: {
          target: 'cart',
          actions: assign({ orders: ({ context }) => context.orders + 1 }),
        },
      },
    },
  },
});
const ORDER_STEPS = ['CHECKOUT', 'PAID', 'DELIVERED', 'CHECKOUT', 'DECLINED'] as const;

/**
 * Starts calling every service through its breaker (`callsPerSecond` in total) and stepping an
 * inspected order workflow. Returns a function that stops it all.
 */
export function startFleet(
  registry: BreakerRegistry,
  inspect: (event: InspectionEvent) => void,
  callsPerSecond = 60,
): () => void {
  createBreakers(registry);
  const started = Date.now();
  const timers: Array<ReturnType<typeof setInterval>> = [];
  const period = Math.max(1, Math.round((1_000 * SERVICES.length) / callsPerSecond));
  for (const service of SERVICES) {
    const breaker = registry.get(service.name);
    timers.push(
      setInterval(() => {
        breaker
          .call(async () => {
            const elapsed = Date.now() - started;
            await sleep(service.latency());
            if (service.fails(elapsed)) throw new Error(`${service.name}: 503`);
            return 'ok';
          })
          .catch((error: unknown) => {
            if (!(error instanceof CircuitOpenError) && !String(error).includes('503')) throw error;
          });
      }, period),
    );
  }
  const order: AnyActorRef = createActor(orderMachine, { id: 'order-workflow', inspect });
  order.start();
  let step = 0;
  timers.push(
    setInterval(() => {
      order.send({ type: ORDER_STEPS[step % ORDER_STEPS.length] ?? 'CHECKOUT' });
      step += 1;
    }, 1_500),
  );
  return () => {
    for (const timer of timers) clearInterval(timer);
    order.stop();
  };
}
