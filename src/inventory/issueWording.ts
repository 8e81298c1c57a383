/**
 * What a schema (zod) issue says and where it points, for every file muster
 * validates: an unknown key or a bad record key at the key itself, anything else
 * at the value; a missing key named as missing. The rules are one; how a place
 * is named differs by file kind and stays as each has always printed it (tests
 * and users' scripts read both): the inventory names the whole path and
 * rewords zod's own messages (`"hosts.b.port": must be <=65535`), a task file
 * names the key and shows its schema's messages as written (`mode: must be an
 * octal mode such as "0644"`).
 */
import type { z } from 'zod';

/** How one kind of file names places and words its problems. */
export interface IssueWording {
  /** How the place at `path` is named in a message. */
  name(path: readonly PropertyKey[]): string;
  /** The message for a required key that is absent. */
  missing(path: readonly PropertyKey[], named: string): string;
  /** The keys a mapping at `path` allows, listed after an unknown key (none: no list). */
  allowedKeys?(path: readonly PropertyKey[]): readonly string[] | undefined;
  /** All unknown keys of one mapping in one problem (at the first), rather than one problem each. */
  unknownKeysTogether: boolean;
  /** Reword zod's built-in messages ("Invalid input: expected number, received string") into plain ones. */
  reword: boolean;
  /**
   * Which issues at an absent value are said as `missing`: only zod's "expected a
   * type" (`type`: the inventory, whose checker prunes a broken part after its first
   * issue, so a later issue there finds no value that was in fact present) or any
   * issue (`any`: a task file, where a missing union or literal is missing too).
   */
  missingFrom: 'type' | 'any';
}

/** A problem found by a schema: its message, and the path (below what was validated) and part it points at. */
export interface IssueProblem {
  message: string;
  path: PropertyKey[];
  want: 'key' | 'value';
}

/** The inventory's wording: `"hosts.a.port" must be a number, not the text "22"`. */
export function inventoryWording(allowedKeys: (path: readonly PropertyKey[]) => readonly string[] | undefined): IssueWording {
  return {
    name: (path) => (path.length > 0 ? `"${path.map(String).join('.')}"` : 'the file'),
    missing: (_path, named) => `${named} is required`,
    allowedKeys,
    unknownKeysTogether: false,
    reword: true,
    missingFrom: 'type',
  };
}

/** A task file's wording: `mode: must be an octal mode such as "0644"`, `missing "dest"`. */
export const taskWording: IssueWording = {
  name: (path) => {
    const last = path[path.length - 1];
    return typeof last === 'string' ? last : '';
  },
  missing: (path) => `missing "${String(path[path.length - 1])}"`,
  unknownKeysTogether: true,
  reword: false,
  missingFrom: 'any',
};

/**
 * The problems one issue stands for (several when unknown keys are reported one
 * by one), worded as `wording` says. `input` is what was validated, so a missing
 * key can be told from a wrong value.
 *
 * @example describeIssue(issue, { port: '22' }, taskWording) // [{ message: 'port: …', path: ['port'], want: 'value' }]
 */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown, wording: IssueWording): IssueProblem[] {
  const path = [...issue.path];
  const named = wording.name(path);
  if (issue.code === 'unrecognized_keys') {
    const groups = wording.unknownKeysTogether ? [issue.keys] : issue.keys.map((key) => [key]);
    const allowed = wording.allowedKeys?.(path);
    // "in X" only below the top (an unknown key at the top says no "in the file") and
    // only when X has a name: a task file names no list item, and "in " would dangle.
    const within = path.length > 0 && named !== '' ? named : undefined;
    return groups.map((keys) => ({ message: unknownKeys(keys, within, allowed), path: [...path, keys[0] ?? ''], want: 'key' }));
  }
  if (issue.code === 'invalid_key') return [{ message: `${named}: ${issue.issues[0]?.message ?? 'invalid name'}`, path, want: 'key' }];
  const value = valueAt(input, path);
  if (value === undefined && path.length > 0 && (wording.missingFrom === 'any' || issue.code === 'invalid_type')) {
    return [{ message: wording.missing(path, named), path, want: 'value' }];
  }
  return [{ message: wording.reword ? reworded(issue, named, value) : withName(named, issue.message), path, want: 'value' }];
}

/** The value at `path` below `input` (undefined when any step is missing). */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function unknownKeys(keys: string[], within: string | undefined, allowed: readonly string[] | undefined): string {
  return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((key) => `"${key}"`).join(', ')}${within !== undefined ? ` in ${within}` : ''}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`;
}

function withName(named: string, message: string): string {
  return named ? `${named}: ${message}` : message;
}

function reworded(issue: z.core.$ZodIssue, named: string, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return `${named} must be ${article(issue.expected)}, not ${describeValue(input)}`;
    case 'invalid_value':
      return `${named} must be ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}`;
    case 'too_small':
    case 'too_big':
      return issue.origin === 'array' && issue.code === 'too_small' ? `${named} must not be empty` : `${named}: ${issue.message.replace(/^Too (small|big): expected (number|int) to be /, 'must be ')}`;
    default:
      return withName(named, issue.message);
  }
}

function article(type: string): string {
  if (type === 'int') return 'an integer';
  if (type === 'record' || type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(input: unknown): string {
  if (input === null) return 'empty';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return `the text ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`;
  return `${typeof input} ${String(input)}`;
}
