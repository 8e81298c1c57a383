/**
 * How a selector's `key=VALUE` and `fact.key=VALUE` atoms test hosts: VALUE is a glob
 * or an exact string, matched against a var (or fact) and, for a list, any of its items.
 */
import type { Host } from './types.js';

/** A shell-style glob (`*`, `?`) as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`);
}

/** Tests a value against `key=VALUE`'s VALUE: a glob when it has `*` or `?`, else equality. */
export function matcher(expected: string): (value: string) => boolean {
  if (/[*?]/.test(expected)) {
    const re = globToRegExp(expected);
    return (value) => re.test(value);
  }
  return (value) => value === expected;
}

/** A var matches when it, or any item of a list, does; null matches as the empty string, a map never. */
function matchesVar(value: unknown, match: (value: string) => boolean): boolean {
  if (value === undefined) return false;
  if (value === null) return match('');
  if (Array.isArray(value)) return value.some((item) => matchesVar(item, match));
  if (typeof value === 'object') return false;
  return match(String(value));
}

/** The hosts whose record (its vars, or its facts) has `atom.key` with a value `atom.match` takes. */
export function matching(hosts: readonly Host[], recordOf: (host: Host) => Readonly<Record<string, unknown>> | undefined, atom: { key: string; match: (value: string) => boolean }): Uint8Array {
  const out = new Uint8Array(hosts.length);
  hosts.forEach((host, i) => {
    const record = recordOf(host);
    if (record && Object.hasOwn(record, atom.key) && matchesVar(record[atom.key], atom.match)) out[i] = 1;
  });
  return out;
}
