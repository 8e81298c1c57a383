/**
 * A per-connection limit on channels open at once. sshd allows MaxSessions (default 10)
 * channels per connection and refuses more; commands beyond the limit wait for a slot
 * instead of failing. One slot is kept back so an abort can always open its kill channel.
 */

/** OpenSSH's default MaxSessions. */
export const DEFAULT_MAX_CHANNELS = 10;

export class ChannelSlots {
  private active = 0;
  private waiting: (() => void)[] = [];

  constructor(private readonly limit: number = DEFAULT_MAX_CHANNELS - 1) {}

  /** Runs `work` in a slot, waiting for one if all are taken; the slot is freed however `work` ends. */
  async run<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    if (signal?.aborted) throw signal.reason;
    const release = await this.acquire(signal);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Resolves with a release function once a slot is free; rejects with the signal's reason if aborted first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(release);
    }
    return new Promise((resolveSlot, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolveSlot(release);
      };
      const onAbort = (): void => {
        this.waiting = this.waiting.filter((waiter) => waiter !== grant);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }
}
