/**
 * Following a JetStream KV bucket for as long as a reader runs (`serve --from-kv`): every
 * key's last value, then each change, as `KvFeedEvent`s (core/kvFeed.ts), through broker
 * restarts, a cluster node's loss and a connection given up.
 *
 * Why not just `kv.watch()` once: its ordered consumer notices a consumer lost with its node
 * only after two missed 30 s heartbeats, and a purge in between would leave keys held that
 * are gone. So each reconnect starts a fresh watch (a `reset` and a full replay: a few
 * thousand small records), and a connection that gives up (openBroker tries 3 times: an
 * operation's connection) is opened again with a growing pause, for as long as the reader runs.
 * And a watch whose consumer was lost with a node the connection was not on (a cluster places
 * the consumer with the stream, not with the client) gets no disconnect at all: a probe of the
 * stream's last sequence every `probeMs` finds a watch that stays behind it and replays afresh.
 */
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { EnvironmentError } from '../../core/errors.js';
import type { KvFeed, KvFeedEvent, KvFeedListener } from '../../core/kvFeed.js';

/** Options of `followBucket`. */
export interface FollowOptions {
  /** Opens one connection to the broker (openBroker with the operator's files). */
  open: () => Promise<NatsConnection>;
  bucket: string;
  /** The broker's servers, for messages. */
  servers: string[];
  /** Who reads, for messages (the operator's name). */
  reader: string;
  listener: KvFeedListener;
  /** First pause before opening a lost connection again (default 500 ms), doubled up to `maxRetryMs` (default 10 s). */
  retryMs?: number;
  maxRetryMs?: number;
  /** How often the stream's last sequence is compared with what the watch delivered (default 2 s). */
  probeMs?: number;
}

/** The bucket is not on the broker, or the broker refuses to let this reader read it. */
export class BucketUnreadableError extends EnvironmentError {
  override name = 'BucketUnreadableError';
}

/**
 * Opens the connection, checks that the bucket can be read, and starts following it (a
 * `reset`, the replay, `synced`). Rejects with a one-line `BucketUnreadableError` (no such
 * bucket, a refused read) or what `open` rejects with (a `BrokerConnectError`); later
 * failures are `lost` events and the feed keeps trying.
 */
export async function followBucket(options: FollowOptions): Promise<KvFeed> {
  const follower = new Follower(options);
  const nc = await options.open();
  try {
    await follower.attach(nc);
  } catch (error) {
    await nc.close().catch(() => undefined);
    throw error;
  }
  return follower;
}

class Follower implements KvFeed {
  readonly where: string;
  #nc: NatsConnection | undefined;
  #kv: KV | undefined;
  #stopWatch: (() => void) | undefined;
  /** Bumped by every new replay and by stop(): events of an older one are dropped. */
  #generation = 0;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs: number;
  /** The highest sequence the current watch delivered. */
  #seen = 0;
  /** The stream's last sequence at the previous probe, when the watch was behind it. */
  #behind: number | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  /** A replay is scheduled: probes wait for it. */
  #replayDue = false;

  constructor(private readonly options: FollowOptions) {
    this.where = `bucket ${options.bucket} at ${options.servers.join(', ')}`;
    this.#retryMs = options.retryMs ?? 500;
  }

