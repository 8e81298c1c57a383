/**
 * Reading the inventory for the server: the same files and rules as
 * `loadInventory`, plus a digest of what was read, so a reload that finds the
 * same bytes (an editor's swap file, a `touch`) keeps the index and wakes no
 * watcher.
 */
import { createHash } from 'node:crypto';
import { parseInventory, readInventorySources, type FindOptions, type Inventory, type InventorySources } from '../inventory/index.js';

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
 * soon as they are known, so a read that then fails still says what to watch.
 * Throws what `readInventorySources`/`parseInventory` throw (a `MusterError`
 * naming a file that cannot be read; `InvalidFileError` with every problem at
 * file:line:col).
 */
export async function readInventory(find: FindOptions, previousDigest?: string, options: { signal?: AbortSignal; onDigest?: (digest: string) => void; onFolders?: (folders: string[]) => void } = {}): Promise<ReadResult> {
  const { onFolders } = options;
  const { files, folders, sources } = await readInventorySources({
    ...find,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(onFolders ? { onFound: (found: InventorySources) => onFolders(found.folders) } : {}),
  });
  const hash = createHash('sha256');
  for (const source of sources) hash.update(source.file).update('\u0000').update(source.text).update('\u0000');
  const digest = hash.digest('hex');
  if (digest === previousDigest) return { files, folders, digest };
  options.onDigest?.(digest);
  const inventory = parseInventory(sources);
  inventory.files = files;
  return { files, folders, digest, inventory };
}
