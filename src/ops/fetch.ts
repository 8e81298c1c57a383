/**
 * Gathering a file from every host into `LOCALDIR/HOST/NAME`. Host names and
 * remote paths are data from elsewhere (an inventory, a command line), so every
 * piece that becomes a local path is made a single safe segment, the result is
 * checked to lie inside LOCALDIR, and files are written by an exclusive create
 * plus a rename (`FileReceiver`), so a symlink planted in LOCALDIR is replaced,
 * never followed.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Job, JobResult } from '../run/engine.js';
import { ExecAbortedError, type ExecResult } from '../transport/types.js';
import { FileReceiver } from './fetchFile.js';
import { shScript } from './push.js';

/**
 * Turns any name into one safe path segment: `/`, `\`, NUL and control
 * characters become `_`; `''`, `.` and `..` get a leading `_`. Distinct safe
 * names stay distinct only up to those replacements (see `fetchPlan`).
 */
export function safeSegment(name: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[/\\\u0000-\u001f\u007f]/g, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? `_${cleaned}` : cleaned;
}

/**
 * The local path, relative to LOCALDIR's host folder, for a remote path: its
 * basename, or with `fullPath` every segment of the normalized path (`..` and
 * `.` segments can never climb: they are dropped or made safe).
 */
export function localName(remote: string, options: { fullPath?: boolean } = {}): string[] {
  const normalized = posix.normalize(remote);
  const segments = normalized.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (!options.fullPath) return [safeSegment(segments[segments.length - 1] ?? '')];
  return segments.length === 0 ? ['_'] : segments.map(safeSegment);
}

/** Where each host's copy goes, checked to lie inside `localDir`; throws when two hosts would share a place. */
export function fetchPlan(localDir: string, hosts: readonly string[], remote: string, options: { fullPath?: boolean } = {}): Map<string, string> {
  const root = resolve(localDir);
  const rest = localName(remote, options);
  const plan = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const host of hosts) {
    const dir = safeSegment(host);
    const clash = owner.get(dir);
    if (clash !== undefined) throw new UsageError(`Cannot fetch: hosts "${clash}" and "${host}" would both be stored in ${join(root, dir)}`);
    owner.set(dir, host);
    const path = resolve(root, dir, ...rest);
    if (!path.startsWith(root + sep)) throw new Error(`refusing to write outside ${root}: ${path}`);
    plan.set(host, path);
  }
  return plan;
}

/** Creates the folders from `root` down to `dir`, refusing any that is a symlink (nothing may lead out of `root`). */
async function makeDirs(root: string, dir: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const relative = dir.slice(root.length + 1);
  let current = root;
  for (const segment of relative.split(sep).filter(Boolean)) {
    current = join(current, segment);
    try {
      const info = await lstat(current);
      if (!info.isDirectory()) throw new Error(`${current} exists and is not a folder (a symlink is never followed)`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(current);
    }
  }
}

/** The remote half: the file's mode on the first line, then its bytes. */
const fetchScript = `if [ -d "$1" ]; then echo "$1: is a directory" >&2; exit 21; fi
m=$(stat -L -c %a -- "$1") || exit 22
printf '%s\\n' "$m"
exec cat -- "$1"`;

/** The largest file `fetchJob` stores unless told otherwise. */
export const DEFAULT_FETCH_MAX_BYTES = 256 * 1024 * 1024;

/**
 * The per-host job of `muster fetch`: reads REMOTE (at most `maxBytes`, default 256 MiB)
 * and stores it at the place `plan` gives the host, with the remote file's permission
 * bits less the local umask. The bytes stream to a temporary file beside that place as
 * they come (see `FileReceiver`), so memory does not grow with the file, and only a file
 * read whole is renamed into place: a failed read, a full disk, a timeout or Ctrl-C leave
 * no partial file behind. `ok` with the local path as the message; `failed` when the file
 * cannot be read or stored.
 */
export function fetchJob(remote: string, localDir: string, plan: Map<string, string>, options: { sudo?: boolean; maxBytes?: number } = {}): Job {
  const root = resolve(localDir);
  // The file's bytes are not shown: they are data to store, not output.
  return async (session, { target, signal }) => {
    const path = plan.get(target.name);
    if (!path) throw new Error(`no place planned for ${target.name}`);
    const stop = new AbortController();
    const receiver = new FileReceiver(path, {
      maxBytes: options.maxBytes ?? DEFAULT_FETCH_MAX_BYTES,
      prepare: () => makeDirs(root, dirname(path)),
      // Nothing more is wanted once the file cannot be stored: stop the remote read.
      onFailure: (error) => stop.abort(error),
    });
    const failed = (stderr: Buffer, message: string): JobResult => ({ status: 'failed', exitCode: null, stdout: '', stderr: stderr.toString('utf8'), message });
    let result: ExecResult;
    try {
      result = await session.exec(shScript(fetchScript, [remote]), {
        signal: AbortSignal.any([signal, stop.signal]),
        sudo: options.sudo ?? false,
        // Nothing of stdout is kept in memory: every chunk goes to the file.
        maxOutputBytes: 0,
        onStdout: (chunk) => receiver.push(chunk),
      });
    } catch (error) {
      await receiver.discard();
      const why = receiver.error;
      if (error instanceof ExecAbortedError && !signal.aborted && why !== undefined) return failed(error.partial.stderr, `cannot store ${remote}: ${why.message}`);
      throw error;
    }
    if (result.exitCode !== 0) {
      await receiver.discard();
      return { ...failed(result.stderr, `cannot read ${remote}`), exitCode: result.exitCode };
    }
    try {
      await receiver.finish();
    } catch (error) {
      return failed(result.stderr, `cannot store ${remote}: ${(error as Error).message}`);
    }
    return { status: 'ok', exitCode: 0, stdout: '', stderr: result.stderr.toString('utf8'), message: `stored in ${path}` };
  };
}
