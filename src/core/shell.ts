/**
 * POSIX shell quoting and shell-safe names. Anything muster interpolates into a
 * remote command line or a file meant for `source`/`eval` goes through here.
 */

/**
 * Quotes a string for a POSIX shell: the result is one word whose value is
 * exactly `value`, whatever it contains (quotes, `$()`, newlines, NUL aside).
 *
 * @example shellQuote("it's") // 'it'\''s'
 */
export function shellQuote(value: string): string {
  if (isBareWord(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Whether `value` is a word a shell reads as itself, unquoted: what `shellQuote` leaves bare. */
export function isBareWord(value: string): boolean {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value);
}

/** Quotes each word and joins them with spaces: a safe command line. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/**
 * Derives a valid shell variable name from any name, predictably: every character
 * other than [A-Za-z0-9_] becomes `_`, a leading digit gets a `_` before it, and
 * the empty name is `_` (an empty name would make `=value` a command, not an assignment).
 *
 * @example shellName('web-01.example.lan') // 'web_01_example_lan'
 */
export function shellName(name: string): string {
  const replaced = name.replace(/[^A-Za-z0-9_]/g, '_');
  return replaced === '' || /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}
