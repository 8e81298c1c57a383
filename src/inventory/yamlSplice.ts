/**
 * Surgical edits of YAML text. `muster set` must keep every byte it does not
 * mean to change: re-printing a parsed Document reflows indentation, comment
 * spacing, flow padding and folded scalars. So the Document API is used only to
 * find nodes and their ranges, and each edit is a splice of the original text.
 * Every splice here yields YAML that the caller re-parses and checks.
 */
import { isMap, isScalar, parse, stringify, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { MusterError } from '../core/errors.js';
import type { VarValue } from './types.js';

/** Replace text[start, end) with `text`. */
export interface Splice {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping splices (in any order) to `text`. */
export function applySplices(text: string, splices: readonly Splice[]): string {
  const sorted = [...splices].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let limit = Infinity;
  for (const splice of sorted) {
    if (splice.end > limit) throw new Error(`overlapping splices at ${splice.start}-${splice.end}`);
    out = out.slice(0, splice.start) + splice.text + out.slice(splice.end);
    limit = splice.start;
  }
  return out;
}

/** Offset of the start of the line holding `pos`. */
export function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

/** Offset just past the end (newline included) of the line holding `pos`; `pos` itself when it already starts a line. */
export function lineEndAfter(text: string, pos: number): number {
  if (pos > 0 && text[pos - 1] === '\n') return pos;
  const newline = text.indexOf('\n', pos);
  return newline === -1 ? text.length : newline + 1;
}

/** The column (0-based) of `pos`. */
export function columnOf(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

/** The range of a node; every node of a parsed document has one. */
export function rangeOf(node: unknown): [number, number, number] {
  const range = (node as Node | null | undefined)?.range;
  if (!range) throw new Error('YAML node without a source range');
  return range;
}

/** Whether a map value is absent in the text (`key:`, `key: ~`, `key: null`). */
export function isNullNode(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/** Offset just past the `:` that follows a pair's key. */
function colonEnd(text: string, pair: Pair): number {
  const at = text.indexOf(':', rangeOf(pair.key)[1]);
  if (at === -1) throw new Error('map key without ":"');
  return at + 1;
}

/** The end of a pair in the text: its value's end, or just past its `:` when the value is empty. */
function pairEnd(text: string, pair: Pair): number {
  const value = pair.value as Node | null;
  const empty = !value?.range || (isScalar(value) && value.value === null && value.range[0] === value.range[1]);
  return Math.max(empty ? 0 : (value.range as [number, number, number])[1], colonEnd(text, pair));
}

/** The pair of `map` whose key is the plain text `key`. */
export function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((pair) => isScalar(pair.key) && String(pair.key.value) === key);
}

/** Text that may stay a plain scalar in block and flow context (if YAML also reads it back as the same string). */
const plainString = /^[A-Za-z0-9_/](?:[A-Za-z0-9_./@+ -]*[A-Za-z0-9_./@+-])?$/;

/**
 * A value as YAML text that is valid in block and flow context alike: a
 * string stays plain when YAML reads it back as that same string, else it is
 * double-quoted (JSON's escapes are a subset of YAML's); collections are
 * written as JSON, which is flow YAML.
 */
export function yamlValue(value: VarValue): string {
  if (typeof value === 'string') {
    if (plainString.test(value) && readsAs(value, value)) return value;
    return quoted(value);
  }
  if (value === null || typeof value !== 'object') return stringify(value).trimEnd();
  return quoted(value);
}

/** A map key as YAML text: plain when safe, else double-quoted. */
export function yamlKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) && readsAs(key, key) ? key : quoted(key);
}

/**
 * A nodeset (host key, address pattern) as YAML text, in the quoting style the
 * original scalar used; plain only where the context allows `[`, `]` and `,`.
 */
export function yamlNodeset(text: string, original: Scalar, flow: boolean): string {
  if (original.type === 'QUOTE_SINGLE' && !text.includes('\n')) return `'${text.replaceAll("'", "''")}'`;
  if (original.type === 'QUOTE_DOUBLE') return quoted(text);
  const plain = flow ? plainString : /^[A-Za-z0-9_][A-Za-z0-9_./@+[\],-]*$/;
  return plain.test(text) && readsAs(text, text) ? text : quoted(text);
}

/** Whether plain `text` reads back as `value` — under YAML 1.2 (muster) and 1.1 (older tools: `yes`, `on`, `0777`). */
function readsAs(text: string, value: string): boolean {
  try {
    return parse(text) === value && parse(text, { version: '1.1' }) === value;
  } catch (error) {
    if (error instanceof Error) return false;
    throw error;
  }
}

/** JSON text, with the characters YAML does not allow raw (DEL, C1 controls, BOM) escaped. */
function quoted(value: unknown): string {
  return JSON.stringify(value).replace(/[\x7f-\x9f\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Layout facts needed to write a new block entry: this map's indentation and the file's indent step. */
export interface BlockLayout {
  /** Column of the keys of the map being edited. */
  indent: number;
  /** Indentation step for a nested map under one of those keys. */
  step: number;
}

/**
 * Sets `key: value` in `map` (replacing the value when the key exists,
 * otherwise adding the key after the last entry). `value` is YAML text that
 * fits on one line, or — for block maps only — `nested`, a one-entry map to
 * write under the key in block style.
 */
export function setInMap(text: string, map: YAMLMap, key: string, value: { inline: string } | { nested: [string, string] }, layout: BlockLayout): Splice {
  const existing = pairOf(map, key);
  if (existing) {
    const start = colonEnd(text, existing);
    const end = pairEnd(text, existing);
    const keepNewline = end > start && text[end - 1] === '\n' ? '\n' : '';
    return { start, end, text: `${renderValue(value, layout.indent + layout.step, map.flow === true)}${keepNewline}` };
  }
  const entry = `${yamlKey(key)}:${renderValue(value, layout.indent + layout.step, map.flow === true)}`;
  if (map.flow) {
    const last = map.items.at(-1) as Pair | undefined;
    if (!last) {
      const [start, end] = rangeOf(map);
      return { start, end, text: `{ ${entry} }` };
    }
    const at = pairEnd(text, last);
    return { start: at, end: at, text: `, ${entry}` };
  }
  const last = map.items.at(-1) as Pair | undefined;
  if (!last) throw new Error('empty block map');
  const at = lineEndAfter(text, pairEnd(text, last));
  const newline = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
  return { start: at, end: at, text: `${newline}${' '.repeat(layout.indent)}${entry}\n` };
}

function renderValue(value: { inline: string } | { nested: [string, string] }, nestedIndent: number, flow: boolean): string {
  if ('inline' in value) return ` ${value.inline}`;
  const [key, inner] = value.nested;
  if (flow) return ` { ${yamlKey(key)}: ${inner} }`;
  return `\n${' '.repeat(nestedIndent)}${yamlKey(key)}: ${inner}`;
}

/**
 * Gives an empty value (`key:` or `key: ~`) a body: a block map with one entry
 * at `indent`, so `db1: ~` becomes `db1:\n    state: stop`.
 */
export function fillNull(text: string, pair: Pair, entries: string[], indent: number): Splice {
  const start = colonEnd(text, pair);
  const end = pairEnd(text, pair);
  return { start, end, text: entries.map((entry) => `\n${' '.repeat(indent)}${entry}`).join('') };
}

/**
 * Removes `key` from `map`. Removing the last entry leaves `{}` in its place
 * (an empty value would read as null, which `vars:` does not accept).
 * `parent` is the pair whose value `map` is. Returns undefined when the key is absent.
 */
export function removeFromMap(text: string, map: YAMLMap, key: string, parent: Pair): Splice | undefined {
  const items = map.items as Pair[];
  const index = items.findIndex((pair) => isScalar(pair.key) && String(pair.key.value) === key);
  const pair = items[index];
  if (!pair) return undefined;
  if (items.length === 1) {
    const start = colonEnd(text, parent);
    const end = map.flow ? rangeOf(map)[1] : lineEndAfter(text, pairEnd(text, pair));
    return { start, end, text: map.flow ? ' {}' : ' {}\n' };
  }
  if (map.flow) {
    const next = items[index + 1];
    if (next) return { start: rangeOf(pair.key)[0], end: rangeOf(next.key)[0], text: '' };
    const previous = items[index - 1] as Pair;
    return { start: pairEnd(text, previous), end: pairEnd(text, pair), text: '' };
  }
  const start = lineStart(text, rangeOf(pair.key)[0]);
  if (text.slice(start, rangeOf(pair.key)[0]).trim() !== '') throw new MusterError(`Cannot remove "${key}": it does not start its own line`);
  return { start, end: lineEndAfter(text, pairEnd(text, pair)), text: '' };
}

/** The map under `pair`, if its value is one. */
export function mapOf(pair: Pair | undefined): YAMLMap | undefined {
  return pair && isMap(pair.value) ? pair.value : undefined;
}
