/** `--token-file F`, as serve and provision sync read it: one token, surrounding whitespace ignored. */
import { readFileSync } from 'node:fs';
import { EnvironmentError, UsageError } from '../core/errors.js';

/** Reads a file named on the command line; an `EnvironmentError` naming the option when it cannot. */
export function readOptionFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new EnvironmentError(`Cannot read ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The token in `path`; a `UsageError` when it is empty or more than one word. */
export function readTokenFile(path: string): string {
  const token = readOptionFile(path, '--token-file').toString('utf8').trim();
  if (token === '' || /\s/.test(token)) throw new UsageError(`--token-file ${path} must hold one token (no spaces), and it is empty or has several words`);
  return token;
}
