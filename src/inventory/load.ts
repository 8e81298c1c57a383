/** Reading the inventory from disk: find its files, read them, parse them. */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { MusterError } from '../core/errors.js';
import { findInventoryFiles, type FindOptions } from './find.js';
import { parseInventory } from './parse.js';
import type { Inventory } from './types.js';

/**
 * Finds, reads and validates the inventory (see `findInventoryFiles` for where
 * it looks). Locations in messages and provenance are relative to `cwd` when
 * the files are below it. Throws `InvalidFileError` listing every problem.
 *
 * @example
 * const inventory = await loadInventory({ path: 'muster.yaml' });
 * console.log(inventory.hosts.length);
 */
export async function loadInventory(options: FindOptions & { signal?: AbortSignal } = {}): Promise<Inventory> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const files = findInventoryFiles(options);
  const sources = await Promise.all(files.map(async (file) => {
    let text: string;
    try {
      text = await readFile(file, { encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw error;
      throw new MusterError(`Cannot load inventory: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const shown = relative(cwd, file);
    return { path: shown.startsWith('..') || isAbsolute(shown) ? file : shown, text };
  }));
  const inventory = parseInventory(sources);
  inventory.files = files;
  return inventory;
}
