/**
 * Nodesets, as in ClusterShell: `web[001-100,200]`, `rack[1-2]node[01-40]`,
 * steps `[0-10/2]`, comma lists at the top level (`a,b[1-3]`). Expanding turns a
 * pattern into names; folding turns names back into the shortest pattern.
 * Every list of hosts muster prints goes through `foldNodeset`.
 */
import { UsageError } from './errors.js';

/** Patterns that would expand to more names than this are refused (a typo like `[1-1000000000]`). */
export const maxNodesetSize = 1_000_000;

/** One `[...]` of a pattern: the numbers it stands for, already padded. */
type Part = string | string[];

/**
 * Expands a nodeset pattern into its names, in the order written (first
 * bracket outermost), without duplicates. Zero padding is kept: `[08-10]`
 * gives `08 09 10`. A malformed pattern throws a `UsageError` naming the
 * offending character.
 *
 * @example expandNodeset('web[01-03],db1') // ['web01', 'web02', 'web03', 'db1']
 * @example expandNodeset('r[1-2]n[1-2]') // ['r1n1', 'r1n2', 'r2n1', 'r2n2']
 */
export function expandNodeset(pattern: string): string[] {
  const out = new Set<string>();
  for (const [item, offset] of splitTopLevel(pattern)) {
    const parts = parseItem(pattern, item, offset);
    let size = 1;
    for (const part of parts) if (typeof part !== 'string') size *= part.length;
    if (out.size + size > maxNodesetSize) fail(pattern, offset, `it expands to more than ${maxNodesetSize} names`);
    product(parts, 0, '', out);
  }
  return [...out];
}

/**
 * Counts the names of a pattern (duplicates counted once).
 *
 * @example countNodeset('web[001-100,200]') // 101
 */
export function countNodeset(pattern: string): number {
  return expandNodeset(pattern).length;
}

/** Whether a string uses nodeset syntax (a bracket or a top-level comma) rather than being one plain name. */
export function isNodesetPattern(text: string): boolean {
  return /[[\],]/.test(text);
}

function fail(pattern: string, offset: number, reason: string): never {
  throw new UsageError(`Invalid nodeset "${pattern}" at offset ${offset}: ${reason}`);
}

/** Splits at commas outside brackets; yields each item with its offset in the pattern. */
function* splitTopLevel(pattern: string): Generator<[string, number]> {
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= pattern.length; i++) {
    const c = pattern[i];
    if (c === '[') {
      if (depth > 0) fail(pattern, i, 'nested "["');
      depth = 1;
    } else if (c === ']') {
      if (depth === 0) fail(pattern, i, '"]" without "["');
      depth = 0;
    } else if ((c === ',' && depth === 0) || c === undefined) {
      if (c === undefined && depth > 0) fail(pattern, pattern.lastIndexOf('['), 'unclosed "["');
      const item = pattern.slice(start, i);
      if (item.trim() === '') fail(pattern, start, pattern.trim() === '' ? 'empty pattern' : 'empty item');
      yield [item.trim(), start + (item.length - item.trimStart().length)];
      start = i + 1;
    }
  }
}

function parseItem(pattern: string, item: string, offset: number): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < item.length) {
    const open = item.indexOf('[', i);
    const text = open === -1 ? item.slice(i) : item.slice(i, open);
    const bad = /[\s\]]/.exec(text);
    if (bad) fail(pattern, offset + i + bad.index, bad[0] === ']' ? '"]" without "["' : 'whitespace in a name');
    if (text) parts.push(text);
    if (open === -1) break;
    const close = item.indexOf(']', open);
    parts.push(parseRanges(pattern, item.slice(open + 1, close), offset + open + 1));
    i = close + 1;
  }
  return parts;
}

