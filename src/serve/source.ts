/**
 * Reading the inventory for the server: the same files and rules as
 * `loadInventory`, plus a digest of what was read, so a reload that finds the
 * same bytes (an editor's swap file, a `touch`) keeps the index and wakes no
 * watcher.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { findInventorySources, parseInventory, type FindOptions, type Inventory } from '../inventory/index.js';

/** What one read found: the files and their digest, and the inventory unless unchanged. */
export interface ReadResult {
  files: string[];
  /** The folders the files were found in and read from (see `findInventorySources`): what to watch. */
  folders: string[];
  digest: string;
  /** Undefined when the digest equals `previousDigest` (nothing to parse). */
  inventory?: Inventory;
}

/**
 * Finds and reads the inventory files; parses them unless their digest equals
 * `previousDigest`; `onDigest` hears the digest before parsing (so a caller
 * can recognise bytes that already failed); `onFolders` hears the folders as
 * soon as they are known, so a read that then fails still says what to watch. Throws what `findInventorySources`/`parseInventory` throw
 * (`InvalidFileError` with every problem at file:line:col).
 */
export async function readInventory(find: FindOptions, previousDigest?: string, options: { signal?: AbortSignal; onDigest?: (digest: string) => void; onFolders?: (folders: string[]) => void } = {}): Promise<ReadResult> {
  const cwd = resolve(find.cwd ?? process.cwd());
  const { files, folders } = findInventorySources(find);
  options.onFolders?.(folders);
  const texts = await Promise.all(files.map((file) => readFile(file, { encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) })));
  const hash = createHash('sha256');
  files.forEach((file, i) => hash.update(file).update('\u0000').update(texts[i] ?? '').update('\u0000'));
  const digest = hash.digest('hex');
  if (digest === previousDigest) return { files, folders, digest };
  options.onDigest?.(digest);
  const inventory = parseInventory(files.map((file, i) => {
    const shown = relative(cwd, file);
    return { path: shown.startsWith('..') || isAbsolute(shown) ? file : shown, text: texts[i] ?? '' };
  }));
  inventory.files = files;
  return { files, folders, digest, inventory };
}
