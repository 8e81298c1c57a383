/**
 * The files a host owns (docs/files.md): each of its roles' `files:` in the
 * order it lists them, then its own, a host entry replacing a role's for the
 * same path. Two roles claiming one path differently is a conflict naming both
 * places; drift, converge and adopt all read a host's files through here.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SourceLocation } from '../core/errors.js';
import { placeOf } from './sourcePosition.js';
import type { Host, Inventory, ManagedFileSpec, Section } from './types.js';

/** One managed file of one host, with the layer that declared it and where. */
export interface DeclaredFile {
  /** The absolute path on the host. */
  path: string;
  spec: ManagedFileSpec;
  layer: 'host' | `role:${string}`;
  /** The place of the path's key in the inventory. */
  at: SourceLocation;
}

/** Two roles of one host that claim one path with different specs. */
export interface FileConflict {
  path: string;
  first: DeclaredFile;
  second: DeclaredFile;
}

/** A host's managed files in declaration order, and the role conflicts among them (a host entry overrides without conflict). */
export function declaredFiles(inventory: Inventory, host: Host): { files: DeclaredFile[]; conflicts: FileConflict[] } {
  const byPath = new Map<string, DeclaredFile>();
  const conflicts: FileConflict[] = [];
  const add = (section: Section<Record<string, ManagedFileSpec>> | undefined, layer: DeclaredFile['layer']): void => {
    if (!section) return;
    for (const [path, spec] of Object.entries(section.value)) {
      const file: DeclaredFile = { path, spec, layer, at: placeOf(section, [path]) };
      const first = byPath.get(path);
      if (first && layer !== 'host' && JSON.stringify(first.spec) !== JSON.stringify(spec)) conflicts.push({ path, first, second: file });
      if (!first || layer === 'host') byPath.set(path, file);
    }
  };
  for (const role of host.roles) add(inventory.roles.get(role)?.files, `role:${role}`);
  add(host.files, 'host');
  return { files: [...byPath.values()], conflicts };
}

/**
 * The folder `src` paths are relative to: the inventory's repository (the
 * nearest folder at or above its first file holding `.git`), else the folder of
 * `muster.yaml`, or the folder holding an `inventory/` folder.
 */
export function inventoryRoot(inventory: Inventory): string {
  const first = inventory.files[0] ?? process.cwd();
  for (let dir = dirname(first); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) break;
  }
  const folder = dirname(first);
  return basename(folder) === 'inventory' && inventory.files.length >= 1 && inventory.files.every((file) => dirname(file) === folder) ? dirname(folder) : folder;
}
