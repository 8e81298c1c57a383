/**
 * The agent's local copy of the inventory (docs/publish.md): it watches the KV bucket with one
 * ordered consumer (every key's last value, then each change), holds every record and one
 * `recordDigest` per key, and whenever the `version` key's digest is what its records give,
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
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { localCopyDir, localCopyFiles, localCopyNames } from '../bindings/localCopy.js';
import { kvBucket, readPublishedVersion, versionKey, type PublishedVersion } from '../core/fleetKv.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import { isSnapshotKey, recordDigest, snapshotDigest } from '../inventory/snapshot.js';

/** The keys the agent follows (see `follow`). */
const watchKeys = ['*', 'host.>', 'role.>', 'group.>'];

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

/** The header of an inventory.json on disk, when it has one. */
async function copyOnDisk(dir: string): Promise<CopyState | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, 'inventory.json'), 'utf8')) as { muster?: Partial<CopyState> };
    const { revision, digest } = parsed.muster ?? {};
    return typeof revision === 'number' && typeof digest === 'string' ? { revision, digest } : undefined;
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

  /**
   * One watch of the bucket, from every key's last value; returns when a watch ends. Four
   * ordered consumers (`*`: version and meta; host, role and group records), never `>`: that
   * would bring every host's facts to every agent. Each consumer is in order on its own, so
   * the version may come before the records it covers: the digest decides, every time one
   * of them has caught up.
   */
  const follow = async (bucket: KV): Promise<void> => {
    const records = new Map<string, unknown>();
    const digests = new Map<string, string>();
    let dirty = true;
    let computed = '';
    const evaluate = async (): Promise<void> => {
      if (!latest) return;
      // Caught up with the version the copy already is (a restart, a publish marking itself): confirmed.
      if (written?.digest === latest.digest && written.revision === latest.revision) return touch();
      if (dirty) {
        computed = snapshotDigest(digests);
        dirty = false;
      }
      if (computed !== latest.digest) return;
      const version = latest;
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
    const opened = await Promise.allSettled(watchKeys.map((key) => bucket.watch({ key })));
    const iterators = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    stopWatch = () => { for (const entries of iterators) entries.stop(); };
    // One consumer refused (a busy broker timing out): none is kept, all are asked again.
    const refused = opened.find((result) => result.status === 'rejected');
    if (refused) {
      stopWatch();
      throw refused.reason;
    }
    if (stopped) stopWatch();
    const consume = async (entries: AsyncIterable<KvWatchEntry>): Promise<void> => {
      for await (const entry of entries) {
        if (entry.key === versionKey) {
          latest = entry.operation === 'PUT' ? parseVersion(entry) : undefined;
        } else if (isSnapshotKey(entry.key)) {
          dirty = true;
          if (entry.operation === 'PUT') {
            digests.set(entry.key, recordDigest(entry.value));
            if (options.writeCopy !== false) records.set(entry.key, parseRecord(entry));
          } else {
            digests.delete(entry.key);
            records.delete(entry.key);
          }
        }
        // Only once this consumer has caught up: 10,000 keys are not digested 10,000 times.
        if (entry.delta !== 0) continue;
        queue = queue.then(evaluate);
        await queue;
      }
    };
    await Promise.race(iterators.map(consume));
    stopWatch();
  };
  let stopWatch: () => void = () => undefined;

  const run = async (): Promise<void> => {
    if (options.writeCopy !== false) written = await copyOnDisk(dir);
    let waitingSaid = false;
    let failures = 0;
    while (!stopped) {
      try {
        kv ??= await new Kvm(options.nc).open(kvBucket);
        await kv.status();
        if (waitingSaid) log(`the inventory bucket ${kvBucket} is there now: following it`);
        waitingSaid = false;
        failures = 0;
        await follow(kv);
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

  const confirmTimer = setInterval(() => {
    if (!kv || !written || !latest || latest.digest !== written.digest) return;
    const copy = written;
    void kv.get(versionKey).then(async (entry) => {
      if (entry && entry.operation === 'PUT' && parseVersion(entry)?.digest === copy.digest) await touch();
    }).catch(() => undefined);
  }, confirmMs);
  confirmTimer.unref();

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

function parseVersion(entry: KvWatchEntry | { string(): string }): PublishedVersion | undefined {
  return readPublishedVersion(entry.string()).version;
}

/** A record as JSON; one that does not parse is kept as undefined (its digest still counts, so it can never be written as valid). */
function parseRecord(entry: KvWatchEntry): unknown {
  try {
    return entry.json();
  } catch {
    return undefined;
  }
}
