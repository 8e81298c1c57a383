/**
 * Bringing the output folder to the wanted tree, touching only what differs.
 * Generated files are compared byte for byte; copied loaders by size and mtime
 * (rsync's quick check: an initrd is 40 MB). Every changed file is first
 * written into a staging folder inside DIR, and only once all are staged are
 * they renamed into place, so a sync stopped while staging (an error, a kill)
 * leaves the old tree as it was; files of hosts that left are removed last.
 * The manifest (manifest.ts) lists what sync wrote, so nothing else in DIR is
 * ever removed, and each host's fingerprint, so an unchanged host costs
 * nothing on the next sync.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MusterError } from '../core/errors.js';
import type { CopiedFile } from './loaders.js';
import { manifestName, manifestText, parseManifest, removedFiles, type Manifest } from './manifest.js';
import type { ProvisionTree } from './tree.js';

/** What a sync did (or, with `check`, would do), paths relative to DIR. */
export interface SyncResult {
  created: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
  /** For the changed and created text files: their old text (undefined when new) and new text, for --check's diff. */
  texts: Map<string, { old: string | undefined; new: string }>;
}

/** Options of `syncTree`. */
export interface SyncOptions {
  /** Compute what would change; write nothing. */
  check?: boolean;
  /** Called once everything is staged, before the first rename (tests interrupt a sync here). */
  onStaged?: (staged: number) => void;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new MusterError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function sameCopy(path: string, want: CopiedFile): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && st.size === want.size && Math.trunc(st.mtimeMs) === Math.trunc(want.mtimeMs);
  } catch {
    // Missing or unreadable: copy it again.
    return false;
  }
}

/** The manifest in `dir` (manifest.ts). */
export function readManifest(dir: string): Manifest {
  return parseManifest(readText(join(dir, manifestName)));
}

/**
 * Brings `dir` to `tree` (see the file comment), `previous` being its manifest as the tree
 * was built from it; a `MusterError` naming the path on a filesystem failure, with the
 * staging folder removed.
 */
export function syncTree(dir: string, tree: Pick<ProvisionTree, 'texts' | 'copies' | 'shared' | 'hosts'>, options: SyncOptions, previous: Manifest): SyncResult {
  const result: SyncResult = { created: [], changed: [], removed: [], unchanged: 0, texts: new Map() };
  const staged: { path: string; write: (to: string) => void }[] = [];
  for (const [path, text] of tree.texts) {
    const old = readText(join(dir, path));
    if (old === text) {
      result.unchanged++;
      continue;
    }
    (old === undefined ? result.created : result.changed).push(path);
    result.texts.set(path, { old, new: text });
    staged.push({ path, write: (to) => writeFileSync(to, text, { mode: 0o644 }) });
  }
  for (const [path, copy] of tree.copies) {
    if (sameCopy(join(dir, path), copy)) {
      result.unchanged++;
      continue;
    }
    (readText(join(dir, path)) === undefined ? result.created : result.changed).push(path);
    staged.push({
      path,
      write: (to) => {
        copyFileSync(copy.from, to);
        utimesSync(to, new Date(), new Date(copy.mtimeMs));
      },
    });
  }
  for (const files of tree.hosts.values()) if (files.kept) result.unchanged += files.count;
  result.removed = removedFiles(previous, tree.shared, tree.hosts);
  const manifest = manifestText(tree.shared, tree.hosts, previous);
  const manifestChanged = previous.text !== manifest;
  if (options.check || (staged.length === 0 && result.removed.length === 0 && !manifestChanged)) return result;

  mkdirSync(dir, { recursive: true });
  removeStaleStaging(dir);
  const staging = join(dir, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  // Each folder made once: 5,000 hosts' installer folders were 40,000 mkdir calls.
  const made = new Set<string>();
  const folderOf = (path: string): void => {
    const folder = dirname(path);
    if (made.has(folder)) return;
    mkdirSync(folder, { recursive: true });
    made.add(folder);
  };
  try {
    for (const file of staged) {
      const to = join(staging, file.path);
      folderOf(to);
      file.write(to);
    }
    options.onStaged?.(staged.length);
    for (const file of staged) {
      const to = join(dir, file.path);
      folderOf(to);
      renameSync(join(staging, file.path), to);
    }
    for (const path of result.removed) {
      rmSync(join(dir, path), { force: true });
      pruneEmpty(dir, dirname(path));
    }
    const manifestTemp = join(staging, manifestName);
    // The manifest may be all that changed (a host's fingerprint): staging is then still to make.
    folderOf(manifestTemp);
    writeFileSync(manifestTemp, manifest);
    renameSync(manifestTemp, join(dir, manifestName));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).syscall !== undefined) throw new MusterError(`Cannot sync ${dir}: ${(error as Error).message}`, { cause: error });
    throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return result;
}

/** A staging folder left by a sync that was killed: its files never reached the tree. */
function removeStaleStaging(dir: string): void {
  for (const name of readdirSync(dir)) if (name.startsWith('.staging-')) rmSync(join(dir, name), { recursive: true, force: true });
}

/** Removes the now empty folders a removed host's files were in (installer/HOST), up to DIR. */
function pruneEmpty(dir: string, rel: string): void {
  for (let at = rel; at !== '.' && at !== ''; at = dirname(at)) {
    try {
      rmdirSync(join(dir, at));
    } catch {
      // Not empty (or gone): stop there.
      return;
    }
  }
}

