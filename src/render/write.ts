/**
 * Writing generated files the way config management should: atomically (see
 * `writeFileAtomic`) and only when the content changed (so mtimes, inotify
 * watchers and `make` stay quiet when nothing did).
 */
import { readFileSync, statSync } from 'node:fs';
import { MusterError } from '../core/errors.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';

/** What writing a file did. */
export type WriteStatus = 'created' | 'changed' | 'unchanged';

/**
 * Reads a file's text, or `undefined` when it does not exist; any other failure
 * is a `MusterError` naming it. Only a regular file (or a link to one) is an
 * output: `/dev/stdout`, `/dev/zero` or a FIFO would be read forever and then
 * renamed over, replacing a device node as root.
 */
export function readIfExists(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) throw new MusterError(`Cannot write ${path}: it is not a regular file (leave out -o to print to stdout)`);
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof MusterError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MusterError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Writes `content` to `path` if it differs from what is there, atomically,
 * keeping the old file's mode (and owner as root); a new file gets 0644.
 * A symlink at `path` is replaced by the file rather than written through:
 * outputs often sit in shared folders (/tmp, a build tree) where a planted
 * link would send the write anywhere. Returns whether the file was created,
 * changed or left alone; failures are a `MusterError` naming the path.
 */
export async function writeIfChanged(path: string, content: string): Promise<WriteStatus> {
  const old = readIfExists(path);
  if (old === content) return 'unchanged';
  await writeFileAtomic(path, content, { createMode: 0o644, followSymlinks: false });
  return old === undefined ? 'created' : 'changed';
}
