/**
 * Waiting for the inventory's files to be quiet before the server reads them.
 * A file written in place in chunks (a slow `scp`, `cat > muster.yaml`, a
 * generator flushing as it goes) is valid YAML after each chunk, and each
 * prefix would be served as a version of the fleet and wake every watcher
 * (issue 17: 1,379, then 4,101… hosts). So a reload reads only files that did
 * not change over a settle interval, and checks after reading that they still
 * have not: every file's size, mtime, ctime and inode (`stat`, nanoseconds)
 * equal in two looks `settleMs` apart, and the same again after the read.
 *
 * ctime is in the comparison because nothing can set it back: a writer that
 * restores the mtime (`cp -p`, `touch -r`) still moves it. The looks are
 * compared with each other rather than with the clock, so a file system with
 * a skewed clock (NFS) settles the same way.
 *
 * A file that never settles (appended to for ever) is not waited for in
 * silence: past `maxWaitMs` the wait ends with `NotSettledError`, which the
 * reloader reports as a failed reload (the last good inventory keeps serving).
 *
 * `stat` never blocks on what a read would hang on (a FIFO at the inventory
 * path); the read that follows refuses anything that is not a regular file
 * (core/readRegularFile.ts), so that refusal is worded in one place.
 */
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { MusterError } from '../core/errors.js';

/** The server's defaults: 200 ms of quiet, at most 10 s of waiting. */
export const defaultSettle = { settleMs: 200, maxWaitMs: 10_000 } as const;

/** How long to wait for quiet files. */
export interface SettleOptions {
  /** The files must be unchanged over this long (ms; 0: one look, no wait). */
  settleMs: number;
  /** Give up after this long (ms, from `startedAt`) with `NotSettledError`. */
  maxWaitMs: number;
  /** When the wait began (`performance.now()` time; default now). */
  startedAt?: number;
  /** Hears which files are being waited for, at each new look. */
  onWaiting?: (files: string[]) => void;
  signal?: AbortSignal;
}

/** The state of one file as `stat` sees it: what any write, truncation, `utimes` or replacement changes. */
export type Look = Map<string, string>;

/** Files that kept changing for longer than the maximum wait. */
export class NotSettledError extends MusterError {
  override name = 'NotSettledError';
  constructor(
    readonly files: string[],
    readonly settleMs: number,
    readonly waitedMs: number,
  ) {
    super(`Cannot load inventory: ${files.join(', ')} kept changing for ${(waitedMs / 1000).toFixed(1)} s (no two looks ${settleMs} ms apart agreed on its size and times)`);
  }
}

/** One look at every file. Throws a `MusterError` for a file that is gone. */
export async function look(files: string[]): Promise<Look> {
  const states: Look = new Map();
  await Promise.all(files.map(async (file) => {
    let info;
    try {
      info = await stat(file, { bigint: true });
    } catch (error) {
      throw new MusterError(`Cannot load inventory: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    states.set(file, `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`);
  }));
  return states;
}

/** The files whose state differs between two looks (a file in one look only counts as changed). */
export function changed(before: Look, after: Look): string[] {
  const files = new Set([...before.keys(), ...after.keys()]);
  return [...files].filter((file) => before.get(file) !== after.get(file));
}

/**
 * Waits until two looks at `files`, `settleMs` apart, agree, and returns the
 * last look (to compare with one taken after reading). Throws
 * `NotSettledError` past `maxWaitMs`, `look`'s errors, and the `AbortError`
 * of `signal`.
 */
export async function waitForQuiet(files: string[], options: SettleOptions): Promise<Look> {
  const startedAt = options.startedAt ?? performance.now();
  let previous = await look(files);
  if (options.settleMs <= 0) return previous;
  let waitingFor = files;
  for (;;) {
    options.onWaiting?.(waitingFor);
    await sleep(options.settleMs, undefined, options.signal ? { signal: options.signal } : {});
    const next = await look(files);
    const moved = changed(previous, next);
    if (moved.length === 0) return next;
    const waited = performance.now() - startedAt;
    if (waited >= options.maxWaitMs) throw new NotSettledError(moved, options.settleMs, waited);
    previous = next;
    waitingFor = moved;
  }
}
