/**
 * Gathering a file from every host into `LOCALDIR/HOST/NAME`. Host names and
 * remote paths are data from elsewhere (an inventory, a command line), so every
 * piece that becomes a local path is made a single safe segment, the result is
 * checked to lie inside LOCALDIR, and files are written by an exclusive create
 * plus a rename, so a symlink planted in LOCALDIR is replaced, never followed.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { join, posix, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Job } from '../run/engine.js';
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

/**
 * Writes `data` at `path` atomically: exclusive create of a temporary beside it,
 * then rename over. `mode` is the remote file's permission bits (less the umask,
 * as scp does), so a fetched 0600 secret does not become readable by everyone here.
 */
async function writeAtomic(path: string, data: Buffer, mode: number): Promise<void> {
  const temp = `${path}.muster-${randomBytes(6).toString('hex')}`;
  const handle = await open(temp, 'wx', mode & 0o777);
  try {
    await handle.writeFile(data);
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, path);
}

/** The remote half: the file's mode on the first line, then its bytes. */
const fetchScript = `if [ -d "$1" ]; then echo "$1: is a directory" >&2; exit 21; fi
m=$(stat -L -c %a -- "$1") || exit 22
printf '%s\\n' "$m"
exec cat -- "$1"`;

/** Room for the mode line ahead of the content, so `maxBytes` counts the file's bytes only. */
const modeLineBytes = 8;

/**
 * The per-host job of `muster fetch`: reads REMOTE (capped at `maxBytes`,
 * default 256 MiB) and stores it at the place `plan` gives the host, with the
 * remote file's permission bits less the local umask. `ok` with
 * the local path as the message; `failed` when the file cannot be read.
 */
export function fetchJob(remote: string, localDir: string, plan: Map<string, string>, options: { sudo?: boolean; maxBytes?: number } = {}): Job {
  const root = resolve(localDir);
  // The file's bytes are not streamed: they are data to store, not output to show.
  return async (session, { target, signal }) => {
    const path = plan.get(target.name);
    if (!path) throw new Error(`no place planned for ${target.name}`);
    const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    const result = await session.exec(shScript(fetchScript, [remote]), { signal, sudo: options.sudo ?? false, maxOutputBytes: maxBytes + modeLineBytes });
    const stderr = result.stderr.toString('utf8');
    if (result.exitCode !== 0) return { status: 'failed', exitCode: result.exitCode, stdout: '', stderr, message: `cannot read ${remote}` };
    const newline = result.stdout.indexOf(0x0a);
    const modeText = result.stdout.subarray(0, Math.max(newline, 0)).toString('latin1');
    if (!/^[0-7]{3,4}$/.test(modeText)) return { status: 'failed', exitCode: result.exitCode, stdout: '', stderr, message: `cannot read the mode of ${remote}` };
    const data = result.stdout.subarray(newline + 1);
    if (result.stdoutTruncated || data.length > maxBytes) return { status: 'failed', exitCode: 0, stdout: '', stderr, message: `${remote} is larger than ${maxBytes} bytes; not stored` };
    await makeDirs(root, resolve(path, '..'));
    await writeAtomic(path, data, Number.parseInt(modeText, 8));
    return { status: 'ok', exitCode: 0, stdout: '', stderr, message: `stored in ${path}` };
  };
}
