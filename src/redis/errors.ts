/**
 * Redis did not answer in time or failed: the store is unreachable for this command. The
 * breaker decides locally meanwhile; the store's `status` is `'degraded'`.
 *
 * @example
 * ```ts
 * try {
 *   await circuit.command('forceOpen');
 * } catch (error) {
 *   if (error instanceof StoreUnavailableError) console.warn('shared state unreachable');
 * }
 * ```
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
