/**
 * Replacing a file so that a reader sees the old content or the new, never half
 * of each: what `muster set` does to the inventory, `export -o` to a file people
 * `source`, and `push --save` to a task file.
 */
import { randomBytes } from 'node:crypto';
import { lstat, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MusterError } from './errors.js';

/**
 * Replaces `path` with `text` so that a reader sees the old file or the new
 * one, never half of each: a temporary file in the same folder (same
 * filesystem), fsynced, renamed over the real file (a symlink is followed and
 * its target replaced), then the folder fsynced. The mode is kept, and the
 * owner when running as root; a file that does not exist yet is created with
 * `createMode` (an error without it). With `expected`, a file whose text is no
 * longer that (someone else edited it meanwhile) is left alone with an error.
 * With `followSymlinks: false`, a symlink at `path` is itself replaced by the new
 * file (as `sed -i` does), for outputs that may sit in a shared folder such as
 * /tmp, where a planted link would otherwise send the write anywhere.
 * Filesystem failures become a `MusterError` naming the path.
 */
export async function writeFileAtomic(path: string, text: string, options: WriteOptions = {}): Promise<void> {
  try {
    await replaceFile(path, text, options);
  } catch (error) {
    if (error instanceof MusterError || typeof (error as NodeJS.ErrnoException).code !== 'string') throw error;
    throw new MusterError(`Cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Options of writeFileAtomic. */
export interface WriteOptions {
  /** The text the file must still have; anything else is an error and nothing is written. */
  expected?: string;
  /** The mode of a file that does not exist yet (without it, a missing file is an error). */
  createMode?: number;
  /** Follow a symlink at `path` and replace its target (default), or replace the link itself. */
  followSymlinks?: boolean;
}

async function replaceFile(path: string, text: string, options: WriteOptions): Promise<void> {
  const follow = options.followSymlinks !== false;
  let real = resolve(path);
  let current: Stats | undefined;
  try {
    if (follow) real = await realpath(path);
    current = follow ? await stat(real) : await lstat(real);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || options.createMode === undefined || options.expected !== undefined) throw error;
  }
  let mode: number;
  let owner: { uid: number; gid: number } | undefined;
  if (current && !current.isSymbolicLink()) {
    mode = current.mode & 0o7777;
    owner = { uid: current.uid, gid: current.gid };
  } else if (options.createMode !== undefined && options.expected === undefined) {
    // Absent, or a link not to be followed: a new file takes its place.
    mode = options.createMode;
  } else {
    throw new MusterError(`Cannot write ${path}: it is a symlink, and this write does not follow links`);
  }
  if (options.expected !== undefined && (await readFile(real, 'utf8')) !== options.expected) {
    throw new MusterError(`${path} changed while muster was editing it; nothing was written to it, run the command again`);
  }
  const temp = join(dirname(real), `.${basename(real)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.chmod(mode);
      if (owner && process.getuid?.() === 0 && (owner.uid !== 0 || owner.gid !== 0)) await handle.chown(owner.uid, owner.gid);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, real);
  } catch (error) {
    await unlink(temp).catch((cleanup: unknown) => {
      if ((cleanup as NodeJS.ErrnoException).code !== 'ENOENT') throw cleanup;
    });
    throw error;
  }
  const folder = await open(dirname(real), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
