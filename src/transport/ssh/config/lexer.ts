/**
 * How OpenSSH 9.2 cuts one ssh_config line into words (readconf.c, misc.c). Three cutters,
 * because OpenSSH itself uses three: the keyword ends at whitespace or one `=` (`strdelim`);
 * most arguments are shell-like words with `"`/`'` quotes, `\` escapes and a `#` comment
 * only at the start of a word (`argv_split`); `Match` criteria are cut with `strdelim` again
 * (`"` quotes only, `=` splits). `ProxyCommand` and `ProxyJump` take the rest of the line raw.
 */

const WHITESPACE = ' \t\r\n';

/** One line's keyword (lowercased) and the text after it; null for blank and comment lines. */
export interface SplitLine {
  keyword: string;
  /** 0-based offset of the keyword in the line. */
  keywordAt: number;
  /** What follows the keyword and its separator (whitespace, or one `=`), trailing whitespace cut. */
  rest: string;
  /** 0-based offset of `rest` in the line. */
  restAt: number;
}

/** A word and its 0-based offset in the text it was cut from. */
export interface Word {
  text: string;
  at: number;
}

/** Thrown by the cutters for text OpenSSH refuses; the caller adds file and line. */
export class LexError extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
  }
}

function skip(text: string, from: number, chars: string): number {
  let index = from;
  while (index < text.length && chars.includes(text.charAt(index))) index++;
  return index;
}

/**
 * OpenSSH's `strdelim`: the next word of `text` from `from`, ending at whitespace, a `"`
 * (a quoted word runs to the next `"`) or, when `splitEquals`, one `=`. Returns the word and
 * where the next one starts, or null when a quote is not closed.
 */
export function strdelim(text: string, from: number, splitEquals = true): { word: Word; next: number } | null {
  const stops = splitEquals ? `${WHITESPACE}"=` : `${WHITESPACE}"`;
  let end = from;
  while (end < text.length && !stops.includes(text.charAt(end))) end++;
  if (end >= text.length) return { word: { text: text.slice(from), at: from }, next: text.length };
  if (text.charAt(end) === '"') {
    // strdelim drops the opening quote and ends the word at the next quote (wherever it started).
    const close = text.indexOf('"', end + 1);
    if (close === -1) return null;
    const word = text.slice(from, end) + text.slice(end + 1, close);
    return { word: { text: word, at: from }, next: skip(text, close + 1, WHITESPACE) };
  }
  const word = { text: text.slice(from, end), at: from };
  const equalsSkipped = splitEquals && text.charAt(end) === '=';
  let next = skip(text, end + 1, WHITESPACE);
  if (splitEquals && !equalsSkipped && text.charAt(next) === '=') next = skip(text, next + 1, WHITESPACE);
  return { word, next };
}

/** Cuts the keyword off one line, as `process_config_line_depth` does; null when there is none. */
export function splitLine(raw: string): SplitLine | null {
  const line = raw.replace(/[ \t\r\n\f]+$/, '');
  if (line === '') return null;
  let first = strdelim(line, 0);
  // A line starting with whitespace yields an empty first word: the keyword is the next one.
  if (first !== null && first.word.text === '' && first.next < line.length) first = strdelim(line, first.next);
  if (first === null) throw new LexError('invalid quotes', 0);
  const keyword = first.word.text;
  if (keyword === '' || keyword.startsWith('#')) return null;
  const restAt = skip(line, first.next, WHITESPACE);
  return { keyword: keyword.toLowerCase(), keywordAt: first.word.at, rest: line.slice(restAt), restAt };
}

/**
 * OpenSSH's `argv_split(…, terminate_on_comment=1)`: shell-like words. `"` and `'` quote
 * (spaces kept, quotes dropped), `\` escapes a quote, a backslash or (outside quotes) a space,
 * and a `#` at the start of a word ends the line. An unclosed quote is a LexError.
 */
export function argvSplit(text: string): Word[] {
  const words: Word[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    if (char === ' ' || char === '\t') {
      index++;
      continue;
    }
    if (char === '#') break;
    const at = index;
    let quote = '';
    let word = '';
    for (; index < text.length; index++) {
      const c = text.charAt(index);
      const next = text.charAt(index + 1);
      if (c === '\\') {
        if (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' ')) {
          index++;
          word += next;
        } else {
          word += c;
        }
      } else if (quote === '' && (c === ' ' || c === '\t')) {
        break;
      } else if (quote === '' && (c === '"' || c === "'")) {
        quote = c;
      } else if (quote !== '' && c === quote) {
        quote = '';
      } else {
        word += c;
      }
    }
    if (quote !== '') throw new LexError('invalid quotes', at);
    words.push({ text: word, at });
  }
  return words;
}
