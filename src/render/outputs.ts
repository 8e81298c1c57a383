/**
 * Bringing a set of generated files up to date, or (`check`) only saying which
 * are out of date and how: the shared back end of `muster render` and
 * `muster gen`. Writes are atomic and skip files whose content is unchanged.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MusterError } from '../core/errors.js';
import { unifiedDiff } from './diff.js';
import { readIfExists, writeIfChanged } from './write.js';

/** A file to produce: where, and what it should contain. */
export interface PlannedFile {
  path: string;
  content: string;
}

/** What happened (or, with `check`, what would happen) to one file. */
export interface FileResult {
  path: string;
  /** `created`/`changed`/`unchanged` when writing; `missing`/`differs`/`unchanged` when checking. */
  status: 'created' | 'changed' | 'unchanged' | 'missing' | 'differs';
  /** With `check`, the unified diff from the file on disk to the generated content. */
  diff?: string;
}

/**
 * Writes each planned file if its content changed (creating folders), or with
 * `check` writes nothing and returns a diff for every file that is out of date.
 */
export async function syncFiles(files: readonly PlannedFile[], options: { check?: boolean } = {}): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const file of files) results.push(await syncFile(file, options.check === true));
  return results;
}

async function syncFile(file: PlannedFile, check: boolean): Promise<FileResult> {
  if (check) {
    const current = readIfExists(file.path);
    if (current === file.content) return { path: file.path, status: 'unchanged' };
    const diff = unifiedDiff(current ?? '', file.content, { before: current === undefined ? '/dev/null' : file.path, after: `${file.path} (generated)` });
    return { path: file.path, status: current === undefined ? 'missing' : 'differs', diff };
  }
  try {
    mkdirSync(dirname(file.path), { recursive: true });
  } catch (error) {
    throw new MusterError(`Cannot create the folder of ${file.path}: ${(error as Error).message}`, { cause: error });
  }
  return { path: file.path, status: await writeIfChanged(file.path, file.content) };
}

/** Whether a result means the file on disk is not what was generated (for `--check`'s exit code). */
export function outOfDate(result: FileResult): boolean {
  return result.status === 'missing' || result.status === 'differs';
}
