/**
 * `npx tsx examples/order-workflow.ts`: an order workflow whose payment step is guarded by a
 * breaker. When the payment provider is down the circuit opens, and later orders go straight to
 * a fallback state (`payLater`) instead of waiting on a dead provider.
 */
import { assign, createActor, fromPromise, setup, toPromise } from 'xstate';
import { CircuitBreaker, CircuitOpenError, fromBreaker } from '../src/index.js';

interface Order {
  id: number;
  amount: number;
}

interface OrderContext {
  order: Order;
  receipt: string | null;
  note: string;
}

let providerDown = false;

/** The payment provider: down while `providerDown` is set. */
async function chargeCard(order: Order, signal: AbortSignal): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  signal.throwIfAborted();
  if (providerDown) throw new Error('payment provider: 503');
  return `receipt-${order.id}`;
}

const paymentsBreaker = new CircuitBreaker({
  name: 'payments',
  failureThreshold: 2,
  resetTimeout: 200,
});

const orderMachine = setup({
  types: {
    input: {} as Order,
    context: {} as OrderContext,
    output: {} as OrderContext,
  },
  actors: {
    charge: fromBreaker(
      paymentsBreaker,
      fromPromise<string, Order>(({ input, signal }) => chargeCard(input, signal)),
    ),
  },
  guards: {
    circuitOpen: ({ event }) => (event as { error?: unknown }).error instanceof CircuitOpenError,
  },
}).createMachine({
  id: 'order',
  context: ({ input }) => ({ order: input, receipt: null, note: '' }),
  initial: 'charging',
  states: {
    charging: {
      invoke: {
        src: 'charge',
        input: ({ context }) => context.order,
        onDone: { target: 'paid', actions: assign({ receipt: ({ event }) => event.output }) },
        onError: [
          // Fallback: the circuit is open, so queue the payment instead of failing the order.
          { guard: 'circuitOpen', target: 'payLater', actions: assign({ note: 'queued' }) },
          {
            target: 'paymentFailed',
            actions: assign({ note: ({ event }) => String(event.error) }),
          },
        ],
      },
    },
    paid: { type: 'final' },
    payLater: { type: 'final' },
    paymentFailed: { type: 'final' },
  },
  output: ({ context }) => context,
});

async function placeOrder(id: number) {
  const actor = createActor(orderMachine, { input: { id, amount: 10 * id } }).start();
  const { receipt, note } = await toPromise(actor);
  const outcome = actor.getSnapshot().value;
  console.log(`order ${id}: ${outcome.padEnd(13)} ${receipt ?? note}  [${paymentsBreaker.state}]`);
}

await placeOrder(1);
providerDown = true;
for (const id of [2, 3, 4, 5]) await placeOrder(id);
providerDown = false;
await new Promise((resolve) => setTimeout(resolve, 250)); // the reset timeout passes
for (const id of [6, 7]) await placeOrder(id);
console.log(String(paymentsBreaker));
paymentsBreaker.dispose();
