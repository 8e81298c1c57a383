/**
 * Reading the inventory's files: found as `findInventorySources` finds them,
 * read once each, named in messages as the loader names them. The loader, `muster
 * set` and the server all read through here, so a file that cannot be read is the
 * same clear error everywhere.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { MusterError } from '../core/errors.js';
import { findInventorySources, type FindOptions, type InventorySources } from './find.js';
import type { InventorySource } from './inventoryFile.js';

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
}

/**
 * Finds the inventory's files and the real folders they came from, and reads
 * each file. A source's `path` is relative to `cwd` when the file is below it
 * (as locations in messages and provenance are), else absolute. A file that
 * cannot be read throws one `MusterError` naming it ("Cannot load inventory:
 * cannot read FILE: …"); an abort passes through as the `AbortError` it is.
 *
 * @example (await readInventorySources({ cwd: '/srv/fleet' })).sources[0]?.path // 'muster.yaml'
 */
export async function readInventorySources(options: ReadOptions = {}): Promise<InventoryRead> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const found = findInventorySources(options);
  options.onFound?.(found);
  const sources = await Promise.all(found.files.map(async (file) => ({ file, path: shownPath(cwd, file), text: await readText(file, options.signal) })));
  return { ...found, sources };
}

async function readText(file: string, signal: AbortSignal | undefined): Promise<string> {
  try {
    return await readFile(file, { encoding: 'utf8', ...(signal ? { signal } : {}) });
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw error;
    throw new MusterError(`Cannot load inventory: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** `file` relative to `cwd` when below it, else as it is (absolute). */
function shownPath(cwd: string, file: string): string {
  const shown = relative(cwd, file);
  return shown.startsWith('..') || isAbsolute(shown) ? file : shown;
}
