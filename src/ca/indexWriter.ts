/**
 * The one writer of the CA's state: every change (a CSR submitted, certificates signed, a
 * revocation) runs under an flock of `ca/index.json` and writes the index atomically, so two
 * `muster ca` commands (or an `agent install` auto-signing while an operator revokes) never
 * lose each other's records, and a reader sees the old index or the new one.
 */
import { access } from 'node:fs/promises';
import { withFileLock } from '../core/fileLock.js';
import { CaError } from './errors.js';
import { writePublicFile } from './files.js';
import { caPaths } from './paths.js';
import { readIndex, type CaIndex } from './records.js';

/**
 * Runs `work` with the index, holding the CA's lock. `work` edits `index` in place; whatever it
 * changed is written back when it ends, also when it throws part way (certificates already
 * signed by then are on disk and must be in the index), and then its error is rethrown.
 */
export async function withCaIndex<T>(stateDir: string, work: (index: CaIndex) => Promise<T>): Promise<T> {
  const paths = caPaths(stateDir);
  await requireCa(stateDir);
  return withFileLock(paths.index, async () => {
    const index = await readIndex(stateDir);
    const before = JSON.stringify(index);
    const save = async (): Promise<void> => {
      const after = JSON.stringify(index, null, 2);
      if (JSON.stringify(index) !== before) await writePublicFile(paths.index, `${after}\n`);
    };
    let result: T;
    try {
      result = await work(index);
    } catch (error) {
      await save();
      throw error;
    }
    await save();
    return result;
  });
}

/** Throws a one-line CaError unless a CA (key and certificate) is in `stateDir`. */
export async function requireCa(stateDir: string): Promise<void> {
  const paths = caPaths(stateDir);
  for (const file of [paths.cert, paths.key]) {
    try {
      await access(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new CaError(`No fleet CA in ${paths.dir} (${file} is missing): make one with muster ca init`);
    }
  }
}
