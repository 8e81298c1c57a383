/**
 * OpenSSH's host and user patterns (match.c), with its exact rules: `*` and `?` wildcards,
 * nothing else special. A `Host` word is one pattern, matched case-sensitively (`Host db1,db2`
 * is a single literal pattern with a comma in it). `Match host`/`originalhost` take a
 * comma-separated list matched case-insensitively; `Match user`/`localuser` a list matched as
 * written. In a list, a matching `!pattern` wins over every positive one.
 */

const compiled = new Map<string, RegExp>();

/** `match_pattern`: does all of `text` match `pattern` (`*` any run, `?` any one character)? */
export function matchPattern(text: string, pattern: string): boolean {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    const source = [...pattern].map((c) => c === '*' ? '[^]*' : c === '?' ? '[^]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('');
    regex = new RegExp(`^${source}$`, 'u');
    // A config has few distinct patterns; the cap only stops a pathological file growing the cache.
    if (compiled.size < 10_000) compiled.set(pattern, regex);
  }
  return regex.test(text);
}

/**
 * `match_pattern_list`: 1 when a positive pattern of the comma-separated `list` matches, -1 when
 * a negated one does (whatever else matched), 0 otherwise. `lowercase` lowercases the patterns.
 */
export function matchPatternList(text: string, list: string, lowercase: boolean): -1 | 0 | 1 {
  let positive = false;
  for (const item of list.split(',')) {
    const negated = item.startsWith('!');
    const pattern = negated ? item.slice(1) : item;
    if (!matchPattern(text, lowercase ? pattern.toLowerCase() : pattern)) continue;
    if (negated) return -1;
    positive = true;
  }
  return positive ? 1 : 0;
}

/** `match_hostname`: the list against the lowercased host name. */
export function matchHostname(host: string, list: string): boolean {
  return matchPatternList(host.toLowerCase(), list, true) === 1;
}

/**
 * A `Host` line's words against `host`: active when one positive word matches and no negated
 * one does (a matching `!word` makes the whole line inactive).
 */
export function matchHostLine(host: string, words: readonly string[]): boolean {
  let active = false;
  for (const word of words) {
    const negated = word.startsWith('!');
    if (!matchPattern(host, negated ? word.slice(1) : word)) continue;
    if (negated) return false;
    active = true;
  }
  return active;
}