  /** Binds the bucket on `nc`, replays it, and follows the connection's fate. Throws what `replay` throws. */
  async attach(nc: NatsConnection): Promise<void> {
    this.#nc = nc;
    this.#kv = await new Kvm(nc).open(this.options.bucket);
    await this.#replay();
    this.#retryMs = this.options.retryMs ?? 500;
    void this.#followStatus(nc);
    this.#probeTimer ??= setInterval(() => void this.#probe(), this.options.probeMs ?? 2000);
    this.#probeTimer.unref();
    void nc.closed().then((error) => this.#onClosed(nc, error));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#generation += 1;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#probeTimer);
    this.#stopWatch?.();
    await this.#nc?.close().catch(() => undefined);
  }

  #emit(event: KvFeedEvent): void {
    if (!this.#stopped) this.options.listener(event);
  }

  /** A fresh watch of every key: `reset`, each key's last value, `synced` at the stream's last sequence of now. */
  async #replay(): Promise<void> {
    const generation = ++this.#generation;
    this.#stopWatch?.();
    this.#stopWatch = undefined;
    const kv = this.#kv;
    if (!kv) return;
    let target: number;
    try {
      const status = await kv.status();
      target = status.streamInfo.state.messages === 0 ? 0 : status.streamInfo.state.last_seq;
    } catch (error) {
      throw this.#unreadable(error);
    }
    let watch;
    try {
      watch = await kv.watch({ key: '>' });
    } catch (error) {
      throw this.#unreadable(error);
    }
    if (generation !== this.#generation) {
      watch.stop();
      return;
    }
    this.#stopWatch = () => watch.stop();
    this.#seen = 0;
    this.#behind = undefined;
    this.#emit({ kind: 'reset' });
    let synced = target === 0;
    if (synced) this.#emit({ kind: 'synced', sequence: 0 });
    void (async () => {
      for await (const entry of watch as AsyncIterable<KvWatchEntry>) {
        if (generation !== this.#generation) break;
        this.#seen = Math.max(this.#seen, entry.revision);
        this.#emit(entry.operation === 'PUT'
          ? { kind: 'put', key: entry.key, value: entry.value, sequence: entry.revision }
          : { kind: 'delete', key: entry.key, sequence: entry.revision });
        if (!synced && entry.revision >= target) {
          synced = true;
          this.#emit({ kind: 'synced', sequence: entry.revision });
          this.#retryMs = this.options.retryMs ?? 500;
        }
      }
      // The watch ended by itself (its consumer could not be made again) on a connection still open: start another.
      if (generation === this.#generation && !this.#nc?.isClosed()) this.#retryReplay('the watch of the bucket ended');
    })().catch((error: unknown) => {
      if (generation === this.#generation) this.#retryReplay(messageOf(error));
    });
  }

  /**
   * The watch is behind the stream at two probes in a row (not merely between them): its
   * consumer is gone without a word (lost with a node), so a fresh watch replays. A probe that
   * fails says nothing: the connection's own events say when the broker is gone.
   */
  async #probe(): Promise<void> {
    const kv = this.#kv;
    const generation = this.#generation;
    if (this.#stopped || this.#replayDue || !kv || !this.#stopWatch || this.#nc?.isClosed()) return;
    let state;
    try {
      state = (await kv.status()).streamInfo.state;
    } catch {
      return;
    }
    if (generation !== this.#generation) return;
    if (state.messages === 0 || state.last_seq <= this.#seen) {
      this.#behind = undefined;
      return;
    }
    if (this.#behind !== undefined && this.#seen < this.#behind) {
      this.#retryReplay(`the watch stayed behind the bucket (sequence ${this.#seen} of ${this.#behind}): its consumer was lost; watching again`);
      return;
    }
    this.#behind = state.last_seq;
  }

  #retryReplay(why: string): void {
    this.#emit({ kind: 'lost', error: why });
    this.#replayDue = true;
    this.#later(() => {
      this.#replayDue = false;
      this.#replay().catch((error: unknown) => this.#retryReplay(messageOf(error)));
    });
  }

  /** A disconnect is a `lost`; a reconnect (the same node back, or another of the cluster) replays afresh. */
  async #followStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.#stopped || nc !== this.#nc) return;
      if (status.type === 'disconnect') this.#emit({ kind: 'lost', error: `the connection to ${status.server} was lost; reconnecting` });
      if (status.type === 'reconnect') this.#replay().catch((error: unknown) => this.#retryReplay(messageOf(error)));
    }
  }

  /** The connection gave up reconnecting: open a new one, again and again, with a growing pause. */
  #onClosed(nc: NatsConnection, error: Error | void): void {
    if (this.#stopped || nc !== this.#nc) return;
    this.#stopWatch?.();
    this.#emit({ kind: 'lost', error: `the broker (${this.options.servers.join(', ')}) is unreachable${error ? `: ${error.message}` : ''}; retrying` });
    const reopen = async (): Promise<void> => {
      if (this.#stopped) return;
      let next: NatsConnection | undefined;
      try {
        next = await this.options.open();
        if (this.#stopped) {
          await next.close();
          return;
        }
        await this.attach(next);
      } catch (failure) {
        await next?.close().catch(() => undefined);
        this.#emit({ kind: 'lost', error: messageOf(failure) });
        this.#later(() => void reopen());
      }
    };
    this.#later(() => void reopen());
  }

  #later(run: () => void): void {
    if (this.#stopped) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(run, this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, this.options.maxRetryMs ?? 10_000);
  }

  /** One line for a read the broker does not allow: no such bucket, or a permission it lacks. */
  #unreadable(error: unknown): Error {
    const message = messageOf(error);
    const { bucket, reader } = this.options;
    if (/stream not found/i.test(message)) {
      return new BucketUnreadableError(`No bucket ${bucket} on the broker (${this.options.servers.join(', ')}): nothing was published yet (muster publish makes it)`, { cause: error });
    }
    if (/permission/i.test(message)) {
      return new BucketUnreadableError(`The broker refuses to let ${reader} read bucket ${bucket}: ${message}`, { cause: error });
    }
    return new BucketUnreadableError(`Cannot read bucket ${bucket} on the broker (${this.options.servers.join(', ')}) as ${reader}: ${message}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