/** Parses the inside of one bracket: `001-100,200,0-10/2`. */
function parseRanges(pattern: string, inside: string, offset: number): string[] {
  if (inside === '') fail(pattern, offset, 'empty "[]"');
  const values: string[] = [];
  const seen = new Set<string>();
  let at = offset;
  for (const range of inside.split(',')) {
    const match = /^(\d+)(?:-(\d+)(?:\/(\d+))?)?$/.exec(range);
    if (!match) fail(pattern, at, `"${range}" is not a number, a range N-M or a stepped range N-M/S`);
    const [, first = '', last, stepText] = match;
    const from = Number(first);
    const to = last === undefined ? from : Number(last);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (to < from) fail(pattern, at, `range "${range}" goes backwards`);
    if (step < 1) fail(pattern, at, `step of "${range}" must be at least 1`);
    if (!Number.isSafeInteger(to)) fail(pattern, at, `"${range}" is too large`);
    const width = padWidth(first);
    if (last !== undefined && padWidth(last) > 0 && padWidth(last) !== width) {
      fail(pattern, at, `"${range}" mixes paddings: both ends must have the same number of digits when one starts with 0`);
    }
    if ((to - from) / step + values.length >= maxNodesetSize) fail(pattern, at, `it expands to more than ${maxNodesetSize} names`);
    for (let n = from; n <= to; n += step) {
      const value = String(n).padStart(width, '0');
      if (!seen.has(value)) {
        seen.add(value);
        values.push(value);
      }
    }
    at += range.length + 1;
  }
  return values;
}

/** The width a number is padded to: its length when it has a leading zero, else none. */
function padWidth(digits: string): number {
  return digits.length > 1 && digits.startsWith('0') ? digits.length : 0;
}

function product(parts: Part[], index: number, prefix: string, out: Set<string>): void {
  if (index === parts.length) {
    out.add(prefix);
    return;
  }
  const part = parts[index];
  if (typeof part === 'string') product(parts, index + 1, prefix + part, out);
  else if (part) for (const value of part) product(parts, index + 1, prefix + value, out);
}

/** A name cut into its text and its numbers: `rack1node07` → texts rack,node,'' and numbers 1,07. */
interface Cut {
  texts: string[];
  /** Per numeric field, the set of number strings it covers (one while not folded). */
  dims: string[][];
}

/**
 * Folds names into the shortest nodeset: names that differ only in their numbers
 * are merged, one bracket per numeric field, consecutive numbers into ranges.
 * Padding is respected (`web9,web10` → `web[9-10]`, `web09,web10` → `web[09-10]`,
 * `web1,web01` stay apart). Duplicates are dropped; the result is sorted.
 *
 * @example foldNodeset(['web001', 'web002', 'web003', 'web007']) // 'web[001-003,007]'
 * @example foldNodeset(['r1n1', 'r1n2', 'r2n1', 'r2n2']) // 'r[1-2]n[1-2]'
 */
export function foldNodeset(names: Iterable<string>): string {
  const byShape = new Map<string, Cut[]>();
  const plain = new Set<string>();
  for (const name of new Set(names)) {
    const cut = cutName(name);
    if (!cut) {
      plain.add(name);
      continue;
    }
    const shape = cut.texts.join('\u0000');
    let list = byShape.get(shape);
    if (!list) byShape.set(shape, (list = []));
    list.push(cut);
  }
  const folded: { key: string; text: string }[] = [];
  for (const name of plain) folded.push({ key: name, text: name });
  for (const cuts of byShape.values()) {
    let items = cuts;
    const dims = cuts[0]?.dims.length ?? 0;
    for (let d = dims - 1; d >= 0; d--) items = mergeAxis(items, d);
    for (const item of items) folded.push({ key: sortKey(item), text: render(item) });
  }
  folded.sort((a, b) => compareNatural(a.key, b.key));
  return folded.map((entry) => entry.text).join(',');
}

/**
 * Folds names into a nodeset whose expansion is exactly `names`, in that
 * order: consecutive runs that fold without reordering, joined by commas (a
 * top-level comma list expands in written order). `foldNodeset` sorts; this is
 * for lists whose order carries meaning, such as addresses paired with names.
 * Runs are found by galloping, so a long list costs O(n log n) folds. The
 * promise holds for plain, distinct names: a name that is itself a pattern
 * (`a[1-2]`) or a repeated one does not expand back to itself, so a caller that
 * cannot rule those out expands the result and compares (as splitPatterns does).
 *
 * @example foldNodesetInOrder(['a4', 'a3', 'a2']) // 'a4,a3,a2'
 * @example foldNodesetInOrder(['a1', 'a2', 'b7']) // 'a[1-2],b7'
 */
