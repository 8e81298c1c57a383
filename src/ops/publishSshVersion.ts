/**
 * Which revision `muster publish --via ssh` writes. Without a bucket there is no shared
 * counter, so it is a local one, kept in the operator's state folder (`publish-ssh.json`):
 * a publish of a changed inventory (another digest) counts one up and is stamped now; a
 * publish of the same inventory reuses the last version whole, so the copy's bytes are the
 * same and every host answers "unchanged" (its copy is only confirmed: touched). Two
 * operators publishing from two machines count apart: the digest, not the revision, says
 * whether two copies hold the same inventory.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PublishedVersion } from '../core/fleetKv.js';
import { withFileLock } from '../core/fileLock.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';

/** The version to publish for `digest`, the counter file `path` updated (under its lock). */
export async function sshPublishVersion(path: string, digest: string, hosts: number, by: string, now: Date = new Date()): Promise<PublishedVersion> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  return withFileLock(path, async () => {
    const last = await lastVersion(path);
    if (last?.digest === digest) return { ...last, hosts };
    const version: PublishedVersion = { revision: (last?.revision ?? 0) + 1, digest, publishedAt: now.toISOString(), by, hosts };
    await writeFileAtomic(path, `${JSON.stringify(version, null, 2)}\n`, { createMode: 0o600 });
    return version;
  });
}

/** The last version written, or undefined when there is none (or it is unreadable: counting starts again). */
async function lastVersion(path: string): Promise<PublishedVersion | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<PublishedVersion>;
    if (typeof parsed.revision === 'number' && typeof parsed.digest === 'string' && typeof parsed.publishedAt === 'string' && typeof parsed.by === 'string') {
      return { revision: parsed.revision, digest: parsed.digest, publishedAt: parsed.publishedAt, by: parsed.by, hosts: parsed.hosts ?? 0 };
    }
  } catch {
    // A counter file cut short: the next revision starts from 1 again, which only renumbers.
  }
  return undefined;
}
