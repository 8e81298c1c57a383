/**
 * Reading ssh_config files: parsing (the `ssh-config` package), `Include` expanded in place,
 * `Host` patterns compiled once, and the raw values one file gives a host name. What those
 * values mean (defaults, precedence, tokens) is `sshConfig.ts`'s business.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { InvalidFileError } from '../../../core/errors.js';

/** One `Host` section (or the lines before any, `match` null), compiled once. */
interface CompiledSection {
  match: ((name: string) => boolean) | null;
  directives: { key: string; value: string | string[] }[];
}

/**
 * A parsed file ready for lookups. Plain `Host` files (the common case, and the lab's 100s of
 * sections) are looked up with patterns compiled once: the package's own `compute()` builds a
 * RegExp per pattern per call, which is quadratic for an inventory-sized file. Files with
 * `Match` blocks use `compute()`.
 */
export type CompiledConfig = { kind: 'sections'; sections: CompiledSection[] } | { kind: 'library'; config: SSHConfig };

const REPEATABLE = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward']);

function directiveValue(value: string | { val: string }[]): string | string[] {
  return typeof value === 'string' ? value : value.map((part) => part.val);
}

/** OpenSSH host patterns: whitespace- (or comma-) separated, `*` and `?` wildcards, `!` negation, case-insensitive. */
function hostMatcher(patterns: string[]): (name: string) => boolean {
  const compiled = patterns.flatMap((p) => p.split(/[\s,]+/)).filter((p) => p !== '').map((pattern) => {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    const source = body.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
    return { negated, regex: new RegExp(`^${source}$`, 'i') };
  });
  return (name) => {
    let matched = false;
    for (const { negated, regex } of compiled) {
      if (!regex.test(name)) continue;
      if (negated) return false;
      matched = true;
    }
    return matched;
  };
}

/** OpenSSH's limit on nested `Include`s. */
const MAX_INCLUDE_DEPTH = 16;

/**
 * Compiles a parsed file into sections in file order. `Include` is expanded in place, as
 * OpenSSH does: relative paths are under `~/.ssh`, `*`/`?` globs match (sorted), missing files
 * are skipped, and an Include inside a `Host` block applies only to hosts that block matches.
 */
function compileConfig(config: SSHConfig, home: string): CompiledConfig {
  const sections: CompiledSection[] = [];
  const ok = compileInto(sections, config, null, home, 0);
  return ok ? { kind: 'sections', sections } : { kind: 'library', config };
}

/** Appends the sections of `lines` under `outer`; false when a `Match` block needs the package's compute(). */
function compileInto(
  sections: CompiledSection[],
  lines: readonly SSHConfig[number][],
  outer: ((name: string) => boolean) | null,
  home: string,
  depth: number,
): boolean {
  let current: CompiledSection = { match: outer, directives: [] };
  sections.push(current);
  for (const line of lines) {
    if (line.type !== SSHConfig.DIRECTIVE) continue;
    const key = line.param.toLowerCase();
    if (key === 'match') return false;
    if (key === 'host' && 'config' in line) {
      const value = directiveValue(line.value);
      const own = hostMatcher(Array.isArray(value) ? value : [value]);
      const match = outer === null ? own : (name: string): boolean => outer(name) && own(name);
      if (!compileInto(sections, line.config, match, home, depth)) return false;
      current = { match: outer, directives: [] };
      sections.push(current);
    } else if (key === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH) throw new Error(`Include nested more than ${MAX_INCLUDE_DEPTH} deep`);
      const value = directiveValue(line.value);
      for (const file of includeFiles(Array.isArray(value) ? value : value.split(/\s+/), home)) {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        if (!compileInto(sections, SSHConfig.parse(text), current.match, home, depth + 1)) return false;
      }
      current = { match: outer, directives: [] };
      sections.push(current);
    } else {
      current.directives.push({ key, value: directiveValue(line.value) });
    }
  }
  return true;
}

/** The files an `Include` names: `~` expanded, relative to `~/.ssh`, globs matched and sorted. */
function includeFiles(patterns: string[], home: string): string[] {
  const files: string[] = [];
  for (const raw of patterns) {
    if (raw === '') continue;
    const expanded = raw.replace(/^~(?=\/|$)/, home);
    const path = isAbsolute(expanded) ? expanded : join(home, '.ssh', expanded);
    files.push(...globPath(path));
  }
  return files;
}

/** Expands `*` and `?` in any component of an absolute path, like glob(3), sorted. */
function globPath(path: string): string[] {
  if (!/[*?]/.test(path)) return [path];
  let found = ['/'];
  for (const part of path.split('/').filter((p) => p !== '')) {
    const next: string[] = [];
    for (const dir of found) {
      if (!/[*?]/.test(part)) {
        next.push(join(dir, part));
        continue;
      }
      const regex = new RegExp(`^${part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
      let entries: string[] = [];
      try {
        entries = readdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
      }
      for (const entry of entries.sort()) if (!entry.startsWith('.') && regex.test(entry)) next.push(join(dir, entry));
    }
    found = next;
  }
  return found;
}

/** What OpenSSH would take from one file for `name`: first value wins, repeatable keys accumulate. */
export function computeCompiled(compiled: CompiledConfig, name: string): Record<string, string | string[]> {
  if (compiled.kind === 'library') return compiled.config.compute(name, { ignoreCase: true });
  const values: Record<string, string | string[]> = {};
  for (const section of compiled.sections) {
    if (section.match !== null && !section.match(name)) continue;
    for (const { key, value } of section.directives) {
      if (REPEATABLE.has(key)) {
        const list = values[key];
        values[key] = [...(Array.isArray(list) ? list : list === undefined ? [] : [list]), ...(Array.isArray(value) ? value : [value])];
      } else if (values[key] === undefined) {
        values[key] = value;
      }
    }
  }
  return values;
}

/**
 * Reads and compiles one ssh_config file; null when it does not exist. A file that cannot be
 * parsed is an `InvalidFileError` naming it; other read errors are thrown as they are.
 */
export function loadConfigFile(file: string, home: string): CompiledConfig | null {
  try {
    return compileConfig(SSHConfig.parse(readFileSync(file, 'utf8')), home);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code !== undefined) throw error;
    throw new InvalidFileError(file, [{ message: (error as Error).message }], { cause: error });
  }
}
