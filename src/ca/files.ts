/**
 * Writing the CA's files: private keys 0600 from the first byte (never a moment at the umask's
 * mode), folders 0700, and every file replaced atomically so a crash leaves the old or the new.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../core/writeFileAtomic.js';

/** Makes `dir` (and missing parents) 0700, and sets 0700 on `dir` itself if it was already there. */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Writes a secret (a private key): a temporary file created 0600 in the same folder, fsynced,
 * renamed over `path`. The mode is 0600 whatever `path` had before.
 */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await removeFile(temp);
    throw error;
  }
}

/** Writes a public file (a certificate, a record): atomically, 0644 when new. */
export function writePublicFile(path: string, text: string): Promise<void> {
  return writeFileAtomic(path, text, { createMode: 0o644, followSymlinks: false });
}

/** Removes a file that may already be gone. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
