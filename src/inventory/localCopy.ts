/**
 * Reading back the local copy of the inventory a host keeps in /etc/muster (docs/local-copy.md):
 * `inventory.json`, written by the agent from the KV bucket or by `muster publish --via ssh`
 * (bindings/localCopy.ts writes it; inventory/ may not import bindings, so the file's name, its
 * folder and its header are spelled here again, and the tests check both agree).
 *
 * The copy is used only whole: its records must give the digest its header names (the
 * `snapshotDigest` of `recordDigest(recordText(record))` per key, as the publisher computed it),
 * so a truncated, corrupt or hand-edited copy is refused with one line and never read as valid.
 *
 * Its age is the file's mtime: the agent touches inventory.json about every 60 s while it is
 * connected and in sync, and `publish --via ssh` writes (or touches) it, so an old mtime means
 * nobody has confirmed the copy lately — the brokers may be down. Older than the limit
 * (`$MUSTER_COPY_MAX_AGE`, default 10 min) it is stale: still read, and said to be.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { MusterError, UsageError } from '../core/errors.js';
import { readRegularFile } from '../core/readRegularFile.js';
import { inventoryFromSnapshot, recordDigest, recordText, snapshotFormat, type Snapshot } from './snapshot.js';
import { snapshotDigest } from './snapshotDigest.js';
import type { Inventory } from './types.js';

/** Where the copy lives on a host (bindings/localCopy.ts `localCopyDir`). */
export const defaultLocalCopyDir = '/etc/muster';

/** The file of the copy that holds every record (the one `--from-local-copy` reads). */
export const localCopyInventoryName = 'inventory.json';

/** How old a copy may be before it is stale, unless `$MUSTER_COPY_MAX_AGE` says otherwise. */
export const defaultCopyMaxAgeMs = 10 * 60_000;

/** The largest inventory.json read: a 50,000-host fleet's is well under this. */
const maxCopyBytes = 256 * 1024 * 1024;

/** The `muster` header of inventory.json (bindings/localCopy.ts `CopyHeader`). */
export interface LocalCopyHeader {
  format: number;
  revision: number;
  digest: string;
  publishedAt: string;
  by: string;
}

/** A copy read and checked: which publish it is, the inventory it holds, and how old it is. */
export interface LocalCopy {
  /** The inventory.json read. */
  path: string;
  header: LocalCopyHeader;
  inventory: Inventory;
  /** The file's mtime: when it was last written or confirmed. */
  confirmedAt: Date;
  /** now − confirmedAt, never below 0 (a clock set back). */
  ageMs: number;
  maxAgeMs: number;
  stale: boolean;
}

/** A copy that cannot be used: missing, unreadable, corrupt or of another format. One line, exit 2. */
export class LocalCopyError extends MusterError {
  override name = 'LocalCopyError';
  constructor(readonly path: string, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The stale limit: `$MUSTER_COPY_MAX_AGE` (a duration: `30m`, `2h`, `90` seconds), else 10 minutes. */
export function copyMaxAgeMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env['MUSTER_COPY_MAX_AGE'];
  if (text === undefined || text.trim() === '') return defaultCopyMaxAgeMs;
  try {
    const ms = parseDuration(text);
    if (ms > 0) return ms;
  } catch (error) {
    throw new UsageError(`Invalid $MUSTER_COPY_MAX_AGE "${text}": use a duration such as 10m, 1h or 90s`, { cause: error });
  }
  throw new UsageError(`Invalid $MUSTER_COPY_MAX_AGE "${text}": must be more than 0`);
}

/** Where the copy's inventory.json is for a folder (default /etc/muster). */
export function localCopyPath(dir: string = defaultLocalCopyDir): string {
  return join(dir, localCopyInventoryName);
}

/**
 * Reads and checks the copy in `dir`. Throws a `LocalCopyError` (one line) when there is none
 * or it is corrupt: never an inventory made of part of one.
 */
export async function readLocalCopy(dir: string = defaultLocalCopyDir, options: { now?: Date; maxAgeMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<LocalCopy> {
  const path = localCopyPath(dir);
  const maxAgeMs = options.maxAgeMs ?? copyMaxAgeMs(options.env);
  let mtime: Date;
  try {
    mtime = (await stat(path)).mtime;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist: this host holds no copy (muster publish writes it)' : `cannot be read (${code ?? String(error)})`;
    throw new LocalCopyError(path, `${path} ${why}`, { cause: error });
  }
  let text: string;
  try {
    text = await readRegularFile(path, { what: 'the local copy', maxBytes: maxCopyBytes });
  } catch (error) {
    throw new LocalCopyError(path, `${path} ${corrupt((error as Error).message.replace(/^Cannot load the local copy: /, ''))}`, { cause: error });
  }
  const { header, snapshot } = checkedCopy(text, path);
  const inventory = inventoryFromSnapshot(snapshot, path);
  const ageMs = Math.max(0, (options.now ?? new Date()).getTime() - mtime.getTime());
  return { path, header, inventory, confirmedAt: mtime, ageMs, maxAgeMs, stale: ageMs > maxAgeMs };
}

function corrupt(why: string): string {
  return `is corrupt (${why}): not used; muster publish writes it again`;
}

/**
 * The header and records of inventory.json's text, once their digest is the header's.
 * Exported for the tests and for a reader holding the text already.
 */
export function checkedCopy(text: string, path: string): { header: LocalCopyHeader; snapshot: Snapshot; digests: Map<string, string> } {
  const refuse = (why: string): never => {
    throw new LocalCopyError(path, `${path} ${corrupt(why)}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // A copy cut short (a full disk, a copy by hand) ends mid-record: JSON.parse says so.
    return refuse('not valid JSON: truncated?');
  }
  if (!isObject(parsed) || !isObject(parsed['muster']) || !isObject(parsed['records'])) return refuse('no muster header and records');
  const header = parsed['muster'];
  const records = parsed['records'];
  if (header['format'] !== snapshotFormat) {
    throw new LocalCopyError(path, `${path} is of format ${JSON.stringify(header['format'])}, this muster reads ${snapshotFormat}: not used; muster publish writes it again`);
  }
  if (typeof header['revision'] !== 'number' || typeof header['digest'] !== 'string' || typeof header['publishedAt'] !== 'string' || typeof header['by'] !== 'string') {
    return refuse('its header lacks the revision, digest, publishedAt or by');
  }
  const snapshot: Snapshot = new Map(Object.entries(records));
  const digests = new Map([...snapshot].map(([key, record]) => [key, recordDigest(recordText(record))]));
  if (snapshotDigest(digests) !== header['digest']) return refuse('digest mismatch');
  return { header: header as unknown as LocalCopyHeader, snapshot, digests };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
