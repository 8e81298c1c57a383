/** Reading the inventory from disk: find its files, read them, parse them (or take them from the cache). */
import { resolve } from 'node:path';
import { cacheDir, cacheSlot, readCache, writeCache, type CacheOptions } from './cache.js';
import type { FindOptions } from './find.js';
import { readInventorySources, type InventoryRead } from './read.js';
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
  const { files, sources } = await readInventorySources(options);
  return parseSources(files, sources, options);
}

function cacheOptionsOf(options: LoadOptions): CacheOptions | undefined {
  return options.cache === true ? {} : options.cache || undefined;
}

/** The cache slot of `sources` under `options`, or undefined when the cache is not used. */
function slotFor(sources: InventoryRead['sources'], options: LoadOptions): { key: string; file: string } | undefined {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const cacheOptions = cacheOptionsOf(options);
  const bytes = sources.reduce((sum, source) => sum + source.text.length, 0);
  return cacheOptions && env['MUSTER_NO_CACHE'] !== '1' && bytes >= (cacheOptions.minBytes ?? 0)
    ? cacheSlot(sources, cwd, cacheDir(cacheOptions, env))
    : undefined;
}

/** `sources` (read from `files`) as an inventory: from the cache when it has them, else parsed (and cached). */
export async function parseSources(files: string[], sources: InventoryRead['sources'], options: LoadOptions = {}): Promise<Inventory> {
  const slot = slotFor(sources, options);
  if (slot) {
    const cached = readCache(slot);
    if (cached) return cached;
  }
  // Imported here so that a cache hit never loads the YAML parser and zod.
  const { parseInventory } = await import('./parse.js');
  const inventory = parseInventory(sources);
  inventory.files = files;
  if (slot) store(slot, sources, inventory, options);
  return inventory;
}

/**
 * Caches `inventory` as the parse of `sources` (an edit that parsed its result to check it:
 * the next command reads that from the cache instead of parsing the file again).
 */
export function cacheParsed(files: string[], sources: InventoryRead['sources'], inventory: Inventory, options: LoadOptions): void {
  const slot = slotFor(sources, options);
  if (!slot) return;
  inventory.files = files;
  store(slot, sources, inventory, options);
}

function store(slot: { key: string; file: string }, sources: InventoryRead['sources'], inventory: Inventory, options: LoadOptions): void {
  writeCache(slot, inventory, sources.map((source) => source.path), cacheOptionsOf(options)?.maxFiles);
}
