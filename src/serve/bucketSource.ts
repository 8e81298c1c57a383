/**
 * `serve --from-kv`: the served inventory taken from the KV bucket instead of the files. The
 * source holds every record the feed delivers (heldRecords.ts) and swaps in a new snapshot
 * only when the `version` key's digest is the digest of the records held: never half of two
 * publishes, and never a version whose records are not all there (a publish in progress, a
 * publisher that wrote the version first, a broken record) — the last good one keeps serving.
 *
 * The index (X-Muster-Index, blocking queries) is the version's `revision`, not a count of
 * this server's own: every server of the bucket gives the same index for the same inventory,
 * so a client may move from one to another and go on waiting where it was.
 *
 * The feed (core/kvFeed.ts) is given by the caller (the CLI wires the nats one): serve knows
 * nothing of nats. With the link lost, the source keeps serving and says so: `in_sync: false`.
 */
import { EnvironmentError, MusterError } from '../core/errors.js';
import type { PublishedVersion } from '../core/fleetKv.js';
import type { KvFeed, KvFeedEvent, KvFeedListener } from '../core/kvFeed.js';
import { inventoryFromSnapshot } from '../inventory/snapshot.js';
import type { Json } from './format.js';
import { HeldRecords } from './heldRecords.js';
import type { AccessLog } from './accessLog.js';
import type { ReloadOutcome, ReloadState } from './reloader.js';
import type { ServedSource } from './servedSource.js';
import { newSnapshot, type Snapshot } from './snapshot.js';
import type { SourceFacts } from './status.js';

/** Options of `BucketSource.open`. */
export interface BucketSourceOptions {
  bucket: string;
  /** Starts the feed of the bucket, giving it the source's listener; rejects with one line when the bucket cannot be read. */
  follow: (listener: KvFeedListener) => Promise<KvFeed>;
  /** How long `open` waits for a first version whose records are all there (default 30 s). */
  firstWaitMs?: number;
  /** Pause after a record changes before checking the digest again while a version waits for its records (default 20 ms). */
  recheckMs?: number;
  log?: AccessLog | undefined;
  /** Hears every new snapshot, once it is current (the server wakes its watchers). */
  onChange?: (snapshot: Snapshot) => void;
  signal?: AbortSignal;
}

/** The inventory served from the bucket. */
export class BucketSource implements ServedSource {
  readonly settle = { settleMs: 0, maxWaitMs: 0 };
  readonly waiting = undefined;
  readonly #held = new HeldRecords();
  #snapshot: Snapshot | undefined;
  #served: PublishedVersion | undefined;
  #last: ReloadState = { at: new Date(), ok: true };
  #feed: KvFeed | undefined;
  /** The feed delivered everything the bucket held at its (re)start. */
  #synced = false;
  /** Why the link is down, since when. */
  #lost: { error: string; since: Date } | undefined;
  #outOfSyncSince: Date | undefined = new Date();
  /** The revision whose failure was last said (one line per version, not one per record). */
  #saidFailure: string | undefined;
  #recheck: NodeJS.Timeout | undefined;
  #firstServed: (() => void) | undefined;

  private constructor(private readonly options: BucketSourceOptions) {}

