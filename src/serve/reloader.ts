/**
 * Keeping the served inventory current. The reloader holds the current
 * snapshot and the result of the last reload; it reloads when the file watch
 * sees an edit or when asked. Rules: one reload at a time, and an edit during a
 * reload queues exactly one more (so the last edit is always read, however
 * many events it made); a reload reads only quiet files (settle.ts: unchanged
 * for `settleMs`, and still so after the read), so a file written in chunks is
 * one new version, not one per chunk; files that never settle (past
 * `maxSettleMs`) are a failed reload; the same bytes again are `unchanged` and
 * keep the version; an invalid edit is `failed`, keeps the last good snapshot
 * serving and is said once (several events for one save repeat nothing).
 * `stop()` cuts a wait short, so a reload never holds up a shutdown.
 */
import { InvalidFileError, formatLocation } from '../core/errors.js';
import { InventoryReparser, type FindOptions } from '../inventory/index.js';
import type { AccessLog } from './accessLog.js';
import { watchFolders } from './fileWatch.js';
import { statusOf } from './requestError.js';
import { defaultSettle } from './settle.js';
import { newSnapshot, type Snapshot } from './snapshot.js';
import { readInventory } from './source.js';

/** The outcome of one reload. */
export type ReloadOutcome = 'changed' | 'unchanged' | 'failed';

/** The result of the last reload, for `/v1/status`: when, whether it worked, and why not. */
export interface ReloadState {
  at: Date;
  ok: boolean;
  /** How long it waited for quiet files and read them (ms). */
  waitedMs?: number;
  /** The first line of the error. */
  error?: string;
  /** Each problem of an invalid file, with its place. */
  problems?: { file?: string; line?: number; col?: number; at?: string; message: string }[];
}

/** Options of `Reloader.open`. */
export interface ReloaderOptions {
  /** Where the inventory is (as for `loadInventory`). */
  inventory?: FindOptions;
  /** Watch the inventory files once `watch()` is called (default true). */
  watch?: boolean | undefined;
  /** Quiet time after a file event before reloading (default 100 ms). */
  debounceMs?: number | undefined;
  /** How long the files must be unchanged before a read (default 200 ms; see settle.ts). */
  settleMs?: number | undefined;
  /** How long a reload waits for files that keep changing before it fails (default 10 s). */
  maxSettleMs?: number | undefined;
  /** Where reloads and watch errors are said. */
  log?: AccessLog | undefined;
  /** Hears every new snapshot, after it is current (the server wakes its watchers). */
  onChange?: (snapshot: Snapshot) => void;
  /** Cuts the first read short. */
  signal?: AbortSignal;
}

/** What a reload in progress is waiting for, for `/v1/status`. */
export interface ReloadWait {
  /** The files not yet quiet (at first, all of them). */
  files: string[];
  since: Date;
  settleMs: number;
  maxWaitMs: number;
}

/** The current snapshot of the inventory, and how it is kept current. */
export class Reloader {
  #snapshot: Snapshot;
  #last: ReloadState;
  #waiting: ReloadWait | undefined;
  /** Aborted by `stop()`: ends a reload's wait for quiet files. */
  #stopped = new AbortController();
  #folders: string[];
  #reloading: Promise<ReloadOutcome> | undefined;
  #again = false;
  #failedDigest: string | undefined;
  #stopWatch: (() => void) | undefined;
  #watched = '';
  #watching = false;

  private constructor(private readonly options: ReloaderOptions, snapshot: Snapshot, folders: string[], private readonly parser: InventoryReparser) {
    this.#snapshot = snapshot;
    this.#folders = folders;
    this.#last = { at: snapshot.loadedAt, ok: true };
  }

  /**
   * Reads the inventory for the first time: version 1. Throws what
   * `readInventory` throws (an invalid inventory never starts a server).
   * Watching starts with `watch()`, once the server listens.
   */
  static async open(options: ReloaderOptions = {}): Promise<Reloader> {
    const parser = new InventoryReparser();
    const first = await readInventory(options.inventory ?? {}, undefined, { parser, settle: settleOf(options), ...(options.signal ? { signal: options.signal } : {}) });
    if (!first.inventory) throw new Error('unreachable: the first read always parses');
    const reloader = new Reloader(options, newSnapshot(first.inventory, 1, first.digest), first.folders, parser);
    reloader.#last.waitedMs = first.waitedMs;
    return reloader;
  }

  /** The snapshot being served. */
  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** The result of the last reload (at first: the first read, ok). */
  get last(): ReloadState {
    return this.#last;
  }

