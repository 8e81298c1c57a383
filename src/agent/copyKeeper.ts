/**
 * The agent's local copy of the inventory (docs/publish.md): it follows the KV bucket's
 * inventory keys (agent/bucketFollow.ts: every key's last value, then each change), holds every
 * record and one `recordDigest` per key, and whenever the `version` key's digest is what its records give,
 * writes /etc/muster's three files (bindings/localCopy.ts), each replaced atomically.
 * Records that do not give the version's digest (a publish still writing, or a part lost) are
 * never written: the host keeps its last good copy, also with the brokers down.
 *
 * "Last confirmed": inventory.json's mtime is the last time the agent knew its copy to be the
 * published one — set when written, when a watch catches up to the same version, and every
 * `confirmMs` while a `version` read from the broker still says the copy's digest. Readers
 * measure staleness from it, not from `publishedAt` (an inventory may rightly not change for weeks).
 */
import { mkdir, readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { localCopyDir, localCopyFiles, localCopyNames } from '../bindings/localCopy.js';
import { kvBucket, readPublishedVersion, versionKey, type PublishedVersion } from '../core/fleetKv.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import { checkedCopy, localCopyInventoryName } from '../inventory/localCopy.js';
import { isSnapshotKey, recordDigest, type Snapshot } from '../inventory/snapshot.js';
import { SnapshotDigester } from '../inventory/snapshotDigest.js';
import { followBucket, type KeyChange } from './bucketFollow.js';

const decoder = new TextDecoder();

/** The longest wait between two tries. */
const maxRetryMs = 60_000;

/** Options of `keepCopy`. */
export interface CopyKeeperOptions {
  nc: NatsConnection;
  /** The agent's host name: its host.json. */
  host: string;
  /** The copy's folder; default /etc/muster. */
  dir?: string;
  log: (line: string) => void;
  /** How long to wait before watching again (no bucket yet, a watch that ended); default 5 s. */
  retryMs?: number;
  /** How often a copy in sync is confirmed against the broker (its mtime refreshed); default 60 s. */
  confirmMs?: number;
  /**
   * False: verify each version's digest but write no files (and keep no parsed records) —
   * for bench/publish-kv.mjs, which measures receiving and verifying apart from writing.
   */
  writeCopy?: boolean;
}

/** What the copy on disk is. */
export interface CopyState {
  revision: number;
  digest: string;
}

/** A running copy keeper. */
export interface CopyKeeper {
  /** The copy on disk (read at start, then each one written), undefined before any. */
  current(): CopyState | undefined;
  /** Resolves once the copy on disk is `version`'s (tests and the benchmark wait for it). */
  reached(version: CopyState): Promise<void>;
  stop(): Promise<void>;
}

/** A copy on disk read back whole (inventory/localCopy.ts: its records give its digest). */
interface CopyOnDisk {
  state: CopyState;
  snapshot: Snapshot;
  /** Each record's `recordDigest`, as the check computed them. */
  digests: Map<string, string>;
}

async function copyOnDisk(dir: string): Promise<CopyOnDisk | undefined> {
  const path = join(dir, localCopyInventoryName);
  try {
    const { header, snapshot, digests } = checkedCopy(await readFile(path, 'utf8'), path);
    return { state: { revision: header.revision, digest: header.digest }, snapshot, digests };
  } catch {
    return undefined;
  }
}

/** Starts keeping the copy; it runs until `stop`. */
export function keepCopy(options: CopyKeeperOptions): CopyKeeper {
  const dir = options.dir ?? localCopyDir;
  const retryMs = options.retryMs ?? 5000;
  const confirmMs = options.confirmMs ?? 60_000;
  const log = options.log;
  let stopped = false;
  let wake: () => void = () => undefined;
  let written: CopyState | undefined;
  const waiters: Array<{ version: CopyState; done: () => void }> = [];
  let kv: KV | undefined;
  let latest: PublishedVersion | undefined;
  const saidOnce = new Set<string>();
  const sayOnce = (line: string): void => {
    if (saidOnce.has(line)) return;
    saidOnce.add(line);
    log(line);
  };

  const settle = (): void => {
    for (const waiter of waiters.splice(0)) {
      if (written?.digest === waiter.version.digest && written.revision === waiter.version.revision) waiter.done();
      else waiters.push(waiter);
    }
  };

  const touch = async (): Promise<void> => {
    if (options.writeCopy === false) return;
    const now = new Date();
    await utimes(join(dir, 'inventory.json'), now, now).catch((error: Error) => sayOnce(`cannot mark the local copy confirmed: ${error.message}`));
  };

  /** Writes `files` (the copy of `version`); false (and a log line) when it cannot. */
  const write = async (version: PublishedVersion, files: Record<string, string>): Promise<boolean> => {
    try {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      for (const name of localCopyNames) await writeFileAtomic(join(dir, name), files[name] ?? '', { createMode: 0o644, followSymlinks: false });
    } catch (error) {
      log(`revision ${version.revision}: cannot write the local copy in ${dir}: ${(error as Error).message}`);
      return false;
    }
    written = { revision: version.revision, digest: version.digest };
    log(`local copy: revision ${version.revision} (${version.hosts} hosts) written to ${dir}`);
    settle();
    return true;
  };

  /** Asks the broker for the version (a reconnect, the confirm timer): a loss meanwhile shows in its digest. */
  let check: () => Promise<void> = async () => undefined;

  /**
   * One follow of the bucket (agent/bucketFollow.ts): every key's last value, then each change
   * as it is published; resolves when the connection closes or the keeper stops, rejects when
   * a reload fails (the caller follows again). Changes that come together are evaluated once:
   * a 10,000-record publish is not digested 10,000 times.
   */
  const follow = async (bucket: KV, seed: CopyOnDisk | undefined): Promise<void> => {
    const records = new Map<string, unknown>();
    const digests = new SnapshotDigester();
    /** The version whose arrival (or reading from the broker) last called for a check of the records. */
    let arrived: PublishedVersion | undefined;
    let reloadedFor = '';
    let end: { done(): void; fail(error: Error): void } | undefined;
    /** Reads every key again; until the follow has started, a read is under way already. */
    let reload: () => Promise<void> = async () => undefined;

    const hold = (change: KeyChange): void => {
      if (change.key === versionKey) {
        latest = change.value ? readPublishedVersion(decoder.decode(change.value)).version : undefined;
        arrived = latest;
      } else if (isSnapshotKey(change.key)) {
        if (change.value) {
          digests.set(change.key, recordDigest(change.value));
          if (options.writeCopy !== false) records.set(change.key, parseRecord(change.value));
        } else {
          digests.delete(change.key);
          records.delete(change.key);
        }
      }
    };
    /**
     * A version finished (no publishing mark) comes after all of its records: when what is held
     * does not give its digest then, a change was lost (a reconnect, a slow consumer cut): every
     * key is read again, once per version, so a bucket written outside a publish is not read in a loop.
     */
    const lost = (version: PublishedVersion): void => {
      const id = `${version.revision} ${version.digest}`;
      if (version.publishing || reloadedFor === id) return;
      reloadedFor = id;
      log(`revision ${version.revision}: the records held do not give its digest (a change lost): reading the bucket again`);
      void reload().catch((error: Error) => end?.fail(error));
    };
    const evaluate = async (): Promise<void> => {
      const version = latest;
      const checked = arrived;
      arrived = undefined;
      if (!version) return;
      // Caught up with the version the copy already is (a restart, a publish marking itself): confirmed.
      if (written?.digest === version.digest && written.revision === version.revision) return touch();
      if (digests.digest() !== version.digest) {
        if (checked === version) lost(version);
        return;
      }
      if (options.writeCopy === false) {
        written = { revision: version.revision, digest: version.digest };
        settle();
        return;
      }
      let files: Record<string, string>;
      try {
        // In the same tick as the digest: the records are the ones it covered.
        files = localCopyFiles(records, version, options.host);
      } catch (error) {
        sayOnce(`revision ${version.revision}: cannot make the local copy (${(error as Error).message}); the last copy is kept`);
        return;
      }
      await write(version, files);
    };
    let queue = Promise.resolve();
    let scheduled = false;
    const schedule = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        queue = queue.then(evaluate);
      });
    };
    // A copy on disk that is the version the broker has: nothing to read (a restart, a broker back up).
    for (const [key, digest] of seed?.digests ?? []) digests.set(key, digest);
    if (options.writeCopy !== false) for (const [key, record] of seed?.snapshot ?? []) records.set(key, record);
    const seeded = seed?.state;
    seed = undefined;
    // Every bin hashed now, at the start: not by a thousand agents at once on the first edit.
    if (seeded) digests.digest();
    const current = async (): Promise<boolean> => {
      const version = seeded ? await publishedVersion(bucket) : undefined;
      if (!seeded || !version || version.publishing || version.revision !== seeded.revision || version.digest !== seeded.digest) return false;
      latest = version;
      return true;
    };
    const ended = new Promise<void>((done, fail) => { end = { done, fail }; });
    const follower = await followBucket(options.nc, {
      replace(changes) {
        records.clear();
        digests.clear();
        latest = undefined;
        for (const change of changes) hold(change);
        schedule();
      },
      apply(changes) {
        for (const change of changes) hold(change);
        schedule();
      },
      refused(subject, error) {
        sayOnce(`the broker refused following ${subject} (${error.message}): changes come only with the check every ${Math.round(confirmMs / 1000)} s; muster broker up gives the brokers this muster's permissions`);
      },
    }, current);
    reload = follower.reload;
    schedule();
    stopWatch = () => {
      follower.stop();
      end?.done();
    };
    if (stopped) stopWatch();
    void options.nc.closed().then(() => end?.done());
    check = async () => {
      const version = await publishedVersion(bucket).catch(() => undefined);
      if (!version) return;
      latest = version;
      arrived = version;
      schedule();
    };
    try {
      await ended;
    } finally {
      follower.stop();
      check = async () => undefined;
    }
  };
  let stopWatch: () => void = () => undefined;

  const run = async (): Promise<void> => {
    // Read in both modes: the benchmark's keepers that write nothing start from a copy too.
    let seed = await copyOnDisk(dir);
    written = seed?.state;
    settle();
    let waitingSaid = false;
    let failures = 0;
    while (!stopped) {
      try {
        kv ??= await new Kvm(options.nc).open(kvBucket);
        await kv.status();
        if (waitingSaid) log(`the inventory bucket ${kvBucket} is there now: following it`);
        waitingSaid = false;
        failures = 0;
        const from = seed ?? (written ? await copyOnDisk(dir) : undefined);
        // Dropped once its records are held (here and in follow): a thousand keepers in one
        // benchmark process must not each keep a parsed inventory besides.
        seed = undefined;
        await follow(kv, from);
      } catch (error) {
        failures += 1;
        const message = (error as Error).message;
        if (/stream not found/i.test(message)) {
          if (!waitingSaid) log(`no inventory bucket ${kvBucket} on the broker yet (nothing published): waiting for it; the local copy is kept`);
          waitingSaid = true;
        } else if (!stopped && !options.nc.isClosed()) {
          sayOnce(`cannot follow the inventory bucket ${kvBucket}: ${message}; trying again every ${Math.round(retryMs / 1000)} s`);
        }
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        // Jittered and doubling up to a minute: thousands of agents asking a broker that is
        // slow to create their consumers (after a restart) must not all ask again at once.
        const timer = setTimeout(resolve, Math.min(retryMs * 2 ** Math.min(failures, 10), maxRetryMs) * (0.5 + Math.random()));
        wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  };

  // A copy in sync is confirmed (touched) by the check's evaluation; one behind is read again.
  const confirmTimer = setInterval(() => void check(), confirmMs);
  confirmTimer.unref();
  // What was published while the connection was down never came: the version tells.
  void (async () => {
    for await (const status of options.nc.status()) if (status.type === 'reconnect') void check();
  })().catch(() => undefined);

  const running = run().catch((error: Error) => log(`the local copy keeper stopped: ${error.message}`));
  return {
    current: () => written,
    reached: (version) => new Promise<void>((done) => {
      waiters.push({ version, done });
      settle();
    }),
    async stop() {
      stopped = true;
      clearInterval(confirmTimer);
      stopWatch();
      wake();
      // A JetStream request in flight (opening the bucket, creating a consumer) waits out its
      // timeout when the broker is gone: the agent's stop does not wait for that, it closes the
      // connection, which ends the request and then the loop.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise<void>((done) => { timer = setTimeout(done, 500); })]);
      clearTimeout(timer);
    },
  };
}

/** The `version` key as the broker has it now (one direct get), undefined when there is none. */
async function publishedVersion(bucket: KV): Promise<PublishedVersion | undefined> {
  const entry = await bucket.get(versionKey);
  return entry?.operation === 'PUT' ? readPublishedVersion(entry.string()).version : undefined;
}

/** A record as JSON; one that does not parse is kept as undefined (its digest still counts, so it can never be written as valid). */
function parseRecord(value: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(value));
  } catch {
    return undefined;
  }
}