  /**
   * Starts the feed and waits for the first version whose records are all there. Throws the
   * feed's one line (no bucket, a refusal, no broker), or an `EnvironmentError` when no such
   * version came within `firstWaitMs` (nothing published yet, or records that never match).
   */
  static async open(options: BucketSourceOptions): Promise<BucketSource> {
    const source = new BucketSource(options);
    const first = new Promise<void>((resolve) => (source.#firstServed = resolve));
    source.#feed = await options.follow((event) => source.#on(event));
    const waitMs = options.firstWaitMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)));
    const aborted = new Promise<'aborted'>((resolve) => options.signal?.addEventListener('abort', () => resolve('aborted'), { once: true }));
    const outcome = await Promise.race([first.then(() => 'served' as const), timedOut, aborted]);
    clearTimeout(timer);
    if (outcome === 'served') return source;
    await source.#feed.stop();
    if (outcome === 'aborted') throw new EnvironmentError(`Stopped before ${source.#feed.where} gave a first inventory`);
    throw new EnvironmentError(`${source.#feed.where}: ${source.#whyNotServed() ?? 'no inventory'} after ${(waitMs / 1000).toFixed(1)} s; not serving`);
  }

  get snapshot(): Snapshot {
    if (!this.#snapshot) throw new Error('unreachable: open() returns only once a snapshot is served');
    return this.#snapshot;
  }

  get last(): ReloadState {
    return this.#last;
  }

  /** In sync: linked, caught up, and serving the version the bucket holds. */
  get inSync(): boolean {
    const held = this.#held.version?.version;
    return this.#lost === undefined && this.#synced && held !== undefined && this.#served !== undefined
      && held.revision === this.#served.revision && held.digest === this.#served.digest;
  }

  get facts(): SourceFacts {
    const served = this.#served;
    const held = this.#held.version;
    const inSync = this.inSync;
    const value: { [key: string]: Json } = {
      kind: 'bucket',
      bucket: this.options.bucket,
      where: this.#feed?.where ?? this.options.bucket,
      revision: served?.revision ?? null,
      published_at: served?.publishedAt ?? null,
      by: served?.by ?? null,
      in_sync: inSync,
      stale: !inSync,
    };
    if (!inSync) {
      value['state'] = this.#lost ? 'link lost' : !this.#synced ? 'catching up' : held?.version?.publishing ? 'publish in progress' : 'waiting for records';
      if (this.#outOfSyncSince) value['since'] = this.#outOfSyncSince.toISOString();
      const why = this.#lost?.error ?? this.#whyNotServed();
      if (why !== undefined) value['reason'] = why;
      if (held?.version && held.version.revision !== served?.revision) value['latest_revision'] = held.version.revision;
    }
    return { kind: 'bucket', inSync, value };
  }

  /** Checks the held records against the version now. */
  reload(): Promise<ReloadOutcome> {
    return Promise.resolve(this.#evaluate());
  }

  /** The feed runs from `open`: nothing more to start. */
  watch(): void {}

  stop(): void {
    clearTimeout(this.#recheck);
    void this.#feed?.stop();
  }

  #on(event: KvFeedEvent): void {
    switch (event.kind) {
      case 'reset':
        this.#held.clear();
        this.#synced = false;
        this.#markOutOfSync();
        return;
      case 'synced':
        this.#synced = true;
        if (this.#lost) this.options.log?.note('bucket linked again', { revision: this.#held.version?.version?.revision ?? 0 });
        this.#lost = undefined;
        this.#evaluate();
        return;
      case 'lost':
        if (this.#lost?.error !== event.error) this.options.log?.note('bucket link lost; still serving the last good inventory', { revision: this.#served?.revision ?? 0, error: JSON.stringify(event.error) });
        this.#lost = { error: event.error, since: this.#lost?.since ?? new Date() };
        this.#markOutOfSync();
        return;
      case 'put':
      case 'delete': {
        const touched = event.kind === 'put' ? this.#held.put(event.key, event.value) : this.#held.delete(event.key);
        if (!this.#synced || touched === 'other') return;
        if (touched === 'version') this.#evaluate();
        // A record after the version (a publisher that wrote it first): look again once the records stop coming.
        else if (!this.inSync) this.#scheduleRecheck();
      }
    }
  }

  #scheduleRecheck(): void {
    clearTimeout(this.#recheck);
    this.#recheck = setTimeout(() => this.#evaluate(), this.options.recheckMs ?? 20);
  }

  #markOutOfSync(): void {
    if (!this.inSync) this.#outOfSyncSince ??= new Date();
  }

  /** Why the held version is not served, if it is not (undefined when it is, or nothing is held yet). */
  #whyNotServed(): string | undefined {
    const held = this.#held.version;
    if (!held) return this.#synced ? 'the bucket holds no published version yet (muster publish writes one)' : undefined;
    if (!held.version) return held.error;
    const version = held.version;
    if (this.#served && version.revision === this.#served.revision && version.digest === this.#served.digest) return undefined;
    if (version.publishing) return `a publish by ${version.publishing.by} is in progress since ${version.publishing.since}`;
    return `revision ${version.revision}: the records held do not give its digest ${version.digest.slice(0, 12)}… (a record missing or changed after it)`;
  }

  /** Swaps in the held version if its records are all there: 'changed'; 'unchanged' if it is served or nothing is due; 'failed' otherwise. */
  #evaluate(): ReloadOutcome {
    clearTimeout(this.#recheck);
    if (!this.#synced) return 'unchanged';
    const version = this.#held.version?.version;
    const served = this.#served;
    if (!version || (served && version.revision === served.revision && version.digest === served.digest)) {
      if (!this.#held.version) this.#markOutOfSync();
      else if (this.#held.version.error) return this.#fail(this.#held.version.error, 'version');
      else this.#outOfSyncSince = undefined;
      return 'unchanged';
    }
    this.#markOutOfSync();
    if (this.#held.digest() !== version.digest) {
      // A publish in progress is expected to be out of step: said by status, not as a failure.
      if (version.publishing) return 'unchanged';
      return this.#fail(this.#whyNotServed() ?? 'the records do not match', String(version.revision));
    }
    const where = `bucket ${this.options.bucket} revision ${version.revision}`;
    let snapshot: Snapshot;
    try {
      snapshot = newSnapshot(inventoryFromSnapshot(this.#held.snapshot(where), where), version.revision, version.digest);
    } catch (error) {
      if (!(error instanceof MusterError)) throw error;
      return this.#fail(error.message, String(version.revision));
    }
    this.#snapshot = snapshot;
    this.#served = version;
    this.#last = { at: new Date(), ok: true };
    this.#saidFailure = undefined;
    this.#outOfSyncSince = undefined;
    this.options.log?.note('took', { revision: version.revision, hosts: snapshot.inventory.hosts.length, by: version.by });
    const first = this.#firstServed;
    this.#firstServed = undefined;
    first?.();
    this.options.onChange?.(snapshot);
    return 'changed';
  }

  #fail(message: string, said: string): ReloadOutcome {
    this.#last = { at: new Date(), ok: false, error: message };
    if (this.#saidFailure !== said) {
      this.#saidFailure = said;
      this.options.log?.note('not taking the bucket\'s version; still serving the last good inventory', { revision: this.#served?.revision ?? 0, error: JSON.stringify(message) });
    }
    return 'failed';
  }
}
