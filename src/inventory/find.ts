/**
 * Where the inventory is: `-i PATH`, else `$MUSTER_INVENTORY`, else `muster.yaml`
 * or an `inventory/` folder in the current folder or the nearest parent.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { MusterError } from '../core/errors.js';

/** Where to look for the inventory; each field defaults to the process's own. */
export interface FindOptions {
  /** A file, or a folder whose `*.yaml` files (recursively) are merged. Wins over everything else. */
  path?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Finds the inventory files, as absolute paths in load order (a folder's
 * `*.yaml`/`*.yml` files sorted by relative path, hidden ones skipped).
 * Throws a `MusterError` (exit 2) when nothing is found or a named path is missing.
 *
 * @example findInventoryFiles({ cwd: '/srv/fleet' }) // ['/srv/fleet/muster.yaml']
 */
export function findInventoryFiles(options: FindOptions = {}): string[] {
  return findInventorySources(options).files;
}

/** The inventory's files (as `findInventoryFiles`) and every folder whose contents decide them. */
export interface InventorySources {
  files: string[];
  /**
   * Folders to watch for edits, as real paths: each folder of a folder
   * inventory that was walked (linked ones included), and the folder of each
   * file both where it is named and where a symlink leads (an edit of a linked
   * file's target happens in the target's folder).
   */
  folders: string[];
}

/**
 * Finds the inventory files and the folders they were read from, so a watcher
 * (`muster serve`) watches exactly what the loader reads. Throws as `findInventoryFiles`.
 */
export function findInventorySources(options: FindOptions = {}): InventorySources {
  const walked = new Set<string>();
  const files = locate(options, walked);
  const folders = new Set(walked);
  for (const file of files) {
    folders.add(dirname(file));
    try {
      folders.add(dirname(realpathSync(file)));
    } catch (error) {
      // Gone between the walk and now: the next read reports it; its folder is watched already.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return { files, folders: [...folders] };
}

function locate(options: FindOptions, walked: Set<string>): string[] {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const named = options.path ?? (env['MUSTER_INVENTORY'] || undefined);
  if (named !== undefined) {
    const path = resolve(cwd, named);
    const how = options.path !== undefined ? '' : ' (from $MUSTER_INVENTORY)';
    let stat;
    try {
      stat = statSync(path);
    } catch (error) {
      throw new MusterError(`Cannot load inventory: ${named}${how} does not exist`, { cause: error });
    }
    return stat.isDirectory() ? folderFiles(path, named, walked) : [path];
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    const file = join(dir, 'muster.yaml');
    if (isFile(file)) return [file];
    const folder = join(dir, 'inventory');
    if (isDirectory(folder)) return folderFiles(folder, folder, walked);
    if (dirname(dir) === dir) break;
  }
  throw new MusterError(`No inventory found: no muster.yaml or inventory/ in ${cwd} or any folder above it (use -i PATH or set MUSTER_INVENTORY)`);
}

function folderFiles(folder: string, shown: string, walked: Set<string>): string[] {
  const files: string[] = [];
  const seen = new Set<string>();
  const walk = (dir: string): void => {
    // A symlinked folder that leads back up would walk forever.
    const real = realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    walked.add(real);
    // In name order, so which path of a file linked in twice is kept does not depend on the filesystem.
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      // Symlinks are followed (a file shared between inventories is often linked in), never skipped in silence.
      const yaml = /\.ya?ml$/.test(entry.name);
      const kind = entry.isSymbolicLink() ? linkTarget(path, yaml) : entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : 'other';
      if (kind === 'dir') walk(path);
      // A FIFO or device with an inventory file's name is kept, so the reader refuses it by name.
      if (kind === 'dir' || !yaml) continue;
      const file = realpathSync(path);
      if (seen.has(file)) continue;
      seen.add(file);
      files.push(path);
    }
  };
  walk(folder);
  if (files.length === 0) throw new MusterError(`Cannot load inventory: ${shown} holds no .yaml files`);
  return files.sort((a, b) => (relative(folder, a) < relative(folder, b) ? -1 : 1));
}

/** What a symlink leads to. A dangling one is an error when it has an inventory file's name, else ignored. */
function linkTarget(path: string, yaml: boolean): 'dir' | 'file' | 'other' {
  let info;
  try {
    info = statSync(path);
  } catch (error) {
    if (!yaml) return 'other';
    throw new MusterError(`Cannot load inventory: ${path} is a symlink to nothing (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`, { cause: error });
  }
  return info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other';
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
