/**
 * `file`: stat, sha256, read, write and restore of one file on the host.
 *
 * - `write` is atomic: a temporary file in the same folder (same filesystem) gets the data,
 *   the mode and owner, is fsynced and renamed over the path, then the folder is fsynced; a
 *   reader sees the old file or the new, never half. With `keepOld` the old file is first
 *   hard-linked (copied where links fail) to `.NAME.muster-prev` beside it, and its path
 *   returned: `restore` renames it back, atomically too.
 * - `read` returns at most `maxReadBytes` (base64 in a JSON reply must fit the broker's
 *   max_payload, 1 MiB by default): bigger files are read with `command.run` (`cat`), which streams.
 * - `write` does not follow a symlink at the last component unless asked (`followLinks: true`):
 *   a link a local user planted (`/home/bob/.profile -> /etc/sudoers`) with `owner=bob` would
 *   hand that user the file it names. The new file is a fresh one, so chown never goes through a link.
 * - `read` and `sha256` open the path once (non-blocking, so a FIFO cannot hang the open),
 *   check the handle is a regular file and read from it at most limit+1 bytes: a path swapped
 *   for /dev/zero or a FIFO after a check cannot exhaust memory or hang the agent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, open, realpath, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { action, ModuleError, type AgentModule } from '../module.js';
import { idOf, nameOf } from './accounts.js';

/** The largest file `file.read` returns (bytes, before base64). */
export const maxReadBytes = 512 * 1024;

const path = z.string().min(1).refine((value) => isAbsolute(value) && !value.includes('\0'), 'an absolute path is needed');
const mode = z.union([z.string().regex(/^0?[0-7]{3,4}$/, 'an octal mode such as 0644'), z.number().int().min(0).max(0o7777)])
  .transform((value) => typeof value === 'number' ? value : parseInt(value, 8));

/** The path of the old file `write` keeps for `restore`: `.NAME.muster-prev` in the same folder. */
export function previousPath(file: string): string {
  return join(dirname(file), `.${basename(file)}.muster-prev`);
}

