/**
 * Reading the inventory's files: found as `findInventorySources` finds them,
 * read once each, named in messages as the loader names them. The loader, `muster
 * set` and the server all read through here, so a file that cannot be read is the
 * same clear error everywhere.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { mebibytes } from '../core/bytes.js';
import { readRegularFile } from '../core/readRegularFile.js';
import { findInventorySources, type FindOptions, type InventorySources } from './find.js';
import type { InventorySource } from './inventoryFile.js';
import { maxInventoryBytes } from './limits.js';

/** One file as read: its absolute path, the path messages show, and its text. */
export interface ReadSource extends InventorySource {
  file: string;
}

/** What `readInventorySources` found and read. */
export interface InventoryRead extends InventorySources {
  /** One per file, in load order. */
  sources: ReadSource[];
}

/** How to read: where to look (see `findInventorySources`), and who hears what was found before it is read. */
export interface ReadOptions extends FindOptions {
  signal?: AbortSignal;
  /** Hears the files and folders as soon as they are found, so a read that then fails still says what to watch. */
  onFound?: (found: InventorySources) => void;
  /** The files already found (serve looks at them before reading): read these, not a second search. */
  found?: InventorySources;
}

/**
 * Finds the inventory's files and the real folders they came from, and reads
 * each file. A source's `path` is relative to `cwd` when the file is below it
 * (as locations in messages and provenance are), else absolute. Only regular
 * files (or symlinks to them) are read, as strict UTF-8, all together at most
 * `maxInventoryBytes` (see core/readRegularFile.ts): anything else throws one
 * `InvalidFileError` naming the file ("Cannot load inventory: FILE: not a
 * regular file (it is a FIFO); …"); an abort passes through as the
 * `AbortError` it is.
 *
 * @example (await readInventorySources({ cwd: '/srv/fleet' })).sources[0]?.path // 'muster.yaml'
 */
export async function readInventorySources(options: ReadOptions = {}): Promise<InventoryRead> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const found = options.found ?? findInventorySources(options);
  options.onFound?.(found);
  // One after the other, each within what the files before it left of the limit.
  const sources: ReadSource[] = [];
  let left = maxInventoryBytes;
  const limitName = `the ${mebibytes(maxInventoryBytes)} limit of an inventory${found.files.length > 1 ? ' (all its files together)' : ''}; see docs/inventory.md, "Limits"`;
  for (const file of found.files) {
    const path = shownPath(cwd, file);
    const text = await readRegularFile(file, { what: 'inventory', shown: path, maxBytes: left, limitName, ...(options.signal ? { signal: options.signal } : {}) });
    left -= Buffer.byteLength(text, 'utf8');
    sources.push({ file, path, text });
  }
  return { ...found, sources };
}

/** `file` relative to `cwd` when below it, else as it is (absolute). */
function shownPath(cwd: string, file: string): string {
  const shown = relative(cwd, file);
  return shown.startsWith('..') || isAbsolute(shown) ? file : shown;
}
