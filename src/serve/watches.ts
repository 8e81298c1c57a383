/**
 * Blocking queries (long polls), as Consul does them: a request with
 * `?index=N&wait=D` waits until the inventory's index moves past N or the wait
 * ends. Waiters are plain entries in a set with one timer each, released all at
 * once by a reload: an idle watcher costs a socket and a timer, no CPU.
 */
import { parseDuration } from '../core/duration.js';
import { RequestError } from './requestError.js';

/** Consul's numbers: `wait` defaults to 5 minutes and is capped at 10. */
export const defaultWaitMs = 5 * 60_000;
export const maxWaitMs = 10 * 60_000;

/**
 * How long a request should block, or 0 to answer at once. Rules (Consul's
 * "blocking queries"): no index, or index 0, answers at once; an index other
 * than the current one answers at once (lower: there is news; higher: the
 * server restarted and counts from 1 again, so the client must reset — it sees
 * the index go backwards); the current index blocks for `wait` (default 5m,
 * capped at 10m) plus a random jitter of up to wait/16 so that watchers woken
 * together do not all come back at the same instant.
 */
export function blockFor(index: number | undefined, wait: string | undefined, current: number, random: () => number = Math.random): number {
  let ms = defaultWaitMs;
  if (wait !== undefined) {
    try {
      ms = parseDuration(wait);
    } catch {
      throw new RequestError(400, `Invalid wait "${wait}": use a duration such as 30s or 5m`);
    }
  }
  if (index === undefined || index === 0 || index !== current) return 0;
  ms = Math.min(ms, maxWaitMs);
  return ms + Math.floor(random() * (ms / 16));
}

type Wake = (reason: 'changed' | 'timeout' | 'aborted') => void;

/** The set of blocked requests. */
export class WatchSet {
  private readonly waiters = new Set<Wake>();
  private closed = false;

  /** How many requests are blocked now. */
  get size(): number {
    return this.waiters.size;
  }

  /**
   * Waits until `release()` (→ 'changed'), `ms` pass (→ 'timeout') or `signal`
   * aborts (→ 'aborted', e.g. the client hung up). The timer and listener are
   * removed whichever comes first.
   */
  wait(ms: number, options: { signal?: AbortSignal } = {}): Promise<'changed' | 'timeout' | 'aborted'> {
    const { signal } = options;
    if (signal?.aborted) return Promise.resolve('aborted');
    if (this.closed) return Promise.resolve('changed');
    return new Promise((resolve) => {
      const wake: Wake = (reason) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(wake);
        resolve(reason);
      };
      const onAbort = (): void => wake('aborted');
      const timer = setTimeout(() => wake('timeout'), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(wake);
    });
  }

  /** Wakes every waiter: the inventory changed (or the server is stopping). */
  release(): void {
    for (const wake of [...this.waiters]) wake('changed');
  }

  /** Wakes every waiter and answers later waits at once: the server is stopping, and nobody should wait for a version that will not come. */
  close(): void {
    this.closed = true;
    this.release();
  }
}
