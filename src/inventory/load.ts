/** Reading the inventory from disk: find its files, read them, parse them (or take them from the cache). */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { MusterError } from '../core/errors.js';
import { cacheDir, cacheSlot, readCache, writeCache, type CacheOptions } from './cache.js';
import { findInventoryFiles, type FindOptions } from './find.js';
import type { Inventory } from './types.js';

/** How to load: where to look (see `findInventoryFiles`), and whether to use the parse cache. */
export interface LoadOptions extends FindOptions {
  /**
   * Reuse the result of an earlier parse of exactly the same files (see cache.ts).
   * Off by default in the library; the CLI turns it on. `MUSTER_NO_CACHE=1` turns it off.
   */
  cache?: boolean | CacheOptions;
  signal?: AbortSignal;
}

/**
 * Finds, reads and validates the inventory (see `findInventoryFiles` for where
 * it looks). Locations in messages and provenance are relative to `cwd` when
 * the files are below it. Throws `InvalidFileError` listing every problem.
 *
 * @example
 * const inventory = await loadInventory({ path: 'muster.yaml' });
 * console.log(inventory.hosts.length);
 */
export async function loadInventory(options: LoadOptions = {}): Promise<Inventory> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
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

  const cacheOptions = options.cache === true ? {} : options.cache || undefined;
  const bytes = sources.reduce((sum, source) => sum + source.text.length, 0);
  const slot = cacheOptions && env['MUSTER_NO_CACHE'] !== '1' && bytes >= (cacheOptions.minBytes ?? 64 * 1024)
    ? cacheSlot(sources, cwd, cacheDir(cacheOptions, env))
    : undefined;
  if (slot) {
    const cached = readCache(slot);
    if (cached) return cached;
  }
  // Imported here so that a cache hit never loads the YAML parser and zod.
  const { parseInventory } = await import('./parse.js');
  const inventory = parseInventory(sources);
  inventory.files = files;
  if (slot) writeCache(slot, inventory, sources.map((source) => source.path));
  return inventory;
}