export function foldNodesetInOrder(names: readonly string[]): string {
  const inOrder = (from: number, to: number): boolean => {
    const chunk = names.slice(from, to);
    const back = expandNodeset(foldNodeset(chunk));
    return back.length === chunk.length && back.every((name, i) => name === chunk[i]);
  };
  const parts: string[] = [];
  for (let start = 0; start < names.length;) {
    let good = 1;
    while (start + good < names.length) {
      const next = Math.min(good * 2, names.length - start);
      if (inOrder(start, start + next)) {
        good = next;
        continue;
      }
      let bad = next;
      while (bad - good > 1) {
        const middle = (good + bad) >> 1;
        if (inOrder(start, start + middle)) good = middle;
        else bad = middle;
      }
      break;
    }
    parts.push(foldNodeset(names.slice(start, start + good)));
    start += good;
  }
  return parts.join(',');
}

function cutName(name: string): Cut | undefined {
  // Names that already contain nodeset syntax cannot be folded without becoming ambiguous.
  if (isNodesetPattern(name)) return undefined;
  const pieces = name.split(/(\d+)/);
  if (pieces.length === 1) return undefined;
  const texts: string[] = [];
  const dims: string[][] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] ?? '';
    if (i % 2 === 0) texts.push(piece);
    else if (piece.length > 15) return undefined;
    else dims.push([piece]);
  }
  return { texts, dims };
}

/** Merges items that are equal on every axis but `axis`, uniting their values on `axis`. */
function mergeAxis(items: Cut[], axis: number): Cut[] {
  const groups = new Map<string, Cut>();
  for (const item of items) {
    const key = item.dims.map((values, d) => (d === axis ? '' : values.join(','))).join('|');
    const found = groups.get(key);
    if (found) {
      const merged = found.dims[axis] ?? [];
      merged.push(...(item.dims[axis] ?? []));
    } else {
      groups.set(key, { texts: item.texts, dims: item.dims.map((values) => [...values]) });
    }
  }
  // Canonical order of each merged axis, so later axes can compare value lists as strings.
  for (const item of groups.values()) {
    const values = item.dims[axis];
    if (values) item.dims[axis] = [...new Set(values)].sort(compareNumber);
  }
  return [...groups.values()];
}

function compareNumber(a: string, b: string): number {
  return Number(a) - Number(b) || a.length - b.length;
}

function render(item: Cut): string {
  let out = item.texts[0] ?? '';
  item.dims.forEach((values, d) => {
    out += values.length === 1 ? values[0] : `[${ranges(values)}]`;
    out += item.texts[d + 1] ?? '';
  });
  return out;
}

function sortKey(item: Cut): string {
  let out = item.texts[0] ?? '';
  item.dims.forEach((values, d) => {
    out += (values[0] ?? '') + (item.texts[d + 1] ?? '');
  });
  return out;
}

interface Run {
  width: number;
  from: number;
  to: number;
  fromText: string;
  toText: string;
}

/** Folds sorted number strings into `a-b,c` ranges, never joining numbers of different padding. */
function ranges(values: string[]): string {
  const runs: Run[] = [];
  const open = new Map<number, Run[]>();
  for (const text of values) {
    const n = Number(text);
    const padded = padWidth(text);
    const candidates = open.get(n - 1) ?? [];
    // A padded number joins only a run of its width; an unpadded one any run it reads the same in.
    const index = candidates.findIndex((run) => String(n).padStart(run.width, '0') === text && (padded === 0 || run.width === padded));
    let run = index === -1 ? undefined : candidates[index];
    if (run) {
      candidates.splice(index, 1);
      run.to = n;
      run.toText = text;
    } else {
      run = { width: padded, from: n, to: n, fromText: text, toText: text };
      runs.push(run);
    }
    const next = open.get(n);
    if (next) next.push(run);
    else open.set(n, [run]);
  }
  return runs
    .sort((a, b) => a.from - b.from || a.width - b.width)
    .map((run) => (run.from === run.to ? run.fromText : `${run.fromText}-${run.toText}`))
    .join(',');
}

/** Compares strings with embedded numbers by their value: web2 < web10. */
export function compareNatural(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    if (i % 2 === 1) {
      const diff = Number(x) - Number(y);
      if (diff !== 0) return diff;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}
