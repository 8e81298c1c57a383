/**
 * Where the inventory is: `-i PATH`, else `$MUSTER_INVENTORY`, else `muster.yaml`
 * or an `inventory/` folder in the current folder or the nearest parent.
 */
import { readdirSync, statSync } from 'node:fs';
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
    return stat.isDirectory() ? folderFiles(path, named) : [path];
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    const file = join(dir, 'muster.yaml');
    if (isFile(file)) return [file];
    const folder = join(dir, 'inventory');
    if (isDirectory(folder)) return folderFiles(folder, folder);
    if (dirname(dir) === dir) break;
  }
  throw new MusterError(`No inventory found: no muster.yaml or inventory/ in ${cwd} or any folder above it (use -i PATH or set MUSTER_INVENTORY)`);
}

function folderFiles(folder: string, shown: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(entry.name) && entry.isFile()) files.push(path);
    }
  };
  walk(folder);
  if (files.length === 0) throw new MusterError(`Cannot load inventory: ${shown} holds no .yaml files`);
  return files.sort((a, b) => (relative(folder, a) < relative(folder, b) ? -1 : 1));
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
