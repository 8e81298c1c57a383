/**
 * How `muster render` and `muster gen` report the files they wrote or checked:
 * one line per file (`created`, `changed`, `unchanged`; with --check `missing`,
 * `differs` and the diff), or JSON Lines; and the exit code of --check.
 */
import { statSync } from 'node:fs';
import { basename, normalize, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import { outOfDate, syncFiles, type FileResult, type PlannedFile } from '../render/outputs.js';
import { exitCodes } from './exit.js';
import { printJsonLine, type GlobalOptions } from './globals.js';

/**
 * A file name made from a host or template name, refused when it could leave
 * its folder (a `/`, `..`, or a leading dot that would hide it).
 */
export function safeFileName(name: string): string {
  if (name === '' || name !== basename(name) || name.includes(sep) || name.includes('/') || name.startsWith('.') || name.includes('\0')) {
    throw new UsageError(`"${name}" cannot be used as a file name (it would leave the output folder or hide the file)`);
  }
  return name;
}

/**
 * Whether `-o OUT` names a folder to put `count` files in: several files, an
 * existing folder, or a path written with a trailing `/`. Else OUT is the file.
 */
export function outputIsFolder(out: string, count: number): boolean {
  if (count !== 1 || out.endsWith('/')) return true;
  try {
    return statSync(out).isDirectory();
  } catch {
    // Missing: a file to create.
    return false;
  }
}

/** Joins a safe name under a folder, and checks the result really is inside it. */
export function inside(folder: string, name: string): string {
  const root = resolve(folder);
  const path = normalize(resolve(root, safeFileName(name)));
  if (!path.startsWith(root + sep)) throw new UsageError(`"${name}" would be written outside ${folder}`);
  return path;
}

/**
 * Writes (or with `check`, compares) the planned files and reports each.
 * With --check, sets exit code 1 when any file is missing or differs.
 */
export async function writeReport(files: PlannedFile[], options: GlobalOptions & { check?: boolean }): Promise<FileResult[]> {
  const results = await syncFiles(files, { check: options.check === true });
  for (const result of results) {
    if (options.json) {
      printJsonLine({ file: result.path, status: result.status, ...(result.diff ? { diff: result.diff } : {}) });
      continue;
    }
    if (result.diff) process.stdout.write(result.diff);
    if (!options.quiet || outOfDate(result)) process.stderr.write(`${result.status.padEnd(9)} ${result.path}\n`);
  }
  const stale = results.filter(outOfDate).length;
  if (options.check) {
    if (!options.json && !options.quiet) {
      process.stderr.write(stale === 0 ? `muster: ${results.length} file${results.length === 1 ? '' : 's'} up to date\n` : `muster: ${stale} of ${results.length} file${results.length === 1 ? '' : 's'} out of date\n`);
    }
    if (stale > 0) process.exitCode = exitCodes.failed;
  } else if (!options.json && !options.quiet) {
    const changed = results.filter((result) => result.status !== 'unchanged').length;
    process.stderr.write(`muster: ${results.length} file${results.length === 1 ? '' : 's'}, ${changed} written, ${results.length - changed} unchanged\n`);
  }
  return results;
}
