/**
 * Reading the inventory for the server: the same files and rules as
 * `loadInventory`, read only once they are quiet (settle.ts: a file being
 * written in chunks is not served chunk by chunk), plus a digest of what was
 * read, so a reload that finds the same bytes (an editor's swap file, a
 * `touch`) keeps the index and wakes no watcher.
 */
import { createHash } from 'node:crypto';
import { findInventorySources, parseInventory, readInventorySources, type FindOptions, type Inventory, type InventoryRead, type InventoryReparser } from '../inventory/index.js';
import { changed, defaultSettle, look, NotSettledError, waitForQuiet, type SettleOptions } from './settle.js';

/** What one read found: the files and their digest, and the inventory unless unchanged. */
export interface ReadResult {
  files: string[];
  /** The folders the files were found in and read from (see `findInventorySources`): what to watch. */
  folders: string[];
  digest: string;
  /** How long finding quiet files and reading them took (ms). */
  waitedMs: number;
  /** Undefined when the digest equals `previousDigest` (nothing to parse). */
  inventory?: Inventory;
}

/** Options of `readInventory`. */
export interface ReadInventoryOptions {
  signal?: AbortSignal;
  /** Hears the digest before parsing (so a caller can recognise bytes that already failed). */
  onDigest?: (digest: string) => void;
  /** Hears the folders as soon as they are known, so a read that then fails still says what to watch. */
  onFolders?: (folders: string[]) => void;
  /** Read only quiet files (see settle.ts); default `settleMs` 0: no wait before the read, only the look after it. */
  settle?: Omit<SettleOptions, 'signal' | 'startedAt'>;
  /** Parses with this (the reloader's, kept from read to read: a one-host edit reads only that host's entry again). */
  parser?: InventoryReparser;
}

/**
 * Finds the inventory files, waits until they are quiet (`settle`), reads
 * them, and reads again (after another wait) when a file changed during the
 * read; then parses them unless their digest equals `previousDigest`.
 * Throws what `readInventorySources`/`parseInventory` throw (a `MusterError`
 * naming a file that cannot be read; `InvalidFileError` with every problem at
 * file:line:col), a `MusterError` for a file that is not a regular one, and
 * `NotSettledError` for files that kept changing past `settle.maxWaitMs`.
 */
export async function readInventory(find: FindOptions, previousDigest?: string, options: ReadInventoryOptions = {}): Promise<ReadResult> {
  const startedAt = performance.now();
  const { files, folders, sources } = await quietRead(find, startedAt, options);
  const waitedMs = Math.round(performance.now() - startedAt);
  const hash = createHash('sha256');
  for (const source of sources) hash.update(source.file).update('\u0000').update(source.text).update('\u0000');
  const digest = hash.digest('hex');
  if (digest === previousDigest) return { files, folders, digest, waitedMs };
  options.onDigest?.(digest);
  const inventory = options.parser ? options.parser.parse(sources) : parseInventory(sources);
  inventory.files = files;
  return { files, folders, digest, waitedMs, inventory };
}

/** Reads the files once they are quiet, and again while a read overlapped a write. */
async function quietRead(find: FindOptions, startedAt: number, options: ReadInventoryOptions): Promise<InventoryRead> {
  const settle = { settleMs: 0, maxWaitMs: defaultSettle.maxWaitMs, ...options.settle, startedAt, ...(options.signal ? { signal: options.signal } : {}) };
  for (;;) {
    const found = findInventorySources(find);
    options.onFolders?.(found.folders);
    const quiet = await waitForQuiet(found.files, settle);
    const read = await readInventorySources({ ...find, found, ...(options.signal ? { signal: options.signal } : {}) });
    const moved = changed(quiet, await look(read.files));
    if (moved.length === 0) return read;
    const waited = performance.now() - settle.startedAt;
    if (waited >= settle.maxWaitMs) throw new NotSettledError(moved, settle.settleMs, waited);
    settle.onWaiting?.(moved);
  }
}