  /** How long files must be quiet before a read, and the longest wait. */
  get settle(): { settleMs: number; maxWaitMs: number } {
    return settleOf(this.options);
  }

  /** What the reload in progress waits for, while it waits for quiet files. */
  get waiting(): ReloadWait | undefined {
    return this.#waiting;
  }

  /** Reads the inventory again now; while a reload runs, queues one more and answers with the outcome of the last. */
  reload(): Promise<ReloadOutcome> {
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      try {
        let outcome = await this.#reloadOnce();
        while (this.#again) {
          this.#again = false;
          outcome = await this.#reloadOnce();
        }
        return outcome;
      } finally {
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }

  /** Starts watching the inventory's folders (unless `watch: false`); each reload then follows the folders it read. */
  watch(): void {
    this.#watching = this.options.watch !== false;
    this.#restartWatch();
  }

  /** Stops the file watch for good and ends a reload's wait (it settles as `unchanged`); later explicit reloads still work. */
  stop(): void {
    this.#stopped.abort();
    this.#stopped = new AbortController();
    this.#again = false;
    this.#watching = false;
    this.#stopWatch?.();
    this.#stopWatch = undefined;
    this.#watched = '';
  }

  async #reloadOnce(): Promise<ReloadOutcome> {
    const log = this.options.log;
    let digest: string | undefined;
    const settle = settleOf(this.options);
    const signal = this.#stopped.signal;
    try {
      // Folders are taken even from a read that fails: a broken file in a new
      // subfolder must be watched, or its fix would go unseen.
      const read = await readInventory(this.options.inventory ?? {}, this.#snapshot.digest, {
        signal,
        parser: this.parser,
        onDigest: (d) => (digest = d),
        onFolders: (f) => (this.#folders = f),
        settle: { ...settle, onWaiting: (files) => (this.#waiting = { files, since: this.#waiting?.since ?? new Date(), ...settle }) },
      });
      this.#waiting = undefined;
      this.#last = { at: new Date(), ok: true, waitedMs: read.waitedMs };
      this.#failedDigest = undefined;
      if (!read.inventory) return 'unchanged';
      this.#snapshot = newSnapshot(read.inventory, this.#snapshot.index + 1, read.digest);
      log?.note('reloaded', { index: this.#snapshot.index, hosts: this.#snapshot.inventory.hosts.length });
      this.options.onChange?.(this.#snapshot);
      return 'changed';
    } catch (error) {
      this.#waiting = undefined;
      // Stopped while waiting: nothing was read, nothing to say.
      if (signal.aborted && error instanceof Error && error.name === 'AbortError') return 'unchanged';
      if (statusOf(error) === undefined) throw error;
      // The same broken bytes again (several events for one save): nothing new to say.
      if (digest !== undefined && digest === this.#failedDigest) return 'failed';
      this.#failedDigest = digest;
      const message = error instanceof Error ? error.message : String(error);
      this.#last = { at: new Date(), ok: false, error: message.split('\n')[0] ?? message };
      if (error instanceof InvalidFileError) {
        this.#last.problems = error.problems.map((problem) => ({
          ...(problem.at ? { file: problem.at.file, line: problem.at.line, col: problem.at.col, at: formatLocation(problem.at) } : {}),
          message: problem.message,
        }));
      }
      log?.note('reload failed; still serving the last good inventory', { index: this.#snapshot.index, error: JSON.stringify(message) });
      return 'failed';
    } finally {
      this.#restartWatch();
    }
  }

  #restartWatch(): void {
    if (!this.#watching) return;
    // The folders the loader read (linked ones and linked files' targets included),
    // each watched on its own: Node's recursive watch sets itself up asynchronously
    // on Linux and can miss an early edit. A new subfolder is an event in its
    // parent; the reload that follows finds it and watches it too.
    const key = [...this.#folders].sort().join('\u0000');
    if (key === this.#watched) return;
    this.#watched = key;
    this.#stopWatch?.();
    const log = this.options.log;
    this.#stopWatch = watchFolders([...this.#folders], () => {
      this.reload().catch((error: unknown) => log?.note('reload crashed (a bug)', { error: JSON.stringify(error instanceof Error ? error.stack : String(error)) }));
    }, { debounceMs: this.options.debounceMs ?? 100, onError: (error) => log?.note('file watch error', { error: JSON.stringify(error.message) }) });
  }
}

function settleOf(options: ReloaderOptions): { settleMs: number; maxWaitMs: number } {
  return { settleMs: options.settleMs ?? defaultSettle.settleMs, maxWaitMs: options.maxSettleMs ?? defaultSettle.maxWaitMs };
}
