/**
 * Reading one ssh_config file as OpenSSH 9.2 reads it: every line cut into keyword and
 * arguments (lexer.ts), `Include`d files read in place (globs sorted, relative paths under
 * `~/.ssh`, missing files skipped, nested at most 16 deep), and the lines `ssh` refuses
 * wherever they stand (a bad `Port`, an empty `HostName`, a malformed `Match`, …) refused
 * here, naming file:line:col. Which lines apply to a host is `evaluate.ts`'s business.
 */
import { fstatSync, openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { InvalidFileError } from '../../../core/errors.js';
import { keywordKind, type KeywordKind } from './keywords.js';
import { argvSplit, LexError, splitLine, strdelim, type Word } from './lexer.js';
import { checkValue, parseMatch, type MatchCriterion } from './values.js';

/** One keyword line, cut and checked. */
export interface ConfigLine {
  file: string;
  line: number;
  /** 1-based column of the keyword. */
  col: number;
  /** As written, lowercased (`identityfile2`, not its alias). */
  keyword: string;
  kind: KeywordKind;
  /** The arguments, as `argv_split` cuts them. */
  args: Word[];
  /** The raw text after the keyword: ProxyCommand and ProxyJump take it as it is. */
  rest: string;
  /** A `Match` line's criteria. */
  match?: MatchCriterion[];
  /** An `Include` line's files, in the order `ssh` reads them. */
  includes?: ConfigFile[];
}

export interface ConfigFile {
  path: string;
  lines: ConfigLine[];
}

/** OpenSSH's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;

/** Raised for the first line of a file that `ssh` would refuse. */
export function configError(file: string, line: number, col: number, message: string): InvalidFileError {
  return new InvalidFileError('ssh_config', [{ message, at: { file, line, col } }]);
}

/** How files are read: where `~` of an Include points, and whether permissions are checked. */
export interface ReadOptions {
  /** `$HOME`: glob(3)'s `~` in Include paths, and the `~/.ssh` relative Include paths are under. */
  includeHome: string;
  /** OpenSSH refuses a group/world-writable user config or included file, or one owned by someone else. */
  checkPermissions: boolean;
}

/**
 * Reads and checks one file and everything it includes; null when it does not exist. A line
 * `ssh` refuses is an `InvalidFileError` naming file:line:col; other read errors are thrown as they are.
 */
export function readConfigFile(path: string, options: ReadOptions, depth = 0): ConfigFile | null {
  if (depth > MAX_INCLUDE_DEPTH) throw configError(path, 1, 1, `Include nested more than ${MAX_INCLUDE_DEPTH} deep`);
  let text: string;
  try {
    text = readChecked(path, options.checkPermissions);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // ssh reads a directory as an empty file.
    if (code === 'EISDIR') return { path, lines: [] };
    if (code === undefined) throw error;
    throw new InvalidFileError('ssh_config', [{ message: `Can't open ${path}: ${(error as Error).message}` }], { cause: error });
  }
  const lines: ConfigLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const parsed = parseLine(path, index + 1, raw, options, depth);
    if (parsed !== null) lines.push(parsed);
  });
  return { path, lines };
}

/** Reads a file, refusing it first as OpenSSH's SSHCONF_CHECKPERM does when asked to. */
function readChecked(path: string, checkPermissions: boolean): string {
  if (!checkPermissions) return readFileSync(path, 'utf8');
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    const uid = process.getuid?.() ?? 0;
    if ((stat.uid !== 0 && stat.uid !== uid) || (stat.mode & 0o022) !== 0) {
      throw new InvalidFileError('ssh_config', [{ message: `Bad owner or permissions on ${path} (OpenSSH refuses a file others can write)` }]);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * One line cut and checked as a file's line is (`ssh -o` text, for commandLine.ts); null for a
 * blank line or a comment. An `Include` line reads its files, so a caller that refuses
 * Include must do so before.
 */
export function parseConfigLine(file: string, line: number, raw: string, options: ReadOptions): ConfigLine | null {
  return parseLine(file, line, raw, options, 0);
}

function parseLine(file: string, line: number, raw: string, options: ReadOptions, depth: number): ConfigLine | null {
  const fail = (at: number, message: string): never => {
    throw configError(file, line, at + 1, message);
  };
  let split;
  try {
    split = splitLine(raw);
  } catch (error) {
    if (error instanceof LexError) fail(error.at, error.message);
    throw error;
  }
  if (split === null) return null;
  const { keyword, keywordAt, rest, restAt } = split;
  if (rest === '') fail(keywordAt, `no argument after keyword "${keyword}"`);
  let args: Word[] = [];
  try {
    args = argvSplit(rest).map((word) => ({ text: word.text, at: word.at + restAt }));
  } catch (error) {
    if (error instanceof LexError) fail(restAt + error.at, error.message);
    throw error;
  }
  const kind = keywordKind(keyword);
  const parsed: ConfigLine = { file, line, col: keywordAt + 1, keyword, kind, args, rest };
  if (kind.kind !== 'used') return parsed;
  const problem = checkValue(kind.name, args, rest);
  if (problem !== undefined) fail(problem.at ?? keywordAt, problem.message);
  if (kind.name === 'match') {
    const criteria = parseMatch(rest, (at) => strdelim(rest, at));
    if (typeof criteria === 'string') fail(restAt, criteria);
    else parsed.match = criteria;
  } else if (kind.name === 'include') {
    parsed.includes = args.flatMap((arg) => includePaths(arg.text, options.includeHome))
      .map((path) => readConfigFile(path, { ...options, checkPermissions: true }, depth + 1))
      .filter((included): included is ConfigFile => included !== null);
  }
  return parsed;
}

/** The files an `Include` word names: relative to `~/.ssh`, `~` expanded, globbed and sorted as glob(3) does. */
function includePaths(word: string, home: string): string[] {
  const anchored = isAbsolute(word) || word.startsWith('~') ? word : `~/.ssh/${word}`;
  const expanded = anchored.replace(/^~(?=\/|$)/, home);
  return globPath(expanded);
}

/** A glob(3) component pattern (`*`, `?`, `[…]`) as a RegExp. */
function componentRegex(part: string): RegExp {
  const source = part.replace(/[.+^${}()|\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`);
}

/** Expands wildcards in every component of an absolute path, sorted; dot files only for a pattern starting with `.`. */
function globPath(path: string): string[] {
  if (!/[*?[]/.test(path)) return [path];
  let found = [''];
  for (const part of path.split('/').filter((p) => p !== '')) {
    const next: string[] = [];
    for (const dir of found) {
      if (!/[*?[]/.test(part)) {
        next.push(`${dir}/${part}`);
        continue;
      }
      const regex = componentRegex(part);
      let entries: string[] = [];
      try {
        entries = readdirSync(dir === '' ? '/' : dir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EACCES') throw error;
      }
      for (const entry of entries.sort()) {
        if ((part.startsWith('.') || !entry.startsWith('.')) && regex.test(entry)) next.push(join(dir === '' ? '/' : dir, entry));
      }
    }
    found = next;
  }
  return found;
}
