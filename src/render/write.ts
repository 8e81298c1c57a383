/**
 * Writing generated files the way config management should: atomically (a
 * temporary file in the same folder, then rename, so a reader never sees half a
 * file) and only when the content changed (so mtimes, inotify watchers and
 * `make` stay quiet when nothing did).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** What writing a file did. */
export type WriteStatus = 'created' | 'changed' | 'unchanged';

/** Reads a file's text, or `undefined` when it does not exist. */
export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Writes `content` to `path` if it differs from what is there: to a temporary
 * file beside it, fsync'd, then renamed over it (keeping the old file's mode).
 * Returns whether the file was created, changed or left alone.
 */
export function writeIfChanged(path: string, content: string): WriteStatus {
  const old = readIfExists(path);
  if (old === content) return 'unchanged';
  const mode = old === undefined ? 0o644 : statSync(path).mode & 0o7777;
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch (cleanup) {
      // The temp file may be gone already; the original error is what matters.
      void cleanup;
    }
    throw error;
  }
  return old === undefined ? 'created' : 'changed';
}