function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** A filesystem error as the module error the caller sees: `failed`, naming the path and the reason. */
function failure(error: unknown, what: string, file: string): never {
  if (error instanceof ModuleError) throw error;
  const code = (error as NodeJS.ErrnoException).code;
  throw new ModuleError('failed', `cannot ${what} ${file}: ${code ?? (error as Error).message}`, { cause: error });
}

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Opens `file` for reading and checks the handle (not the path) is a regular file; the caller closes it. */
async function openRegular(file: string, what: string): Promise<{ handle: FileHandle; stats: Stats }> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new ModuleError('failed', `cannot ${what} ${file}: it is a ${kindOf(stats)}, not a file`);
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function sha256Of(file: string): Promise<{ sha256: string; size: number }> {
  const { handle } = await openRegular(file, 'hash');
  try {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}

/** Reads at most `limit + 1` bytes of regular file `file` from one handle; more is `too-large`. */
async function readBounded(file: string, limit: number): Promise<Buffer> {
  const { handle, stats } = await openRegular(file, 'read');
  try {
    if (stats.size > limit) throw new ModuleError('too-large', `${file} is ${stats.size} bytes, more than the ${limit} file.read returns; read it with command.run`);
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit) throw new ModuleError('too-large', `${file} grew past ${limit} bytes while read`);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

async function describe(file: string): Promise<Record<string, unknown>> {
  let stats: Stats;
  try {
    stats = await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path: file, exists: false };
    throw error;
  }
  return {
    path: file,
    exists: true,
    type: kindOf(stats),
    size: stats.size,
    mode: (stats.mode & 0o7777).toString(8).padStart(4, '0'),
    uid: stats.uid,
    gid: stats.gid,
    owner: (await nameOf('user', stats.uid)) ?? null,
    group: (await nameOf('group', stats.gid)) ?? null,
    mtime: stats.mtime.toISOString(),
  };
}

const writeArgs = z.object({
  path,
  /** The new content, base64. */
  data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
  mode: mode.optional(),
  owner: z.string().min(1).optional(),
  group: z.string().min(1).optional(),
  keepOld: z.boolean().optional(),
  /** Replace the file a symlink at the path names (default: a symlink there is refused). */
  followLinks: z.boolean().optional(),
});

async function write(args: z.infer<typeof writeArgs>): Promise<unknown> {
  const data = Buffer.from(args.data, 'base64');
  const last = await lstat(args.path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (last?.isSymbolicLink() && !args.followLinks) throw new ModuleError('failed', `cannot write ${args.path}: it is a symlink (pass followLinks: true to replace the file it names)`);
  // The folders are resolved (the temporary file goes beside the real file); the last component only when asked.
  const folder = await realpath(dirname(args.path));
  const target = last?.isSymbolicLink() ? await realpath(args.path) : join(folder, basename(args.path));
  const old = await lstatOrUndefined(target);
  if (old && !old.isFile()) throw new ModuleError('failed', `cannot write ${args.path}: it is a ${kindOf(old)}, not a file`);
  const modeBits = args.mode ?? (old ? old.mode & 0o7777 : 0o644);
  const uid = args.owner !== undefined ? await idOf('user', args.owner) : old?.uid;
  const gid = args.group !== undefined ? await idOf('group', args.group) : old?.gid;
  const oldSha = old ? (await sha256Of(target)).sha256 : null;
  const temp = join(dirname(target), `.${basename(target)}.muster-${randomBytes(6).toString('hex')}.tmp`);
  // 0600 until the mode is set: the data must not be readable by others for a moment.
  const handle = await open(temp, 'wx', 0o600);
  let previous: string | null = null;
  try {
    try {
      await handle.writeFile(data);
      if (uid !== undefined || gid !== undefined) await handle.chown(uid ?? -1, gid ?? -1);
      // After chown: chown clears set-uid bits.
      await handle.chmod(modeBits);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (old && args.keepOld) {
      previous = previousPath(target);
      const prevTemp = `${previous}.${randomBytes(6).toString('hex')}.tmp`;
      // A hard link keeps the old file itself (inode, mode, owner) at no cost; a copy where links fail.
      await link(target, prevTemp).catch(() => copyFile(target, prevTemp));
      await rename(prevTemp, previous);
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncFolder(dirname(target));
  const sha256 = createHash('sha256').update(data).digest('hex');
  return { path: args.path, size: data.length, sha256, changed: sha256 !== oldSha, previous };
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function restore(file: string): Promise<unknown> {
  const target = await realpath(file).catch(() => file);
  const previous = previousPath(target);
  if (!(await lstatOrUndefined(previous))) throw new ModuleError('failed', `cannot restore ${file}: no kept old file ${previous}`);
  await rename(previous, target);
  await syncFolder(dirname(target));
  return { path: file, restored: previous, sha256: (await sha256Of(target)).sha256 };
}

/** The `file` module (see the file header for the rules). */
export const fileModule = {
  name: 'file',
  actions: {
    /** `{ path }` → `{ path, exists, type, size, mode ('0644'), uid, gid, owner, group, mtime }` (the path itself, links not followed). */
    stat: action(z.object({ path }), (args) => describe(args.path).catch((error: unknown) => failure(error, 'stat', args.path))),
    /** `{ path }` → `{ path, sha256, size }`. */
    sha256: action(z.object({ path }), async (args) => {
      try {
        return { path: args.path, ...(await sha256Of(args.path)) };
      } catch (error) {
        return failure(error, 'hash', args.path);
      }
    }),
    /** `{ path, maxBytes? }` → `{ path, size, data (base64) }`; a bigger file is `too-large`. */
    read: action(z.object({ path, maxBytes: z.number().int().positive().max(maxReadBytes).optional() }), async (args) => {
      try {
        const data = await readBounded(args.path, args.maxBytes ?? maxReadBytes);
        return { path: args.path, size: data.length, data: data.toString('base64') };
      } catch (error) {
        return failure(error, 'read', args.path);
      }
    }),
    /** `{ path, data (base64), mode?, owner?, group?, keepOld?, followLinks? }` → `{ path, size, sha256, changed, previous (path or null) }`. */
    write: action(writeArgs, (args) => write(args).catch((error: unknown) => failure(error, 'write', args.path))),
    /** `{ path }`: puts the old file `write` kept back → `{ path, restored, sha256 }`. */
    restore: action(z.object({ path }), (args) => restore(args.path).catch((error: unknown) => failure(error, 'restore', args.path))),
  },
} satisfies AgentModule;
