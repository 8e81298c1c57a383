/**
 * An exclusive lock on a local file for the length of one read-edit-write, the
 * way OpenSSH's peers and shell scripts lock: flock(2) on a lock file beside it.
 *
 * Node has no flock, so a small `flock` child (util-linux) takes the lock and
 * holds it while it lives; it exits, and the kernel drops the lock, when its
 * stdin closes — on release, and also when this process dies however it dies,
 * so a crash never leaves a stale lock behind. Other programs that flock the
 * same lock file (a script running `flock FILE.lock …`) are excluded too.
 */
import { spawn } from 'node:child_process';
import { MusterError } from './errors.js';
import { formatDuration } from './duration.js';

/** Options of withFileLock. */
export interface FileLockOptions {
  /** How long to wait for another holder before giving up (default 10 s). */
  waitMs?: number;
}

/** The lock file that guards `path`: `path.lock`, beside it. */
export function lockPathFor(path: string): string {
  return `${path}.lock`;
}

/**
 * Runs `work` while holding an exclusive flock on `path.lock` (created if
 * missing, left in place afterwards as flock users expect). Waits up to
 * `waitMs` for another holder, then fails with a MusterError naming the file.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const release = await acquire(lockPathFor(path), options.waitMs ?? 10_000, path);
  try {
    return await work();
  } finally {
    await release();
  }
}

/** Takes the lock; resolves to a function that releases it (and waits until it is released). */
function acquire(lockPath: string, waitMs: number, guarded: string): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    // -w: give up after the wait; -E 75: say "busy" apart from other failures.
    // `echo` tells us the lock is held; `exec cat` then holds it until stdin closes.
    const seconds = Math.max(waitMs, 1) / 1000;
    const child = spawn('flock', ['-x', '-w', String(seconds), '-E', '75', lockPath, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    let locked = false;
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (locked || !chunk.includes('locked')) return;
      locked = true;
      resolve(async () => {
        child.stdin.end();
        await exited;
      });
    });
    child.once('error', (error) => {
      reject(new MusterError(`Cannot lock ${guarded}: ${error.message} (muster needs util-linux's flock)`, { cause: error }));
    });
    child.once('close', (code) => {
      if (locked) return;
      if (code === 75) reject(new MusterError(`Cannot lock ${guarded}: ${lockPath} has been held by another process for over ${formatDuration(waitMs)}; try again when it is done`));
      else reject(new MusterError(`Cannot lock ${guarded}: ${stderr.trim() || `flock exited with ${code}`}`));
    });
  });
}
