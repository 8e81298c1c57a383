/**
 * Bounded concurrency that reports every item (as Deno std's `pooledMap`, settled):
 * the fan-out engine runs hosts with it, the lab boots hosts with it.
 */
import { OptionError } from './errors.js';

/** One item's result: its value, what it threw, or `skipped` when the signal stopped new work before it started. */
export type PooledResult<R> = PromiseSettledResult<R> | { status: 'skipped' };

export interface PoolOptions {
  /** Items running at once: a whole number of at least 1. */
  limit: number;
  /** Aborting it starts no further item; running ones are not touched (give them a signal of their own). */
  signal?: AbortSignal;
}

/**
 * Runs `fn` on every item with at most `limit` running at once and resolves,
 * once every started item has settled, to one result per item in input order.
 * A throwing (or rejecting) `fn` is reported as `rejected` and its slot goes on to
 * the next item: a slot is a loop that catches each item's failure, so nothing
 * `fn` does can keep it (Hono's `createPool` leaks one when a job throws). The
 * signal is checked before each item starts, so after an abort no further item
 * starts, `fn` is never called for the rest, and they are `skipped`.
 * Throws `OptionError` for a bad `limit`.
 *
 * @example
 * const results = await pooledSettled(hosts, (host) => boot(host), { limit: 32 });
 */
export async function pooledSettled<T, R>(
  items: Iterable<T>,
  fn: (item: T, index: number) => Promise<R>,
  options: PoolOptions,
): Promise<PooledResult<R>[]> {
  const { limit, signal } = options;
  checkLimit(limit, 'limit');
  const list = [...items];
  const results: PooledResult<R>[] = list.map(() => ({ status: 'skipped' }));
  let next = 0;
  // Each slot is a loop taking the next item until none is left or the signal stops new work.
  const slot = async (): Promise<void> => {
    while (next < list.length && !signal?.aborted) {
      const index = next;
      next += 1;
      try {
        results[index] = { status: 'fulfilled', value: await fn(list[index] as T, index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, list.length) }, slot));
  return results;
}

/**
 * Runs `fn` on every item, `limit` at once, for work where one failure ends it
 * all (the lab booting or stopping hosts; the engine, whose only failure is a
 * throwing event handler): the first failure starts no further item, and is
 * thrown once the running ones have settled, so none is left half-done behind
 * the caller's back. Aborting `signal` also starts no further item, without a
 * failure (the items not started are simply not run).
 */
export async function pooledAll<T>(items: Iterable<T>, fn: (item: T) => Promise<void>, options: PoolOptions): Promise<void> {
  const stop = new AbortController();
  let failure: { error: unknown } | undefined;
  await pooledSettled(items, async (item) => {
    try {
      await fn(item);
    } catch (error) {
      failure ??= { error };
      stop.abort();
    }
  }, { limit: options.limit, signal: options.signal ? AbortSignal.any([stop.signal, options.signal]) : stop.signal });
  if (failure !== undefined) throw failure.error;
}

/**
 * Checks a pool size given under the caller's name for it (`limit`, `forks`,
 * `parallel`), before any work starts, so the error names the option the caller
 * has: throws `OptionError` unless `limit` is a whole number of at least 1.
 */
export function checkLimit(limit: number, option: string): void {
  if (!Number.isInteger(limit) || limit < 1) throw new OptionError(option, (name) => `Invalid ${name(option)} ${limit}: give a whole number of at least 1`);
}
